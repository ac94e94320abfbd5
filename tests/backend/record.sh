#!/bin/bash
# Capture: READ returns the test signal, every sample as the man page's
# formula gives it, in several formats, rates and channel counts; and
# --input FILE.wav is looped into capture, which then offers only the
# file's format.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Rec, sample-formats=s16_le;s24_le;s32_le;float_le;u8;mu_law, sample-rates=8000;44100;48000;96000, channels-min=1, channels-max=8, buffer-size=1048576' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=c'
start_backend

# Buffers of a third of a second or more: the test frontend reads as
# CUR_POS arrives, and on a loaded machine it may be descheduled for a
# tenth of a second; a smaller buffer overruns (and the backend drops
# frames) without anything being wrong.
#    format    rate  ch frames buffer period
while read -r fmt rate ch frames buffer period; do
	front 1 record 0 "$DIR/rec.wav" --format "$fmt" --rate "$rate" --channels "$ch" \
		--frames "$frames" --buffer "$buffer" --period "$period" >"$DIR/rec.out" ||
		fail "$fmt $rate Hz ${ch}ch: record failed"
	"$WAVTOOL" signal "$fmt" "$DIR/rec.wav" >/dev/null ||
		fail "$fmt $rate Hz ${ch}ch: not the test signal"
	ok "$fmt $rate Hz ${ch}ch: $frames frames are the test signal ($(grep cur_pos "$DIR/rec.out"))"
done <<'MATRIX'
s16_le   48000 2 4800 65536   1024
s24_le   96000 8 9600 1048576 16384
float_le 44100 1 4410 65536   2048
s32_le   8000  3 800  12288   3072
u8       8000  1 800  4096    512
mu_law   8000  2 800  4096    512
MATRIX
! grep -q "overrun" "$BACKEND_LOG" || fail "overruns while reading in time"
ok "no overruns"

# --input FILE.wav: capture offers the file's format only, and loops it.
stop_backend
"$WAVTOOL" gen s24_le 44100 2 1000 "$DIR/loop.wav"
start_backend --input "$DIR/loop.wav"
got=$(front 1 query 0)
[ "$got" = "formats=0x40 rates=44100:44100 channels=2:2 buffer=16:131072 period=16:131072" ] ||
	fail "capture with --input offers '$got'"
ok "with --input, capture offers the file's format only: $got"
front 1 record 0 "$DIR/rec.wav" --format s24_le --rate 44100 --channels 2 --frames 2500 \
	--buffer 8000 --period 2000 >/dev/null || fail "record from --input"
"$WAVTOOL" looped "$DIR/loop.wav" "$DIR/rec.wav" || fail "the recording is not the file looped"
ok "--input FILE.wav is looped into capture, bit-exact"
