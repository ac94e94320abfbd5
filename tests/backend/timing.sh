#!/bin/bash
# Benchmark (meson test --benchmark): how far CUR_POS strays from the
# clock. A guest plays SECONDS (default 60) of 48 kHz stereo with 10 ms
# periods and a 200 ms buffer; the frontend stamps each CUR_POS with its own CLOCK_MONOTONIC
# and prints the largest distance from where the nominal rate puts that
# position (max_err_us) and the rate it measured (drift_ppm, against the
# nominal 48000 Hz), for a device clock with no drift and with +100 ppm.
# Underruns (the guest late: position stalls, so the rate looks slow) are
# counted from the backend's log; the one at the end of the file is normal.
source "$(dirname "$0")/lib.sh"
seconds=${XENSND_TIMING_SECONDS:-60}
start_hub
attach 1 'CARD, short-name=T, sample-formats=s16_le, sample-rates=48000' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
"$WAVTOOL" gen s16_le 48000 2 $((48000 * seconds)) "$DIR/in.wav"
for drift in 0 100; do
	start_backend --clock-drift "$drift"
	: >"$BACKEND_LOG"
	front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 38400 --period 1920 >"$DIR/t.out" ||
		fail "play"
	echo "clock-drift $drift ppm, $seconds s: $(grep cur_pos "$DIR/t.out")" \
		"underruns=$(grep -c underrun "$BACKEND_LOG" || true)"
	stop_backend
done
