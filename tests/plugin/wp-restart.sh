#!/usr/bin/env bash
# A session manager that restarts finds the card in the state the last one
# left it (Connected): the new device starts the handshake over, and the
# nodes come back with the same names, connected again, also when the
# restart happens while a pw-play is playing to a Xen sink; a pw-play
# after the restart is heard. (The pw-play that was running is not
# checked: WirePlumber 0.4.13 tells a stream whose target is not back yet
# "no node available", or leaves it on a fallback sink, as it does for
# ALSA sinks; that is its policy, not the card's.)
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"
. "$here/recovery-lib.sh"

stack_init
_need sox pw-play
start_card_stack
wait_front_state 0 4

gen_tone "$T/long.wav" 60
gen_tone "$T/short.wav" 1
pw-play --target xensnd_output.0.0.0 "$T/long.wav" &
play_pid=$!
_track "$play_pid" pw-play
stream=dom1-vsnd0-pcm0-stream0
wait_sound "$(wav_file "$stream" 1)" 10 || fail "pw-play was not heard"

restart_wireplumber
wait_card_nodes 0
wait_front_state 0 4
[ "$(node_names | grep '^xensnd_' | sort)" = "$(card_nodes 0)" ] ||
	fail "different nodes after the restart: $(node_names | tr '\n' ' ')"
_stop_pid "$play_pid"
_untrack "$play_pid"
opens=$(wav_count "$stream")
pw-play --target xensnd_output.0.0.0 "$T/short.wav" || fail "pw-play after the restart failed"
wait_new_sound "$stream" "$opens" 5 || fail "pw-play after the restart was not heard"
echo "PASS: wireplumber restart reconnects the card with the same node names"
