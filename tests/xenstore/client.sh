#!/bin/bash
# What xenstore-utils cannot show, through a libxenstore test client:
# transactions, quotas, long directories, malformed wire messages.
source "$(dirname "$0")/lib.sh"
client=$1
start_hub

in_dom 0 "$client" txn
in_dom 0 "$client" big-dir
in_dom 4 "$client" quota-nodes
in_dom 4 "$client" quota-size
in_dom 4 "$client" quota-watches
in_dom 4 "$client" quota-txns
in_dom 4 "$client" quota-txn-nodes
in_dom 4 "$client" quota-txn-size
in_dom 4 "$client" raw
in_dom 0 "$client" raw
in_dom 0 "$client" slow
grep -q "output queue full" "$XS_DIR/xensim.log" ||
	fail "no log line for the client that did not read"
echo "ok: the hub logged the client that did not read"
kill -0 "$HUB_PID" || fail "the hub died"
grep -q "exceeds XENSTORE_PAYLOAD_MAX" "$XS_DIR/xensim.log" ||
	fail "no log line for the oversized message"
echo "ok: the hub logged the oversized message"
expect_eq "$(in_dom 0 xenstore-read /local/domain/4/data/q/again)" x \
	"the store survived the garbage"
