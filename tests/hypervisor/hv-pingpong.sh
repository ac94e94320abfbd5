#!/bin/bash
# Two processes in domains 1 and 2 ping-pong over an event channel and
# exchange data through 64 granted pages.
source "$(dirname "$0")/lib.sh"

in_dom_bg 1 "$HV_TEST" offer "$rv" 2 1000
offer=$!
in_dom 2 "$HV_TEST" connect "$rv" 1 1000
wait "$offer"
