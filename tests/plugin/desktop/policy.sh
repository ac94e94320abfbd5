#!/usr/bin/env bash
# xensnd_monitor.rules as a user writes them (xensnd(7)): a rule matching
# node.name renames a node and sets its priorities and period (which then
# plays bit-exact); a rule matching device.name + api.xensnd.pcm +
# media.class disables a node; session.suspend-timeout-seconds = 1 closes
# the idle stream in the backend (grants gone) and the next use reopens it
# without a click (bit-exact).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
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
  },
})
table.insert(xensnd_monitor.rules, {
  matches = { { { "node.name", "matches", "xensnd_output.*" } } },
  apply_properties = { ["session.suspend-timeout-seconds"] = 1 },
})
table.insert(xensnd_monitor.rules, {
  matches = { {
    { "device.name", "equals", "xensnd_card.0" },
    { "api.xensnd.pcm", "equals", "1" },
    { "media.class", "equals", "Audio/Source" },
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
wait_node xensnd_output.0.1.0
wait_node xensnd_input.0.0.1
# The other nodes came first; the disabled one is not coming.
_has_node xensnd_input.0.1.1 && fail "node.disabled rule: xensnd_input.0.1.1 exists"

_renamed() {
	local info want
	info=$(node_info xensnd_output.0.0.0)
	for want in 'node.description = "Living Room Speakers"' \
		    'node.nick = "Speakers (Xen)"' 'priority.session = "1234"' \
		    'priority.driver = "1233"' 'api.xensnd.period-frames = "256"'; do
		grep -qF "$want" <<<"$info" || { echo "no $want" >&2; return 1; }
	done
}
_wait_for 5 _renamed || fail "rule not applied to xensnd_output.0.0.0: $(node_info xensnd_output.0.0.0)"
# No rule: the monitor's own priority, below ALSA's (xensnd(7)).
_input_priority() {
	node_info xensnd_input.0.0.1 | grep -F 'priority.session = "1599"' >/dev/null
}
_wait_for 5 _input_priority ||
	fail "xensnd_input.0.0.1 does not have priority.session 1599: $(node_info xensnd_input.0.0.1 | grep priority)"

gen_wav "$T/tone.wav" float_le 48000 2 $((48000 / 2))
# period-frames reaches the OPEN (the node logs the period it opened with),
# and a period shorter than the quantum loses nothing (the ring once was
# sized by periods, and a quantum's WRITE overflowed it).
pw-play --target xensnd_output.0.0.0 "$T/tone.wav"
grep -q "stream device/vsnd/0/0/0: opened .* periods of 256 frames" "$WP_LOG" ||
	fail "api.xensnd.period-frames 256 did not reach the OPEN"
wait_stream_closed dom1-vsnd0-pcm0-stream0 5
"$XENSND_BUILD_ROOT/tests/plugin/pcm/wavcmp" "$T/tone.wav" "$(newest_wav dom1-vsnd0-pcm0-stream0)" ||
	fail "with 256-frame periods the WAV is not the source"

# The 1 s suspend timeout closes the stream soon after the play ends, and
# its buffer grants are gone from the backend (only the ring and event
# pages of the 4 streams stay mapped: 8). The next use reopens it, and
# what arrives is the source exactly: no click (no stale or lost samples).
STREAM=dom1-vsnd0-pcm1-stream0
mapped_pages() {
	sed -n 's/^backend .* mapped_pages=\([0-9]*\).*/\1/p' "$STATE"
}
pw-play --target xensnd_output.0.1.0 "$T/tone.wav"
ended=$(date +%s%N)
wait_stream_closed "$STREAM" 5
closed_ms=$((($(date +%s%N) - ended) / 1000000))
[ "$closed_ms" -lt 4000 ] ||
	fail "the idle stream closed after $closed_ms ms; the rule says 1 s"
echo "idle stream closed in the backend $closed_ms ms after pw-play ended"
_eight_pages() {
	[ "$(mapped_pages)" = 8 ]
}
_wait_for 5 _eight_pages || fail "after the idle CLOSE the backend maps $(mapped_pages) pages, not 8"
pw-play --target xensnd_output.0.1.0 "$T/tone.wav"
_second_close() {
	[[ $(stream_state "$STREAM") == *" state=closed "*" opens=2 "* ]]
}
_wait_for 5 _second_close || fail "not reopened and closed: $(stream_state "$STREAM")"
"$XENSND_BUILD_ROOT/tests/plugin/pcm/wavcmp" "$T/tone.wav" "$(newest_wav "$STREAM")" ||
	fail "the stream reopened after suspend is not the source"
echo "PASS: rules rename, prioritise, tune, suspend (CLOSE, grants gone, clean reopen) and disable Xen nodes"
