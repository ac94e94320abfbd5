#!/bin/bash
# Two toolstacks attaching to one guest at the same time: each attach is
# one transaction (the device id is read and taken in it, retried on
# EAGAIN), so every device gets its own id and its full tree.
source "$(dirname "$0")/lib.sh"
start_hub
in_dom 1 true

attach_many() {
	local i
	for i in $(seq 10); do
		xs vsnd-attach 1 "CARD, short-name=$1$i" 'PCM' "STREAM, id=$1$i, type=p"
	done
}
attach_many a >"$XS_DIR/a.ids" &
a_pid=$!
attach_many b >"$XS_DIR/b.ids" &
b_pid=$!
wait "$a_pid" || fail "the first toolstack failed"
wait "$b_pid" || fail "the second toolstack failed"

expect_eq "$(sort -n "$XS_DIR/a.ids" "$XS_DIR/b.ids" | tr '\n' ' ')" \
	"$(seq 0 19 | tr '\n' ' ')" "20 attaches got the ids 0..19, each once"
for id in $(seq 0 19); do
	name=$(in_dom 0 xenstore-read "/local/domain/1/device/vsnd/$id/short-name")
	expect_eq "$(in_dom 0 xenstore-read "/local/domain/1/device/vsnd/$id/0/0/unique-id")" \
		"$name" "device $id is one attach's tree, not a mix"
	expect_eq "$(in_dom 0 xenstore-read "/local/domain/0/backend/vsnd/1/$id/frontend")" \
		"/local/domain/1/device/vsnd/$id" "device $id's backend"
done
