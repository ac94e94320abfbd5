#!/bin/bash
# The xenbus handshake: a device attached before and one after the backend
# starts both reach InitWait with "versions"; a frontend connects and both
# ends are Connected; a frontend that closes leaves the backend Closed; a
# reconnecting frontend gets InitWait again; SIGTERM closes everything.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Early' 'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend
wait_for "the early device is InitWait" 'test "$(be_state 1 0)" = 2'
ok "device attached before the backend: InitWait"
[ "$(in_dom 0 xenstore-read backend/vsnd/1/0/versions)" = 2 ] || fail "versions is not 2"
ok "versions = 2"

attach 1 'CARD, short-name=Late' 'PCM, name=A' 'STREAM, unique-id=1, type=p' \
	'STREAM, unique-id=2, type=c' 'PCM, name=B' 'STREAM, unique-id=3, type=p'
wait_for "the late device is InitWait" 'test "$(be_state 1 1)" = 2'
ok "device attached after the backend: InitWait"

front_bg 1 "$DIR/connect.out" --dev 1 connect --hold-ms 800
FRONT=$FRONT_PID
wait_for "the backend is Connected" 'test "$(be_state 1 1)" = 4'
grep -q "^card dom1-vsnd1 state=connected streams=3" "$STATE" || fail "state file: card not connected with 3 streams"
ok "Connected, 3 streams in the state file"
[ "$(backend_field mapped_pages)" = 6 ] || fail "3 streams map 6 ring pages, state says $(backend_field mapped_pages)"
ok "6 ring/event pages mapped"
[ "$(stream_field dom1-vsnd1-pcm0-stream1 type)" = c ] || fail "stream 1 is not capture"
wait "$FRONT" || fail "the frontend failed"
grep -q "connected /local/domain/1/device/vsnd/1, 3 stream(s)" "$DIR/connect.out" || fail "frontend output"
wait_for "the backend is Closed after the frontend closed" 'test "$(be_state 1 1)" = 6'
wait_for "no pages mapped" 'test "$(backend_field mapped_pages)" = 0'
ok "frontend closed: backend Closed, nothing mapped"

# The frontend comes back (sndif recovery): InitWait and Connected again.
front 1 --dev 1 connect >/dev/null || fail "reconnect failed"
ok "a reconnecting frontend connects again"
front 1 --dev 0 connect >/dev/null || fail "the early device does not connect"
ok "the early device connects"

stop_backend
test "$(be_state 1 0)" = 6 || fail "SIGTERM did not leave device 0 Closed"
test "$(be_state 1 1)" = 6 || fail "SIGTERM did not leave device 1 Closed"
ok "SIGTERM: exit 0, devices Closed"
