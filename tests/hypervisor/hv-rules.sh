#!/bin/bash
# Xen's rules across domains: dom1 grants to dom2 and reserves ports for
# dom2 and dom3; dom3 is denied dom2's grants and port, dom2 is denied
# writable maps of read-only grants, revoked refs, ref 0, another domain's
# port and notifies on unbound ports.
source "$(dirname "$0")/lib.sh"

in_dom_bg 1 "$HV_TEST" rules-granter "$rv"
granter=$!
in_dom 3 "$HV_TEST" rules-dom3 "$rv"
in_dom 2 "$HV_TEST" rules-dom2 "$rv"
wait "$granter"
