#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl's errors: each case gets its message and exit 1; usage
# errors exit 2; --help exits 0.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, sample-formats=s16_le;float_le' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
wavtool gen s16_le 48000 2 4800 "$T/s16.wav"
wavtool gen float_le 48000 2 4800 "$T/float.wav"
wavtool gen s32_le 48000 2 4800 "$T/s32.wav"
wavtool gen-packed24 48000 2 4800 "$T/packed24.wav"

# No backend: a bounded wait and what to do about it.
start=$(date +%s)
expect_exit 1 'card 0: backend domain 0 did not connect within 5 s .*is xensnd-backend running in domain 0\?' \
	play 0/0/0 "$T/s16.wav"
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -le 9 ] || fail "the no-backend wait took $elapsed s"
test "$(xs_read device/vsnd/0/state)" = 1 || fail "frontend state not restored after the timeout"

# A backend that cannot do float: its refusal, with its status.
start_backend --formats s16_le
wait_backend_ready 0
expect_exit 1 'backend refused HW_PARAM_QUERY float_le 48000 Hz 2 ch: status -[0-9]+' play 0/0/0 "$T/float.wav"
# Not configured for s32_le: refused before the backend is asked.
expect_exit 1 'not configured for s32_le \(its sample-formats: s16_le,float_le\)' play 0/0/0 "$T/s32.wav"
# Packed 24-bit WAV: no sndif twin.
expect_exit 1 'packed24.wav: PCM, 24-bit samples \(24 valid\) has no sndif twin' play 0/0/0 "$T/packed24.wav"
expect_exit 1 'not a WAV file' play 0/0/0 /etc/hostname
expect_exit 1 'No such file' play 0/0/0 "$T/missing.wav"

# Busy: another frontend holds the card (as the PipeWire plugin would).
xensim exec --dir "$SIM" --domid "$GUEST" -- xenstore-write device/vsnd/0/state 4
expect_exit 1 'card 0 is busy: another frontend holds it \(frontend state Connected' play 0/0/0 "$T/s16.wav"
test "$(xs_read device/vsnd/0/state)" = 4 || fail "a busy card was touched"
xensim exec --dir "$SIM" --domid "$GUEST" -- xenstore-write device/vsnd/0/state 1

# After all these failures the card still works.
wait_backend_ready 0
ctl play 0/0/0 "$T/s16.wav" 2>/dev/null || fail "play after the errors"

# Usage errors exit 2, help exits 0.
expect_exit 2 'unknown command' frobnicate
expect_exit 2 'unknown option --bogus' play 0/0/0 "$T/s16.wav" --bogus
expect_exit 2 'option --seconds is not for this command' play 0/0/0 "$T/s16.wav" --seconds 2
expect_exit 2 'missing arguments' play 0/0/0
expect_exit 2 'unknown sample format "s16"' record 0/0/0 "$T/r.wav" --seconds 1 --format s16
expect_exit 2 'option --rate needs a value' query 0/0/0 --rate
expect_exit 2 'Usage: xensnd-ctl' 
for cmd in list query play record volume mute unmute; do
	ctl "$cmd" --help | grep "^Usage: xensnd-ctl $cmd" >/dev/null || fail "$cmd --help"
done
ctl --help | grep '^Usage: xensnd-ctl COMMAND' >/dev/null || fail "--help"
echo "PASS"
