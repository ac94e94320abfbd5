#!/usr/bin/env bash
# A backend that never comes back: two cards, card 0 served by a backend
# in dom0 and card 1 by another backend in domain 2 (`backend=2` in the
# vsnd-attach item), pw-play on both. The dom0 backend is killed (SIGKILL,
# and in a second round stopped cleanly with SIGTERM) and stays away for
# 3 s: card 0's sink reports it (node error, or the card waiting in
# Initialising), pipewire and wireplumber stay up, and card 1 keeps
# playing without an underrun. The backend then comes back and card 0
# plays again.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"

stack_init
_need sox pw-play
STATE=$T/backend-state
STATE2=$T/backend2-state
OUT2=$T/out2
mkdir -p "$OUT2"
start_sim
xensim exec --dir "$SIM" --domid 2 -- true || fail "cannot create domain 2"
attach_card "${CARD_ITEMS[@]}" >/dev/null
attach_card 'CARD, short-name=Other, backend=2' 'PCM, name=Out' \
	'STREAM, unique-id=5, type=p' >/dev/null
start_backend --state-file "$STATE"
xensim exec --dir "$SIM" --domid 2 -- xensnd-backend --output-dir "$OUT2" \
	--state-file "$STATE2" >>"$T/backend2.log" 2>&1 &
_track $! "xensnd-backend(dom2)"
start_session
wait_node xensnd_output.0.0.0
wait_node xensnd_output.1.0.0
wait_front_state 0 4
wait_front_state 1 4
info=$(node_info xensnd_output.1.0.0)
grep -qF 'api.xensnd.backend-domid = "2"' <<<"$info" ||
	fail "card 1's node does not name backend domain 2"
before=$(node_ids)

gen_tone "$T/long.wav" 60
for d in 0 1; do
	pw-play --target "xensnd_output.$d.0.0" "$T/long.wav" &
	_track $! "pw-play($d)"
done
stream0=dom1-vsnd0-pcm0-stream0
healthy=$OUT2/dom1-vsnd1-pcm0-stream0.wav
wait_sound "$(wav_file "$stream0" 1)" 10 || fail "card 0 was not heard"
wait_sound "$healthy" 10 || fail "card 1 was not heard"

# The healthy stream's underruns, from the dom2 backend's state file.
healthy_underruns() {
	sed -n 's/^stream dom1-vsnd1-pcm0-stream0 .* underruns=\([0-9]*\) .*/\1/p' "$STATE2"
}
# The sink's state as pipewire shows it (running, idle, suspended, error).
node_state() {
	local states
	states=$(node_info xensnd_output.0.0.0 | sed -n 's/^.*state: "\([a-z]*\)".*/\1/p')
	echo "${states%%$'\n'*}"
}

sleep 0.5
for sig in KILL TERM; do
	u0=$(healthy_underruns)
	s0=$(stat -c %s "$healthy")
	stop_backend "$sig"
	sleep 3
	s1=$(stat -c %s "$healthy")
	u1=$(healthy_underruns)
	st=$(node_state)
	fs=$(front_state 0)
	echo "gone: SIG$sig, 3 s later: card 0 sink state '$st', card 0 xenbus state $fs; card 1 wrote $((s1 - s0)) bytes, underruns $u0 -> $u1"
	_alive "$WP_PID" || fail "SIG$sig: wireplumber died"
	pw-cli info 0 >/dev/null || fail "SIG$sig: pipewire stopped answering"
	# 3 s of 48 kHz stereo s16 is 576000 bytes; the clocks may differ a bit.
	[ $((s1 - s0)) -ge 500000 ] ||
		fail "SIG$sig: card 1 wrote only $((s1 - s0)) bytes in 3 s"
	[ "$u1" = "$u0" ] || fail "SIG$sig: card 1 underran ($u0 -> $u1)"
	[ "$st" = error ] || [ "$fs" = 1 ] ||
		fail "SIG$sig: card 0 shows nothing wrong (sink '$st', xenbus $fs)"
	[ "$(node_ids)" = "$before" ] || fail "SIG$sig: nodes changed"

	# It comes back after all: card 0 plays again.
	n=$(wav_count "$stream0")
	start_backend --state-file "$STATE"
	wait_front_state 0 4 5
	t0=$(now_ms)
	wait_new_sound "$stream0" "$n" 10 ||
		fail "SIG$sig: card 0 not heard after its backend came back"
	echo "gone: SIG$sig: card 0 heard again $(($(now_ms) - t0)) ms after its backend came back (OPENs: $n -> $(wav_count "$stream0"))"
	sleep 0.5
	u2=$(healthy_underruns)
	echo "gone: card 1 underruns $u1 -> $u2 while card 0 reconnected"
done
echo "PASS: a backend that stays away affects only its own card"
