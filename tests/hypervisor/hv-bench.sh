#!/bin/bash
# Benchmark: event channel round trip between two domains against a pipe
# round trip measured in the same run, and map+unmap of 64 granted pages.
source "$(dirname "$0")/lib.sh"

in_dom_bg 1 "$HV_TEST" offer "$rv" 2 20000
offer=$!
in_dom 2 "$HV_TEST" connect "$rv" 1 20000 --bench 2000
wait "$offer"
