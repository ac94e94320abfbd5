#!/bin/bash
# Watches: the initial event, events for a node and what lies below it,
# relative watches, removal, and @introduceDomain / @releaseDomain.
source "$(dirname "$0")/lib.sh"
start_hub

# Each watcher writes a file of its own, created empty before it starts:
# reusing one file let wait_lines count the previous watcher's lines (the
# background job's truncation had not run yet), so the test changed the
# store before the new watch was registered and waited forever for the
# events it had missed.
n_out=0
fresh_out() {
	n_out=$((n_out + 1))
	out=$XS_DIR/watch.$n_out.out
	: >"$out"
}

in_dom 0 xenstore-write /w/a 1
fresh_out
in_dom 0 xenstore-watch -n 4 /w >"$out" &
watcher=$!
wait_lines "$out" 1   # the initial event: registration is done
in_dom 0 xenstore-write /w/a 2
in_dom 0 xenstore-write /other 1   # not below /w: no event
in_dom 0 xenstore-write /w/b/c 3
in_dom 0 xenstore-rm /w/b
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "/w /w/a /w/b/c /w/b " \
	"initial event, then changes below /w, nothing for /other"

# A transaction's changes fire when it commits (xenstore-write with two
# pairs writes both in one transaction).
fresh_out
in_dom 0 xenstore-watch -n 3 /tx >"$out" &
watcher=$!
wait_lines "$out" 1
in_dom 0 xenstore-write /tx/a 1 /tx/b 2
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "/tx /tx/a /tx/b " "a commit fires its changes"

# Removing a parent fires watches set exactly on the removed children.
in_dom 0 xenstore-write /w/p/q 1
fresh_out
in_dom 0 xenstore-watch -n 2 /w/p/q >"$out" &
watcher=$!
wait_lines "$out" 1
in_dom 0 xenstore-rm /w/p
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "/w/p/q /w/p/q " "rm of a parent fires a child's watch"

# A guest's relative watch reports relative paths.
in_dom 7 xenstore-write data/x 0
fresh_out
in_dom 7 xenstore-watch -n 2 data >"$out" &
watcher=$!
wait_lines "$out" 1
in_dom 0 xenstore-write /local/domain/7/data/x 1
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "data data/x " "relative watch, relative events"

# A guest hears nothing of what it cannot read.
in_dom 0 xenstore-write /hidden/x 0
fresh_out
in_dom 7 xenstore-watch -n 2 / >"$out" &
watcher=$!
wait_lines "$out" 1
in_dom 0 xenstore-write /hidden/x 1    # dom7 cannot read: no event
in_dom 7 xenstore-write data/y 1       # its own: event
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "/ /local/domain/7/data/y " \
	"events only for readable nodes"

# @introduceDomain and @releaseDomain reach dom0.
fresh_out
in_dom 0 xenstore-watch -n 3 @introduceDomain >"$out" &
watcher=$!
wait_lines "$out" 1
in_dom 8 true
in_dom 8 true          # already there: no second event
in_dom 9 true
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "@introduceDomain @introduceDomain @introduceDomain " \
	"@introduceDomain fires once per new domain"

fresh_out
in_dom 0 xenstore-watch -n 2 @releaseDomain >"$out" &
watcher=$!
guest_out=$XS_DIR/guest.1.out
: >"$guest_out"
in_dom 7 xenstore-watch -n 2 @releaseDomain >"$guest_out" &
guest_watcher=$!
wait_lines "$out" 1
wait_lines "$guest_out" 1
xensim destroy --dir "$XS_DIR" 8
wait "$watcher"
expect_eq "$(tr '\n' ' ' <"$out")" "@releaseDomain @releaseDomain " "@releaseDomain on destroy"
expect_fail "dom8's home is gone" in_dom 0 xenstore-exists /local/domain/8
# The guest got only its initial event (dom0 owns the special watch).
sleep 0.2
expect_eq "$(cat "$guest_out")" "@releaseDomain" "a guest does not see @releaseDomain"
kill "$guest_watcher" 2>/dev/null || true
wait "$guest_watcher" 2>/dev/null || true

# dom0 may let a guest see it (SET_PERMS on the special path).
in_dom 0 xenstore-chmod @releaseDomain n0 r7
guest_out=$XS_DIR/guest.2.out
: >"$guest_out"
in_dom 7 xenstore-watch -n 2 @releaseDomain >"$guest_out" &
guest_watcher=$!
wait_lines "$guest_out" 1
expect_fail "a guest cannot change who sees @releaseDomain" \
	in_dom 7 xenstore-chmod @releaseDomain n0 r7 r6
xensim destroy --dir "$XS_DIR" 9
wait "$guest_watcher"
expect_eq "$(tr '\n' ' ' <"$guest_out")" "@releaseDomain @releaseDomain " \
	"a guest allowed by SET_PERMS sees @releaseDomain"

expect_fail "destroying dom0 is refused" xensim destroy --dir "$XS_DIR" 0
expect_fail "destroying an unknown domain fails" xensim destroy --dir "$XS_DIR" 123
