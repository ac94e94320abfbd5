#!/usr/bin/env bash
# A backend restricted to 48 kHz narrows the node's EnumFormat
# (XENSND_OP_HW_PARAM_QUERY), although XenStore configures 44.1 kHz too.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/common-pcm.sh"

stack_init
start_sim
introduce_guest
attach_card 'CARD, short-name=N, sample-formats=s16_le;float_le, sample-rates=44100;48000' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p' >/dev/null
start_backend --rates 48000
start_session
wait_node xensnd_output.0.0.0 15
id=$(node_id xensnd_output.0.0.0)
formats=$(pw-cli enum-params "$id" EnumFormat)
grep -q 'Int 48000' <<<"$formats" || fail "EnumFormat has no 48000:
$formats"
if grep -q 'Int 44100' <<<"$formats"; then
	fail "EnumFormat still offers 44100 that the backend refuses:
$formats"
fi
grep -q 'S16LE' <<<"$formats" || fail "EnumFormat lost S16LE: $formats"
echo "PASS: EnumFormat narrowed to 48000 by the backend"
