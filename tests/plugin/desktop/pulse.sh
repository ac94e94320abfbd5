#!/usr/bin/env bash
# The Xen card as a PulseAudio client sees it (pipewire-pulse): the card
# with its long name and profiles, sinks and sources with descriptions;
# pactl set-sink-volume / set-sink-mute reach the backend; set-card-profile
# switches the card's nodes.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
_need sox pw-play pactl pipewire-pulse
STATE=$T/backend-state
STREAM=dom1-vsnd0-pcm0-stream0
start_sim
introduce_guest
attach_card "${DESKTOP_CARD[@]}" >/dev/null
start_backend --state-file "$STATE"
start_session
start_pulse
wait_node xensnd_output.0.0.0 15
wait_device xensnd_card.0

# The card appears before its profiles: pipewire-pulse lists it as soon as
# it has the device's info, and fills the profiles when the EnumProfile
# enumeration comes back ("profiles inconsistent (0 < 2)" meanwhile).
_card_listed() {
	pactl list cards 2>/dev/null | grep -F "Name: xensnd_card.0" >/dev/null
}
_card_has_profiles() {
	pactl list cards 2>/dev/null | grep -F "Active Profile: " >/dev/null
}
_wait_for 5 _card_listed || fail "pactl list cards has no xensnd_card.0"
_wait_for 5 _card_has_profiles ||
	fail "pactl list cards shows xensnd_card.0 without profiles: $(pactl list cards 2>&1)"
cards=$(pactl list cards)
grep -qF 'device.description = "Xen Test Card"' <<<"$cards" ||
	fail "the card's long-name is not its description:
$cards"
for p in off on output input; do
	grep -qE "^[[:space:]]+$p: " <<<"$cards" || fail "no profile $p in:
$cards"
done
# The active one can come a moment after the list (a separate Profile
# param): wait for it as for the profiles.
_profile_on() {
	pactl list cards 2>/dev/null | grep -F "Active Profile: on" >/dev/null
}
_wait_for 5 _profile_on ||
	fail "active profile is not \"on\": $(pactl list cards 2>&1 | grep 'Active Profile')"

sinks=$(pactl list sinks)
for want in "Name: xensnd_output.0.0.0" "Description: Xen Test Card Speakers" \
	    "Name: xensnd_output.0.1.0" "Description: Xen Test Card Headset"; do
	grep -qF "$want" <<<"$sinks" || fail "pactl list sinks: no \"$want\""
done
sources=$(pactl list sources)
for want in "Name: xensnd_input.0.0.1" "Description: Xen Test Card Speakers"; do
	grep -qF "$want" <<<"$sources" || fail "pactl list sources: no \"$want\""
done

# Volume goes to the backend while the stream is open.
gen_wav "$T/tone.wav" s16_le 48000 2 $((5 * 48000))
pw-play --target xensnd_output.0.0.0 "$T/tone.wav" &
play=$!
_track "$play" pw-play
wait_stream_running "$STREAM"
_has_volume() {
	[[ $(stream_state "$STREAM") == *"$1"* ]]
}
# Pulse's 50% is cubic: 0.125 linear, -18.062 dB.
pactl set-sink-volume xensnd_output.0.0.0 50%
_wait_for 5 _has_volume "volume=-18062,-18062 mute=0,0" ||
	fail "set-sink-volume 50%: backend has $(stream_state "$STREAM")"
_pulse_shows_50() {
	pactl list sinks | grep -A20 "Name: xensnd_output.0.0.0" | grep "Volume: .* 50% " >/dev/null
}
_wait_for 5 _pulse_shows_50 ||
	fail "pactl does not show the sink at 50%: $(pactl list sinks 2>&1)"
pactl set-sink-mute xensnd_output.0.0.0 1
_wait_for 5 _has_volume "mute=1,1" || fail "set-sink-mute 1: $(stream_state "$STREAM")"
pactl set-sink-mute xensnd_output.0.0.0 0
_wait_for 5 _has_volume "mute=0,0" || fail "set-sink-mute 0: $(stream_state "$STREAM")"
kill "$play" 2>/dev/null || true
wait "$play" 2>/dev/null || true
_untrack "$play"

# Profiles: capture only removes the sinks, "on" brings them back.
_sinks_are() {
	[ "$(pactl list short sinks | awk '$2 ~ /^xensnd_/ && $2 !~ /monitor$/ { print $2 }' | sort | tr '\n' ' ')" = "$1" ]
}
_sources_are() {
	[ "$(pactl list short sources | awk '$2 ~ /^xensnd_/ && $2 !~ /monitor$/ { print $2 }' | sort | tr '\n' ' ')" = "$1" ]
}
pactl set-card-profile xensnd_card.0 input
_wait_for 5 _sinks_are "" || fail "profile input: sinks $(pactl list short sinks)"
_sources_are "xensnd_input.0.0.1 xensnd_input.0.1.1 " ||
	fail "profile input: sources $(pactl list short sources)"
pactl set-card-profile xensnd_card.0 output
_wait_for 5 _sinks_are "xensnd_output.0.0.0 xensnd_output.0.1.0 " ||
	fail "profile output: sinks $(pactl list short sinks)"
_wait_for 5 _sources_are "" || fail "profile output: sources $(pactl list short sources)"
pactl set-card-profile xensnd_card.0 on
_wait_for 5 _sources_are "xensnd_input.0.0.1 xensnd_input.0.1.1 " ||
	fail "profile on: sources $(pactl list short sources)"
_sinks_are "xensnd_output.0.0.0 xensnd_output.0.1.0 " ||
	fail "profile on: sinks $(pactl list short sinks)"
# The route kept its volume across the profile switches.
_wait_for 5 _pulse_shows_50 ||
	fail "the sink lost its 50% volume over the profile switches"
echo "PASS: pactl sees the Xen card, its profiles, sinks, sources and volume"
