#!/usr/bin/env bash
# Priorities: a Xen sink is the default when it is the only real output,
# and not over a USB card the user plugs in. The "USB card" is a null
# sink with ALSA's priority for a USB card's first PCM (1009, from
# WirePlumber 0.4's alsa.lua: 1000 + 9 for an analog profile).
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
_need pw-metadata pw-cli
start_sim
introduce_guest
attach_card 'CARD, short-name=V, sample-rates=48000' 'PCM, name=Out' \
	'STREAM, unique-id=0, type=p' >/dev/null
start_backend
start_session
wait_node xensnd_output.0.0.0 15
_wait_for 5 _default_is default.audio.sink xensnd_output.0.0.0 ||
	fail "the only sink is not the default: \"$(default_node default.audio.sink)\""

pw-cli create-node adapter '{ factory.name = support.null-audio-sink
	node.name = usb-standin media.class = Audio/Sink
	node.description = "USB stand-in" priority.session = 1009
	priority.driver = 1009 audio.position = [ FL FR ] object.linger = true }' >/dev/null ||
	fail "cannot create the null sink"
wait_node usb-standin
_wait_for 5 _default_is default.audio.sink usb-standin ||
	fail "a USB card's priority did not win over the Xen sink: default is \"$(default_node default.audio.sink)\""
echo "PASS: the Xen sink is default alone, and yields to a USB-priority sink"
