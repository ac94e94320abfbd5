#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl query: HW_PARAM_QUERY against a backend restricted to 48 kHz.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, sample-rates=44100;48000, sample-formats=s16_le;float_le' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend --rates 48000 --formats s16_le,float_le --period-frames 64:4096
wait_backend_ready 0

ctl query 0/0/0 >"$T/query.txt"
cat "$T/query.txt"
grep -q '^  rates:    48000\.\.48000 Hz$' "$T/query.txt" || fail "rates not narrowed to 48000"
grep -q '^  formats:  s16_le float_le$' "$T/query.txt" || fail "formats"
grep -q '^  channels: 1\.\.2$' "$T/query.txt" || fail "channels"
grep -q '^  period:   64\.\.4096 frames$' "$T/query.txt" || fail "period limits"

ctl query 0/0/0 --format float_le --channels 1 >"$T/query.txt"
grep -q '^  formats:  float_le$' "$T/query.txt" || fail "--format narrowing"
grep -q '^  channels: 1\.\.1$' "$T/query.txt" || fail "--channels narrowing"

# 44100 is configured but the backend's hardware cannot do it: its error status.
expect_exit 1 'backend refused HW_PARAM_QUERY: status -[0-9]+ \(E[A-Z]+\)' query 0/0/0 --rate 44100
# Outside the configuration: said before asking the backend.
expect_exit 1 'more than stream 0/0/0 is configured for' query 0/0/0 --rate 96000
# The card is left as found after every session.
test "$(xs_read device/vsnd/0/state)" = 1 || fail "frontend state not restored"
expect_exit 1 'card 0 has no PCM 3' query 0/3/0
expect_exit 2 'expected CARD/PCM/STREAM' query 0/0
echo "PASS"
