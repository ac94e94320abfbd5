#!/bin/bash
# The hub's life: one per DIR, stop, stale files of a dead hub, errors.
source "$(dirname "$0")/lib.sh"
start_hub

expect_fail "a second hub on the same DIR is refused" xensim start --dir "$XS_DIR"
msg=$(xensim start --dir "$XS_DIR" 2>&1 || true)
case $msg in
*"already runs"*) echo "ok: it says why" ;;
*) fail "unclear message: $msg" ;;
esac
kill -0 "$HUB_PID" || fail "the first hub died"

xensim stop --dir "$XS_DIR"
process_gone "$HUB_PID" || fail "stop returned but the hub runs"
echo "ok: stop waits for the hub to exit"
[ ! -e "$XS_DIR/control.sock" ] && [ ! -e "$XS_DIR/dom0" ] ||
	fail "stop left sockets behind: $(ls "$XS_DIR")"
echo "ok: stop removes its sockets"
expect_fail "stop without a hub fails" xensim stop --dir "$XS_DIR"
expect_fail "exec without a hub fails" xensim exec --dir "$XS_DIR" --domid 1 -- true

# A hub killed hard leaves its files; the next one cleans up.
start_hub
in_dom 5 true
kill -KILL "$HUB_PID"
while ! process_gone "$HUB_PID"; do sleep 0.02; done
[ -S "$XS_DIR/control.sock" ] || fail "expected a stale control.sock"
start_hub
expect_eq "$(in_dom 0 xenstore-read /local/domain/0/name)" Domain-0 \
	"a new hub starts over a dead one's files"
[ ! -e "$XS_DIR/dom5" ] || fail "stale dom5 was not cleaned up"
echo "ok: stale domain sockets removed"

# Usage errors exit 2.
set +e
xensim exec --dir "$XS_DIR" -- true 2>/dev/null; s1=$?
xensim frobnicate 2>/dev/null; s2=$?
xensim exec --dir "$XS_DIR" --domid 99999 -- true 2>/dev/null; s3=$?
set -e
expect_eq "$s1 $s2 $s3" "2 2 2" "usage errors exit 2"
[[ "$(xensim --help)" == *"exec [--dir DIR] --domid N"* ]] || fail "--help lacks exec"
echo "ok: --help"

# SIGTERM stops the hub cleanly.
kill "$HUB_PID"
for i in $(seq 100); do process_gone "$HUB_PID" && break; sleep 0.05; done
process_gone "$HUB_PID" || fail "SIGTERM did not stop the hub"
[ ! -e "$XS_DIR/xensim.pid" ] || fail "pid file left after SIGTERM"
echo "ok: SIGTERM stops the hub and cleans up"
HUB_PID=
