#!/bin/bash
# The command line: --help, usage errors (exit 2), no XenStore (exit 1).
NO_XENSIM=1	# needs no hub: the backend alone
source "$(dirname "$0")/lib.sh"
xensnd-backend --help | grep -- "--output-dir DIR" >/dev/null || fail "--help"
ok "--help"
for args in "--bogus" "--channels 3:2" "--formats gsm" "--rates 44100,x" \
	"--clock-drift 200000" "--period-frames :x" "stray" \
	"--output pulse"; do
	status=0
	# shellcheck disable=SC2086
	xensnd-backend $args 2>"$DIR/err" || status=$?
	[ "$status" = 2 ] || fail "'$args' exited $status, not 2"
	grep -q "xensnd-backend: " "$DIR/err" || fail "'$args': no message"
done
ok "usage errors exit 2 with a message"
status=0
XENSTORED_PATH=$DIR/no-such-socket xensnd-backend 2>"$DIR/err" || status=$?
[ "$status" = 1 ] || fail "no XenStore: exit $status, not 1"
grep -q "XenStore" "$DIR/err" || fail "no XenStore: message does not say so"
ok "no XenStore: exit 1"
status=0
xensnd-backend --input "$DIR/missing.wav" 2>"$DIR/err" || status=$?
[ "$status" = 2 ] || fail "missing --input: exit $status"
ok "missing --input file: exit 2"
