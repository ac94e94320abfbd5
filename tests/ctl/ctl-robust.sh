#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl under pressure: a second frontend finds the card busy; SIGTERM
# mid-play closes the session and restores the card; a backend that stops
# answering (SIGSTOP) is caught by the bounded waits, and the card works
# again once the backend continues; a backend that leaves is noticed at
# once, and a new one serves the card.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main' 'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend
wait_backend_ready 0
wavtool gen s16_le 48000 2 144000 "$T/long.wav"	# 3 s
wavtool gen s16_le 48000 2 4800 "$T/short.wav"

front_state() { xs_read device/vsnd/0/state; }

# wait_front STATE: the guest's own state reaches STATE within 5 s.
wait_front() {
	for _ in $(seq 100); do
		[ "$(front_state)" = "$1" ] && return 0
		sleep 0.05
	done
	fail "frontend state $(front_state), expected $1"
}

# 1. A real second frontend: busy while the first one plays.
ctl_bg play 0/0/0 "$T/long.wav" 2>"$T/first.err"
first=$!
wait_front 4
expect_exit 1 'card 0 is busy: another frontend holds it \(frontend state Connected, backend Connected\)' \
	play 0/0/0 "$T/short.wav"

# 2. SIGTERM mid-play: exit 1, the session closed, the card restored.
# (SIGTERM: a non-interactive shell starts background jobs with SIGINT
# ignored, and xensnd-ctl keeps an ignored signal ignored.)
kill -TERM "$first"
status=0
wait "$first" || status=$?
[ "$status" -eq 1 ] || fail "interrupted play exited $status: $(cat "$T/first.err")"
grep -q 'Terminated received: stopping' "$T/first.err" || fail "no word of the signal: $(cat "$T/first.err")"
test "$(front_state)" = 1 || fail "frontend state $(front_state) after SIGTERM"
wait_backend_ready 0
grep -q 'dom1 vsnd0: disconnected' "$T/backend.log" || fail "backend did not see the disconnect"

# 3. A backend that stops answering: the stall is caught and said.
ctl_bg play 0/0/0 "$T/long.wav" 2>"$T/stall.err"
player=$!
wait_front 4
sleep 0.3
kill -STOP "$BACKEND_PID"
start=$(date +%s)
status=0
wait "$player" || status=$?
kill -CONT "$BACKEND_PID"
elapsed=$(( $(date +%s) - start ))
[ "$status" -eq 1 ] || fail "play against a stopped backend exited $status"
grep -Eq 'backend (stopped consuming|did not answer [A-Z_]+ within 2 s)' "$T/stall.err" ||
	fail "no word of the stall: $(cat "$T/stall.err")"
grep -q 'did not let go within 2 s' "$T/stall.err" || fail "no word of the unanswered close: $(cat "$T/stall.err")"
[ "$elapsed" -le 8 ] || fail "giving up on the stopped backend took $elapsed s"
cat "$T/stall.err"
test "$(front_state)" = 1 || fail "frontend state $(front_state) after the stall"

# 4. The backend continued: the card works again.
wait_backend_ready 0
ctl play 0/0/0 "$T/short.wav" 2>"$T/again.err" || fail "play after the stall: $(cat "$T/again.err")"

# 5. The backend goes away mid-play (SIGTERM: it closes and says so): the
# watch on its state tells us at once, no timeout needed.
ctl_bg play 0/0/0 "$T/long.wav" 2>"$T/gone.err"
player=$!
wait_front 4
sleep 0.3
start=$(date +%s%N)
stop_backend
status=0
wait "$player" || status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" -eq 1 ] || fail "play with a departed backend exited $status"
grep -q 'card 0: backend domain 0 left the connection (state Closed' "$T/gone.err" ||
	fail "no word of the departure: $(cat "$T/gone.err")"
[ "$elapsed_ms" -lt 1500 ] || fail "noticing the departure took $elapsed_ms ms"
test "$(front_state)" = 1 || fail "frontend state $(front_state) after the backend left"
cat "$T/gone.err"
echo "noticed the backend leaving in $elapsed_ms ms"

# 6. A new backend: the card connects again.
start_backend
wait_backend_ready 0
ctl play 0/0/0 "$T/short.wav" 2>"$T/again.err" || fail "play with the new backend: $(cat "$T/again.err")"
echo "PASS"
