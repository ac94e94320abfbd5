#!/usr/bin/env bash
# A card that only does 44.1 kHz in the default 48 kHz graph: the adapter
# resamples, and the node, driving, must pace its clock by the graph's
# rate while counting the stream's frames (941 of them per 1024-frame
# quantum). It once paced 1024 stream frames per cycle: the backend
# underran on every cycle of a sink, and a source dropped frames.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"

stack_init
_need sox pw-play pw-record
STATE=$T/backend-state
start_sim
introduce_guest
attach_card 'CARD, short-name=R, sample-formats=s16_le, sample-rates=44100, channels-min=2, channels-max=2' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=c' >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_output.0.0.0 15
wait_node xensnd_input.0.0.1 15

counter() {	# counter STREAM NAME
	stream_state "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# Playback: 3 s of a 48 kHz tone; the backend must never starve, and it
# must have played about 3 s of 44.1 kHz frames (not 1024/941 more or less).
out=dom1-vsnd0-pcm0-stream0
gen_wav "$T/tone.wav" s16_le 48000 2 $((3 * 48000))
pw-play --target xensnd_output.0.0.0 "$T/tone.wav" || fail "pw-play failed"
under=$(counter "$out" underruns)
[ "$under" = 0 ] || fail "the backend underran $under times while a 48 kHz graph played into a 44.1 kHz stream"
frames=$(soxi -s "$OUT/$out.wav")
[ "$frames" -ge $((3 * 44100)) ] ||
	fail "the backend played $frames frames of a 3 s stream at 44.1 kHz"
echo "ok: 48 kHz graph into a 44.1 kHz sink: no underrun, $frames frames in the WAV"

# Capture: 3 s recorded at the graph's rate; the backend sees no overrun
# and the recording is about 3 s long (a source that ran slow would drop).
in=dom1-vsnd0-pcm0-stream1
pw-record --target xensnd_input.0.0.1 --rate 48000 --channels 2 --format s16 "$T/rec.wav" &
pid=$!
_track "$pid" pw-record
wait_stream_running "$in"
sleep 3
kill -INT "$pid"
wait "$pid" || true
_untrack "$pid"
over=$(counter "$in" overruns)
[ "$over" = 0 ] || fail "the backend overran $over times while a 48 kHz graph recorded a 44.1 kHz stream"
frames=$(soxi -s "$T/rec.wav")
[ "$frames" -ge $((27 * 48000 / 10)) ] ||
	fail "recorded $frames frames at 48 kHz in about 3 s"
echo "ok: 44.1 kHz source into a 48 kHz graph: no overrun, $frames frames recorded"
echo "PASS: a 44.1 kHz card in a 48 kHz graph plays and records at its own rate"
