#!/usr/bin/env bash
# Benchmark: one sndif WRITE round trip and one CUR_POS event delivery
# between domains 1 (front) and 0 (back) over libxensnd and xensim, and a
# pipe round trip / one-way write between two processes in the same run.
# The hub and the domains are tests/hypervisor's (lib.sh). Argument: the
# proto-bench program. XENSND_BENCH_ROUNDS (default 20000).
PROTO=$1
set -- "$PROTO"
. "$(dirname "$0")/../hypervisor/lib.sh"
rounds=${XENSND_BENCH_ROUNDS:-20000}

in_dom_bg 0 "$PROTO" back "$rv" 1
back=$!
out=$(in_dom 1 "$PROTO" front "$rv" 0 "$rounds")
wait "$back"

field() {	# NAME KEY
	awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' <<<"$out"
}
echo "Protocol costs: $rounds rounds each, microseconds; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| bench | point | measured | same-run reference | ratio / note |"
echo "| --- | --- | --- | --- | --- |"
for pair in "xensnd-write-round-trip pipe-round-trip" "xensnd-cur-pos-delivery pipe-one-way"; do
	read -r ours ref <<<"$pair"
	printf '| protocol us | %s | %s (p50 %s, p99 %s) | %s %s (p50 %s, p99 %s) | %s |\n' \
		"$ours" "$(field "$ours" mean_us)" "$(field "$ours" p50_us)" "$(field "$ours" p99_us)" \
		"$ref" "$(field "$ref" mean_us)" "$(field "$ref" p50_us)" "$(field "$ref" p99_us)" \
		"$(awk -v a="$(field "$ours" mean_us)" -v b="$(field "$ref" mean_us)" \
			'BEGIN { printf "%.2fx", a / b }')"
done
