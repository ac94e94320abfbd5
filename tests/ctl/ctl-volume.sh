#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl volume / mute / unmute reach the backend: the backend reads
# them back (GET_VOLUME) and logs every change.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main' 'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend
wait_backend_ready 0

ctl volume 0/0/0 -6 >"$T/vol.txt"
grep -qx 'stream 0/0/0 volume: -6.000 dB, -6.000 dB' "$T/vol.txt" || fail "volume: $(cat "$T/vol.txt")"
grep -q 'volume -6.000,-6.000 dB' "$T/backend.log" || fail "backend did not log the volume"

ctl volume 0/0/0 -3.5,-12.25 >"$T/vol.txt"
grep -qx 'stream 0/0/0 volume: -3.500 dB, -12.250 dB' "$T/vol.txt" || fail "per-channel: $(cat "$T/vol.txt")"
grep -q 'volume -3.500,-12.250 dB' "$T/backend.log" || fail "backend did not log per-channel volume"

ctl volume 0/0/0 -10 --channels 1 >"$T/vol.txt"
grep -qx 'stream 0/0/0 volume: -10.000 dB' "$T/vol.txt" || fail "mono: $(cat "$T/vol.txt")"

ctl mute 0/0/0 | grep -x 'stream 0/0/0 muted' >/dev/null || fail "mute output"
grep -Eq 'volume -?[0-9.]+\(muted\),-?[0-9.]+\(muted\) dB' "$T/backend.log" || fail "backend did not log the mute"
ctl unmute 0/0/0 | grep -x 'stream 0/0/0 unmuted' >/dev/null || fail "unmute output"

expect_exit 2 'volume "loud"' volume 0/0/0 loud
expect_exit 2 'must be -200 dB to \+60 dB' volume 0/0/0 -300
expect_exit 1 '3 volumes for 2 channels' volume 0/0/0 -1,-2,-3 --channels 2
expect_exit 1 'not configured for 3 channels \(it takes 1\.\.2\)' volume 0/0/0 -1,-2,-3
test "$(xs_read device/vsnd/0/state)" = 1 || fail "frontend state not restored"
echo "PASS"
