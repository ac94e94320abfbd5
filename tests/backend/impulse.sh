#!/bin/bash
# --impulse-log: one line for each sound after an OPEN or after 100 ms of
# silence, with its frame in the OPEN and the time the device clock plays
# it; not for a sound that follows less than 100 ms of silence.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 not found (makes the test WAV)"
start_hub
attach 1 'CARD, short-name=Imp, sample-formats=s16_le, sample-rates=48000' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend --impulse-log "$DIR/impulses.log"

# 48 kHz stereo s16: impulses at frames 4800 and 19200 (after 300 ms of
# silence), and at 19200 + 2400 (only 50 ms after the second: not logged).
python3 - "$DIR/in.wav" <<'PY'
import struct, sys, wave
frames = bytearray(4 * 28800)
for f in (4800, 19200, 21600):
    frames[4 * f:4 * f + 4] = struct.pack('<hh', 16000, 16000)
with wave.open(sys.argv[1], 'wb') as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(48000)
    w.writeframes(bytes(frames))
PY
front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 16384 --period 4096 \
	>"$DIR/play.out" || fail "play failed"
log=$(cat "$DIR/impulses.log")
[ "$(wc -l <<<"$log")" = 2 ] || fail "expected 2 impulse lines, got: $log"
frames=$(sed 's/.* frame=\([0-9]*\) .*/\1/' <<<"$log" | tr '\n' ' ')
[ "$frames" = "4800 19200 " ] || fail "impulse frames are $frames, not 4800 19200: $log"
grep -q '^impulse dom1-vsnd0-pcm0-stream0 open=1 ' <<<"$log" || fail "lines name the stream: $log"
times=($(sed 's/.*time_ns=//' <<<"$log"))
gap=$(( times[1] - times[0] ))
# 14400 frames at 48 kHz is 300 ms on the device clock; an underrun in
# between could only make it longer.
[ "$gap" -ge 299000000 ] && [ "$gap" -le 400000000 ] ||
	fail "the device clock played them $gap ns apart, not about 300 ms"
ok "impulses at frames $frames logged, $gap ns apart on the device clock"
