#!/bin/bash
# --output pipewire against a private PipeWire + WirePlumber with a null
# sink: each guest stream is a node named after it, WirePlumber links it
# to the sink, the guest's SET_VOLUME / MUTE become the node's
# channelVolumes, the guest's samples reach the sink (recorded from its
# monitor), and CLOSE removes the node.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
	# WirePlumber 0.4 quits without a session bus: run inside a private one.
	exec dbus-run-session -- "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
for prog in pipewire wireplumber pw-cli pw-dump pw-record python3; do
	command -v "$prog" >/dev/null || skip "$prog is not installed"
done
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || skip "no D-Bus session bus (dbus-run-session)"
export XDG_RUNTIME_DIR=$DIR/run PIPEWIRE_RUNTIME_DIR=$DIR/run
# WirePlumber keeps restored stream volumes and default nodes in its state
# directory: a private one, so no other run's saved volume overrides ours.
export XDG_STATE_HOME=$DIR/state-home XDG_CONFIG_HOME=$DIR/config-home
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
pipewire >"$DIR/pipewire.log" 2>&1 &
BG_PIDS+=("$!")
wait_for "pipewire serves" 'test -S "$XDG_RUNTIME_DIR/pipewire-0"'
pw-cli create-node adapter '{ factory.name=support.null-audio-sink node.name=testsink
	media.class=Audio/Sink object.linger=true audio.position=[FL FR] }' >/dev/null
wireplumber >"$DIR/wireplumber.log" 2>&1 &
BG_PIDS+=("$!")

start_hub
attach 1 'CARD, short-name=Pw, sample-formats=s16_le;a_law, sample-rates=48000' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend --output pipewire

# Both configured formats have SPA twins (SPA_AUDIO_FORMAT_S16_LE, _ALAW).
[ "$(front 1 query 0)" = "formats=0x200004 rates=48000:48000 channels=1:2 buffer=16:65536 period=16:65536" ] ||
	fail "query with --output pipewire: $(front 1 query 0)"
ok "formats PipeWire carries are offered"

front_bg 1 "$DIR/vol.out" volume 0 --format s16_le --rate 48000 --channels 2 \
	--set -6000,0 --mute 0,1 --hold-ms 20000
FRONT=$FRONT_PID
node_volumes() {
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    info = o.get("info") or {}
    if (info.get("props") or {}).get("node.name") == "dom1-vsnd0-pcm0-stream0":
        for p in (info.get("params") or {}).get("Props", []):
            if p.get("channelVolumes"):
                print(",".join("%.3f" % v for v in p["channelVolumes"]))
'
}
# -6 dB is 0.501 linear; the muted channel is 0.
# WirePlumber links the node first; on a loaded machine that takes a while.
if ! (wait_for "the node shows the guest's volume" 'test "$(node_volumes | tail -n 1)" = "0.501,0.000"' 15000); then
	echo "--- node volumes: $(node_volumes | tr '\n' ' ')" >&2
	pw-link -l >&2 || true
	pw-dump 2>/dev/null | grep -c dom1-vsnd0 >&2 || true
	tail -n 20 "$DIR/wireplumber.log" >&2
	fail "the guest's volume did not reach the node"
fi
ok "the stream is a PipeWire node; volume -6 dB and a muted channel reached it"
kill -USR1 "$FRONT"	# ends its hold: it unmutes and closes
wait "$FRONT" || fail "volume round trip"
wait_for "the node is gone after CLOSE" '! pw-dump 2>/dev/null | grep dom1-vsnd0-pcm0-stream0 >/dev/null'
ok "CLOSE removes the node"

# The samples reach the sink: record its monitor while the guest plays.
"$WAVTOOL" gen s16_le 48000 2 48000 "$DIR/in.wav"
pw-record --target testsink -P '{ stream.capture.sink=true }' --format s16 --rate 48000 \
	--channels 2 "$DIR/monitor.wav" 2>"$DIR/pw-record.log" &
REC=$!
BG_PIDS+=("$REC")
front 1 play 0 "$DIR/in.wav" --format s16_le --buffer 19200 --period 4800 >/dev/null ||
	fail "play into PipeWire"
kill -INT "$REC"
wait "$REC" || true
"$WAVTOOL" loud s16_le "$DIR/monitor.wav" || fail "the sink's monitor recorded silence"
ok "the guest's samples reached the PipeWire sink"
