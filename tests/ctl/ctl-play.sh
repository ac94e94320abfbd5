#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl play: a full frontend session per file, and the backend's
# output WAV bit-exact against what was played; one-page and multi-page
# buffers (the page directory), mono to 8 channels, 8 kHz to 192 kHz.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, sample-rates=8000;44100;48000;192000, sample-formats=u8;s16_le;s24_le;s32_le;float_le;float64_le, channels-max=8, buffer-size=8388608' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend
wait_backend_ready 0

n=0
# play FORMAT RATE CHANNELS FRAMES [ctl options...]
play_and_compare() {
	local format=$1 rate=$2 channels=$3 frames=$4
	shift 4
	local in=$T/in-$n.wav
	wavtool gen "$format" "$rate" "$channels" "$frames" "$in"
	ctl play 0/0/0 "$in" --verbose "$@" 2>"$T/play.err" ||
		fail "play $format $rate Hz $channels ch: $(cat "$T/play.err")"
	grep 'of audio in' "$T/play.err"	# the timing, for the report
	# Every OPEN of the stream is a new numbered file.
	local got
	got=$(ls -t "$OUT"/dom$GUEST-vsnd0-pcm0-stream0*.wav | head -n 1)
	wavtool same "$in" "$got" || fail "$format $rate Hz $channels ch: output differs"
	test "$(xs_read device/vsnd/0/state)" = 1 || fail "frontend not back to Initialising"
	n=$((n + 1))
}

play_and_compare s16_le 48000 2 24000				# 0.5 s, wraps the buffer
play_and_compare s16_le 44100 1 11025
play_and_compare s24_le 48000 2 12000
play_and_compare float_le 48000 1 12000
play_and_compare float_le 192000 8 19200			# 0.1 s, 8 channels
play_and_compare u8 8000 1 2000
play_and_compare s32_le 48000 2 4800
play_and_compare float64_le 48000 2 4800
# A buffer smaller than one page, with short periods.
play_and_compare s16_le 8000 1 4000 --buffer-frames 256 --period-frames 64
# A buffer of 1024 pages (4 MiB, as many as Linux gntalloc shares at once
# by default): 1023 references fill the first directory page, so the
# directory spans two pages.
play_and_compare s16_le 48000 2 9600 --buffer-frames 1048576 --period-frames 4800

# --progress: a progress line on stderr even when it is not a terminal.
ctl play 0/0/0 "$T/in-0.wav" --progress 2>"$T/progress.err"
grep -q 'play stream 0/0/0: 0\.5 / 0\.5 s' "$T/progress.err" || fail "progress: $(cat "$T/progress.err")"
n=$((n + 1))

ls "$OUT" | wc -l | grep -x "$n" >/dev/null || fail "expected $n output files: $(ls "$OUT")"
echo "PASS"
