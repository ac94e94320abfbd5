#!/usr/bin/env bash
# wpctl set-volume / set-mute on a xensnd sink reach the backend
# (XENSND_OP_SET_VOLUME / MUTE / UNMUTE in 0.001 dB), and the node says
# it uses the backend's volume (api.xensnd.volume = backend).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"

stack_init
_need sox pw-play
STATE=$T/backend-state
start_sim
introduce_guest
attach_card 'CARD, short-name=V, sample-formats=s16_le, sample-rates=48000' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_output.0.0.0 15
id=$(node_id xensnd_output.0.0.0)

gen_wav "$T/tone.wav" s16_le 48000 2 $((6 * 48000))
pw-play --target xensnd_output.0.0.0 "$T/tone.wav" &
play=$!
_track "$play" pw-play
wait_stream_running dom1-vsnd0-pcm0-stream0

_has_volume() {	# STREAM-STATE-PATTERN
	[[ $(stream_state dom1-vsnd0-pcm0-stream0) == *"$1"* ]]
}
# wpctl's scale is cubic: 0.5 is 0.125 linear, 20*log10(0.125) = -18.062 dB.
wpctl set-volume "$id" 0.5
_wait_for 5 _has_volume "volume=-18062,-18062 mute=0,0" ||
	fail "backend volume after set-volume 0.5: $(stream_state dom1-vsnd0-pcm0-stream0)"
wpctl set-mute "$id" 1
_wait_for 5 _has_volume "mute=1,1" ||
	fail "backend not muted: $(stream_state dom1-vsnd0-pcm0-stream0)"
wpctl set-mute "$id" 0
_wait_for 5 _has_volume "mute=0,0" ||
	fail "backend not unmuted: $(stream_state dom1-vsnd0-pcm0-stream0)"
_says_backend() {
	node_info xensnd_output.0.0.0 | grep -F 'api.xensnd.volume = "backend"' >/dev/null
}
_wait_for 5 _says_backend || fail "node does not say api.xensnd.volume = backend"
kill "$play" 2>/dev/null || true
wait "$play" 2>/dev/null || true
_untrack "$play"
echo "PASS: volume and mute reach the backend"
