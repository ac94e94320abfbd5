# shellcheck shell=bash
# The backend suite's helpers, on top of the shared xensim harness
# (tests/lib/xensim.sh: start_hub, in_dom, in_dom_bg, process_gone,
# stop_pid, ok, fail, skip; everything in BG_PIDS, the backend and the hub
# stopped by PID on exit). Arguments: the testfront and wavtool programs.
#
#   start_backend ARGS...           xensnd-backend as dom0, $BACKEND_PID,
#                                   state file $STATE, log $BACKEND_LOG,
#                                   WAV output in $OUT
#   stop_backend                    SIGTERM, expect exit 0
#   attach DOMID ITEM...            xensim vsnd-attach
#   front DOMID [--dev D] ARGS...   the test frontend as DOMID
#   front_bg DOMID FILE ARGS...     the same in the background, $FRONT_PID
#   wait_for WHAT 'CODE' [MS]       poll shell CODE (eval'd each time) for
#                                   MS milliseconds (default 5000)
#   stream_field NAME KEY           a field of the state file's stream line
#   backend_field KEY               a field of its backend line
#   be_state DOMID DEV              a backend device's xenbus state
# $DIR is the test's temp dir, the hub's is $DIR/xensim.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/xensim.sh"

TESTFRONT=${1:?testfront path}
WAVTOOL=${2:?wavtool path}

command -v xensim >/dev/null 2>&1 || skip "xensim is not on PATH (run under meson test)"
command -v xensnd-backend >/dev/null 2>&1 || skip "xensnd-backend is not on PATH"
[ -n "${NO_XENSIM:-}" ] || [ -e "${XENSIM_LIBDIR:-/nonexistent}/libxengnttab.so.1" ] ||
	skip "xensim's grant-table shim is not built (XENSIM_LIBDIR=${XENSIM_LIBDIR:-unset})"

xensim_setup xensnd-backend-test xensim
DIR=$TEST_DIR
OUT=$DIR/out
STATE=$DIR/state
BACKEND_LOG=$DIR/backend.log
mkdir -p "$OUT"
watch_log "$BACKEND_LOG" 40
show_on_failure "$STATE"

attach() {
	in_dom "$1" true	# the domain exists once a process ran in it
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
	in_dom "$domid" "$TESTFRONT" "$@"
}

# The test frontend in the background, its stdout to FILE; $FRONT_PID is
# the frontend itself (stopped on exit if still running).
front_bg() {
	local domid=$1 file=$2
	shift 2
	in_dom_bg "$domid" "$TESTFRONT" "$@" >"$file"
	FRONT_PID=$!
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
	in_dom 0 xenstore-read "backend/vsnd/$1/$2/state" 2>/dev/null || echo none
}
