#!/usr/bin/env bash
# Not a benchmark: where the CPU goes while N streams (default 8) play into
# the Xen sink at quantum Q (default 256). perf samples (cpu-clock, call
# graphs) of wireplumber (the Xen node), pipewire and xensnd-backend for
# S seconds (default 10); the reports go to DIR (default ./bench-profile).
# Usage: meson devenv -C build tests/bench/profile.sh [DIR]
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
dir=$(realpath -m "${1:-bench-profile}")
q=${XENSND_BENCH_QUANTUM:-256}
n=${XENSND_BENCH_STREAMS:-8}
secs=${XENSND_BENCH_SECONDS:-10}
_need perf
mkdir -p "$dir"

bench_stack
gen_wav "$T/tone.wav" s16_le 48000 2 "$(((secs + 6) * 48000))"
set_quantum "$q"
play_streams "$n" "$XEN_SINK" "$T/tone.wav"
wait_stream_running "$XEN_STREAM" 10
sleep 2
for who in wireplumber:$WP_PID pipewire:$PW_PID backend:$BACKEND_PID; do
	perf record -q -e cpu-clock -g -p "${who#*:}" -o "$dir/${who%:*}.data" \
		-- sleep "$secs" 2>/dev/null &
done
wait_pids=$(jobs -p | tail -n 3)
# shellcheck disable=SC2086
wait $wait_pids
stop_streams
for who in wireplumber pipewire backend; do
	perf report -i "$dir/$who.data" --no-children --stdio --sort dso,symbol \
		2>/dev/null | grep -v '^$' | head -n 60 >"$dir/$who.txt" || true
	echo "$dir/$who.txt"
done
