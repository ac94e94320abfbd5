#!/usr/bin/env bash
# A card with a bad configuration is logged (with the library's message,
# naming the XenStore path) and skipped; a good card next to it works.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
attach_card "${CARD_ITEMS[@]}" >/dev/null
bad=$(attach_card 'CARD, short-name=Bad' 'PCM, name=Broken' 'STREAM, unique-id=5, type=p')
# What a buggy toolstack could write: a stream type sndif does not have.
dom0_xs xenstore-write "/local/domain/$GUEST/device/vsnd/$bad/0/0/type" x
start_backend
start_session

wait_card_nodes 0
wait_front_state 0 4
_wait_for 5 grep -q "skipping Xen sound card device/vsnd/$bad" "$WP_LOG" ||
	fail "no log line about the bad card device/vsnd/$bad"
grep "skipping Xen sound card" "$WP_LOG" | grep -F "device/vsnd/$bad/0/0/type" >/dev/null ||
	fail "the log line does not name device/vsnd/$bad/0/0/type"
[ "$(grep -c "skipping Xen sound card device/vsnd/$bad" "$WP_LOG")" -eq 1 ] ||
	fail "the bad card was logged more than once"
node_names | grep -E "^xensnd_(output|input)\.$bad\." >/dev/null && fail "the bad card has nodes"
wait_device xensnd_card.0
_has_device "xensnd_card.$bad" && fail "the bad card has a device"
echo "PASS: bad card skipped with: $(grep -m1 'skipping Xen sound card' "$WP_LOG" | sed 's/.*: skipping/skipping/')"
