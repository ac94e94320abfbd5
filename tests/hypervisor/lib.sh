# Sourced by the hypervisor tests: a private xensim hub in a mktemp dir,
# ended by PID in the EXIT trap; in_domain N CMD... runs CMD as a process
# of domain N (so it loads xensim's libxenevtchn/libxengnttab). The test's
# argument is the hv-test program. Processes meet in $rv.
set -euo pipefail

HV_TEST=$1

command -v xensim >/dev/null || { echo "SKIP: xensim is not built"; exit 77; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/xensim-hv.XXXXXX")
rv=$dir/rendezvous
mkdir "$rv"
export XENSIM_DIR=$dir/hub
HUB_PID=
bg_pids=()

cleanup() {
	local status=$? pid
	for pid in "${bg_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [[ -n $HUB_PID ]]; then
		kill "$HUB_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$HUB_PID" 2>/dev/null || break
			sleep 0.05
		done
	fi
	# A sanitizer build's hub reports into its log, not to the test.
	if [[ -f $XENSIM_DIR/xensim.log ]] &&
		grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" \
			"$XENSIM_DIR/xensim.log"; then
		echo "FAIL: the hub's log has sanitizer reports" >&2
		status=1
	fi
	if [[ $status -ne 0 && -f $XENSIM_DIR/xensim.log ]]; then
		echo "--- xensim.log ---" >&2
		tail -n 30 "$XENSIM_DIR/xensim.log" >&2
	fi
	rm -rf "$dir"
	exit "$status"
}
trap cleanup EXIT

xensim start --dir "$XENSIM_DIR"
HUB_PID=$(cat "$XENSIM_DIR/xensim.pid")

in_domain() {
	local domid=$1
	shift
	xensim exec --dir "$XENSIM_DIR" --domid "$domid" -- "$@"
}

# In the background; `xensim exec` execs CMD, so $! is CMD's PID.
in_domain_bg() {
	local domid=$1
	shift
	xensim exec --dir "$XENSIM_DIR" --domid "$domid" -- "$@" &
	bg_pids+=($!)
}

destroy_domain() {
	xensim destroy --dir "$XENSIM_DIR" "$1"
}

wait_file() {	# up to 10 s
	for _ in $(seq 1000); do
		[[ -e $1 ]] && return 0
		sleep 0.01
	done
	echo "timed out waiting for $1" >&2
	return 1
}
