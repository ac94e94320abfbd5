# shellcheck shell=bash
# The plugin suite's harness: real pipewire + wireplumber as guest domain 1,
# xensnd-backend in dom0, all under xensim, on private sockets in a
# `mktemp -d` directory, killed by PID when the test exits.
#
# Source it from a test (set -euo pipefail first), then:
#   stack_init                    temp dir, private env, cleanup trap
#   start_sim                     the xensim hub
#   attach_card [ITEM...]         vsnd-attach for guest 1; prints the dev-id
#   detach_card DEV-ID            vsnd-detach it (waits for the guest to close)
#   start_backend [ARG...]        xensnd-backend --output-dir $OUT in dom0
#   stop_backend [SIGNAL]         ... and wait for it (TERM by default)
#   start_session                 D-Bus, pipewire, wireplumber in guest 1
#   start_stack                   start_sim + start_session
#   restart_wireplumber           stop it, wait for its nodes to go, start it
#   wait_node NAME [SECONDS]      until `pw-cli ls Node` lists node.name NAME
#   wait_no_node NAME [SECONDS]   until it does not
#   wait_device / wait_no_device NAME [SECONDS]   the same for device.name
#   node_names, device_names      every node.name / device.name, one a line
#   node_info NAME                `pw-cli info` of the node named NAME
#   guest_xs CMD ARGS...          run a xenstore-utils CMD as guest 1
#   dom0_xs CMD ARGS...           ... as dom0
#   fail MESSAGE                  print it and exit 1 (the trap adds the logs)
#   skip MESSAGE                  exit 77 (meson: skipped)
#   _track PID NAME / _untrack PID   have the EXIT trap stop (or forget) a
#                                 process the test started itself
#   tracked_pid NAME              the PID _track was given for NAME
# Variables: T (the temp dir), SIM (xensim dir), OUT (backend output dir),
# GUEST (1), WP_LOG, PW_LOG, BACKEND_LOG, BACKEND_PID, PW_PID, WP_PID.
# XENSND_KEEP_TMP=1 keeps T for a post-mortem; TMPDIR moves it.
#
# Under a sanitizer build (XENSND_SANITIZE, set by tests/meson.build),
# pipewire and wireplumber are Debian's unsanitized programs loading our
# sanitized plugin and xensim's sanitized shim libraries: they get the ASan
# runtime preloaded, and any sanitizer report in their logs fails the test.

GUEST=1
_pids=()		# everything we started, in start order
_names=()
_dbus_pid=
BACKEND_PID=

skip() {
	echo "SKIP: $*"
	exit 77
}

_dump_logs() {
	local f
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "---- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}

# The EXIT trap prints the daemons' logs.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip "$p not found"
	done
}

_alive() {
	kill -0 "$1" 2>/dev/null
}

# Remember a process to stop at the end.
_track() {
	_pids+=("$1")
	_names+=("$2")
}

_untrack() {
	local i
	for i in "${!_pids[@]}"; do
		if [ "${_pids[$i]}" = "$1" ]; then
			unset '_pids[i]' '_names[i]'
		fi
	done
}

# The PID of a tracked process by its _track name.
tracked_pid() {
	local i
	for i in "${!_names[@]}"; do
		[ "${_names[$i]}" = "$1" ] && { echo "${_pids[$i]}"; return 0; }
	done
	return 1
}

# TERM, then KILL after 5 s; reap it if it is our child.
_stop_pid() {
	local pid=$1 sig=${2:-TERM} i
	_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		_alive "$pid" || break
		sleep 0.1
	done
	if _alive "$pid"; then
		echo "lib.sh: pid $pid ignored SIG$sig for 5 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

_sanitizer_reports() {
	grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
		"$T"/*.log 2>/dev/null || true
}

_cleanup() {
	local status=$? i left=() reports
	set +e
	# Newest first; the array has holes where stop_backend untracked.
	for i in $(printf '%s\n' "${!_pids[@]}" | sort -rn); do
		_stop_pid "${_pids[$i]}"
	done
	[ -n "$_dbus_pid" ] && _stop_pid "$_dbus_pid"
	for i in "${!_pids[@]}"; do
		_alive "${_pids[$i]}" && left+=("${_names[$i]}(${_pids[$i]})")
	done
	[ -n "$_dbus_pid" ] && _alive "$_dbus_pid" && left+=("dbus-daemon($_dbus_pid)")
	if [ ${#left[@]} -gt 0 ]; then
		echo "FAIL: still running after cleanup: ${left[*]}" >&2
		status=1
	fi
	reports=$(_sanitizer_reports)
	if [ -n "$reports" ]; then
		echo "FAIL: sanitizer reports in: $reports" >&2
		grep -h -A30 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" $reports >&2
		status=1
	fi
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		_dump_logs
	fi
	if [ -n "${XENSND_KEEP_TMP:-}" ]; then
		echo "lib.sh: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$status"
}

_sanitized() {
	[ -n "${XENSND_SANITIZE:-}" ] && [ "${XENSND_SANITIZE}" != none ] && return 0
	# Run by hand from a sanitizer build without the test env: look.
	[ -n "${XENSND_BUILD_ROOT:-}" ] &&
		ldd "$XENSND_BUILD_ROOT/spa/plugins/xensnd/libspa-xensnd.so" 2>/dev/null |
		grep -q libasan
}

# Environment for Debian's daemons that load our (maybe sanitized) code.
_daemon_env=()
_set_daemon_env() {
	_daemon_env=()
	if _sanitized; then
		local asan=${XENSND_ASAN_RUNTIME:-$(gcc -print-file-name=libasan.so)}
		_daemon_env=(env "LD_PRELOAD=$asan"
			"ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:abort_on_error=1"
			"UBSAN_OPTIONS=print_stacktrace=1")
	fi
}

stack_init() {
	_need xensim xenstore-read
	# Grants and event channels come from xensim's shim libraries.
	[ -e "${XENSIM_LIBDIR:-}/libxengnttab.so.1" ] ||
		skip "no xensim grant/event-channel shims in XENSIM_LIBDIR"
	[ -n "${XENSND_SOURCE_ROOT:-}" ] || skip "not run from meson test/devenv"
	[ -n "${WIREPLUMBER_CONFIG_DIR:-}" ] || skip "WIREPLUMBER_CONFIG_DIR not set (devenv)"

	T=$(mktemp -d "${TMPDIR:-/tmp}/xensnd-plugin.XXXXXX")
	trap _cleanup EXIT
	trap 'exit 130' INT TERM
	SIM=$T/sim
	OUT=$T/out
	WP_LOG=$T/wireplumber.log
	PW_LOG=$T/pipewire.log
	BACKEND_LOG=$T/backend.log
	mkdir -p "$SIM" "$OUT" "$T/run" "$T/config" "$T/state" "$T/data"
	chmod 700 "$T/run"

	# Nothing of a host session: our own runtime dir, config and state.
	export XDG_RUNTIME_DIR=$T/run PIPEWIRE_RUNTIME_DIR=$T/run
	export XDG_CONFIG_HOME=$T/config XDG_STATE_HOME=$T/state XDG_DATA_HOME=$T/data
	export XENSIM_DIR=$SIM
	unset PIPEWIRE_REMOTE DBUS_SESSION_BUS_ADDRESS PULSE_SERVER

	# WirePlumber: the devenv overlay plus this suite's fragment that
	# turns off the host-facing monitors (ALSA, V4L2, libcamera, BlueZ).
	"$XENSND_SOURCE_ROOT/spa/conf/wireplumber-overlay.sh" \
		"$XENSND_SOURCE_ROOT/tests/plugin/wireplumber" \
		"$WIREPLUMBER_CONFIG_DIR" "$T/wireplumber"
	export WIREPLUMBER_CONFIG_DIR=$T/wireplumber WIREPLUMBER_DATA_DIR=$T/wireplumber
	# A sanitizer makes every process here 2-3 times slower, and a
	# wake-up of the node's data thread 6 ms late then starves the
	# backend: give the nodes 21 ms more buffering, as WirePlumber gives
	# ALSA nodes in a VM (vm.node.defaults). What the sanitized run tests
	# is memory and UB, not real-time margins.
	if _sanitized; then
		cat >"$T/wireplumber/main.lua.d/55-xensnd-sanitizer.lua" <<-'LUA'
		table.insert(xensnd_monitor.rules, {
		  matches = { { { "node.name", "matches", "xensnd_*" } } },
		  apply_properties = { ["api.xensnd.headroom"] = 1024 },
		})
		LUA
	fi
	_set_daemon_env
}

# Poll CMD... every 0.1 s until it succeeds; 1 after SECONDS.
_wait_for() {
	local seconds=$1 end
	shift
	end=$(($(date +%s%N) + seconds * 1000000000))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

start_sim() {
	xensim start --dir "$SIM" --foreground >"$T/xensim.log" 2>&1 &
	_track $! xensim
	# The guest domain exists once something runs in it (as xl create
	# makes it before devices are attached); that also tells us the hub
	# answers (its socket file appears before it listens).
	_wait_for 5 xensim exec --dir "$SIM" --domid "$GUEST" -- true 2>/dev/null ||
		fail "xensim did not come up in 5 s (or cannot create guest domain $GUEST)"
}

# attach_card [ITEM...]: prints the new dev-id.
attach_card() {
	local devid
	devid=$(xensim vsnd-attach --dir "$SIM" "$GUEST" "$@") ||
		fail "xensim vsnd-attach $GUEST $* failed; the backends' vsnd nodes:
$(dom0_xs xenstore-ls -f /local/domain/0/backend/vsnd 2>&1 | grep -v -- '-ref\|channel' | head -20)"
	echo "$devid"
}

detach_card() {
	xensim vsnd-detach --dir "$SIM" "$GUEST" "$1" ||
		fail "xensim vsnd-detach $GUEST $1 failed"
}

start_backend() {
	_need xensnd-backend
	xensim exec --dir "$SIM" --domid 0 -- \
		xensnd-backend --output-dir "$OUT" "$@" >>"$BACKEND_LOG" 2>&1 &
	BACKEND_PID=$!
	_track "$BACKEND_PID" xensnd-backend
}

stop_backend() {
	[ -n "$BACKEND_PID" ] || return 0
	_stop_pid "$BACKEND_PID" "${1:-TERM}"
	_untrack "$BACKEND_PID"
	BACKEND_PID=
}

_pw_up() {
	pw-cli info 0 >/dev/null 2>&1
}

start_session() {
	local out
	_need pipewire wireplumber pw-cli wpctl dbus-daemon
	out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) ||
		fail "cannot start a D-Bus session bus"
	DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$out")
	_dbus_pid=$(sed -n 2p <<<"$out")
	export DBUS_SESSION_BUS_ADDRESS

	xensim exec --dir "$SIM" --domid "$GUEST" -- "${_daemon_env[@]}" \
		pipewire >"$PW_LOG" 2>&1 &
	PW_PID=$!
	_track "$PW_PID" pipewire
	_wait_for 10 _pw_up || fail "pipewire did not come up in 10 s"

	start_wireplumber
}

PW_PID=
WP_PID=
start_wireplumber() {
	WIREPLUMBER_DEBUG=${WIREPLUMBER_DEBUG:-3} \
	xensim exec --dir "$SIM" --domid "$GUEST" -- "${_daemon_env[@]}" \
		wireplumber >>"$WP_LOG" 2>&1 &
	WP_PID=$!
	_track "$WP_PID" wireplumber
}

# Stop wireplumber (TERM) and start a new one; its nodes go with it.
restart_wireplumber() {
	_stop_pid "$WP_PID"
	_untrack "$WP_PID"
	_wait_for 5 _no_xensnd_nodes || fail "xensnd nodes outlived wireplumber"
	start_wireplumber
}

_no_xensnd_nodes() {
	! node_names | grep '^xensnd_' >/dev/null
}

start_stack() {
	start_sim
	start_session
}

node_names() {
	pw-cli ls Node 2>/dev/null | sed -n 's/^[[:space:]]*node\.name = "\(.*\)"$/\1/p'
}

_has_node() {
	node_names | grep -xF "$1" >/dev/null
}

_has_no_node() {
	! _has_node "$1"
}

wait_node() {
	_wait_for "${2:-10}" _has_node "$1" ||
		fail "node $1 did not appear in ${2:-10} s (nodes: $(node_names | tr '\n' ' '))"
}

wait_no_node() {
	_wait_for "${2:-10}" _has_no_node "$1" ||
		fail "node $1 still there after ${2:-10} s"
}

guest_xs() {
	local cmd=$1
	shift
	xensim exec --dir "$SIM" --domid "$GUEST" -- "$cmd" "$@"
}

dom0_xs() {
	local cmd=$1
	shift
	xensim exec --dir "$SIM" --domid 0 -- "$cmd" "$@"
}

device_names() {
	pw-cli ls Device 2>/dev/null | sed -n 's/^[[:space:]]*device\.name = "\(.*\)"$/\1/p'
}

_has_device() {
	device_names | grep -xF "$1" >/dev/null
}

_has_no_device() {
	! _has_device "$1"
}

# The device is exported after it made its nodes, so it may come later.
wait_device() {
	_wait_for "${2:-10}" _has_device "$1" ||
		fail "device $1 did not appear in ${2:-10} s (devices: $(device_names | tr '\n' ' '))"
}

wait_no_device() {
	_wait_for "${2:-10}" _has_no_device "$1" ||
		fail "device $1 still there after ${2:-10} s"
}

# The props of the node named $1 as `pw-cli info` prints them.
node_info() {
	local id
	id=$(pw-cli ls Node | awk -v name="$1" '
		/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		$0 ~ "node.name = \"" name "\"" && !found { print id; found = 1 }')
	[ -n "$id" ] || fail "no node $1"
	pw-cli info "$id"
}

# realtime_dom0: what stands in for Xen runs real time, below the guest's
# data loop (PipeWire's FIFO 88): xensim's hub (it carries every event
# channel notification; on Xen the hypervisor delivers them at once) at
# FIFO 50, xensnd-backend (dom0 is not scheduled against the guest's
# processes) at FIFO 60. On a busy machine they were otherwise descheduled
# for longer than a capture buffer, and bit-exact checks saw overruns.
# Returns 1, with a note, where real time is not allowed.
realtime_dom0() {
	local i prio
	chrt -f 1 true 2>/dev/null || {
		echo "note: no real-time scheduling here; a busy machine may cause overruns"
		return 1
	}
	for i in "${!_names[@]}"; do
		case ${_names[$i]} in
		xensim) prio=50 ;;
		xensnd-backend) prio=60 ;;
		*) continue ;;
		esac
		chrt -a -f -p "$prio" "${_pids[$i]}" >/dev/null ||
			fail "cannot make ${_names[$i]} (${_pids[$i]}) real-time (chrt -f $prio)"
	done
}
