#!/usr/bin/env bash
# Every configured stream of a card is a node with the issue's names and
# properties, and the device is there: 2 PCMs x (playback + capture) gives
# exactly 4 nodes. The card connects to a real xensnd-backend (state 4).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
dev=$(attach_card "${CARD_ITEMS[@]}")
[ "$dev" = 0 ] || fail "first card got dev-id $dev, expected 0"
start_backend
start_session

wait_card_nodes 0
got=$(node_names | grep '^xensnd_' | sort)
[ "$got" = "$(card_nodes 0)" ] || fail "xensnd nodes are:
$got
expected:
$(card_nodes 0)"

# The handshake completed with the backend.
wait_front_state 0 4

# Node properties.
expect_prop() {	# INFO KEY VALUE
	grep -qF "$2 = \"$3\"" <<<"$1" || fail "$2 is not \"$3\" in:
$1"
}
info=$(node_info xensnd_output.0.0.0)
expect_prop "$info" media.class Audio/Sink
expect_prop "$info" node.description "XenMainCard Speakers"
expect_prop "$info" node.nick Speakers
expect_prop "$info" factory.name api.xensnd.pcm.sink
expect_prop "$info" api.xensnd.dev-id 0
expect_prop "$info" api.xensnd.pcm 0
expect_prop "$info" api.xensnd.stream 0
expect_prop "$info" api.xensnd.unique-id 0
expect_prop "$info" api.xensnd.backend-domid 0
expect_prop "$info" api.xensnd.path device/vsnd/0/0/0
grep -qE 'device\.id = "[0-9]+"' <<<"$info" || fail "no device.id on the node"

info=$(node_info xensnd_input.0.1.1)
expect_prop "$info" media.class Audio/Source
expect_prop "$info" node.description "XenMainCard Headset"
expect_prop "$info" node.nick Headset
expect_prop "$info" factory.name api.xensnd.pcm.source
expect_prop "$info" api.xensnd.pcm 1
expect_prop "$info" api.xensnd.stream 1
expect_prop "$info" api.xensnd.unique-id 3

# The device.
wait_device xensnd_card.0
devices=$(pw-cli ls Device)
grep -qF 'device.name = "xensnd_card.0"' <<<"$devices" ||
	fail "no device xensnd_card.0 in:
$devices"
grep -qF 'device.description = "XenMainCard"' <<<"$devices" ||
	fail "device.description is not XenMainCard"
grep -qF 'device.api = "xensnd"' <<<"$devices" || fail "device.api is not xensnd"

# wpctl status: what a user sees, every stream under its card's name.
status=$(wpctl status)
for d in "XenMainCard Speakers" "XenMainCard Headset"; do
	[ "$(grep -cF "$d" <<<"$status")" -ge 2 ] ||
		fail "wpctl status does not list a sink and a source \"$d\":
$status"
done
grep -qF XenMainCard <<<"$(sed -n '/Devices:/,/Sinks:/p' <<<"$status")" ||
	fail "wpctl status lists no XenMainCard device"
echo "PASS: 4 nodes, names and properties as specified"
