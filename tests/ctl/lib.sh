# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the xensnd-ctl integration tests (sourced, bash), on top of the
# shared xensim harness (tests/lib/xensim.sh: start_hub, in_dom, fail; the
# backend and the hub killed by PID on exit): a private xensim hub,
# xensnd-backend in domain 0, the guest's commands in domain 1. Everything
# lives in one mktemp -d directory, $T; the hub's is $SIM.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/xensim.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST=1

# The one reason to skip: the backend is another engineer's part, built later.
command -v xensnd-backend >/dev/null || skip "xensnd-backend is not built yet"
for prog in xensim xensnd-ctl xenstore-read xenstore-write python3; do
	command -v "$prog" >/dev/null || fail "$prog is not on PATH (run through meson test)"
done

xensim_setup xensnd-ctl-test sim
T=$TEST_DIR
SIM=$XS_DIR
OUT=$T/out
mkdir -p "$OUT"
watch_log "$T/backend.log" 40

# Wait up to 5 s for a command to succeed.
wait_for() {
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

# start_backend [xensnd-backend options...]
start_backend() {
	xensim exec --dir "$SIM" --domid 0 -- xensnd-backend --output-dir "$OUT" \
		--state-file "$T/backend.state" "$@" 2>"$T/backend.log" &
	BACKEND_PID=$!
}

stop_backend() {
	kill "$BACKEND_PID"
	wait "$BACKEND_PID" || true
	BACKEND_PID=
}

# attach ITEM... : a vsnd device for the guest, as xl vsnd-attach does.
attach() {
	in_dom "$GUEST" true	# the domain exists once a process ran in it
	xensim vsnd-attach --dir "$SIM" "$GUEST" "$@"
}

# xs_read PATH (as the guest)
xs_read() {
	in_dom "$GUEST" xenstore-read "$1"
}

# backend_state [DEV]: the backend end's xenbus state (a number).
backend_state() {
	in_dom 0 xenstore-read "backend/vsnd/$GUEST/${1:-0}/state" 2>/dev/null
}

# The backend is ready for a frontend once it is in InitWait (2).
wait_backend_ready() {
	local dev=${1:-0}
	for _ in $(seq 100); do
		[ "$(backend_state "$dev")" = 2 ] && return 0
		sleep 0.05
	done
	fail "backend of card $dev not in InitWait after 5 s (state $(backend_state "$dev"))"
}

# ctl ARGS... : xensnd-ctl in the guest.
ctl() {
	in_dom "$GUEST" xensnd-ctl "$@"
}

# ctl_bg ARGS... : ctl in the background; $! is xensnd-ctl's own PID
# (xensim exec execs it), so it can be signalled.
ctl_bg() {
	( exec xensim exec --dir "$SIM" --domid "$GUEST" -- xensnd-ctl "$@" ) &
}

# expect_exit CODE PATTERN ARGS... : run ctl, check its status and that its
# stderr says PATTERN (grep -E).
expect_exit() {
	local want=$1 pattern=$2 status=0
	shift 2
	ctl "$@" >"$T/out.txt" 2>"$T/err.txt" || status=$?
	[ "$status" -eq "$want" ] ||
		fail "xensnd-ctl $*: exit $status, expected $want; stderr: $(cat "$T/err.txt")"
	grep -Eq -- "$pattern" "$T/err.txt" ||
		fail "xensnd-ctl $*: stderr does not say /$pattern/: $(cat "$T/err.txt")"
}

wavtool() {
	python3 "$HERE/wavtool.py" "$@"
}
