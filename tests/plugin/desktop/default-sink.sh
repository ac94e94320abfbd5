#!/usr/bin/env bash
# Default sink, as a desktop sets it. With the card's two sinks, the
# monitor's priorities make the first PCM the default; `wpctl set-default`
# on the second makes `pw-play` without --target play there (its stream
# opens in the backend and its WAV grows), and the choice survives a
# WirePlumber restart (default.configured.audio.sink in its state dir).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
_need sox pw-play pw-metadata
STATE=$T/backend-state
SECOND=dom1-vsnd0-pcm1-stream0
start_sim
introduce_guest
attach_card "${DESKTOP_CARD[@]}" >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_output.0.0.0 15
wait_node xensnd_output.0.1.0
_wait_for 5 _default_is default.audio.sink xensnd_output.0.0.0 ||
	fail "default sink is \"$(default_node default.audio.sink)\", not the first PCM"

wpctl set-default "$(node_id xensnd_output.0.1.0)"
_wait_for 5 _default_is default.configured.audio.sink xensnd_output.0.1.0 ||
	fail "set-default did not configure xensnd_output.0.1.0"
_wait_for 5 _default_is default.audio.sink xensnd_output.0.1.0 ||
	fail "default sink is $(default_node default.audio.sink) after set-default"

gen_wav "$T/tone.wav" s16_le 48000 2 $((48000 / 2))
_opens() {
	stream_state "$1" | sed -n 's/.* opens=\([0-9]*\).*/\1/p'
}
# play_to_default: pw-play without --target; the second sink's stream
# must open once more and its WAV grow.
play_to_default() {
	local opens size wav
	opens=$(_opens "$SECOND")
	wav=$(newest_wav "$SECOND")
	size=$(stat -c %s "$wav" 2>/dev/null || echo 0)
	pw-play "$T/tone.wav"
	_more_opens() {
		[ "$(_opens "$SECOND")" -gt "${opens:-0}" ]
	}
	_wait_for 5 _more_opens || fail "pw-play did not play to xensnd_output.0.1.0: $(stream_state "$SECOND")"
	[ "$(_opens dom1-vsnd0-pcm0-stream0)" = 0 ] ||
		fail "pw-play played to the first sink too: $(stream_state dom1-vsnd0-pcm0-stream0)"
	wav=$(newest_wav "$SECOND")
	_grew() {
		[ "$(stat -c %s "$wav")" -gt "$size" ] || [ "$(ls "$OUT/$SECOND"*.wav | wc -l)" -gt 1 ]
	}
	_wait_for 5 _grew || fail "$wav did not grow"
}
play_to_default

restart_wireplumber
wait_node xensnd_output.0.1.0 15
_wait_for 5 _default_is default.audio.sink xensnd_output.0.1.0 ||
	fail "after a WirePlumber restart the default sink is \"$(default_node default.audio.sink)\""
grep -qs "default.configured.audio.sink=xensnd_output.0.1.0" "$XDG_STATE_HOME/wireplumber/default-nodes" ||
	fail "WirePlumber's state has no default.configured.audio.sink: $(cat "$XDG_STATE_HOME/wireplumber/default-nodes" 2>&1)"
play_to_default
echo "PASS: wpctl set-default picks the Xen sink pw-play uses, across a WirePlumber restart"
