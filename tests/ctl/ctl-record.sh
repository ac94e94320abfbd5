#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl record: N seconds from a capture stream, checked sample by
# sample against xensnd-backend's test signal (xensnd-backend(8)).
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, sample-rates=8000;48000, sample-formats=s16_le;s24_le;float_le' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=c' 'STREAM, unique-id=1, type=p'
start_backend
wait_backend_ready 0

# record FORMAT RATE CHANNELS SECONDS
record_and_check() {
	local format=$1 rate=$2 channels=$3 seconds=$4 file=$T/rec-$1-$2-$3.wav
	local start end
	start=$(date +%s.%N)
	ctl record 0/0/0 "$file" --seconds "$seconds" --format "$format" --rate "$rate" \
		--channels "$channels" --verbose 2>"$T/rec.err" || fail "record: $(cat "$T/rec.err")"
	end=$(date +%s.%N)
	grep 'of audio in' "$T/rec.err"
	read -r _ ch r _ _ frames < <(wavtool info "$file")
	test "$ch" = "$channels" && test "$r" = "$rate" || fail "$file: $ch ch $r Hz"
	want=$(python3 -c "print(round($seconds * $rate))")
	test "$frames" = "$want" || fail "$file: $frames frames, wanted $want"
	wavtool testsignal "$file" "$format"
	# Real time: recording N seconds takes about N seconds, not less.
	python3 -c "import sys; sys.exit(0 if $end - $start >= $seconds * 0.9 else 1)" ||
		fail "recorded $seconds s in $(python3 -c "print($end - $start)") s: not paced"
}

record_and_check s16_le 48000 2 1
record_and_check float_le 48000 1 0.5
record_and_check s24_le 8000 2 0.5

# Direction is checked before anything happens.
expect_exit 1 'is a playback stream; use `xensnd-ctl play`' record 0/0/1 "$T/x.wav" --seconds 1
expect_exit 2 '--seconds N is required' record 0/0/0 "$T/x.wav"
test ! -e "$T/x.wav" || fail "a failed record left a file"
echo "PASS"
