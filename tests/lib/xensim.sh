# shellcheck shell=bash
# The harness the xensim-based suites share (xenstore, toolstack,
# hypervisor, backend, ctl): a private xensim hub in a `mktemp -d`
# directory, the processes a test started, all stopped by PID in the EXIT
# trap. A suite's own lib.sh sources this and adds what only it needs; a
# test sources its suite's lib.sh. Sets `set -euo pipefail`.
#
#   xensim_setup PREFIX [SUBDIR]  $TEST_DIR: mktemp -d ${TMPDIR:-/tmp}/PREFIX.XXXXXX;
#                                 $XS_DIR, the hub's dir: TEST_DIR/SUBDIR, or
#                                 TEST_DIR itself; the EXIT trap
#   start_hub                     a hub on $XS_DIR; $HUB_PID is its pid
#   in_dom N CMD...               run CMD as a process of domain N
#   in_dom_bg N CMD...            the same in the background; $! is CMD's own
#                                 PID (xensim exec execs it), stopped on exit
#   watch_log FILE [LINES]        on exit a sanitizer report in FILE fails the
#                                 test; a failed test shows its last LINES (30)
#   show_on_failure FILE [LINES]  a failed test shows FILE's last LINES (30)
#   process_gone PID              the process exited (or is an unreaped zombie)
#   stop_pid PID                  SIGTERM, 5 s to go, then SIGKILL
#   need PROG...                  skip unless every PROG is on PATH
#   expect_eq GOT WANT WHAT       ... and say "ok: WHAT"
#   expect_fail WHAT CMD...       CMD must exit non-zero
#   ok WHAT / fail WHY / skip WHY print it; fail exits 1, skip 77 (meson:
#                                 skipped)
# On exit, in this order: the PIDs in BG_PIDS, $BACKEND_PID (a suite's
# daemon in dom0, if it set one) and the hub are stopped, the watched logs
# are checked, the logs are shown if the test failed, TEST_DIR is removed;
# the test's exit status is kept (or 1 after a sanitizer report).
set -euo pipefail

TEST_DIR=
XS_DIR=
HUB_PID=
BACKEND_PID=
BG_PIDS=()
_checked_logs=()	# files a sanitizer report in fails the test
_shown_logs=()		# "LINES FILE": tails shown when the test failed

ok() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

need() {
	local prog
	for prog in "$@"; do
		command -v "$prog" >/dev/null 2>&1 || skip "$prog is not installed"
	done
}

# Gone, or a zombie nobody reaped yet: it serves nothing either way. The
# hub is a daemon, not our child, and init may take seconds to reap it.
process_gone() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

stop_pid() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		process_gone "$pid" && return 0
		sleep 0.05
	done
	echo "process $pid ignored SIGTERM for 5 s; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

watch_log() {
	_checked_logs+=("$1")
	show_on_failure "$@"
}

show_on_failure() {
	_shown_logs+=("${2:-30} $1")
}

# A sanitizer build's daemons report into their logs, not to the test.
_sanitizer_reported() {
	local log found=1
	for log in "${_checked_logs[@]}"; do
		if [ -f "$log" ] &&
			grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
			echo "FAIL: $(basename "$log") has sanitizer reports" >&2
			found=0
		fi
	done
	return "$found"
}

_show_logs() {
	local entry
	for entry in "${_shown_logs[@]}"; do
		[ -f "${entry#* }" ] || continue
		echo "--- $(basename "${entry#* }") ---" >&2
		tail -n "${entry%% *}" "${entry#* }" >&2
	done
}

_xensim_cleanup() {
	local status=$? pid
	for pid in "${BG_PIDS[@]}"; do
		stop_pid "$pid"
	done
	[ -z "$BACKEND_PID" ] || stop_pid "$BACKEND_PID"
	[ -z "$HUB_PID" ] || stop_pid "$HUB_PID"
	if _sanitizer_reported; then
		status=1
	fi
	# A skipped test did not fail: its logs would only be noise.
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		_show_logs
	fi
	rm -rf "$TEST_DIR"
	exit "$status"
}

xensim_setup() {
	TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	XS_DIR=$TEST_DIR${2:+/$2}
	mkdir -p "$XS_DIR"
	trap _xensim_cleanup EXIT
	watch_log "$XS_DIR/xensim.log"
}

start_hub() {
	xensim start --dir "$XS_DIR" || fail "xensim start failed"
	HUB_PID=$(cat "$XS_DIR/xensim.pid")
	kill -0 "$HUB_PID" || fail "hub pid $HUB_PID is not running"
}

in_dom() {
	local domid=$1
	shift
	xensim exec --dir "$XS_DIR" --domid "$domid" -- "$@"
}

# Not `in_dom ... &`: that would background a copy of this shell, and $!
# would be the copy's PID, not CMD's.
in_dom_bg() {
	local domid=$1
	shift
	xensim exec --dir "$XS_DIR" --domid "$domid" -- "$@" &
	BG_PIDS+=("$!")
}

expect_eq() {
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
	ok "$3"
}

expect_fail() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$what: '$*' succeeded"
	fi
	ok "$what"
}
