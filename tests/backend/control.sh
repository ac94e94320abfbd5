#!/bin/bash
# Pause/resume (the position holds while paused, the output stays
# bit-exact), stop/start within one OPEN (the output is the file twice),
# and volume/mute: set, read back, visible in the backend's state file,
# kept per stream.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Ctl, sample-formats=s16_le, sample-rates=48000, channels-min=1, channels-max=2' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=p'
start_backend

"$WAVTOOL" gen s16_le 48000 2 9600 "$DIR/in.wav"
front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 8192 --period 2048 \
	--pause-at 16384 --pause-ms 300 >"$DIR/pause.out" || fail "play with pause"
grep -q "pause held position" "$DIR/pause.out" || fail "no pause happened"
"$WAVTOOL" same s16_le "$DIR/in.wav" "$OUT/dom1-vsnd0-pcm0-stream0.wav" >/dev/null ||
	fail "pause/resume: output not bit-exact"
ok "pause holds the position for 300 ms; resume plays on bit-exact"

front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 8192 --period 2048 --repeat 2 \
	>/dev/null || fail "play, stop, start, play"
"$WAVTOOL" same s16_le "$DIR/in.wav" "$OUT/dom1-vsnd0-pcm0-stream0.1.wav" 2 >/dev/null ||
	fail "stop/start: output is not the file twice"
ok "stop then start in one OPEN: the output is the file twice, in one new file"

front_bg 1 "$DIR/vol.out" volume 1 --format s16_le --rate 48000 --channels 2 \
	--set -6000,-12500 --mute 1,0 --hold-ms 1500
FRONT=$FRONT_PID
wait_for "the backend reports the volume" 'test "$(stream_field dom1-vsnd0-pcm0-stream1 volume)" = "-6000,-12500"'
wait_for "the backend reports the mute" 'test "$(stream_field dom1-vsnd0-pcm0-stream1 mute)" = "1,0"'
ok "volume -6 dB / -12.5 dB and mute 1,0 reached the backend"
wait "$FRONT" || fail "volume round trip failed: $(cat "$DIR/vol.out")"
grep -q "volume set and read back" "$DIR/vol.out" || fail "GET_VOLUME did not return what was set"
ok "GET_VOLUME returns what SET_VOLUME set"
grep -q "dom1 vsnd0 pcm0 stream1: volume -6.000(muted),-12.500 dB" "$BACKEND_LOG" ||
	fail "the log does not show the volume"
[ "$(grep "dom1 vsnd0 pcm0 stream1: volume" "$BACKEND_LOG" | tail -n 1 | sed 's/.*: volume //')" = "-6.000,-12.500 dB" ] ||
	fail "UNMUTE did not unmute"
ok "MUTE and UNMUTE logged"
"$WAVTOOL" same s16_le "$DIR/in.wav" "$OUT/dom1-vsnd0-pcm0-stream0.wav" >/dev/null ||
	fail "the earlier output changed"
