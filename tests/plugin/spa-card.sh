#!/usr/bin/env bash
# The SPA level, without PipeWire: the monitor, loaded by spa-load as guest
# 1, emits the attached card, and that card's device emits its 4 nodes.
# usage: spa-card.sh SPA-LOAD PLUGIN
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/common.sh"

[ $# -eq 2 ] || { echo "usage: $0 SPA-LOAD PLUGIN" >&2; exit 2; }
stack_init
start_sim
dev=$(attach_card "${CARD_ITEMS[@]}")
# shellcheck disable=SC2046
xensim exec --dir "$SIM" --domid "$GUEST" -- "$1" "$2" card "$dev" XenMainCard \
	$(card_nodes "$dev") || fail "spa-load card $dev failed"
