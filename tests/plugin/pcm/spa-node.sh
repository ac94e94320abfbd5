#!/usr/bin/env bash
# spa-level: the sink and source nodes loaded straight from the plugin and
# driven by spa-node (its own tiny device and graph) in guest 1, against a
# real xensnd-backend in dom0. Checks EnumFormat (and its narrowing by a
# backend limited to 48 kHz), OPEN, bit-exact playback into the backend's
# WAV for four formats, bit-exact capture of the test signal, and backend
# volume.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
spa_node=$1
plugin=$2

stack_init
start_sim
# vsnd-attach wants guest 1 to exist: a first process introduces it.
xensim exec --dir "$SIM" --domid "$GUEST" -- true
attach_card 'CARD, short-name=Main, sample-formats=s16_le;s24_le;s32_le;float_le, sample-rates=44100;48000' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=c' >/dev/null
state=$T/backend-state
start_backend --state-file "$state"

# Real time as where the node really runs: spa-node's data loop stands in
# for PipeWire's (FIFO 88 by module-rt, which spa-node does not load).
# Without it, one busy CPU descheduled spa-node, the hub or the backend for
# longer than the capture buffer: the backend overran and the bit-exact
# capture checks failed (9 runs of 10 beside one CPU hog).
rt=()
if realtime_dom0; then
	rt=(chrt -f 80)
fi

wav=$OUT/dom1-vsnd0-pcm0-stream0.wav
node() {	# node ARGS...: spa-node in guest 1 for card 0
	xensim exec --dir "$SIM" --domid "$GUEST" -- \
		"${rt[@]}" "$spa_node" "$plugin" device/vsnd/0 "$@"
}

for c in "s16_le 48000 2" "s24_le 44100 1" "float_le 48000 2" "s32_le 44100 2"; do
	read -r fmt rate ch <<<"$c"
	rm -f "$OUT"/dom1-vsnd0-pcm0-stream0*.wav
	node sink --format "$fmt" --rate "$rate" --channels "$ch" --expect-rates 44100,48000 \
		--cycles 60 --wav "$wav" || fail "sink $fmt $rate Hz $ch ch"
done

# Volume reaches the backend: 0.5 is -6.021 dB, in 0.001 dB steps.
rm -f "$OUT"/dom1-vsnd0-pcm0-stream0*.wav
node sink --volume 0.5 --cycles 40 || fail "sink with volume"
grep -q 'dom1 vsnd0 pcm0 stream0: volume -6.021,-6.021 dB' "$BACKEND_LOG" ||
	fail "the backend never got volume -6.021 dB: $(grep 'stream0: volume' "$BACKEND_LOG" || true)"
# Each OPEN of a playback stream starts a WAV (the stream's state line goes
# with the connection when spa-node leaves, so the log is what stays).
[ "$(grep -c 'dom1 vsnd0 pcm0 stream0: writing ' "$BACKEND_LOG")" -ge 5 ] ||
	fail "the backend did not see an OPEN for every sink run"

# As a follower of another clock: still bit-exact, with rate matching on.
rm -f "$OUT"/dom1-vsnd0-pcm0-stream0*.wav
node sink --follow --cycles 100 --wav "$wav" || fail "sink as a follower"
node source --follow --cycles 100 || fail "source as a follower"

node source --format s16_le --rate 48000 --channels 2 --cycles 80 || fail "source s16_le"
node source --format float_le --rate 44100 --channels 1 --cycles 80 || fail "source float_le"

# A backend that stops answering puts the node in error (WRITE deadline),
# with a log line naming the card and stream.
marker=$T/stalled
node sink --cycles 20 --stall-marker "$marker" >"$T/stall.log" 2>&1 &
stall_pid=$!
_track "$stall_pid" spa-node
_wait_for 10 test -e "$marker" || fail "spa-node never reached the stall point"
kill -STOP "$BACKEND_PID"
stall_res=0
wait "$stall_pid" || stall_res=$?
_untrack "$stall_pid"
kill -CONT "$BACKEND_PID"
cat "$T/stall.log"
[ "$stall_res" = 0 ] || fail "stalled backend: spa-node exited with $stall_res"
grep -q 'card 0 (Main) stream device/vsnd/0/0/0: WRITE not answered' "$T/stall.log" ||
	fail "no log line naming the card and stream for the stalled backend"

# A backend that plays 48 kHz only narrows EnumFormat (HW_PARAM_QUERY).
stop_backend
start_backend --state-file "$state" --rates 48000
node sink --expect-rates 48000 --cycles 20 || fail "EnumFormat not narrowed to 48000"
echo "PASS: spa-level sink and source"
