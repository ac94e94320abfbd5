# shellcheck shell=bash
# What the recovery, hotplug-leak and soak tests share, on top of lib.sh
# and common.sh: clocks, the backend's WAV files and state file, and the
# resources (RSS, fds, grant mappings) a process holds.

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# A tone of SECONDS at 48 kHz stereo s16 (what the reference card plays).
gen_tone() {
	sox -D -r 48000 -c 2 -n -b 16 -e signed-integer "$1" \
		synth "$2" sine 440 sine 660 vol 0.5
}

# wav_files BASE: the backend's WAV files of one stream, oldest first
# (BASE.wav, then BASE.1.wav, BASE.2.wav, ... one per OPEN).
wav_count() {
	local n=0
	[ -e "$OUT/$1.wav" ] || { echo 0; return; }
	while [ -e "$OUT/$1.$((n + 1)).wav" ]; do
		n=$((n + 1))
	done
	echo $((n + 1))
}

# The WAV file of the Nth OPEN of a stream (1 = BASE.wav).
wav_file() {
	if [ "$2" = 1 ]; then
		echo "$OUT/$1.wav"
	else
		echo "$OUT/$1.$(($2 - 1)).wav"
	fi
}

# True when FILE has a non-zero byte after its 44-byte header: audio, not
# the silence a node plays before it has data.
has_sound() {
	[ -s "$1" ] && [ "$(tail -c +45 "$1" | tr -d '\0' | wc -c)" -gt 0 ]
}

# wait_sound FILE SECONDS: poll every 10 ms (the gap is measured with it).
wait_sound() {
	local end=$(($(now_ms) + $2 * 1000))
	until has_sound "$1"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# wait_new_sound BASE N SECONDS: until a WAV of an OPEN after the Nth has
# sound (a recovering node may open more than once before it plays).
_new_sound() {
	local k=$(($2 + 1))
	while [ -e "$(wav_file "$1" "$k")" ]; do
		has_sound "$(wav_file "$1" "$k")" && return 0
		k=$((k + 1))
	done
	return 1
}
wait_new_sound() {
	local end=$(($(now_ms) + $3 * 1000))
	until _new_sound "$1" "$2"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# A file grows while its stream plays: SIZE now, and again after SECONDS.
wav_grows() {
	local a b
	a=$(stat -c %s "$1" 2>/dev/null || echo 0)
	sleep "$2"
	b=$(stat -c %s "$1" 2>/dev/null || echo 0)
	[ "$b" -gt "$a" ]
}

# A value from the backend state file's first line ("backend ... KEY=V").
backend_stat() {
	sed -n "1s/.* $1=\\([0-9]*\\).*/\\1/p" "$STATE" 2>/dev/null
}

# Resources of a process, as the leak checks count them.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
# The private part of RSS (heap, stacks): what a leak grows. VmRSS also
# counts the shared memfd pages of buffers and grants a process touched,
# which grow in steps as more of a mapped buffer is used.
anon_kb() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"
}
fd_count() {
	ls "/proc/$1/fd" | wc -l
}
# Grant mappings: xensim's grants are memfd pages (a sharer's own share, a
# mapper's mapping), so memfd mappings in /proc/PID/maps count them; the
# hub holds one memfd per live share.
memfd_maps() {
	grep -c 'memfd:' "/proc/$1/maps" || true
}
memfd_fds() {
	local n=0 f
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == /memfd:* ]] && n=$((n + 1))
	done
	echo "$n"
}


# resources NAME PID: "NAME rss=KB anon=KB fds=N memfd_maps=N memfd_fds=N"
resources() {
	echo "$1 rss=$(rss_kb "$2") anon=$(anon_kb "$2") fds=$(fd_count "$2") memfd_maps=$(memfd_maps "$2") memfd_fds=$(memfd_fds "$2")"
}

# One line per process of the stack (and the backend's mapped pages).
snapshot() {
	local pid name
	for name in pipewire wireplumber xensim; do
		pid=$(tracked_pid "$name") || continue
		resources "$name" "$pid"
	done
	if [ -n "${BACKEND_PID:-}" ]; then
		# xensim exec execs: the PID is the backend's.
		echo "$(resources backend "$BACKEND_PID") mapped_pages=$(backend_stat mapped_pages)"
	fi
}

# The counts that must be equal before and after (not RSS).
counts() {
	snapshot | sed 's/ rss=[0-9]* anon=[0-9]*//'
}

# set_suspend_timeout SECONDS: a monitor rule, as a user writes it, giving
# every xensnd node session.suspend-timeout-seconds (before start_session).
set_suspend_timeout() {
	cat >"$WIREPLUMBER_CONFIG_DIR/main.lua.d/61-xensnd-suspend.lua" <<LUA
table.insert(xensnd_monitor.rules, {
  matches = { { { "node.name", "matches", "xensnd_*" } } },
  apply_properties = { ["session.suspend-timeout-seconds"] = $1 },
})
LUA
}

# Every stream in the backend's state file is closed (nodes suspended).
_all_closed() {
	[ -s "$STATE" ] &&
		awk '/^stream / && !/ state=closed / { open = 1 } END { exit open }' "$STATE"
}
wait_all_closed() {
	_wait_for "${1:-10}" _all_closed ||
		fail "streams still open after ${1:-10} s: $(grep '^stream ' "$STATE" | grep -v ' state=closed ')"
}
