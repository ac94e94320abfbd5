# shellcheck shell=bash
# The toolstack suite's helpers, on top of the shared xensim harness
# (tests/lib/xensim.sh: start_hub, in_dom, expect_eq, expect_fail, skip,
# fail; the hub and $XS_DIR ended on exit):
#
#   xs CMD...                   run a toolstack command: xensim CMD --dir $XS_DIR ...
#   tree PATH...                `xenstore-ls -f -p` of the subtrees, as dom0, sorted
#   expect_status N WHAT CMD... CMD must exit with N; its stderr is in $ERR
#   expect_tree FILE WHAT PATH... the tree of the PATHs must be FILE
# $HERE is the test's directory (the expected trees are there).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/xensim.sh"

need xensim xenstore-ls xenstore-read xenstore-write xenstore-exists

HERE=$(cd "$(dirname "$0")" && pwd)
ERR=
xensim_setup xensim-toolstack

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

expect_status() {
	local want=$1 what=$2 status=0
	shift 2
	ERR=$("$@" 2>&1 >/dev/null) || status=$?
	[ "$status" -eq "$want" ] || fail "$what: exit status $status, wanted $want ($ERR)"
	ok "$what (exit $want)"
}

# The expected tree file, compared line by line; the diff on failure.
expect_tree() {
	local expected=$1 what=$2 got
	shift 2
	got=$(tree "$@")
	if ! diff -u "$expected" <(printf '%s\n' "$got") >&2; then
		fail "$what: the tree differs from $(basename "$expected")"
	fi
	ok "$what"
}
