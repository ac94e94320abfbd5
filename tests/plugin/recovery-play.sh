#!/usr/bin/env bash
# sndif recovery while playing: a pw-play runs into a Xen sink; its
# backend is killed (SIGKILL) and started again, then stopped cleanly
# (SIGTERM) and started again. Each time the card goes through the
# recovery flow, keeps its node ids and names, and the same pw-play is
# heard again: the new backend opens a new WAV file for the new OPEN, and
# the gap is the time from the kill to that file's first non-silent byte.
# The limit is 1 s (3 s under a sanitizer, whose daemons are slower).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"

stack_init
_need sox pw-play
STATE=$T/backend-state
limit_ms=1000
_sanitized && limit_ms=3000
start_card_stack --state-file "$STATE"
wait_front_state 0 4
before=$(node_ids)

gen_tone "$T/long.wav" 60
pw-play --target xensnd_output.0.0.0 "$T/long.wav" &
play_pid=$!
_track "$play_pid" pw-play
stream=dom1-vsnd0-pcm0-stream0
wait_sound "$(wav_file "$stream" 1)" 10 || fail "the first pw-play was not heard"

gaps=()
for sig in KILL TERM; do
	n=$(wav_count "$stream")
	t0=$(now_ms)
	stop_backend "$sig"
	start_backend --state-file "$STATE"
	next=$(wav_file "$stream" $((n + 1)))
	wait_sound "$next" 10 ||
		fail "SIG$sig: no sound in $next 10 s after the restart"
	gap=$(($(now_ms) - t0))
	gaps+=("$sig=${gap}ms")
	echo "recovery: SIG$sig + restart: audio again after $gap ms"
	_alive "$play_pid" || fail "SIG$sig: pw-play died"
	wait_front_state 0 4 2
	[ "$(node_ids)" = "$before" ] || fail "SIG$sig: nodes changed:
$before
---
$(node_ids)"
	wav_grows "$next" 0.3 || fail "SIG$sig: the new WAV stopped growing"
	[ "$gap" -le "$limit_ms" ] ||
		fail "SIG$sig: audio came back after $gap ms (limit $limit_ms ms)"
done
grep -q "waiting for it to come back" "$WP_LOG" ||
	fail "the device did not log the recovery"
echo "PASS: pw-play continues after backend restarts (${gaps[*]})"
