#!/bin/bash
# SPDX-License-Identifier: MIT
# xensnd-ctl list / list --json: the guest's cards with their effective
# (inherited) configuration and the xenbus states of both ends.
source "$(dirname "$0")/lib.sh"

start_hub
attach 'CARD, short-name=Main, long-name=Main card, sample-rates=44100;48000, sample-formats=s16_le;float_le, buffer-size=131072' \
	'PCM, name=Speakers' 'STREAM, unique-id=0, type=p' \
	'STREAM, unique-id=1, type=c, channels-max=1' \
	'PCM, name=Line, sample-rates=48000' 'STREAM, unique-id=2, type=p, sample-formats=s16_le'

# A second card, attached after the first: dev-id 1.
attach 'CARD, short-name=USB, sample-formats=float_le' 'PCM, name=Mic' \
	'STREAM, unique-id=7, type=c, channels-min=1, channels-max=1' >/dev/null

# No backend yet: the backend end is still Initialising.
ctl list >"$T/list.txt"
grep -q '^card 0: Main - Main card  frontend Initialising, backend Initialising (domain 0)$' "$T/list.txt" ||
	fail "list before the backend: $(cat "$T/list.txt")"

start_backend
wait_backend_ready 0
ctl list >"$T/list.txt"
grep -q 'frontend Initialising, backend InitWait' "$T/list.txt" || fail "states: $(cat "$T/list.txt")"
grep -q '^    stream 0/1/0: playback, unique-id 2$' "$T/list.txt" || fail "stream line: $(cat "$T/list.txt")"

ctl list --json >"$T/list.json"
python3 -m json.tool "$T/list.json" >/dev/null || fail "list --json is not JSON: $(cat "$T/list.json")"
python3 - "$T/list.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["domid"] == "1", doc["domid"]
card, usb = doc["cards"]
assert usb["dev-id"] == "1" and usb["short-name"] == "USB", usb
assert usb["pcms"][0]["streams"][0]["stream"] == "1/0/0", usb
assert usb["pcms"][0]["streams"][0]["sample-formats"] == ["float_le"], usb
assert card["dev-id"] == "0" and card["short-name"] == "Main", card
assert card["long-name"] == "Main card", card
assert card["frontend-state"] == "Initialising" and card["backend-state"] == "InitWait", card
assert card["backend-id"] == "0", card
p0, p1 = card["pcms"]
assert p0["name"] == "Speakers" and p1["name"] == "Line"
s00, s01 = p0["streams"]
# Inherited from the card, with the Linux defaults where nobody says.
assert s00["type"] == "p" and s00["unique-id"] == "0"
assert s00["sample-rates"] == [44100, 48000], s00
assert s00["sample-formats"] == ["s16_le", "float_le"], s00
assert (s00["channels-min"], s00["channels-max"]) == (1, 2), s00
assert s00["buffer-size"] == 131072, s00
assert s01["type"] == "c" and s01["channels-max"] == 1, s01
# PCM and stream levels narrow what they inherit.
(s10,) = p1["streams"]
assert s10["stream"] == "0/1/0" and s10["sample-rates"] == [48000], s10
assert s10["sample-formats"] == ["s16_le"], s10
print("list --json: ok")
PY

# One card by its dev-id; an unknown one is an error.
ctl list 1 >"$T/list.txt"
grep -q '^card 1: USB ' "$T/list.txt" && ! grep -q '^card 0' "$T/list.txt" || fail "list 1: $(cat "$T/list.txt")"
ctl list 1 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [c["dev-id"] for c in d["cards"]] == ["1"]'
expect_exit 1 'no card 7' list 7
expect_exit 2 'unknown option' list --bogus
echo "PASS"
