#!/usr/bin/env bash
# The guest's volume reaches the samples exactly once.
#
# volume-once.sh backend: the backend accepts SET_VOLUME. `wpctl set-volume
#   0.5` (cubic: 0.125 linear, -18.062 dB) goes to the device's Route, the
#   node sends it to the backend, and the converter in front of the node
#   applies nothing (softVolumes 1.0): the backend's state shows -18062 and
#   its WAV (what the guest sent) is the source, bit-exact.
# volume-once.sh software: the backend refuses (--no-volume). The WAV is
#   the source scaled by 0.125, within 1 LSB: applied once, not twice
#   (0.0156) and not never.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

mode=${1:-}
case $mode in
backend) backend_args=() ;;
software) backend_args=(--no-volume) ;;
*) echo "usage: $0 backend|software" >&2; exit 2 ;;
esac
WAVGAIN=$here/wavgain.py
STREAM=dom1-vsnd0-pcm0-stream0

stack_init
_need sox pw-play python3
STATE=$T/backend-state
# The WAV is complete when the idle node closes the stream: soon.
wp_fragment 60-test-suspend.lua <<'LUA'
table.insert(xensnd_monitor.rules, {
  matches = { { { "node.name", "matches", "xensnd_*" } } },
  apply_properties = { ["session.suspend-timeout-seconds"] = 1 },
})
LUA
start_sim
introduce_guest
attach_card 'CARD, short-name=V, sample-formats=s16_le, sample-rates=48000' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
start_backend --state-file "$STATE" "${backend_args[@]}"
start_session
wait_node xensnd_output.0.0.0 15
id=$(node_id xensnd_output.0.0.0)
wait_route_restored "$id"

wpctl set-volume "$id" 0.5
_wait_for 5 _volume_is "$id" 0.50 || fail "wpctl get-volume: $(wpctl get-volume "$id")"

gen_wav "$T/tone.wav" s16_le 48000 2 $((2 * 48000))
if [ "$mode" = software ]; then
	# The node learns that the backend refuses volume on its first
	# OPEN; until the converter gets softVolumes (a main-loop turn
	# later) that first stream's first cycle is not attenuated
	# (xensnd(7), VOLUME). A short first stream lets it learn.
	gen_wav "$T/short.wav" s16_le 48000 2 $((48000 / 5))
	pw-play --target xensnd_output.0.0.0 "$T/short.wav"
	wait_stream_closed "$STREAM"
fi
opens_before=$(stream_state "$STREAM" | sed -n 's/.* opens=\([0-9]*\).*/\1/p')
pw-play --target xensnd_output.0.0.0 "$T/tone.wav" &
play=$!
_track "$play" pw-play
wait_stream_running "$STREAM"
playing=$(stream_state "$STREAM")
wait "$play" || fail "pw-play failed"
_untrack "$play"
_reopened() {
	local line
	line=$(stream_state "$STREAM")
	[[ $line == *" state=closed "* && $line != *" opens=${opens_before:-0} "* ]]
}
_wait_for 15 _reopened || fail "the stream did not open and close: $(stream_state "$STREAM")"
wav=$(newest_wav "$STREAM")
[ -n "$wav" ] || fail "the backend wrote no WAV for $STREAM"
line=$playing

if [ "$mode" = backend ]; then
	[[ $line == *" volume=-18062,-18062 mute=0,0"* ]] ||
		fail "backend volume is not -18.062 dB: $line"
	"$XENSND_BUILD_ROOT/tests/plugin/pcm/wavcmp" "$T/tone.wav" "$wav" ||
		fail "the WAV is not the source: volume was applied in the guest too"
	node_info xensnd_output.0.0.0 | grep -F 'api.xensnd.volume = "backend"' >/dev/null ||
		fail "node does not say api.xensnd.volume = backend"
else
	[[ $line == *" volume=0,0 "* ]] || fail "a --no-volume backend changed its volume: $line"
	python3 "$WAVGAIN" "$T/tone.wav" "$wav" 0.125 ||
		fail "the WAV is not the source at 0.125 (-18.06 dB)"
	node_info xensnd_output.0.0.0 | grep -F 'api.xensnd.volume = "software"' >/dev/null ||
		fail "node does not say api.xensnd.volume = software"
fi
echo "PASS: volume 0.5 (cubic) applied exactly once, by the $mode"
