# Sourced by the hypervisor tests: a private hub in a mktemp dir, stopped
# in the EXIT trap, and in_domain N CMD... to run CMD as a process of
# domain N. Arguments of the test: HV_TEST FAKE_XENSIM TEST_HUB.
set -euo pipefail

HV_TEST=$1
FAKE_XENSIM=$2
export TEST_HUB=$3

# The real xensim once it is built; before that, a stand-in around this
# directory's test-hub.
XENSIM=${XENSND_BUILD_ROOT:-}/src/xensim/xensim
[[ -x $XENSIM ]] || XENSIM=$FAKE_XENSIM

dir=$(mktemp -d)
rv=$dir/rendezvous
mkdir "$rv"
bg_pids=()

cleanup() {
	for pid in "${bg_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	"$XENSIM" stop --dir "$dir/hub" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

export XENSIM_DIR=$dir/hub
mkdir "$XENSIM_DIR"
"$XENSIM" start --dir "$XENSIM_DIR"

in_domain() {
	local domid=$1
	shift
	"$XENSIM" exec --dir "$XENSIM_DIR" --domid "$domid" -- "$@"
}

# Run in the background; remember the PID for the trap.
in_domain_bg() {
	local domid=$1
	shift
	"$XENSIM" exec --dir "$XENSIM_DIR" --domid "$domid" -- "$@" &
	bg_pids+=($!)
}

destroy_domain() {
	"$XENSIM" destroy --dir "$XENSIM_DIR" "$1"
}

wait_file() {	# up to 10 s
	for _ in $(seq 1000); do
		[[ -e $1 ]] && return 0
		sleep 0.01
	done
	echo "timed out waiting for $1" >&2
	return 1
}
