#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl record survives a scheduling hiccup: stopped (SIGSTOP) for
# longer than its buffer, it finds the backend overran and dropped the
# oldest frames (xensnd-backend(8), "Time and CUR_POS"). It must not
# abort on the READ the backend refuses with EAGAIN; the file keeps its
# length, the lost frames are silence, the test signal goes on after the
# gap, and the tool says frames were lost.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, sample-rates=48000, sample-formats=s16_le' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=c'
start_backend
wait_backend_ready 0

rate=48000 seconds=2.5 file=$T/rec.wav
# 4 periods of 10 ms: a 40 ms buffer that a 600 ms stop overruns 15 times.
ctl_bg record 0/0/0 "$file" --seconds "$seconds" --format s16_le --rate "$rate" \
	--channels 2 --period-frames 480 --buffer-frames 1920 --verbose \
	2>"$T/rec.err"
recorder=$!
# Stop it once it is recording, long enough to overrun the buffer many times.
wait_for grep -q 'state=running' "$T/backend.state"
sleep 0.5
kill -STOP "$recorder"
sleep 0.6
kill -CONT "$recorder"
status=0
wait "$recorder" || status=$?
cat "$T/rec.err"
[ "$status" -eq 0 ] || fail "record exited $status after SIGSTOP/SIGCONT"
grep -q 'overrun at frame' "$T/backend.log" || fail "the backend did not overrun: the test did not test"
grep -Eq 'overrun|dropped frames' "$T/rec.err" || fail "the recorder did not say frames were lost"
lost=$(sed -n 's/.* \([0-9]*\) octets lost.*/\1/p' "$T/rec.err")
[ "${lost:-0}" -gt 0 ] || fail "no lost octets accounted"

read -r _ _ _ _ _ frames < <(wavtool info "$file")
want=$(python3 -c "print(round($seconds * $rate))")
[ "$frames" = "$want" ] || fail "$file: $frames frames, wanted $want"
read -r silent shifted < <(wavtool gaps "$file" s16_le | tr '=' ' ' | awk '{print $2, $4}')
echo "silent=$silent shifted=$shifted lost_frames=$((lost / 4))"
# The 600 ms stop lost about 560 ms (the 40 ms buffer survives): at least
# that much silence; more only if the loaded machine kept the tool from
# running longer, never past the end of the stop by a second.
[ "$silent" -ge $((rate * 4 / 10)) ] || fail "only $silent frames of silence for a 600 ms stop"
[ "$silent" -le $((rate * 16 / 10)) ] || fail "$silent frames of silence for a 600 ms stop"
[ "$silent" -le $((lost / 4)) ] || fail "$silent frames of silence, more than the $((lost / 4)) lost"
# The signal after the gap stays in its place: the silence the recorder
# put in is what the backend dropped (xensnd-backend(8): it drops counted
# from the reported position), bar a few periods of resynchronising.
[ "$shifted" -le $((480 * 10)) ] || fail "$shifted frames of test signal off their place"
echo "PASS"
