#!/usr/bin/env bash
# The backend's domain dies (a driver domain, here domain 2): its XenStore
# nodes go with it, the card goes back to Initialising (sndif recovery)
# and keeps its nodes; the rest of the session is unaffected.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

stack_init
start_sim
xensim exec --dir "$SIM" --domid 2 -- true || fail "cannot create domain 2"
dev=$(xensim vsnd-attach --dir "$SIM" --backend-domid 2 "$GUEST" "${CARD_ITEMS[@]}") ||
	fail "vsnd-attach with backend domain 2 failed"
xensim exec --dir "$SIM" --domid 2 -- \
	xensnd-backend --output-dir "$OUT" >>"$BACKEND_LOG" 2>&1 &
_track $! "xensnd-backend(dom2)"
start_session
wait_card_nodes "$dev"
wait_front_state "$dev" 4
info=$(node_info "xensnd_output.$dev.0.0")
grep -qF 'api.xensnd.backend-domid = "2"' <<<"$info" ||
	fail "the node does not name backend domain 2"
before=$(node_ids)

xensim destroy --dir "$SIM" 2 || fail "xensim destroy 2 failed"
wait_front_state "$dev" 1 5
[ "$(node_ids)" = "$before" ] || fail "nodes changed when the backend domain died:
$before
---
$(node_ids)"
_alive "$WP_PID" || fail "wireplumber died with the backend domain"
pw-cli info 0 >/dev/null || fail "pipewire stopped answering"
echo "PASS: backend domain death: recovery state, nodes kept"
