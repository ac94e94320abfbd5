# Helpers for the toolstack's integration tests. Source from a bash test;
# it sets `set -euo pipefail`, makes a private directory, ends the hub by
# PID and removes the directory on exit.
#
#   start_hub                  a private xensim hub on $XS_DIR ($HUB_PID)
#   in_dom N CMD...            run CMD as a process of domain N
#   xs CMD...                  run a toolstack command: xensim CMD --dir $XS_DIR ...
#   tree PATH...               `xenstore-ls -f -p` of the subtrees, as dom0, sorted
#   expect_eq GOT WANT WHAT
#   expect_fail WHAT CMD...    CMD must exit non-zero
#   expect_status N WHAT CMD... CMD must exit with N; its stderr is in $ERR
#   skip WHY                   exit 77: meson counts the test as skipped
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
for prog in xensim xenstore-ls xenstore-read xenstore-write xenstore-exists; do
	command -v "$prog" >/dev/null 2>&1 || skip "$prog is not installed"
done

HERE=$(cd "$(dirname "$0")" && pwd)
XS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xensim-toolstack.XXXXXX")
HUB_PID=
ERR=

# The hub is a daemon, so not our child: once it exits it may stay a
# zombie until init reaps it, which can take seconds. A zombie is gone.
running() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

lib_cleanup() {
	local status=$? i
	if [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null; then
		for i in $(seq 100); do
			running "$HUB_PID" || break
			sleep 0.05
		done
		if running "$HUB_PID"; then
			echo "the hub ignored SIGTERM for 5 s; killing it" >&2
			kill -KILL "$HUB_PID" 2>/dev/null || true
		fi
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

xs() {
	local cmd=$1
	shift
	xensim "$cmd" --dir "$XS_DIR" "$@"
}

tree() {
	local path
	for path in "$@"; do
		in_dom 0 xenstore-ls -f -p "$path"
	done | LC_ALL=C sort
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

expect_status() {
	local want=$1 what=$2 status=0
	shift 2
	ERR=$("$@" 2>&1 >/dev/null) || status=$?
	[ "$status" -eq "$want" ] || fail "$what: exit status $status, wanted $want ($ERR)"
	echo "ok: $what (exit $want)"
}

# The expected tree file, compared line by line; the diff on failure.
expect_tree() {
	local expected=$1 what=$2 got
	shift 2
	got=$(tree "$@")
	if ! diff -u "$expected" <(printf '%s\n' "$got") >&2; then
		fail "$what: the tree differs from $(basename "$expected")"
	fi
	echo "ok: $what"
}
