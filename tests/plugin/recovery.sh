#!/usr/bin/env bash
# sndif recovery: the backend stops, the card goes back to Initialising but
# keeps its nodes (same ids, same names); a new backend connects it again.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_card_stack
wait_front_state 0 4
before=$(node_ids)

stop_backend TERM
wait_front_state 0 1
[ "$(node_ids)" = "$before" ] || fail "nodes changed while the backend was away:
$before
---
$(node_ids)"

start_backend
wait_front_state 0 4
[ "$(node_ids)" = "$before" ] || fail "nodes changed after the backend came back:
$before
---
$(node_ids)"
grep -q "waiting for it to come back" "$WP_LOG" ||
	fail "the device did not log the recovery"
echo "PASS: backend restart keeps node ids and names"
