#!/bin/bash
# Debian's xenstore-utils against xensim: reads, writes, lists, removes,
# domain homes, relative paths, as dom0 and as a guest.
source "$(dirname "$0")/lib.sh"
start_hub

in_dom 0 xenstore-write /test/a/b hello /test/a/c world
expect_eq "$(in_dom 0 xenstore-read /test/a/b)" hello "dom0 reads back its write"
expect_eq "$(in_dom 0 xenstore-list /test/a | tr '\n' ' ')" "b c " \
	"xenstore-list in creation order"
expect_eq "$(in_dom 0 xenstore-ls /test)" "$(printf 'a = ""\n b = "hello"\n c = "world"')" \
	"xenstore-ls shows the tree"
in_dom 0 xenstore-exists /test/a/b
expect_fail "xenstore-exists of a missing node" in_dom 0 xenstore-exists /test/nope
expect_fail "reading a missing node" in_dom 0 xenstore-read /test/nope

# Overwrite, empty value, rm of a subtree, rm -t tidies empty parents.
in_dom 0 xenstore-write /test/a/b "new value"
expect_eq "$(in_dom 0 xenstore-read /test/a/b)" "new value" "overwrite"
in_dom 0 xenstore-write /test/empty ""
expect_eq "$(in_dom 0 xenstore-read /test/empty)" "" "empty value"
in_dom 0 xenstore-rm /test/a
expect_fail "a removed subtree is gone" in_dom 0 xenstore-exists /test/a/c
in_dom 0 xenstore-rm /test/nope   # missing node, parent present: fine
expect_fail "rm below a missing parent" in_dom 0 xenstore-rm /test/no/such
in_dom 0 xenstore-write /tidy/x/y 1
in_dom 0 xenstore-rm -t /tidy/x/y
expect_fail "rm -t removed the empty parents" in_dom 0 xenstore-exists /tidy

# Domain homes, made as the toolstack makes them.
in_dom 3 true
expect_eq "$(in_dom 0 xenstore-read /local/domain/3/domid)" 3 "dom3 home: domid"
expect_eq "$(in_dom 0 xenstore-read /local/domain/3/name)" guest3 "dom3 home: name"
expect_eq "$(in_dom 0 xenstore-read /local/domain/0/name)" Domain-0 "dom0 name"
expect_eq "$(in_dom 0 xenstore-ls -p /local/domain/3 | sed -n 1p | sed 's/ .*(/ (/')" \
	'domid (n3,r0)' "dom3 home owned by dom3, readable by dom0"

# Relative paths resolve under the caller's home.
in_dom 3 xenstore-write data/greeting hi
expect_eq "$(in_dom 0 xenstore-read /local/domain/3/data/greeting)" hi \
	"a guest's relative write lands in its home"
expect_eq "$(in_dom 3 xenstore-read data/greeting)" hi "relative read"
expect_eq "$(in_dom 3 xenstore-read /local/domain/3/data/greeting)" hi \
	"the same node by absolute path"
expect_eq "$(in_dom 0 xenstore-read domid)" 0 "dom0's relative paths too"

# Exit status of the command is xensim exec's.
set +e
in_dom 3 sh -c 'exit 42'
status=$?
set -e
expect_eq "$status" 42 "xensim exec returns the command's exit status"
expect_eq "$(in_dom 5 sh -c 'echo $XENSIM_DOMID:$XENSTORED_PATH')" \
	"5:$XS_DIR/dom5/xenstored.sock" "exec sets XENSIM_DOMID and XENSTORED_PATH"
