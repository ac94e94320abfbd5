#!/bin/bash
# Two guests and three cards at once (dom1 vsnd0 + vsnd1, dom2 vsnd0),
# each playing its own file at its own rate: every output is bit-exact.
# Also the device clock: with --clock-drift 20000 the CUR_POS events run
# 2 % fast, measured by the frontend; the timing figures are printed.
source "$(dirname "$0")/lib.sh"
start_hub
for spec in "1 A 44100" "1 B 48000" "2 C 96000"; do
	read -r dom name rate <<<"$spec"
	attach "$dom" "CARD, short-name=$name, sample-formats=s16_le;s32_le, sample-rates=$rate, channels-min=1, channels-max=4" \
		'PCM, name=Main' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=c'
done
start_backend

"$WAVTOOL" gen s16_le 44100 2 22050 "$DIR/a.wav"
"$WAVTOOL" gen s32_le 48000 4 24000 "$DIR/b.wav"
"$WAVTOOL" gen s16_le 96000 1 48000 "$DIR/c.wav"
front_bg 1 "$DIR/a.out" --dev 0 play 0 "$DIR/a.wav" --format s16_le --buffer 16384
A=$FRONT_PID
front_bg 1 "$DIR/b.out" --dev 1 play 0 "$DIR/b.wav" --format s32_le --buffer 32768
B=$FRONT_PID
front_bg 2 "$DIR/c.out" --dev 0 play 0 "$DIR/c.wav" --format s16_le --buffer 8192
C=$FRONT_PID
wait "$A" || fail "dom1 vsnd0 failed"
wait "$B" || fail "dom1 vsnd1 failed"
wait "$C" || fail "dom2 vsnd0 failed"
"$WAVTOOL" same s16_le "$DIR/a.wav" "$OUT/dom1-vsnd0-pcm0-stream0.wav" >/dev/null || fail "dom1 vsnd0 output"
"$WAVTOOL" same s32_le "$DIR/b.wav" "$OUT/dom1-vsnd1-pcm0-stream0.wav" >/dev/null || fail "dom1 vsnd1 output"
"$WAVTOOL" same s16_le "$DIR/c.wav" "$OUT/dom2-vsnd0-pcm0-stream0.wav" >/dev/null || fail "dom2 vsnd0 output"
ok "three cards of two guests played at once, all bit-exact"
for x in a b c; do echo "timing $x: $(grep cur_pos "$DIR/$x.out")"; done

# The device clock with a 2 % drift, over 1.5 s.
stop_backend
start_backend --clock-drift 20000
"$WAVTOOL" gen s16_le 48000 2 72000 "$DIR/d.wav"
front 1 --dev 1 play 0 "$DIR/d.wav" --format s16_le --buffer 19200 --period 4800 >"$DIR/d.out" ||
	fail "play with drift"
echo "timing with --clock-drift 20000: $(grep cur_pos "$DIR/d.out")"
ppm=$(sed -n 's/.*drift_ppm=\(-\?[0-9]*\).*/\1/p' "$DIR/d.out")
[ "$ppm" -gt 15000 ] && [ "$ppm" -lt 25000 ] || fail "measured drift $ppm ppm, wanted about 20000"
ok "CUR_POS follows a device clock 2 % fast (measured $ppm ppm)"
