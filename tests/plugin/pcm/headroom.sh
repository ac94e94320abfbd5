#!/usr/bin/env bash
# The graph runs late (the pipewire daemon, which relays every cycle of a
# driver in wireplumber to pw-play and back, stopped for 56 ms): the sink
# raises its headroom once, reports the new Latency, and drops nothing
# (the ring has room for the raised fill: the backend's WAV holds every
# frame of the tone). The next play, after the node suspended, starts
# from api.xensnd.headroom again.
#
# Not held: that the WAV is the tone bit for bit. Across a stopped
# pipewire, PipeWire itself may hand the node a silent cycle for a
# pw-play that was not ready (1 run of 4 with a 4096-frame headroom), and
# the backend may underrun on a busy machine; both are printed.
#
# Quantum 256 and headroom 3072 (69 ms of fill) in both builds: a stop
# that takes 21 to 69 ms of it is late enough to raise (a cycle and a
# quarter of the headroom) and short enough not to underrun. The node
# sees up to 2 cycles (11 ms) less of a 56 ms stop: pipewire runs the
# cycle it owes at once.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"
wavcmp=$1

stack_init
_need sox pw-play pw-metadata pw-cli
STATE=$T/backend-state
STREAM=dom1-vsnd0-pcm0-stream0
NODE=xensnd_output.0.0.0
cat >"$WIREPLUMBER_CONFIG_DIR/main.lua.d/60-test-xensnd-headroom.lua" <<'LUA'
table.insert(xensnd_monitor.rules, {
  matches = { { { "node.name", "equals", "xensnd_output.0.0.0" } } },
  apply_properties = { ["api.xensnd.headroom"] = 3072,
                       ["session.suspend-timeout-seconds"] = 1 },
})
LUA
start_sim
introduce_guest
attach_card 'CARD, short-name=H, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
start_backend --state-file "$STATE"
start_session
wait_node "$NODE" 15
pw-metadata -n settings 0 clock.force-quantum 256 >/dev/null
gen_wav "$T/tone.wav" s16_le 48000 2 $((4 * 48000))

# The sink's Latency in frames, as its input port reports it.
port_latency() {
	local node port
	node=$(node_id "$NODE")
	port=$(pw-cli ls Port | awk -v node="$node" '
		/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		/port.direction = "in"/ { dir_in[id] = 1 }
		$0 ~ "node.id = \"" node "\"" { mine[id] = 1 }
		END { for (i in mine) if (dir_in[i]) { print i; exit } }')
	[ -n "$port" ] || fail "no input port of $NODE"
	pw-cli enum-params "$port" Latency | awk '/minRate/ { getline; print $2; exit }'
}

raises() {
	grep -c "the graph ran late, .*headroom raised to" "$WP_LOG" || true
}

_raised_since() {
	[ "$(raises)" -gt "$1" ]
}

# The headroom the node runs with: the last raise since log line $1, or
# the configured 3072 (a sanitized build may also raise on its own).
headroom_since() {
	local h
	h=$(raised_headroom "$1")
	echo "${h:-3072}"
}

_latency_is() {
	[ "$(port_latency)" = "$1" ]
}

# check_latency WHAT FROM-LINE: the port reports 256 + the headroom.
check_latency() {
	local want=$((256 + $(headroom_since "$2")))
	_wait_for 5 _latency_is "$want" ||
		fail "$1: the sink reports $(port_latency) frames of latency, not $want"
	echo "ok: $1: the sink reports $want frames of latency"
}

# Play the tone; FROM: the log line the play starts at.
start_play() {
	FROM=$(($(wc -l <"$WP_LOG") + 1))
	pw-play --target "$NODE" "$T/tone.wav" &
	PLAYER=$!
	_track "$PLAYER" pw-play
	wait_stream_running "$STREAM"
}

# The stop comes after the node's first second (no raise there: the
# first cycles say nothing of the rest), well before the play ends.
start_play
sleep 1.5
check_latency "before the stall" "$FROM"
before=$(raises)
kill -STOP "$PW_PID"
sleep 0.056
kill -CONT "$PW_PID"
_wait_for 2 _raised_since "$before" ||
	fail "the graph ran 56 ms late and the headroom was not raised"
echo "ok: $(grep -a "headroom raised to" "$WP_LOG" | tail -n 1 |
	sed -n 's/.*: \(the graph ran late.*ms)\).*/\1/p')"
check_latency "after the raise" "$FROM"
wait "$PLAYER" || fail "pw-play failed"
_untrack "$PLAYER"
under=$(stream_state "$STREAM" | sed -n 's/.* underruns=\([0-9]*\) .*/\1/p')
wait_stream_closed "$STREAM"
# From the first sounding frame to the last: a dropped quantum makes the
# output's span shorter than the tone's (silence inserted makes it longer).
span() {
	python3 - "$1" <<'PY'
import sys, wave
w = wave.open(sys.argv[1])
data, n = w.readframes(w.getnframes()), w.getnframes()
fb = w.getsampwidth() * w.getnchannels()
zero = bytes(fb)
frames = [i for i in range(n) if data[i * fb:(i + 1) * fb] != zero]
print(frames[-1] - frames[0] + 1 if frames else 0)
PY
}
"$wavcmp" "$T/tone.wav" "$OUT/$STREAM.wav" >/dev/null 2>&1 && exact=yes || exact=no
tone=$(span "$T/tone.wav")
played=$(span "$OUT/$STREAM.wav")
[ "$played" -ge "$tone" ] ||
	fail "the backend played a $played-frame span of a $tone-frame tone: frames were dropped"
echo "ok: a $played-frame span played for a $tone-frame tone; bit-exact: $exact; $under underruns"

# Suspended (CLOSE): the next play starts from the configured headroom.
start_play
check_latency "the next play" "$FROM"
echo "PASS: a late graph raises the sink's headroom once, dropping nothing; the next open starts afresh"
