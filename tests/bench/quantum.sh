#!/usr/bin/env bash
# Benchmark: the smallest stable quantum. 8 pw-play streams (XENSND_BENCH_STREAMS)
# into the Xen sink for XENSND_BENCH_QUANTUM_SECONDS (default 60) at each
# quantum from 1024 down to 32 (48 kHz); prints the backend's underruns
# (its state file), the graph's xruns (the driver's "client too slow"
# lines) and the headroom the node ended with (it raises it when the graph
# runs late) at each, the graph's xruns with PipeWire's null sink as the
# reference, and the smallest quantum with none.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
secs=${XENSND_BENCH_QUANTUM_SECONDS:-60}
n=${XENSND_BENCH_STREAMS:-8}
quanta=${XENSND_BENCH_QUANTA:-1024 512 256 128 64 32}

bench_stack
gen_wav "$T/tone.wav" s16_le 48000 2 "$(((secs + 6) * 48000))"

# The graph's xruns: the driver's process logs "client too slow!" for each
# node that had not finished its cycle when the next began (rate-limited
# lines say how many they suppressed). The Xen sink drives from
# wireplumber's process, the null sink from pipewire's: both logs count.
graph_xruns() {
	cat "$WP_LOG" "$PW_LOG" | { grep -a 'client too slow' || true; } |
		sed -n 's/.*(\([0-9]*\) suppressed).*/\1/p; t; s/.*/0/p' |
		awk '{ n += 1 + $1 } END { print n + 0 }'
}

# The node's headroom at the end of the play that began at log line $1.
headroom_since() {
	local h
	h=$(raised_headroom "$1")
	if [ -n "$h" ]; then echo "$h frames (raised)"; else echo "not raised"; fi
}

echo "Smallest stable quantum: $n streams, $secs s each; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# A first play warms the stack up (the first graph with these streams,
# page faults in three processes), so the first point measures its
# quantum, not the start.
set_quantum 1024
play_streams "$n" "$XEN_SINK" "$T/tone.wav"
wait_stream_running "$XEN_STREAM" 10
sleep 3
stop_streams
wait_stream_closed "$XEN_STREAM" 20
table_header
smallest=none
stable=yes
for q in $quanta; do
	set_quantum "$q"
	l0=$(($(wc -l <"$WP_LOG") + 1))
	play_streams "$n" "$XEN_SINK" "$T/tone.wav"
	wait_stream_running "$XEN_STREAM" 10
	sleep 1		# the node reopened for the quantum
	u0=$(backend_underruns); x0=$(graph_xruns)
	sleep "$secs"
	u1=$(backend_underruns); x1=$(graph_xruns); h=$(headroom_since "$l0")
	stop_streams
	wait_stream_closed "$XEN_STREAM" 20
	play_streams "$n" "$NULL_SINK" "$T/tone.wav"
	sleep 1
	r0=$(graph_xruns)
	sleep "$secs"
	r1=$(graph_xruns)
	stop_streams
	row "stable quantum" "q=$q, $n streams, $secs s" \
		"xen sink: $((u1 - u0)) backend underruns, $((x1 - x0)) graph xruns, headroom $h" \
		"null sink: $((r1 - r0)) graph xruns" "-"
	# The smallest of an unbroken run of clean quanta from the top.
	if [ "$stable" = yes ] && [ $((u1 - u0 + x1 - x0)) -eq 0 ]; then
		smallest=$q
	else
		stable=no
	fi
done
set_quantum 0
row "stable quantum" "smallest with none, $n streams" "xen sink: $smallest" "-" "goal: 64"
