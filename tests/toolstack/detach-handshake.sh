#!/bin/bash
# vsnd-detach's Closing -> Closed handshake: with a frontend that answers,
# without one (still Initialising), with one that never answers (timeout,
# nodes kept, then --force).
source "$(dirname "$0")/lib.sh"
start_hub
in_dom 1 true

fe=/local/domain/1/device/vsnd/0
be=/local/domain/0/backend/vsnd/1/0

# A frontend in the guest: Connected, then Closed once the backend says
# Closing, as a xenbus frontend driver does.
expect_eq "$(xs vsnd-attach 1 'PCM' 'STREAM, id=0, type=p')" 0 "attached"
in_dom 1 xenstore-write "$fe/state" 4
in_dom 1 bash -c '
	for i in $(seq 200); do
		[ "$(xenstore-read '"$be"'/state)" = 5 ] && exec xenstore-write '"$fe"'/state 6
		sleep 0.02
	done
	exit 1' &
frontend=$!
start=$(date +%s%N)
xs vsnd-detach --timeout 10 1 0
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$frontend" || fail "the frontend never saw the backend Closing"
echo "ok: vsnd-detach waited for the frontend (${elapsed_ms} ms)"
[ "$elapsed_ms" -lt 9000 ] || fail "vsnd-detach ran into its timeout instead of seeing Closed"
expect_fail "the frontend is gone" in_dom 0 xenstore-exists "$fe"
expect_fail "the backend is gone" in_dom 0 xenstore-exists "$be"

# No frontend driver: state still 1, nothing to wait for.
expect_eq "$(xs vsnd-attach 1 'PCM' 'STREAM, id=0, type=p')" 0 "attached again"
xs vsnd-detach --timeout 10 1 0
expect_fail "an Initialising frontend is removed at once" in_dom 0 xenstore-exists "$fe"

# A frontend that never answers: the timeout keeps the nodes, says so.
expect_eq "$(xs vsnd-attach 1 'PCM' 'STREAM, id=0, type=p')" 0 "attached a third time"
in_dom 1 xenstore-write "$fe/state" 4
expect_status 1 "vsnd-detach times out" xs vsnd-detach --timeout 1 1 0
expect_eq "$ERR" 'xensim vsnd-detach: the frontend of vsnd device 0 of domain 1 is still in state 4 (Connected) after 1 s: the guest'"'"'s driver did not close it. The backend is Closing; run `xensim vsnd-detach --force 1 0` to remove the nodes anyway' "its message"
expect_eq "$(in_dom 0 xenstore-read "$be/state"):$(in_dom 0 xenstore-read "$be/online")" \
	"5:0" "the backend was told: Closing, offline"
in_dom 0 xenstore-exists "$fe" || fail "the timeout removed the frontend"
xs vsnd-detach --force 1 0
expect_fail "--force removed it" in_dom 0 xenstore-exists "$fe"

# The frontend's state is the guest's: garbage there is no driver to wait for.
expect_eq "$(xs vsnd-attach 1 'PCM' 'STREAM, id=0, type=p')" 0 "attached a fourth time"
in_dom 1 xenstore-write "$fe/state" "not a state"
xs vsnd-detach --timeout 10 1 0
expect_fail "a frontend state that is no state does not hold up detach" \
	in_dom 0 xenstore-exists "$fe"
