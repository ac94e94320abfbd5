#!/bin/bash
# Permissions as xenstored enforces them: owner and default in the first
# entry, n/r/w/b, dom0 privileged, guests confined.
source "$(dirname "$0")/lib.sh"
start_hub

in_dom 1 xenstore-write data/secret s1
in_dom 2 true

expect_fail "a guest cannot read another guest's node" \
	in_dom 2 xenstore-read /local/domain/1/data/secret
expect_fail "nor list it" in_dom 2 xenstore-list /local/domain/1
expect_fail "nor write into it" in_dom 2 xenstore-write /local/domain/1/data/x 1
expect_fail "nor see whether something exists there" \
	in_dom 2 xenstore-exists /local/domain/1/data/nothing
expect_eq "$(in_dom 0 xenstore-read /local/domain/1/data/secret)" s1 \
	"dom0 reads a guest's node"
in_dom 0 xenstore-write /local/domain/1/data/from0 x
expect_eq "$(in_dom 0 xenstore-ls -p /local/domain/1/data | grep from0 | sed 's/.*(//')" \
	"n1,r0)" "a node dom0 creates inherits its parent's perms, owner included"
expect_eq "$(in_dom 1 xenstore-ls -p data | grep secret | sed 's/.*(//')" \
	"n1,r0)" "a guest owns what it creates"

# Read-only for a guest: r<N>.
in_dom 0 xenstore-write /shared/ro value
in_dom 0 xenstore-chmod /shared/ro n0 r2
expect_eq "$(in_dom 2 xenstore-read /shared/ro)" value "r2 lets dom2 read"
expect_fail "r2 does not let dom2 write" in_dom 2 xenstore-write /shared/ro x
expect_fail "dom1 (default n) cannot read" in_dom 1 xenstore-read /shared/ro
expect_fail "a guest cannot chmod a node it does not own" \
	in_dom 2 xenstore-chmod /shared/ro n0 b2
expect_eq "$(in_dom 0 xenstore-read /shared/ro)" value "value unchanged"

# Write-only and both.
in_dom 0 xenstore-write /shared/wo v
in_dom 0 xenstore-chmod /shared/wo n0 w2 b1
in_dom 2 xenstore-write /shared/wo from2
expect_fail "w2 does not let dom2 read" in_dom 2 xenstore-read /shared/wo
expect_eq "$(in_dom 1 xenstore-read /shared/wo)" from2 "b1 lets dom1 read"
in_dom 1 xenstore-write /shared/wo from1

# The default in the first entry applies to everyone not listed.
in_dom 0 xenstore-write /shared/public p
in_dom 0 xenstore-chmod /shared/public r0
expect_eq "$(in_dom 4 xenstore-read /shared/public)" p "default r lets any guest read"
expect_fail "but not write" in_dom 4 xenstore-write /shared/public x

# Creating below a node needs write permission on the nearest parent.
expect_fail "a guest cannot create below a node it cannot write" \
	in_dom 4 xenstore-write /shared/public/child x
in_dom 0 xenstore-chmod /shared/public w0
in_dom 4 xenstore-write /shared/public/child x
expect_eq "$(in_dom 0 xenstore-ls -p /shared/public | sed 's/.*(//')" "w4)" \
	"a guest owns a node it creates below another's, the rest inherited"

# A guest manages its own nodes' perms but cannot give them away.
in_dom 1 xenstore-chmod data/secret n1 r2
expect_eq "$(in_dom 2 xenstore-read /local/domain/1/data/secret)" s1 \
	"the owner granted dom2 read"
in_dom 1 "$1" chown

# At most 5 entries for a guest; dom0 is not limited so.
expect_fail "a guest cannot set 6 permission entries" \
	in_dom 1 xenstore-chmod data/secret n1 r2 r3 r4 r5 r6
in_dom 1 xenstore-chmod data/secret n1 r2 r3 r4 r5
in_dom 0 xenstore-chmod /shared/ro n0 r1 r2 r3 r4 r5 r6 r7
expect_eq "$(in_dom 7 xenstore-read /shared/ro)" value "dom0 sets 8 entries"
