#!/bin/bash
# Run one libFuzzer target for a bounded number of iterations on a COPY of
# its seed corpus (libFuzzer adds new inputs to the corpus directory it is
# given; the source tree's seeds must stay as committed).
#   run-fuzz.sh TARGET SEED_DIR [libFuzzer options...]
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 TARGET SEED_DIR [libFuzzer options...]" >&2
	exit 2
fi
target=$(realpath "$1")
seeds=$(realpath "$2")
shift 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"
# Crash reproducers go to the work dir too, and are printed by libFuzzer.
cd "$work"
"$target" "$@" corpus
