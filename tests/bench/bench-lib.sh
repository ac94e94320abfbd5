# shellcheck shell=bash
# What the benchmarks share, on top of the plugin suite's harness
# (../plugin/lib.sh: xensim, xensnd-backend in dom0, pipewire + wireplumber
# as guest 1, private dirs, everything killed by PID on exit).
#
#   bench_stack                 sim + one playback card + backend + session,
#                               and a null sink "ref-null" as the reference
#   proc_cpu_ns PID             CPU time of PID (all its threads), in ns
#   proc_switches PID           context switches of PID's threads so far
#   set_quantum N               clock.force-quantum N (0: unforced)
#   play_streams N TARGET FILE  N pw-play instances; their PIDs in PLAY_PIDS
#   stop_streams                TERM them and wait
#   table_header                the header of that table
#   row BENCH POINT MEASURED REFERENCE NOTE
#                               one row of the table `tests/bench/run` prints
#
# Figures go to stdout; every row starts with "| " so that `run` can
# gather them. Nothing here asserts on a time.

here_bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here_bench/../plugin/lib.sh"
. "$here_bench/../plugin/pcm/common-pcm.sh"

# XENSND_BENCH_PIPEWIRE=DIR: run the PipeWire that pipewire-prefix.sh
# unpacked in DIR (daemon, tools, libpipewire, modules, SPA plugins)
# instead of the system's. WirePlumber stays the system's. Its configs
# go to the private XDG_CONFIG_HOME once there is one (use_prefix_configs),
# where they override the system's and the benchmarks' fragments still
# apply (PIPEWIRE_CONFIG_DIR would hide those).
use_pipewire_prefix() {
	local root=$1/root lib
	lib=$(echo "$root"/usr/lib/*-linux-gnu)
	[ -x "$root/usr/bin/pipewire" ] && [ -d "$lib/spa-0.2" ] ||
		fail "XENSND_BENCH_PIPEWIRE=$1 holds no unpacked PipeWire: run tests/bench/pipewire-prefix.sh $1"
	export PATH=$root/usr/bin:$PATH LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export SPA_PLUGIN_DIR=$XENSND_BUILD_ROOT/spa/plugins:$lib/spa-0.2
	export PIPEWIRE_MODULE_DIR=$lib/pipewire-0.3
}
use_prefix_configs() {
	[ -n "${XENSND_BENCH_PIPEWIRE:-}" ] || return 0
	mkdir -p "$XDG_CONFIG_HOME/pipewire"
	cp "$XENSND_BENCH_PIPEWIRE"/root/usr/share/pipewire/*.conf "$XDG_CONFIG_HOME/pipewire/"
}
[ -z "${XENSND_BENCH_PIPEWIRE:-}" ] || use_pipewire_prefix "$XENSND_BENCH_PIPEWIRE"

XEN_SINK=xensnd_output.0.0.0
NULL_SINK=ref-null
XEN_STREAM=dom1-vsnd0-pcm0-stream0
# The WAVs the backend writes go to tmpfs, so the disk is not measured.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
# A null sink in the pipewire daemon, as PipeWire's own configs make one:
# the reference every figure is compared with.
create_null_sink() {
	pw-cli create-node adapter "{ factory.name=support.null-audio-sink
		node.name=$NULL_SINK node.description=\"bench reference\"
		media.class=Audio/Sink object.linger=true audio.position=[FL FR]
		audio.rate=48000 node.driver=true priority.driver=1000
		monitor.channel-volumes=true }" >/dev/null ||
		fail "pw-cli cannot create the null sink"
	wait_node "$NULL_SINK" 10
}

# bench_stack [BACKEND-ARG...]
bench_stack() {
	stack_init
	use_prefix_configs
	_need sox pw-play pw-cli pw-metadata
	STATE=$T/backend-state
	start_sim
	introduce_guest
	attach_card 'CARD, short-name=Bench, sample-formats=s16_le, sample-rates=48000' \
		'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
	start_backend --state-file "$STATE" "$@"
	# As on Xen: dom0's audio daemon is not scheduled against the guest's
	# processes, and the hypervisor delivers events at once.
	realtime_dom0 || true
	start_session
	wait_node "$XEN_SINK" 15
	create_null_sink
}

proc_cpu_ns() {
	# The scheduler's own count (schedstat's first field), per thread,
	# to the nanosecond: utime+stime come in 10 ms ticks, too coarse for
	# a process that runs 5 ms a second.
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ n += $1 } END { printf "%.0f\n", n }'
}

# Each wake-up of a thread is a voluntary context switch: what a graph
# cycle costs across processes, when the CPU is mostly in the kernel.
proc_switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { n += $2 } END { print n + 0 }'
}

set_quantum() {
	pw-metadata -n settings 0 clock.force-quantum "$1" >/dev/null ||
		fail "pw-metadata cannot set clock.force-quantum $1"
}

PLAY_PIDS=()
play_streams() {
	local n=$1 target=$2 file=$3 i
	PLAY_PIDS=()
	for ((i = 0; i < n; i++)); do
		pw-play --target "$target" "$file" >>"$T/pw-play.log" 2>&1 &
		PLAY_PIDS+=($!)
		_track $! pw-play
	done
}

stop_streams() {
	local p
	for p in "${PLAY_PIDS[@]}"; do
		_stop_pid "$p"
		_untrack "$p"
	done
	PLAY_PIDS=()
}

# Backend underruns of the Xen stream so far (0 before its first OPEN).
backend_underruns() {
	local u
	u=$(stream_state "$XEN_STREAM" | sed -n 's/.* underruns=\([0-9]*\) .*/\1/p')
	echo "${u:-0}"
}

table_header() {
	echo "| bench | point | measured | same-run reference | ratio / note |"
	echo "| --- | --- | --- | --- | --- |"
}

row() {
	printf '|'
	printf ' %s |' "$@"
	printf '\n'
}
