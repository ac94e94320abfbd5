#!/usr/bin/env bash
# Hotplug in a running guest, many times:
#  - vsnd-attach -> the card's sink is listed by pw-cli within 1 s
#    (latency measured every cycle; min/median/max printed);
#  - a pw-play playing to a card that is detached is moved by policy to
#    the next sink (card 0, which stays) and keeps running;
#  - HOTPLUG_CYCLES (50) attach/detach cycles leak nothing: after a warm-up
#    cycle, the fds and memfd (grant) mappings of pipewire, wireplumber and
#    the xensim hub, and the backend's fds and mapped pages, are exactly
#    what they were;
#  - audio is checked on the hotplugged card every HOTPLUG_AUDIO_EVERY
#    cycles (0: only after the last one; tests/soak sets 1).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"

cycles=${HOTPLUG_CYCLES:-50}
audio_every=${HOTPLUG_AUDIO_EVERY:-0}
limit_ms=1000
_sanitized && limit_ms=3000

stack_init
_need sox pw-play
STATE=$T/backend-state
set_suspend_timeout 1
start_sim
start_backend --state-file "$STATE"
start_session
attach_card "${CARD_ITEMS[@]}" >/dev/null
wait_card_nodes 0
wait_front_state 0 4
card0=$(node_ids)
gen_tone "$T/long.wav" 60
gen_tone "$T/short.wav" 1

HOT_ITEMS=('CARD, short-name=Hot' 'PCM, name=Line'
	   'STREAM, unique-id=7, type=p' 'STREAM, unique-id=8, type=c')

# attach_timed: attach the hot card, wait for its sink; sets dev, lat_ms.
attach_timed() {
	local t0 end
	t0=$(now_ms)
	dev=$(attach_card "${HOT_ITEMS[@]}")
	end=$((t0 + 10000))
	until _has_node "xensnd_output.$dev.0.0"; do
		[ "$(now_ms)" -lt "$end" ] || fail "xensnd_output.$dev.0.0 did not appear in 10 s"
		sleep 0.01
	done
	lat_ms=$(($(now_ms) - t0))
	wait_node "xensnd_input.$dev.0.1" 5
	wait_front_state "$dev" 4 5
}

detach_wait() {
	detach_card "$1"
	wait_no_node "xensnd_output.$1.0.0" 5
	wait_no_node "xensnd_input.$1.0.1" 5
	wait_no_device "xensnd_card.$1" 5
}

# --- a client on a detached card moves to the next sink
attach_timed
pw-play --target "xensnd_output.$dev.0.0" "$T/long.wav" &
play_pid=$!
_track "$play_pid" pw-play
wait_sound "$OUT/dom1-vsnd$dev-pcm0-stream0.wav" 10 || fail "pw-play on the hot card was not heard"
# The OPEN counts of card 0's playback streams before the move.
s0=$(wav_count dom1-vsnd0-pcm0-stream0)
s2=$(wav_count dom1-vsnd0-pcm1-stream0)
detach_wait "$dev"
_moved() {
	_new_sound dom1-vsnd0-pcm0-stream0 "$s0" || _new_sound dom1-vsnd0-pcm1-stream0 "$s2"
}
_wait_for 5 _moved || fail "pw-play was not moved to card 0 after its card was detached"
_alive "$play_pid" || fail "pw-play died when its card was detached"
echo "hotplug: pw-play moved to card 0 when its card was detached"
_stop_pid "$play_pid"
_untrack "$play_pid"

# audio_check DEV: a short pw-play on the hot card is heard.
audio_check() {
	local s=dom1-vsnd$1-pcm0-stream0 n
	n=$(wav_count "$s")
	pw-play --target "xensnd_output.$1.0.0" "$T/short.wav" ||
		fail "pw-play on card $1 failed"
	wait_new_sound "$s" "$n" 5 || fail "cycle $2: no sound from the hot card"
}

# --- warm-up, then the counted cycles
attach_timed
detach_wait "$dev"
wait_all_closed 10
sleep 0.5
before=$(counts)
lats=()
checks=0
for ((c = 1; c <= cycles; c++)); do
	attach_timed
	lats+=("$lat_ms")
	if { [ "$audio_every" -gt 0 ] && [ $((c % audio_every)) = 0 ]; } ||
	   [ "$c" = "$cycles" ]; then
		audio_check "$dev" "$c"
		checks=$((checks + 1))
	fi
	detach_wait "$dev"
done
wait_all_closed 10
sleep 0.5
after=$(counts)
sorted=$(printf '%s\n' "${lats[@]}" | sort -n)
min=$(head -n 1 <<<"$sorted")
max=$(tail -n 1 <<<"$sorted")
median=$(sed -n "$(((${#lats[@]} + 1) / 2))p" <<<"$sorted")
echo "hotplug: attach -> sink listed over $cycles cycles: min $min ms, median $median ms, max $max ms"
echo "hotplug: before $cycles cycles:"
sed 's/^/  /' <<<"$before"
echo "hotplug: after:"
snapshot | sed 's/^/  /'
[ "$before" = "$after" ] || fail "resources changed over $cycles attach/detach cycles"
[ "$(node_ids)" = "$card0" ] || fail "card 0's nodes changed"
[ "$median" -le "$limit_ms" ] || fail "median hotplug latency $median ms over $limit_ms ms"
echo "PASS: $cycles hotplug cycles, nothing leaked, audio heard $checks times"
