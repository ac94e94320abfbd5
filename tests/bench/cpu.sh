#!/usr/bin/env bash
# Benchmark: CPU per second of audio of pipewire, wireplumber (where the
# Xen node runs) and xensnd-backend, with 1 and 8 pw-play streams into the
# Xen sink, and the same streams into PipeWire's support.null-audio-sink in
# the same run, at quantum 64, 256 and 1024 (48 kHz). CPU is the
# scheduler's run time of every thread (/proc/PID/task/*/schedstat) over
# XENSND_BENCH_SECONDS (default 10) per point.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
secs=${XENSND_BENCH_SECONDS:-10}
quanta=${XENSND_BENCH_QUANTA:-64 256 1024}
counts=${XENSND_BENCH_STREAMS:-1 8}

bench_stack
gen_wav "$T/tone.wav" s16_le 48000 2 "$(((secs + 6) * 48000))"

# measure TARGET N: MEAS="PW WP BE" in ms of CPU per second of audio,
# SW="PW WP BE" in context switches per graph cycle.
measure() {
	local target=$1 n=$2 pw0 wp0 be0 pw1 wp1 be1
	play_streams "$n" "$target" "$T/tone.wav"
	if [ "$target" = "$XEN_SINK" ]; then
		wait_stream_running "$XEN_STREAM" 10
	fi
	sleep 2		# links made, quantum settled, node reopened
	pw0=$(proc_cpu_ns "$PW_PID"); wp0=$(proc_cpu_ns "$WP_PID")
	be0=$(proc_cpu_ns "$BACKEND_PID")
	spw0=$(proc_switches "$PW_PID"); swp0=$(proc_switches "$WP_PID")
	sbe0=$(proc_switches "$BACKEND_PID")
	sleep "$secs"
	pw1=$(proc_cpu_ns "$PW_PID"); wp1=$(proc_cpu_ns "$WP_PID")
	be1=$(proc_cpu_ns "$BACKEND_PID")
	spw1=$(proc_switches "$PW_PID"); swp1=$(proc_switches "$WP_PID")
	sbe1=$(proc_switches "$BACKEND_PID")
	stop_streams
	# The next point starts with the Xen node suspended (closed in the
	# backend), as an idle sink is.
	[ "$target" != "$XEN_SINK" ] || wait_stream_closed "$XEN_STREAM" 20
	MEAS=$(awk -v s="$secs" -v a=$((pw1 - pw0)) -v b=$((wp1 - wp0)) \
		-v c=$((be1 - be0)) 'BEGIN { k = 1e-6 / s;
		printf "%.1f %.1f %.1f\n", a * k, b * k, c * k }')
	SW=$(awk -v c="$(awk -v q="$q" -v s="$secs" 'BEGIN { print 48000 / q * s }')" \
		-v a=$((spw1 - spw0)) -v b=$((swp1 - swp0)) -v d=$((sbe1 - sbe0)) \
		'BEGIN { printf "%.1f/%.1f/%.1f\n", a / c, b / c, d / c }')
}

echo "CPU per second of audio, ms (scheduler run time over $secs s), and context switches per graph cycle of pipewire/wireplumber/backend; load: $(cut -d' ' -f1-3 /proc/loadavg)"
table_header
for q in $quanta; do
	set_quantum "$q"
	for n in $counts; do
		measure "$XEN_SINK" "$n"
		read -r xpw xwp xbe <<<"$MEAS"
		xsw=$SW
		measure "$NULL_SINK" "$n"
		read -r npw nwp nbe <<<"$MEAS"
		awk -v q="$q" -v n="$n" -v xpw="$xpw" -v xwp="$xwp" -v xbe="$xbe" \
			-v npw="$npw" -v nwp="$nwp" -v nbe="$nbe" -v xsw="$xsw" -v nsw="$SW" 'BEGIN {
			x = xpw + xwp + xbe; r = npw + nwp + nbe
			printf "| cpu ms/s | q=%d, %d stream%s | xen sink %.1f (pw %s + wp %s + backend %s; switches/cycle %s) | null sink %.1f (pw %s + wp %s + backend %s; switches/cycle %s) | %s (goal <= 1.2x) |\n",
				q, n, (n > 1 ? "s" : ""), x, xpw, xwp, xbe, xsw, r, npw, nwp, nbe, nsw,
				(r > 0 ? sprintf("%.2fx", x / r) : "n/a") }'
	done
done
set_quantum 0
