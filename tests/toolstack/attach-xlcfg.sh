#!/bin/bash
# vsnd-attach --config of an xl.cfg file: one device per inner list of its
# vsnd setting, a backend domain given by name, the tree compared with the
# checked-in one. Then the device ids xl would pick, the checks that must
# fail before anything is written, and the exit statuses.
source "$(dirname "$0")/lib.sh"
start_hub
in_dom 1 true
in_dom 2 true	# the driver domain "guest2"

expect_eq "$(xs vsnd-attach --config "$HERE/guest.cfg" 1 | tr '\n' ' ')" "0 1 " \
	"vsnd-attach --config prints one device id per card"
expect_tree "$HERE/expected/xlcfg.txt" "the tree of guest.cfg's two cards" \
	/local/domain/1/device/vsnd /local/domain/0/backend/vsnd \
	/local/domain/2/backend/vsnd /libxl/1
expect_eq "$(in_dom 2 xenstore-read /local/domain/1/device/vsnd/1/0/name)" Second \
	"the driver domain reads its frontend"
expect_fail "the driver domain cannot read dom0's frontend" \
	in_dom 2 xenstore-read /local/domain/1/device/vsnd/0/0/name

# Items on the command line; the next id is the highest in use plus one,
# as libxl picks it, even after a device below it went away.
expect_eq "$(xs vsnd-attach 1 'PCM' 'STREAM, unique-id=x, type=p')" 2 "third device is 2"
xs vsnd-detach 1 1
expect_eq "$(xs vsnd-attach --backend-domid 2 1 'PCM' 'STREAM, id=y, type=c')" 3 \
	"a freed id below the highest is not reused"
expect_eq "$(in_dom 0 xenstore-read /local/domain/1/device/vsnd/3/backend)" \
	/local/domain/2/backend/vsnd/1/3 "--backend-domid puts the backend in domain 2"
expect_eq "$(xs vsnd-list 1 | awk 'NR > 1 { print $1 ":" $2 }' | tr '\n' ' ')" \
	"0:0 2:0 3:2 " "vsnd-list: ids and backend domains"

# Rejections: the message names the item and key; nothing is written.
before=$(tree /local/domain/1/device/vsnd /libxl/1)
expect_status 2 "an unknown key" xs vsnd-attach 1 'PCM' 'STREAM, id=0, typo=p'
expect_eq "$ERR" "xensim vsnd-attach: item 2 'STREAM, id=0, typo=p': unknown key \"typo\"; a STREAM item takes unique-id (or id), type, sample-rates, sample-formats, channels-min, channels-max, buffer-size" "its message"
expect_status 2 "a stream wider than its PCM" \
	xs vsnd-attach 1 'PCM, channels-max=2' 'STREAM, id=0, type=p, channels-max=6'
expect_eq "$ERR" "xensim vsnd-attach: item 2 'STREAM, id=0, type=p, channels-max=6': channels-max=6 is above channels-max=2 of item 1; a lower level must be a subset of the level above it" "its message"
expect_status 2 "a rate the card does not have" \
	xs vsnd-attach 1 'CARD, sample-rates=44100;48000' 'PCM' 'STREAM, id=0, type=p, sample-rates=96000'
expect_status 2 "a bad format" xs vsnd-attach 1 'PCM, sample-formats=s16_le;s17_le' 'STREAM, id=0, type=p'
expect_eq "$ERR" "xensim vsnd-attach: item 1 'PCM, sample-formats=s16_le;s17_le': sample-formats=s16_le;s17_le: unknown format \"s17_le\"" "its message"
expect_status 1 "a guest that does not exist" xs vsnd-attach 9 'PCM' 'STREAM, id=0, type=p'
expect_eq "$ERR" 'xensim vsnd-attach: guest domain 9 does not exist (no /local/domain/9); start a process in it with `xensim exec --domid 9 -- CMD`' "its message"
expect_status 1 "a backend name nobody has" \
	xs vsnd-attach 1 'CARD, backend=nobody' 'PCM' 'STREAM, id=0, type=p'
expect_status 2 "backend= and --backend-domid that differ" \
	xs vsnd-attach --backend-domid 0 1 'CARD, backend=2' 'PCM' 'STREAM, id=0, type=p'
printf 'vsnd = [ [ "PCM", "STREAM, id=0, type=p" ],\n  [ "PCM, name=x" ] ]\n' >"$XS_DIR/bad.cfg"
expect_status 1 "a config file whose second card has no stream" \
	xs vsnd-attach --config "$XS_DIR/bad.cfg" 1
expect_eq "$ERR" "xensim vsnd-attach: $XS_DIR/bad.cfg:2: vsnd device 2: item 1 'PCM, name=x': PCM 0 has no STREAM item after it" "its message"
printf 'vsnd = [ [ "PCM" ]\n' >"$XS_DIR/broken.cfg"
expect_status 1 "a config file with a list not closed" xs vsnd-attach --config "$XS_DIR/broken.cfg" 1
expect_eq "$ERR" "xensim vsnd-attach: $XS_DIR/broken.cfg:2: file ends inside the list opened on line 1: missing ']'" "its message"
expect_status 1 "a config file that is not there" xs vsnd-attach --config "$XS_DIR/none.cfg" 1
expect_status 2 "items and --config together" xs vsnd-attach --config "$HERE/guest.cfg" 1 PCM
expect_status 2 "no items" xs vsnd-attach 1
expect_status 2 "a DOMID that is not one" xs vsnd-attach 1x PCM
expect_status 2 "vsnd-detach without DEVID" xs vsnd-detach 1
expect_status 1 "vsnd-detach of a device that is not there" xs vsnd-detach 1 7
expect_status 0 "vsnd-attach --help" xs vsnd-attach --help
expect_eq "$(tree /local/domain/1/device/vsnd /libxl/1)" "$before" "rejected attaches wrote nothing"

# A guest may rename itself (it owns its name node under xensim), so a
# name two domains claim is refused, and Domain-0 always means dom0.
in_dom 3 xenstore-write /local/domain/3/name guest2
expect_status 1 "a backend name two domains claim" \
	xs vsnd-attach 1 'CARD, backend=guest2' 'PCM' 'STREAM, id=0, type=p'
expect_eq "$ERR" 'xensim vsnd-attach: backend guest2: more than one domain is named "guest2"; give its id' "its message"
in_dom 3 xenstore-write /local/domain/3/name Domain-0
devid=$(xs vsnd-attach 1 'CARD, backend=Domain-0' 'PCM' 'STREAM, id=0, type=p')
expect_eq "$(in_dom 0 xenstore-read /local/domain/1/device/vsnd/$devid/backend-id)" 0 \
	"backend=Domain-0 is dom0 even when a guest calls itself that"
