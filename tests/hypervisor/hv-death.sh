#!/bin/bash
# Domain death: dom2 has a channel to dom1 and maps its page; after
# `xensim destroy 1` dom2's port sees an event and is closed (notifies
# dropped), and the mapped page stays readable and writable.
source "$(dirname "$0")/lib.sh"

in_dom_bg 1 "$HV_TEST" death-granter "$rv"
in_dom_bg 2 "$HV_TEST" death-mapper "$rv"
mapper=$!
wait_file "$rv/mapped"
destroy_domain 1
touch "$rv/destroyed"
wait "$mapper"
