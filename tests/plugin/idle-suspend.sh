#!/usr/bin/env bash
# Idle suspend: with session.suspend-timeout-seconds = 1 (a monitor rule),
# a sink whose pw-play ended suspends: the backend sees CLOSE (its state
# file shows the stream closed and its mapped pages back to the idle
# count), and the guest's grants are revoked (the buffer's memfd pages
# are gone from wireplumber, where the node lives, and from the hub). The
# next pw-play reopens and is bit-exact from its first sample: no click,
# nothing of the previous stream or of stale buffer contents at its start.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"
. "$here/pcm/common-pcm.sh"
wavcmp=$1

stack_init
_need sox pw-play pw-metadata
STATE=$T/backend-state
set_suspend_timeout 1
start_sim
introduce_guest
attach_card 'CARD, short-name=Idle, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node xensnd_output.0.0.0
wait_front_state 0 4
pw-metadata -n settings 0 clock.force-quantum 1024 >/dev/null
pw-metadata -n settings 0 clock.force-rate 48000 >/dev/null
stream=dom1-vsnd0-pcm0-stream0
hub=$(tracked_pid xensim)
_wait_for 5 _all_closed || fail "the stream is open before anything played"
sleep 0.5
idle_pages=$(backend_stat mapped_pages)
idle_wp=$(memfd_maps "$WP_PID")
idle_hub=$(memfd_fds "$hub")
echo "idle: mapped_pages=$idle_pages wireplumber memfd_maps=$idle_wp hub memfds=$idle_hub"

_same_pages() {
	[ "$(backend_stat mapped_pages)" = "$idle_pages" ]
}
_grants_back() {
	[ "$(memfd_maps "$WP_PID")" = "$idle_wp" ] && [ "$(memfd_fds "$hub")" = "$idle_hub" ]
}

# Two different files: stale data of the first would show in the second.
gen_wav "$T/a.wav" s16_le 48000 2 $((48000 * 1))
sox -D "$T/a.wav" "$T/b.wav" vol -0.7
for round in 1 2; do
	in=$T/a.wav
	[ "$round" = 2 ] && in=$T/b.wav
	n=$(wav_count "$stream")
	pw-play --target xensnd_output.0.0.0 "$in" || fail "pw-play $round failed"
	out=$(wav_file "$stream" $((n + 1)))
	[ -e "$out" ] || fail "round $round: no new WAV (no new OPEN): $(ls "$OUT")"
	play_pages=$(backend_stat mapped_pages)
	t0=$(now_ms)
	wait_stream_closed "$stream" 10
	closed_ms=$(($(now_ms) - t0))
	echo "round $round: closed $closed_ms ms after pw-play ended (mapped_pages $play_pages while open)"
	# WirePlumber's default is 5 s: sooner shows the rule took effect.
	[ "$closed_ms" -lt 4000 ] ||
		fail "round $round: suspended after $closed_ms ms; the 1 s rule did not apply"
	[ "$play_pages" -gt "$idle_pages" ] ||
		fail "round $round: mapped_pages $play_pages while open, idle $idle_pages: the buffer was never mapped?"
	_wait_for 3 _same_pages || true
	[ "$(backend_stat mapped_pages)" = "$idle_pages" ] ||
		fail "round $round: backend mapped_pages $(backend_stat mapped_pages), idle $idle_pages"
	_wait_for 3 _grants_back ||
		fail "round $round: grants not revoked: wireplumber memfd_maps $(memfd_maps "$WP_PID") (idle $idle_wp), hub memfds $(memfd_fds "$hub") (idle $idle_hub)"
	"$wavcmp" "$in" "$out" || fail "round $round: $out is not $in from its first sample"
	echo "round $round: bit-exact from the first sample; grants revoked on suspend"
done
grep -q "opens=2 " "$STATE" || fail "expected 2 OPENs: $(stream_state "$stream")"
echo "PASS: idle suspend closes at the backend, revokes grants, reopens clean"
