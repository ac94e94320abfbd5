# SPDX-License-Identifier: MIT
# Shared by the xensnd-ctl integration tests (sourced, bash): a private
# xensim hub, xensnd-backend in domain 0, the guest's commands in domain 1.
# Everything lives in one mktemp -d directory; every daemon is killed by
# its PID on exit.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST=1

fail() { echo "FAIL: $*" >&2; exit 1; }

# The one reason to skip: the backend is another engineer's part, built later.
if ! command -v xensnd-backend >/dev/null; then
	echo "SKIP: xensnd-backend is not built yet"
	exit 77
fi
for prog in xensim xensnd-ctl xenstore-read xenstore-write python3; do
	command -v "$prog" >/dev/null || fail "$prog is not on PATH (run through meson test)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/xensnd-ctl-test.XXXXXX")
SIM=$T/sim
OUT=$T/out
mkdir -p "$SIM" "$OUT"
HUB_PID=
BACKEND_PID=

cleanup() {
	local status=$?
	if [ -n "$BACKEND_PID" ]; then
		kill "$BACKEND_PID" 2>/dev/null || true
		wait "$BACKEND_PID" 2>/dev/null || true
	fi
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null || true
		# The hub is not our child (it daemonized): wait for it to go.
		for _ in $(seq 50); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		for log in "$SIM/xensim.log" "$T/backend.log"; do
			[ -f "$log" ] && { echo "---- $log"; tail -n 40 "$log"; } >&2
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# Wait up to 5 s for a command to succeed.
wait_for() {
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

start_hub() {
	xensim start --dir "$SIM"
	HUB_PID=$(cat "$SIM/xensim.pid")
	# A domain exists once a process ran in it.
	xensim exec --dir "$SIM" --domid "$GUEST" -- true
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
	xensim vsnd-attach --dir "$SIM" "$GUEST" "$@"
}

# xs_read PATH (as the guest)
xs_read() {
	xensim exec --dir "$SIM" --domid "$GUEST" -- xenstore-read "$1"
}

# backend_state [DEV]: the backend end's xenbus state (a number).
backend_state() {
	xensim exec --dir "$SIM" --domid 0 -- \
		xenstore-read "backend/vsnd/$GUEST/${1:-0}/state" 2>/dev/null
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
	xensim exec --dir "$SIM" --domid "$GUEST" -- xensnd-ctl "$@"
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
