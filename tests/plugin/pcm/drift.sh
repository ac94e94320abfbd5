#!/usr/bin/env bash
# The sink as graph driver follows a backend clock that drifts by +200 and
# then -200 ppm (xensnd-backend --clock-drift): no underrun in the backend
# while playing (printed only, in a sanitized build), and the DLL's
# rate_diff settles on the drift. Prints the
# settled rate_diff (XENSND_DRIFT_SECONDS, default 10 s per run: the DLL
# has settled by 6 s, its bandwidth halved twice).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"
secs=${XENSND_DRIFT_SECONDS:-10}

stack_init
_need sox pw-play
STATE=$T/backend-state
start_sim
introduce_guest
attach_card 'CARD, short-name=D, sample-formats=s16_le, sample-rates=48000' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
gen_wav "$T/tone.wav" s16_le 48000 2 "$(((secs + 2) * 48000))"

run() {	# run PPM
	local before after play line rate
	start_backend --state-file "$STATE" --clock-drift "$1"
	[ -n "${session_up:-}" ] || { start_session; session_up=1; }
	wait_node xensnd_output.0.0.0 15
	pw-play --target xensnd_output.0.0.0 "$T/tone.wav" &
	play=$!
	_track "$play" pw-play
	wait_stream_running dom1-vsnd0-pcm0-stream0
	before=$(stream_state dom1-vsnd0-pcm0-stream0 | sed -n 's/.* underruns=\([0-9]*\) .*/\1/p')
	sleep "$secs"
	after=$(stream_state dom1-vsnd0-pcm0-stream0 | sed -n 's/.* underruns=\([0-9]*\) .*/\1/p')
	wait "$play" || true
	_untrack "$play"
	# A sanitized stack stalls now and then for longer than any buffer
	# (85 ms once, under ASan's allocator): there underruns are printed,
	# as hostile-backend prints late WRITEs; the rate is still checked.
	if [ "$before" != "$after" ]; then
		msg="drift $1 ppm: backend underruns went from $before to $after while playing: $(stream_state dom1-vsnd0-pcm0-stream0)"
		_sanitized || fail "$msg"
		echo "note (sanitized build): $msg"
	fi
	line=$(grep -a 'rate_diff' "$WP_LOG" | tail -n 1 || true)
	rate=$(sed -n 's/.*rate_diff \([0-9.]*\).*/\1/p' <<<"$line")
	echo "drift $1 ppm: $((after - before)) underruns in ${secs} s, settled rate_diff ${rate:-unknown}"
	if [ -n "$rate" ]; then
		# corr < 1 slows our clock: a backend running fast needs corr > 1.
		awk -v r="$rate" -v p="$1" 'BEGIN { d = (r - 1) * 1e6; exit !(d * p > 0 && d / p > 0.5 && d / p < 1.5) }' ||
			fail "drift $1 ppm: rate_diff $rate is not within 50% of it"
	fi
	stop_backend
}
run 200
run -200
echo "PASS: the sink follows a backend clock drifting by +/-200 ppm"
