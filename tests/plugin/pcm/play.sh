#!/usr/bin/env bash
# pw-play into a xensnd sink arrives bit-exact in the backend's WAV, for
# s16_le, s24_le, float_le and s32_le (24-bit content: the graph is
# float32), at 44.1 and 48 kHz, mono and stereo. Each case is its own card
# configured with just that format, rate and channel count, and the graph
# is forced to that rate, so nothing resamples or converts lossily.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"
wavcmp=$1

cases=("s16_le 48000 2" "s16_le 44100 1" "s24_le 44100 2" "s24_le 48000 1"
       "float_le 48000 2" "float_le 44100 1" "s32_le 44100 2" "s32_le 48000 1")

stack_init
_need sox pw-play pw-metadata
STATE=$T/backend-state
start_sim
introduce_guest
for i in "${!cases[@]}"; do
	read -r fmt rate ch <<<"${cases[$i]}"
	attach_card "CARD, short-name=C$i, sample-formats=$fmt, sample-rates=$rate, channels-min=$ch, channels-max=$ch" \
		'PCM, name=Out' "STREAM, unique-id=$i, type=p" >/dev/null
done
start_backend --state-file "$STATE"
start_session
for i in "${!cases[@]}"; do
	wait_node "xensnd_output.$i.0.0" 15
done

_same() {
	"$wavcmp" "$1" "$2" >/dev/null 2>&1
}

# A fixed quantum: the leading silence (the node's buffering) is stable.
pw-metadata -n settings 0 clock.force-quantum 1024 >/dev/null
for i in "${!cases[@]}"; do
	read -r fmt rate ch <<<"${cases[$i]}"
	pw-metadata -n settings 0 clock.force-rate "$rate" >/dev/null
	gen_wav "$T/in$i.wav" "$fmt" "$rate" "$ch" $((24 * 1024))
	pw-play --target "xensnd_output.$i.0.0" "$T/in$i.wav" ||
		fail "pw-play $fmt $rate Hz $ch ch failed"
	# The backend appends to its WAV as its clock plays the queue; the
	# last frames land within the node's buffering after pw-play ends.
	out=$OUT/dom1-vsnd$i-pcm0-stream0.wav
	_wait_for 5 _same "$T/in$i.wav" "$out" ||
		{ "$wavcmp" "$T/in$i.wav" "$out" || true
		  fail "$fmt $rate Hz $ch ch: the backend's WAV is not what pw-play played"; }
	"$wavcmp" "$T/in$i.wav" "$out"
	echo "ok: $fmt $rate Hz $ch ch bit-exact"
done
echo "PASS: pw-play bit-exact for ${#cases[@]} format/rate/channel cases"
