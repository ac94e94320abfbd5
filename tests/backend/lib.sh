# Helpers for xensnd-backend tests: a private xensim hub and backend in a
# mktemp -d directory, both ended by PID on exit.
#
#   start_hub                       $HUB_PID
#   start_backend ARGS...           xensnd-backend as dom0, $BACKEND_PID,
#                                   state file $STATE, log $BACKEND_LOG,
#                                   WAV output in $OUT
#   stop_backend                    SIGTERM, expect exit 0
#   attach DOMID ITEM...            xensim vsnd-attach
#   guest DOMID CMD...              run CMD as a process of domain DOMID
#   front DOMID [--dev D] ARGS...   the test frontend as DOMID
#   front_bg DOMID FILE ARGS...     the same in the background, $FRONT_PID
#   wait_for WHAT 'CODE' [MS]       poll shell CODE (eval'd each time) for
#                                   MS milliseconds (default 5000)
#   stream_field NAME KEY           a field of the state file's stream line
#   backend_field KEY               a field of its backend line
set -euo pipefail

TESTFRONT=${1:?testfront path}
WAVTOOL=${2:?wavtool path}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

command -v xensim >/dev/null 2>&1 || skip "xensim is not on PATH (run under meson test)"
command -v xensnd-backend >/dev/null 2>&1 || skip "xensnd-backend is not on PATH"
[ -n "${NO_XENSIM:-}" ] || [ -e "${XENSIM_LIBDIR:-/nonexistent}/libxengnttab.so.1" ] ||
	skip "xensim's grant-table shim is not built (XENSIM_LIBDIR=${XENSIM_LIBDIR:-unset})"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/xensnd-backend-test.XXXXXX")
XS_DIR=$DIR/xensim
OUT=$DIR/out
STATE=$DIR/state
BACKEND_LOG=$DIR/backend.log
mkdir -p "$XS_DIR" "$OUT"
HUB_PID=
BACKEND_PID=
BG_PIDS=()

process_gone() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

stop_pid() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		process_gone "$pid" && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

lib_cleanup() {
	local status=$? pid
	for pid in "${BG_PIDS[@]}"; do
		stop_pid "$pid"
	done
	[ -n "$BACKEND_PID" ] && stop_pid "$BACKEND_PID"
	[ -n "$HUB_PID" ] && stop_pid "$HUB_PID"
	if [ -f "$BACKEND_LOG" ] && grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$BACKEND_LOG"; then
		echo "FAIL: the backend's log has sanitizer reports" >&2
		status=1
	fi
	if [ "$status" -ne 0 ]; then
		[ -f "$BACKEND_LOG" ] && { echo "--- backend.log ---" >&2; tail -n 40 "$BACKEND_LOG" >&2; }
		[ -f "$XS_DIR/xensim.log" ] && { echo "--- xensim.log ---" >&2; tail -n 20 "$XS_DIR/xensim.log" >&2; }
		[ -f "$STATE" ] && { echo "--- state ---" >&2; cat "$STATE" >&2; }
	fi
	rm -rf "$DIR"
	exit "$status"
}
trap lib_cleanup EXIT

start_hub() {
	xensim start --dir "$XS_DIR" || fail "xensim start failed"
	HUB_PID=$(cat "$XS_DIR/xensim.pid")
	kill -0 "$HUB_PID" || fail "hub pid $HUB_PID is not running"
}

guest() {
	local domid=$1
	shift
	xensim exec --dir "$XS_DIR" --domid "$domid" -- "$@"
}

attach() {
	guest "$1" true	# the domain exists once a process ran in it
	xensim vsnd-attach --dir "$XS_DIR" "$@" >/dev/null || fail "vsnd-attach $*"
}

start_backend() {
	rm -f "$STATE"
	# Started directly (not through a shell function), so $! is the
	# backend itself: xensim exec execs it.
	xensim exec --dir "$XS_DIR" --domid 0 -- \
		xensnd-backend --output-dir "$OUT" --state-file "$STATE" "$@" \
		>>"$BACKEND_LOG" 2>&1 &
	BACKEND_PID=$!
	wait_for "the backend writes its state file" 'backend_started'
}

backend_started() {
	process_gone "$BACKEND_PID" && fail "the backend exited: $(tail -n 3 "$BACKEND_LOG")"
	test -f "$STATE"
}

stop_backend() {
	local status=0
	kill -TERM "$BACKEND_PID"
	wait "$BACKEND_PID" || status=$?
	BACKEND_PID=
	[ "$status" -eq 0 ] || fail "the backend exited with $status after SIGTERM"
}

front() {
	local domid=$1
	shift
	guest "$domid" "$TESTFRONT" "$@"
}

# The test frontend in the background, its stdout to FILE; $FRONT_PID is
# the frontend itself (killed on exit if still running).
front_bg() {
	local domid=$1 file=$2
	shift 2
	xensim exec --dir "$XS_DIR" --domid "$domid" -- "$TESTFRONT" "$@" >"$file" &
	FRONT_PID=$!
	BG_PIDS+=("$FRONT_PID")
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

wait_for() {
	local what=$1 cond=$2 deadline
	deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if eval "$cond" >/dev/null; then
			return 0
		fi
		sleep 0.025
	done
	fail "timed out waiting until $what"
}

stream_field() {
	sed -n "s/^stream $1 .*\\b$2=\\([^ ]*\\).*/\\1/p" "$STATE"
}

backend_field() {
	sed -n "s/^backend .*\\b$1=\\([^ ]*\\).*/\\1/p" "$STATE"
}

# The first xenbus state of a backend device dir, as a number.
be_state() {
	guest 0 xenstore-read "backend/vsnd/$1/$2/state" 2>/dev/null || echo none
}
