# shellcheck shell=bash
# What the desktop tests share, on top of ../lib.sh and ../pcm/common-pcm.sh.

# The pipewire object id of the device named NAME.
device_id() {
	pw-cli ls Device | awk -v name="$1" '
		/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		$0 ~ "device.name = \"" name "\"" && !found { print id; found = 1 }'
}

# `wpctl get-volume ID` prints "Volume: 0.50" (cubic, as wpctl sets it).
_volume_is() {	# ID VALUE
	[[ $(wpctl get-volume "$1" 2>/dev/null) == "Volume: $2"* ]]
}

# WirePlumber's default-routes gives every new output route a volume of its
# own (0.4 cubic) when the device appears; a test that sets a volume first
# waits for that, or its setting could be overwritten.
wait_route_restored() {	# NODE-ID
	_wait_for 5 _volume_is "$1" 0.40 || true
}

# The newest WAV the backend wrote for STREAM (each OPEN starts a new one).
newest_wav() {
	ls -t "$OUT/$1"*.wav 2>/dev/null | head -n 1 || true
}

# Start pipewire-pulse in the guest; PULSE_SERVER points pactl at it.
start_pulse() {
	_need pipewire-pulse pactl
	xensim exec --dir "$SIM" --domid "$GUEST" -- "${_daemon_env[@]}" \
		pipewire-pulse >"$T/pipewire-pulse.log" 2>&1 &
	_track $! pipewire-pulse
	export PULSE_SERVER=unix:$XDG_RUNTIME_DIR/pulse/native
	_wait_for 10 pactl info >/dev/null 2>&1 ||
		fail "pipewire-pulse did not answer on $PULSE_SERVER in 10 s"
}

# wp_fragment NAME < LUA: add a main.lua.d fragment to this test's
# WirePlumber configuration (after stack_init, before start_session).
# Named after 50-xensnd-config.lua, so it adds to what that one set.
wp_fragment() {
	cat >"$WIREPLUMBER_CONFIG_DIR/main.lua.d/$1"
}

# The value of KEY in the "default" metadata ("name" of a node), or empty.
default_node() {	# KEY
	pw-metadata 0 "$1" 2>/dev/null |
		sed -n "s/.*key:'$1' value:'{ *\"name\": *\"\([^\"]*\)\".*/\1/p"
}

_default_is() {	# KEY NAME
	[ "$(default_node "$1")" = "$2" ]
}

# The card of issue 5's reference (two PCMs, playback + capture each),
# with a long name for the desktop to show.
DESKTOP_CARD=(
	'CARD, short-name=Main, long-name=Xen Test Card, sample-formats=s16_le;float_le, sample-rates=48000'
	'PCM, name=Speakers'
	'STREAM, unique-id=0, type=p'
	'STREAM, unique-id=1, type=c'
	'PCM, name=Headset'
	'STREAM, unique-id=2, type=p'
	'STREAM, unique-id=3, type=c'
)
