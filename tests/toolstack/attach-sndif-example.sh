#!/bin/bash
# vsnd-attach of the example configuration in the comment at the top of
# xen/io/sndif.h (a card with three PCMs) gives the node tree sndif.h
# documents, with libxl's permissions and initial states; the guest and
# the backend see what they should; vsnd-list shows it; vsnd-detach
# removes every node and the directories it leaves empty.
source "$(dirname "$0")/lib.sh"
READ_CARD=$1	# read-card.c: the frontend's configuration reader
SNDIF_H=${SNDIF_H:-/usr/include/xen/io/sndif.h}
[ -r "$SNDIF_H" ] || skip "$SNDIF_H is not there (libxen-dev)"
start_hub
in_dom 1 true	# the guest exists, as `xensim exec` makes it

devid=$(xs vsnd-attach 1 \
	'CARD, short-name=Card short name, long-name=Card long name, sample-rates=8000;32000;44100;48000;96000, sample-formats=s8;u8;s16_le;s16_be, buffer-size=262144' \
	'PCM, name=General analog, channels-max=5' \
	'STREAM, unique-id=0, type=p, sample-formats=s8;u8' \
	'STREAM, unique-id=1, type=c, channels-max=2' \
	'PCM, name=HDMI-0, sample-rates=8000;32000;44100' \
	'STREAM, unique-id=2, type=c' \
	'PCM, name=SPDIF' \
	'STREAM, unique-id=3, type=p')
expect_eq "$devid" 0 "vsnd-attach prints the first device id"

expect_tree "$HERE/expected/sndif-example.txt" "the tree of the sndif.h example" \
	/local/domain/1/device/vsnd /local/domain/0/backend/vsnd /libxl/1

# Independently of the checked-in file: every configuration node of
# sndif.h's example, as sndif.h itself prints it, is in the store. The
# nodes the two drivers write later (rings, channels, versions, state) are
# not the toolstack's.
listing=$(in_dom 0 xenstore-ls -f /local/domain)
n=0
while IFS= read -r line; do
	grep -qxF -- "$line" <<<"$listing" || fail "sndif.h's node is missing: $line"
	n=$((n + 1))
done < <(sed -n 's|^ \* \(/local/domain/[01]/[^ ]* = ".*"\)$|\1|p' "$SNDIF_H" |
	grep -vE '/(ring-ref|event-channel|evt-ring-ref|evt-event-channel|version|versions|state) = ')
[ "$n" -ge 24 ] || fail "read only $n example nodes from $SNDIF_H"
echo "ok: all $n configuration nodes of sndif.h's example are there"

# The frontend's reader (libxensnd), run in the guest, accepts the card
# and sees what sndif.h describes, each level inheriting from the one
# above; channels nobody gave are the defaults 1-2, as in Linux's front.
expect_eq "$(in_dom 1 "$READ_CARD" device/vsnd/0)" "$(printf '%s\n' \
	'short-name=Card short name long-name=Card long name' \
	'0 name=General analog' \
	'0/0 p unique-id=0 rates=8000,32000,44100,48000,96000 formats=s8,u8 channels=1-5 buffer=262144' \
	'0/1 c unique-id=1 rates=8000,32000,44100,48000,96000 formats=s8,u8,s16_le,s16_be channels=1-2 buffer=262144' \
	'1 name=HDMI-0' \
	'1/0 c unique-id=2 rates=8000,32000,44100 formats=s8,u8,s16_le,s16_be channels=1-2 buffer=262144' \
	'2 name=SPDIF' \
	'2/0 p unique-id=3 rates=8000,32000,44100,48000,96000 formats=s8,u8,s16_le,s16_be channels=1-2 buffer=262144')" \
	"the guest's frontend reads the card as sndif.h describes it"

# Permissions as xenstored enforces them: the guest reads both halves and
# writes its own, not the backend's.
expect_eq "$(in_dom 1 xenstore-read /local/domain/0/backend/vsnd/1/0/state)" 1 \
	"the guest reads the backend's state"
in_dom 1 xenstore-write /local/domain/1/device/vsnd/0/state 3
expect_eq "$(in_dom 0 xenstore-read /local/domain/1/device/vsnd/0/state)" 3 \
	"the guest writes its frontend's state"
expect_fail "the guest cannot write the backend's state" \
	in_dom 1 xenstore-write /local/domain/0/backend/vsnd/1/0/state 4
expect_fail "the guest cannot read the toolstack's copy" \
	in_dom 1 xenstore-read /libxl/1/device/vsnd/0/backend
in_dom 2 true
expect_fail "another guest cannot read the frontend" \
	in_dom 2 xenstore-read /local/domain/1/device/vsnd/0/short-name

expect_eq "$(xs vsnd-list 1)" "$(printf '%s\n' \
	'Devid  BE   FE-state  BE-state  Short-name' \
	'0      0    3         1         Card short name')" "vsnd-list shows the device"
expect_eq "$(xs vsnd-list --json 1 | tr -d '\n ')" \
	'[{"devid":0,"backend-domid":0,"frontend-state":3,"backend-state":1,"short-name":"Cardshortname"}]' \
	"vsnd-list --json"

# Frontend state 3 means a driver is there: --force skips the handshake.
xs vsnd-detach --force 1 0
for path in /local/domain/1/device /local/domain/0/backend /libxl/1; do
	expect_fail "vsnd-detach removed $path" in_dom 0 xenstore-exists "$path"
done
expect_eq "$(in_dom 0 xenstore-read /local/domain/1/name)" guest1 \
	"the guest's own nodes stay"
expect_eq "$(xs vsnd-list 1 | wc -l)" 1 "vsnd-list shows no device after detach"
