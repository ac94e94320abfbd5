# Shared helpers for tests that run a private xensim hub.
# Source it from a bash test script (other suites may copy it); it sets
# `set -euo pipefail`, makes a private directory, ends the hub by PID and
# removes the directory on exit.
#
#   start_hub             start a hub on $XS_DIR; $HUB_PID is its pid
#   in_dom N CMD...       run CMD as a process of domain N
#   expect_eq GOT WANT WHAT
#   expect_fail WHAT CMD...   CMD must exit non-zero
#   process_gone PID      the process exited (or is an unreaped zombie)
#   wait_lines FILE N     wait (at most 20 s: a loaded sanitizer build is slow
#                         to start) until FILE has N lines
#   skip WHY              exit 77: meson counts the test as skipped
set -euo pipefail

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

need xensim xenstore-ls xenstore-read xenstore-write xenstore-rm \
	xenstore-chmod xenstore-watch xenstore-list xenstore-exists

XS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xensim-test.XXXXXX")
HUB_PID=

# Gone, or a zombie nobody reaped yet: it serves nothing either way.
process_gone() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

stop_hub_by_pid() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		process_gone "$pid" && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

lib_cleanup() {
	local status=$?
	if [ -n "$HUB_PID" ]; then
		stop_hub_by_pid "$HUB_PID"
	fi
	# A sanitizer build's hub reports into its log, not to the test.
	if [ -f "$XS_DIR/xensim.log" ] &&
		grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$XS_DIR/xensim.log"; then
		echo "FAIL: the hub's log has sanitizer reports" >&2
		status=1
	fi
	if [ "$status" -ne 0 ] && [ -f "$XS_DIR/xensim.log" ]; then
		echo "--- xensim.log ---" >&2
		tail -n 30 "$XS_DIR/xensim.log" >&2
	fi
	rm -rf "$XS_DIR"
	exit "$status"
}
trap lib_cleanup EXIT

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

expect_eq() {
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
	echo "ok: $3"
}

expect_fail() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$what: '$*' succeeded"
	fi
	echo "ok: $what"
}

wait_lines() {
	local file=$1 want=$2 i
	for i in $(seq 400); do
		if [ -f "$file" ] && [ "$(wc -l <"$file")" -ge "$want" ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "$file: wanted $want lines, got: $(cat "$file" 2>/dev/null)"
}
