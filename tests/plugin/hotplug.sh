#!/usr/bin/env bash
# Cards come and go while the session runs: vsnd-attach makes the new
# card's nodes appear, vsnd-detach makes them disappear, and the other
# card is untouched.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
attach_card "${CARD_ITEMS[@]}" >/dev/null
start_backend
start_session
wait_node xensnd_output.0.0.0
before=$(node_ids)

dev=$(attach_card 'CARD, short-name=Hot' 'PCM, name=Line' 'STREAM, unique-id=9, type=p')
[ "$dev" = 1 ] || fail "second card got dev-id $dev, expected 1"
start=$(date +%s%N)
wait_node xensnd_output.1.0.0 5
echo "hotplug: node appeared after $((($(date +%s%N) - start) / 1000000)) ms"
pw-cli ls Device | grep -qF 'device.name = "xensnd_card.1"' ||
	fail "no device xensnd_card.1 after attach"
wait_front_state 1 4

detach_card 1
wait_no_node xensnd_output.1.0.0 5
pw-cli ls Device | grep -qF 'device.name = "xensnd_card.1"' &&
	fail "device xensnd_card.1 still there after detach"

after=$(node_ids)
[ "$before" = "$after" ] || fail "card 0's nodes changed:
$before
---
$after"

detach_card 0
for n in $(card_nodes 0); do
	wait_no_node "$n" 5
done
[ -z "$(node_names | grep '^xensnd_' || true)" ] || fail "xensnd nodes left after detaching every card"
echo "PASS: attach and detach while running"
