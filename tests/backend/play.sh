#!/bin/bash
# Playback is bit-exact in the WAV output: formats s16_le, s24_le, s32_le,
# float_le, float64_le, u8, a_law, mu_law and s16_be (byte-swapped to
# little-endian in the WAV); 1 to 8 channels; 8 kHz to 192 kHz; buffers of
# one page to more than one directory page (1025 pages). Every OPEN
# starts a new numbered file.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Play, sample-formats=s16_le;s24_le;s32_le;float_le;float64_le;u8;a_law;mu_law;s16_be, sample-rates=8000;44100;48000;96000;192000, channels-min=1, channels-max=8, buffer-size=8388608' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend

n=0
#    format     rate   ch frames buffer  period
while read -r fmt rate ch frames buffer period; do
	"$WAVTOOL" gen "$fmt" "$rate" "$ch" "$frames" "$DIR/in.wav"
	front 1 play 0 "$DIR/in.wav" --format "$fmt" --buffer "$buffer" --period "$period" \
		>"$DIR/play.out" || fail "$fmt $rate Hz $ch ch: play failed"
	if [ "$n" = 0 ]; then
		got=$OUT/dom1-vsnd0-pcm0-stream0.wav
	else
		got=$OUT/dom1-vsnd0-pcm0-stream0.$n.wav
	fi
	"$WAVTOOL" same "$fmt" "$DIR/in.wav" "$got" >/dev/null ||
		fail "$fmt $rate Hz $ch ch buffer $buffer: output is not what was sent"
	ok "$fmt $rate Hz ${ch}ch, buffer $buffer: bit-exact ($(grep cur_pos "$DIR/play.out"))"
	n=$((n + 1))
done <<'MATRIX'
s16_le     48000  2  4800   4096    1024
s24_le     96000  6  9600   98304   24576
s32_le     8000   1  1600   4096    2048
float_le   192000 8  38400  4198400 61440
float64_le 48000  2  4800   32768   8192
u8         44100  1  4410   4096    1024
a_law      8000   2  1600   4096    1024
mu_law     8000   1  1600   4096    512
s16_be     44100  2  4410   16384   4096
MATRIX
# A frontend that waits for each WRITE's answer, in quarter periods (as
# Linux's xen-snd-front writes what ALSA hands it). The backend reads a
# running stream's ring only at its clock's ticks while a period is
# queued; below that it must answer each WRITE at once, or such a writer
# gets one quarter period per tick and underruns.
"$WAVTOOL" gen s16_le 48000 2 48000 "$DIR/in.wav"
# Underruns before the file's end (192000 octets), where the queue runs
# dry before the STOP comes; from the log, as the card's state line goes
# with the card.
: >"$BACKEND_LOG"
front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 38400 --period 1920 --chunk 480 \
	>"$DIR/play.out" || fail "quarter-period WRITEs: play failed"
"$WAVTOOL" same s16_le "$DIR/in.wav" "$OUT/dom1-vsnd0-pcm0-stream0.$n.wav" >/dev/null ||
	fail "quarter-period WRITEs: output is not what was sent"
underruns=$(sed -n 's/.*underrun at position \([0-9]*\):.*/\1/p' "$BACKEND_LOG" |
	awk '$1 < 192000' | wc -l)
[ "$underruns" = 0 ] || fail "quarter-period WRITEs, each waited for: $underruns underruns"
ok "1 s in quarter-period WRITEs, each waited for: bit-exact, no underrun before the end ($(grep cur_pos "$DIR/play.out"))"
n=$((n + 1))

# Closed but still connected: only the ring and event pages stay mapped.
front_bg 1 "$DIR/hold.out" play 0 "$DIR/in.wav" --format s16_be --buffer 16384 --hold-ms 3000
wait_for "the stream is closed, the card still connected" 'grep -q "^played" "$DIR/hold.out"'
[ "$(backend_field mapped_pages)" = 2 ] || fail "after CLOSE: $(backend_field mapped_pages) pages mapped, not 2"
grep -q "^stream dom1-vsnd0-pcm0-stream0 type=p state=closed" "$STATE" || fail "stream not closed"
ok "CLOSE unmaps the buffer; the ring and event pages stay until the card closes"
