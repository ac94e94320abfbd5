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

# The stream's backend counter NAME (requests=, overruns=...).
counter() {	# counter STREAM NAME
	stream_state "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

_reopened_running() {	# STREAM OPENS_BEFORE
	[ "$(counter "$1" opens)" -gt "$2" ] && _stream_open "$1"
}

# A scheduling hiccup of the process that hosts the node (WirePlumber,
# as for ALSA nodes) longer than the buffer: the
# backend overruns and drops the oldest frames, and may refuse a READ
# posted from the stale position (EAGAIN). The source must go on
# capturing (retry on the next CUR_POS), never put itself in error.
hiccup() {
	local stream=dom1-vsnd0-pcm0-stream1 out=$T/hiccup.wav pid before after opens
	opens=$(counter "$stream" opens)
	pw-metadata -n settings 0 clock.force-rate 48000 >/dev/null
	pw-record --target xensnd_input.0.0.1 --rate 48000 --channels 2 \
		--format s16 "$out" &
	pid=$!
	_track "$pid" pw-record
	# A new OPEN, running: not the state line of the recording before.
	_wait_for 10 _reopened_running "$stream" "$opens" ||
		fail "no new OPEN running after 10 s: $(stream_state "$stream")"
	sleep 0.5
	kill -STOP "$WP_PID"
	sleep 1
	kill -CONT "$WP_PID"
	sleep 1
	[ "$(counter "$stream" overruns)" -gt 0 ] ||
		fail "the backend did not overrun: the hiccup test did not test ($(stream_state "$stream"))"
	# The graph may take a moment to pick up again on a loaded machine;
	# a source in error never does.
	for _ in $(seq 10); do
		before=$(counter "$stream" requests)
		sleep 0.5
		after=$(counter "$stream" requests)
		[ "$after" -le "$before" ] || break
	done
	[ "$after" -gt "$before" ] ||
		fail "the source stopped reading after the hiccup: $(stream_state "$stream")"
	[[ $(stream_state "$stream") == *" state=running "* ]] ||
		fail "the stream is not running after the hiccup: $(stream_state "$stream")"
	if grep -q 'the stream stops until' "$PW_LOG"; then
		fail "the source went to error: $(grep 'the stream stops until' "$PW_LOG")"
	fi
	kill -INT "$pid"
	wait "$pid" || true
	_untrack "$pid"
	echo "hiccup: $(grep -c 'refused with -11' "$BACKEND_LOG" 2>/dev/null || true) READs refused with EAGAIN, reads went on"
}
hiccup
echo "PASS: pw-record gets the test signal bit-exact, and survives a hiccup"
