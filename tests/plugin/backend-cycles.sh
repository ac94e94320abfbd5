#!/usr/bin/env bash
# BACKEND_CYCLES (5; tests/soak runs 20) backend SIGKILL + restart cycles
# in a row while one pw-play plays: after each, the same pw-play is heard
# again (gap measured; min/median/max printed), the node ids are the same,
# and after the last one pipewire, wireplumber and the hub hold exactly
# the fds and memfd (grant) mappings they held after the first.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"

cycles=${BACKEND_CYCLES:-5}
limit_ms=1000
_sanitized && limit_ms=3000

stack_init
_need sox pw-play
STATE=$T/backend-state
start_card_stack --state-file "$STATE"
wait_front_state 0 4
ids=$(node_ids)
gen_tone "$T/long.wav" $((cycles * 3 + 60))
pw-play --target xensnd_output.0.0.0 "$T/long.wav" &
play_pid=$!
_track "$play_pid" pw-play
stream=dom1-vsnd0-pcm0-stream0
wait_sound "$(wav_file "$stream" 1)" 10 || fail "pw-play was not heard"

# Only the guest's processes and the hub: each cycle has a new backend.
guest_counts() {
	counts | grep -v '^backend '
}

gaps=()
for ((c = 1; c <= cycles; c++)); do
	opens=$(wav_count "$stream")
	t0=$(now_ms)
	stop_backend KILL
	start_backend --state-file "$STATE"
	wait_new_sound "$stream" "$opens" 10 || fail "cycle $c: no sound after the restart"
	gaps+=($(($(now_ms) - t0)))
	_alive "$play_pid" || fail "cycle $c: pw-play died"
	wait_front_state 0 4 2
	[ "$(node_ids)" = "$ids" ] || fail "cycle $c: node ids changed"
	# Let the stream settle in its new buffer before the next kill.
	sleep 0.5
	[ "$c" = 1 ] && first=$(guest_counts)
done
last=$(guest_counts)
sorted=$(printf '%s\n' "${gaps[@]}" | sort -n)
median=$(sed -n "$(((cycles + 1) / 2))p" <<<"$sorted")
echo "backend-cycles: SIGKILL + restart -> audio again over $cycles cycles: min $(head -n 1 <<<"$sorted") ms, median $median ms, max $(tail -n 1 <<<"$sorted") ms"
echo "backend-cycles: after cycle 1:"
sed 's/^/  /' <<<"$first"
echo "backend-cycles: after cycle $cycles:"
snapshot | sed 's/^/  /'
[ "$first" = "$last" ] || fail "guest or hub resources changed over the cycles"
[ "$median" -le "$limit_ms" ] || fail "median gap $median ms over $limit_ms ms"
echo "PASS: $cycles backend SIGKILL/restart cycles, audio back after each, nothing leaked"
