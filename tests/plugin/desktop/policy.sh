#!/usr/bin/env bash
# xensnd_monitor.rules as a user writes them (xensnd(7)): a rule matching
# node.name renames a node and sets its priorities and period; a rule
# matching device.name + api.xensnd.pcm disables a node; a rule's
# session.suspend-timeout-seconds closes the idle stream in the backend.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
require_pcm_nodes
_need sox pw-play
STATE=$T/backend-state
wp_fragment 60-test-xensnd-rules.lua <<'LUA'
table.insert(xensnd_monitor.rules, {
  matches = { { { "node.name", "equals", "xensnd_output.0.0.0" } } },
  apply_properties = {
    ["node.description"] = "Living Room Speakers",
    ["node.nick"] = "Speakers (Xen)",
    ["priority.session"] = 1234,
    ["priority.driver"] = 1233,
    ["api.xensnd.period-frames"] = 256,
    ["session.suspend-timeout-seconds"] = 1,
  },
})
table.insert(xensnd_monitor.rules, {
  matches = { {
    { "device.name", "equals", "xensnd_card.0" },
    { "api.xensnd.pcm", "equals", "1" },
    { "media.class", "equals", "Audio/Sink" },
  } },
  apply_properties = { ["node.disabled"] = true },
})
LUA
start_sim
introduce_guest
attach_card "${DESKTOP_CARD[@]}" >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_output.0.0.0 15
wait_node xensnd_input.0.1.1
# The other nodes came first; the disabled one is not coming.
_has_node xensnd_output.0.1.0 && fail "node.disabled rule: xensnd_output.0.1.0 exists"
_has_node xensnd_input.0.0.1 || fail "a rule for sinks disabled xensnd_input.0.0.1"

info=$(node_info xensnd_output.0.0.0)
for want in 'node.description = "Living Room Speakers"' \
	    'node.nick = "Speakers (Xen)"' 'priority.session = "1234"' \
	    'priority.driver = "1233"' 'api.xensnd.period-frames = "256"'; do
	grep -qF "$want" <<<"$info" || fail "rule not applied: no $want in
$info"
done
# No rule: the monitor's own priority, below ALSA's (xensnd(7)).
node_info xensnd_input.0.0.1 | grep -qF 'priority.session = "1599"' ||
	fail "xensnd_input.0.0.1 does not have priority.session 1599"

# period-frames reaches the OPEN (the node logs the period it opened with);
# the 1 s suspend timeout closes the stream soon after the play ends.
gen_wav "$T/tone.wav" s16_le 48000 2 $((48000 / 2))
pw-play --target xensnd_output.0.0.0 "$T/tone.wav"
ended=$(date +%s%N)
wait_stream_closed dom1-vsnd0-pcm0-stream0 5
closed_ms=$((($(date +%s%N) - ended) / 1000000))
grep -q "stream device/vsnd/0/0/0: opened .* periods of 256 frames" "$WP_LOG" ||
	fail "api.xensnd.period-frames 256 did not reach the OPEN"
[ "$closed_ms" -lt 4000 ] ||
	fail "the idle stream closed after $closed_ms ms; the rule says 1 s"
echo "idle stream closed in the backend $closed_ms ms after pw-play ended"
echo "PASS: rules rename, prioritise, tune, suspend and disable Xen nodes"
