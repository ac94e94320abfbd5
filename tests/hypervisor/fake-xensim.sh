#!/bin/bash
# A stand-in for the `xensim` command line (start, exec, destroy, stop)
# around test-hub, for running these tests before the real hub is built.
# Only the options the tests use. TEST_HUB and XENSIM_LIBDIR come from meson.
set -euo pipefail

dir=${XENSIM_DIR:-}
cmd=${1:?usage: fake-xensim.sh start|exec|destroy|stop ...}
shift
domid=
while [[ $# -gt 0 ]]; do
	case $1 in
	--dir) dir=$2; shift 2 ;;
	--domid) domid=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[[ -n $dir ]] || { echo "fake-xensim: no --dir" >&2; exit 2; }

wait_for() {	# wait_for TEST... : up to 10 s
	for _ in $(seq 1000); do
		if test "$@"; then return 0; fi
		sleep 0.01
	done
	echo "fake-xensim: timed out waiting for $*" >&2
	exit 1
}

case $cmd in
start)
	mkdir -p "$dir"
	"$TEST_HUB" "$dir" </dev/null &
	echo $! >"$dir/test-hub.pid"
	wait_for -p "$dir/ctl"
	;;
exec)
	echo "introduce $domid" >"$dir/ctl"
	wait_for -S "$dir/dom$domid/hypervisor.sock"
	XENSIM_DIR=$dir XENSIM_DOMID=$domid \
		LD_LIBRARY_PATH=$XENSIM_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
		exec "$@"
	;;
destroy)
	echo "destroy $1" >"$dir/ctl"
	wait_for ! -e "$dir/dom$1/hypervisor.sock"
	;;
stop)
	pid=$(cat "$dir/test-hub.pid")
	echo stop >"$dir/ctl"
	for _ in $(seq 500); do
		kill -0 "$pid" 2>/dev/null || exit 0
		sleep 0.01
	done
	kill "$pid"
	;;
esac
