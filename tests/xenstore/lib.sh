# shellcheck shell=bash
# The xenstore suite's helpers, on top of the shared xensim harness
# (tests/lib/xensim.sh: start_hub, in_dom, expect_eq, expect_fail,
# process_gone, skip, fail; the hub and $XS_DIR ended on exit):
#
#   wait_lines FILE N     wait (at most 20 s: a loaded sanitizer build is slow
#                         to start) until FILE has N lines
. "$(dirname "${BASH_SOURCE[0]}")/../lib/xensim.sh"

need xensim xenstore-ls xenstore-read xenstore-write xenstore-rm \
	xenstore-chmod xenstore-watch xenstore-list xenstore-exists

xensim_setup xensim-test

wait_lines() {
	local file=$1 want=$2 i
	for i in $(seq 400); do
		if [ -f "$file" ] && [ "$(wc -l <"$file")" -ge "$want" ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "$file: wanted $want lines, got: $(cat "$file" 2>/dev/null)"
}
