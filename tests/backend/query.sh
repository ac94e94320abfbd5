#!/bin/bash
# HW_PARAM_QUERY answers the intersection of the XenStore configuration
# and a restricted backend (--formats/--rates/--channels/--period-frames/
# --buffer-frames); an empty intersection is refused; OPEN outside it too.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Q, sample-formats=s16_le;s32_le;float_le, sample-rates=8000;44100;48000;96000, channels-min=1, channels-max=6, buffer-size=65536' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend --formats s16_le,float_le,u8 --rates 44100,48000,192000 --channels 2:4 \
	--period-frames 64:1024 --buffer-frames 128:4096

got=$(front 1 query 0)
# s16_le (bit 2) | float_le (bit 14); rates 44100..48000; channels 2..4;
# buffer 128..4096 frames (65536 / 4 octets of s16 stereo is 16384, the
# backend caps it); period 64..1024.
want="formats=0x4004 rates=44100:48000 channels=2:4 buffer=128:4096 period=64:1024"
[ "$got" = "$want" ] || fail "query: got '$got', want '$want'"
ok "query narrows to the intersection: $got"

got=$(front 1 query 0 --format s16_le --rate 48000 --channels 3)
[ "$got" = "formats=0x4 rates=48000:48000 channels=3:3 buffer=128:4096 period=64:1024" ] ||
	fail "narrowed query: $got"
ok "a narrowed query: $got"

# Empty intersections: s32_le is configured but not played; 96000 and 8000
# are configured but not played; 6 channels too many for the backend.
for args in "--format s32_le" "--rate 96000" "--rate 8000" "--channels 6"; do
	# shellcheck disable=SC2086
	got=$(front 1 query 0 $args || true)
	[ "$got" = "query: status -22" ] || fail "query $args: '$got', not -22"
done
ok "empty intersections are refused with -EINVAL"
grep -q "dom1 vsnd0 pcm0 stream0: HW_PARAM_QUERY (id [0-9]*) refused with -22: formats" "$BACKEND_LOG" ||
	fail "no log line naming the stream and the reason"
ok "each refusal is one log line naming guest, card, stream and why"

# OPEN outside the limits: 96 kHz is configured but not played.
"$WAVTOOL" gen s16_le 96000 2 960 "$DIR/in.wav"
if front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 4096 --period 1024 2>"$DIR/err"; then
	fail "OPEN at 96 kHz was accepted"
fi
grep -q "OPEN: status -22" "$DIR/err" || fail "OPEN refusal: $(cat "$DIR/err")"
ok "OPEN outside the backend's rates is refused"
"$WAVTOOL" gen s16_le 48000 2 960 "$DIR/in.wav"
front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 4096 --period 1024 >/dev/null ||
	fail "a good OPEN after the refusals"
ok "the stream goes on"
