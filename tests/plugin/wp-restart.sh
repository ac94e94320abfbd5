#!/usr/bin/env bash
# A session manager that restarts finds the card in the state the last one
# left it (Connected): the new device starts the handshake over, and the
# nodes come back with the same names, connected again.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
attach_card "${CARD_ITEMS[@]}" >/dev/null
start_backend
start_session
for n in $(card_nodes 0); do
	wait_node "$n"
done
wait_front_state 0 4

restart_wireplumber
for n in $(card_nodes 0); do
	wait_node "$n"
done
wait_front_state 0 4
[ "$(node_names | grep '^xensnd_' | sort)" = "$(card_nodes 0)" ] ||
	fail "different nodes after the restart: $(node_names | tr '\n' ' ')"
echo "PASS: wireplumber restart reconnects the card with the same node names"
