#!/usr/bin/env bash
# Cards come and go while the session runs: vsnd-attach makes the new
# card's nodes appear (also the first card, into a guest that had no
# device/vsnd when the session started), vsnd-detach makes them disappear,
# and the other card is untouched.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
start_backend
start_session
guest_xs xenstore-exists device/vsnd 2>/dev/null && fail "device/vsnd exists before any attach"
attach_card "${CARD_ITEMS[@]}" >/dev/null
wait_node xensnd_output.0.0.0 5
before=$(node_ids)

dev=$(attach_card 'CARD, short-name=Hot' 'PCM, name=Line' 'STREAM, unique-id=9, type=p')
[ "$dev" = 1 ] || fail "second card got dev-id $dev, expected 1"
start=$(date +%s%N)
wait_node xensnd_output.1.0.0 5
echo "hotplug: node appeared after $((($(date +%s%N) - start) / 1000000)) ms"
wait_device xensnd_card.1 5
wait_front_state 1 4

detach_card 1
wait_no_node xensnd_output.1.0.0 5
wait_no_device xensnd_card.1 5

after=$(node_ids)
[ "$before" = "$after" ] || fail "card 0's nodes changed:
$before
---
$after"

# Nothing leaks in the session manager: after a warm-up cycle, three
# attach/detach cycles leave wireplumber with as many fds as before (each
# card holds a XenStore connection, a grant-sharing handle and an
# event-channel handle per stream while it exists).
cycle() {
	local d
	d=$(attach_card 'CARD, short-name=Cycle' 'PCM, name=Line' \
		'STREAM, unique-id=7, type=p' 'STREAM, unique-id=8, type=c')
	wait_node "xensnd_input.$d.0.1" 5
	wait_front_state "$d" 4
	detach_card "$d"
	wait_no_node "xensnd_input.$d.0.1" 5
	wait_no_device "xensnd_card.$d" 5
}
fds() {
	ls "/proc/$WP_PID/fd" | wc -l
}
cycle
fds_before=$(fds)
for _ in 1 2 3; do
	cycle
done
fds_after=$(fds)
echo "hotplug: wireplumber fds $fds_before before, $fds_after after 3 cycles"
[ "$fds_after" -le "$fds_before" ] ||
	fail "wireplumber went from $fds_before to $fds_after fds over 3 attach/detach cycles"

detach_card 0
wait_no_card_nodes 0 5
[ -z "$(node_names | grep '^xensnd_' || true)" ] || fail "xensnd nodes left after detaching every card"
wait_no_device xensnd_card.0 5
echo "PASS: attach and detach while running"
