#!/usr/bin/env bash
# The device's profiles as a desktop uses them: "off" removes the card's
# nodes, "on" brings them back with the same names; EnumProfile lists both.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_card_stack
wait_device xensnd_card.0
dev=$(pw-cli ls Device | awk '
	/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
	/device\.name = "xensnd_card\.0"/ && !found { print id; found = 1 }')
[ -n "$dev" ] || fail "no id for xensnd_card.0"

profiles=$(pw-cli enum-params "$dev" EnumProfile)
for p in off on; do
	grep -qF "String \"$p\"" <<<"$profiles" || fail "EnumProfile has no \"$p\":
$profiles"
done
grep -qF '"Audio/Sink"' <<<"$profiles" || fail "profile \"on\" has no Audio/Sink class"

# Switch with pw-cli, not wpctl: wpctl subscribes to the device's params,
# re-enumerates Profile when the switch flips its serial, and exits with
# that enumeration still in flight; PipeWire 0.3.65's server then marks
# Profile cached with the entries from before the switch (impl-device.c
# remove_busy_resource on the destroyed resource), and every later reader
# sees "on" until the next change. pw-cli only sets the param.
set_profile() {
	pw-cli set-param "$dev" Profile "{ index: $1, save: true }" >/dev/null ||
		fail "pw-cli set-param $dev Profile index $1 failed"
}
set_profile 0
wait_no_card_nodes 0 5
profile_is() {
	pw-cli enum-params "$dev" Profile | grep -qF "String \"$1\""
}
# The param update reaches the server after the node removals.
_wait_for 5 profile_is off || fail "Profile is not \"off\" after set-profile 0"

set_profile 1
wait_card_nodes 0 5
_wait_for 5 profile_is on || fail "Profile is not \"on\" after set-profile 1"
[ "$(node_names | grep '^xensnd_' | sort)" = "$(card_nodes 0)" ] ||
	fail "different nodes after profile on: $(node_names | tr '\n' ' ')"
echo "PASS: profiles off/on remove and restore the nodes"
