#!/bin/bash
# --output pipewire: each guest stream is a node in the backend domain's
# PipeWire (a private daemon here), named after the stream, and the
# guest's SET_VOLUME / MUTE become the node's channelVolumes.
source "$(dirname "$0")/lib.sh"
command -v pipewire >/dev/null && command -v pw-dump >/dev/null || skip "pipewire is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
export XDG_RUNTIME_DIR=$DIR/run PIPEWIRE_RUNTIME_DIR=$DIR/run
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
pipewire >"$DIR/pipewire.log" 2>&1 &
BG_PIDS+=("$!")
wait_for "pipewire serves" test -S "$XDG_RUNTIME_DIR/pipewire-0"
start_hub
attach 1 'CARD, short-name=Pw, sample-formats=s16_le;a_law, sample-rates=48000' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend --output pipewire

# a_law has no SPA twin: PipeWire cannot carry it, so it is not offered.
[ "$(front 1 query 0)" = "formats=0x4 rates=48000:48000 channels=1:2 buffer=16:32768 period=16:32768" ] ||
	fail "query with --output pipewire: $(front 1 query 0)"
ok "only formats PipeWire carries are offered"

front 1 volume 0 --format s16_le --rate 48000 --channels 2 --set -6000,0 --mute 0,1 \
	--hold-ms 3000 >"$DIR/vol.out" &
FRONT=$!
BG_PIDS+=("$FRONT")
node_volumes() {
	pw-dump 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    props = o.get("info", {}).get("props", {})
    if props.get("node.name") == "dom1-vsnd0-pcm0-stream0":
        for p in o["info"].get("params", {}).get("Props", []):
            if "channelVolumes" in p:
                print(",".join("%.3f" % v for v in p["channelVolumes"]))
'
}
# -6 dB is 0.501 linear; the muted channel is 0.
wait_for "the node shows the guest's volume" test "$(node_volumes | tail -n 1)" = "0.501,0.000"
ok "the stream is a PipeWire node; volume -6 dB and a muted channel reached it"
wait "$FRONT" || fail "volume round trip"
wait_for "the node is gone after CLOSE" sh -c "! pw-dump 2>/dev/null | grep -q dom1-vsnd0-pcm0-stream0"
ok "CLOSE removes the node"
