#!/usr/bin/env bash
# pw-record from a xensnd source gets the backend's test signal bit-exact
# (stereo s16 at 48 kHz, mono float at 44.1 kHz).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"
wavcmp=$1

stack_init
_need pw-record pw-metadata
STATE=$T/backend-state
start_sim
introduce_guest
attach_card 'CARD, short-name=A, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2' \
	'PCM, name=In' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=c' >/dev/null
attach_card 'CARD, short-name=B, sample-formats=float_le, sample-rates=44100, channels-min=1, channels-max=1' \
	'PCM, name=In' 'STREAM, unique-id=2, type=p' 'STREAM, unique-id=3, type=c' >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_input.0.0.1 15
wait_node xensnd_input.1.0.1 15

record() {	# record DEV RATE CHANNELS FORMAT
	local out=$T/rec$1.wav pid
	pw-metadata -n settings 0 clock.force-rate "$2" >/dev/null
	pw-record --target "xensnd_input.$1.0.1" --rate "$2" --channels "$3" \
		--format "$4" "$out" &
	pid=$!
	_track "$pid" pw-record
	sleep 2
	kill -INT "$pid"
	wait "$pid" || true
	_untrack "$pid"
	"$wavcmp" --testsignal "$out" || fail "capture $*: not the test signal"
}
record 0 48000 2 s16
record 1 44100 1 f32
echo "PASS: pw-record gets the test signal bit-exact"
