# shellcheck shell=bash
# What several plugin tests share: the reference card of issue 5, two PCMs
# with one playback and one capture stream each, and its node names.
CARD_ITEMS=(
	'CARD, short-name=Main, long-name=XenMainCard, sample-formats=s16_le;float_le'
	'PCM, name=Speakers'
	'STREAM, unique-id=0, type=p'
	'STREAM, unique-id=1, type=c'
	'PCM, name=Headset'
	'STREAM, unique-id=2, type=p'
	'STREAM, unique-id=3, type=c'
)
# card_nodes DEV-ID: the node names that card gives, sorted.
card_nodes() {
	printf '%s\n' "xensnd_output.$1.0.0" "xensnd_input.$1.0.1" \
		"xensnd_output.$1.1.0" "xensnd_input.$1.1.1" | sort
}

# The card's xenbus state as the guest sees it.
front_state() {
	guest_xs xenstore-read "device/vsnd/$1/state" 2>/dev/null || echo missing
}

_state_is() {
	[ "$(front_state "$1")" = "$2" ]
}

wait_front_state() {
	_wait_for "${3:-10}" _state_is "$1" "$2" ||
		fail "device/vsnd/$1/state is $(front_state "$1"), expected $2 within ${3:-10} s"
}

# node_ids: "name id" of every xensnd node, sorted by name.
node_ids() {
	pw-cli ls Node | awk '
		/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		/node\.name = "xensnd_/ { n = $3; gsub("\"", "", n); print n, id }' | sort
}

# wait_card_nodes DEV-ID [SECONDS]: until every node of that card is
# listed; wait_no_card_nodes: until none is.
wait_card_nodes() {
	local n
	for n in $(card_nodes "$1"); do
		wait_node "$n" ${2:+"$2"}
	done
}

wait_no_card_nodes() {
	local n
	for n in $(card_nodes "$1"); do
		wait_no_node "$n" ${2:+"$2"}
	done
}

# start_card_stack [BACKEND-ARG...]: how most tests begin: the hub, the
# reference card as dev-id 0, the backend (with the ARGs), the guest's
# session; it returns once the card's nodes are all there.
start_card_stack() {
	start_sim
	attach_card "${CARD_ITEMS[@]}" >/dev/null
	start_backend "$@"
	start_session
	wait_card_nodes 0
}
