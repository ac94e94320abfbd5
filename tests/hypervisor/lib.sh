# shellcheck shell=bash
# Sourced by the hypervisor tests (and bench/proto.sh), on top of the
# shared xensim harness (tests/lib/xensim.sh): the hub is started here, in
# $dir/hub, which is also $XENSIM_DIR; in_dom N CMD... runs CMD as a
# process of domain N (so it loads xensim's libxenevtchn/libxengnttab),
# in_dom_bg the same in the background. The test's argument is the
# hv-test program. Processes meet in $rv.
#
#   destroy_domain N      xensim destroy N
#   wait_file PATH        until PATH exists (at most 10 s)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/xensim.sh"

HV_TEST=$1

command -v xensim >/dev/null || skip "xensim is not built"

xensim_setup xensim-hv hub
dir=$TEST_DIR
rv=$dir/rendezvous
mkdir "$rv"
# hv-test's own "noenv" check needs it set without XENSIM_DOMID.
export XENSIM_DIR=$XS_DIR
start_hub

destroy_domain() {
	xensim destroy --dir "$XS_DIR" "$1"
}

wait_file() {	# up to 10 s
	for _ in $(seq 1000); do
		[[ -e $1 ]] && return 0
		sleep 0.01
	done
	echo "timed out waiting for $1" >&2
	return 1
}
