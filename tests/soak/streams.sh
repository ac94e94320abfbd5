#!/usr/bin/env bash
# The stream soak: 8 streams on 2 cards (per card 2 sinks, 2 sources),
# each with its own client loop for MINUTES: pw-play of a 2 s clip or a
# 2 s pw-record, then a gap that alternates between 0.3 s (the node goes
# idle and is started again: pause/resume) and 1.6 s (longer than the
# 1 s session.suspend-timeout-seconds: CLOSE and a new OPEN at the
# backend: suspend/resume), while a fifth loop sets volumes and mutes.
#
# Every INTERVAL seconds (and at the start, after a warm-up round, and at
# the end) the loops are held, every stream closes, and the RSS, fds and
# memfd (grant) mappings of pipewire, wireplumber, the hub and the backend
# (and its mapped pages) are printed. Asserted:
#  - fds, memfd maps/fds and mapped pages are exactly the baseline's;
#  - anonymous RSS (RssAnon: heap and stacks) of the processes that run
#    our code (wireplumber, the hub, the backend) grows by at most
#    RSS_SLACK_KB (2048) from a warm baseline to the end: the end of the
#    first interval (runs of up to a minute), or the first measurement a
#    minute into the run (longer runs); the start if there is only one
#    interval. Warm, because in the first minute of load pipewire and
#    WirePlumber each grow once to a working size (steps of 1.9 to
#    5 MiB measured, then flat for 10 minutes). Not VmRSS: it also counts
#    the shared buffer pages a process touched (pipewire's VmRSS stepped
#    up 3 MiB once in a 10-minute run, its fds and mappings unchanged).
#    Why not
#    exact: glibc's malloc keeps freed memory in its arenas and trims only
#    above its thresholds, and PipeWire's pools grow to a high-water mark
#    that depends on how streams interleaved; both are bounded. There
#    are about 70 OPENs a minute here: a leak of 1 KiB per OPEN passes
#    2 MiB within 30 minutes (the long runs), one of 30 KiB (a lost
#    buffer) fails the 1-minute CI run; lost fds and grant mappings fail
#    any run, as their counts are exact. Not asserted under a sanitizer
#    (ASan's quarantine grows RSS on purpose; LeakSanitizer checks there);
#  - each interval, every sink was heard (a new WAV with sound at the
#    backend) and every source recorded sound.
#
# usage: streams.sh [--minutes N | --seconds N] [--interval SECONDS]
# (from meson devenv or meson test)
set -euo pipefail
here=$(dirname "$0")
plugin=$here/../plugin
. "$plugin/lib.sh"
. "$plugin/common.sh"
. "$plugin/recovery-lib.sh"

minutes=1
seconds=
interval=20
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) minutes=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	--interval) interval=${2:?}; shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	*) echo "streams.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
[[ $minutes =~ ^[0-9]+$ && $minutes -ge 1 ]] || { echo "streams.sh: --minutes wants a whole number >= 1" >&2; exit 2; }
[[ $interval =~ ^[0-9]+$ && $interval -ge 10 ]] || { echo "streams.sh: --interval wants seconds >= 10" >&2; exit 2; }
[[ -z $seconds || ( $seconds =~ ^[0-9]+$ && $seconds -ge 20 ) ]] || { echo "streams.sh: --seconds wants a whole number >= 20" >&2; exit 2; }
duration=${seconds:-$((minutes * 60))}
slack_kb=${RSS_SLACK_KB:-2048}

stack_init
# The client loops end at the next turn when the test ends, however it
# ends (lib.sh's _cleanup then stops them by PID, and whatever they run).
main_pid=$$
trap 'st=$?; set +e; touch "$T/stop" 2>/dev/null; (exit $st); _cleanup' EXIT
_need sox pw-play pw-record wpctl
STATE=$T/backend-state
set_suspend_timeout 1
start_sim
attach_card "${CARD_ITEMS[@]}" >/dev/null
attach_card "${CARD_ITEMS[@]}" >/dev/null
start_backend --state-file "$STATE"
start_session
for d in 0 1; do
	for n in $(card_nodes "$d"); do
		wait_node "$n"
	done
	wait_front_state "$d" 4
done
gen_tone "$T/clip.wav" 2
sinks=(xensnd_output.0.0.0 xensnd_output.0.1.0 xensnd_output.1.0.0 xensnd_output.1.1.0)
sources=(xensnd_input.0.0.1 xensnd_input.0.1.1 xensnd_input.1.0.1 xensnd_input.1.1.1)
# The backend's name of each sink's stream (stream index in its PCM).
streams=(dom1-vsnd0-pcm0-stream0 dom1-vsnd0-pcm1-stream0
	 dom1-vsnd1-pcm0-stream0 dom1-vsnd1-pcm1-stream0)
HOLD=$T/hold

# A loop runs one client at a time; it marks itself busy while the client
# runs, and starts none while $HOLD exists. TERM ends the client first.
client_loop() {
	local name=$1 k=0 child=
	shift
	trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM
	while :; do
		# The end of the soak, or of the test (the temp dir is gone).
		{ [ -e "$T/stop" ] || [ ! -d "$T" ] || ! kill -0 "$main_pid"; } 2>/dev/null && exit 0
		if [ -e "$HOLD" ]; then
			sleep 0.1
			continue
		fi
		touch "$T/busy.$name"
		"$@" &
		child=$!
		wait "$child" || true
		child=
		rm -f "$T/busy.$name"
		k=$((k + 1))
		if ((k % 2)); then sleep 0.3; else sleep 1.6; fi &
		wait $! || true
	done
}

peak() {
	sox "$1" -n stat 2>&1 | awk '/^Maximum amplitude/ { print $3 }'
}

# A 3 s pw-record, ended with SIGINT (pw-record then completes its WAV);
# marks the source heard when it recorded sound, counts it silent when
# not (tallied at the end). Not `timeout`: on a signal of its own it
# signals a whole process group.
record_check() {
	local i=$1 rpid p
	pw-record --target "${sources[$i]}" "$T/rec$i.wav" &
	rpid=$!
	trap 'kill -INT "$rpid" 2>/dev/null; wait "$rpid"; exit 0' TERM
	sleep 3 &
	wait $! || true
	kill -INT "$rpid" 2>/dev/null || true
	wait "$rpid" || true
	p=$(peak "$T/rec$i.wav")
	if awk -v p="${p:-0}" 'BEGIN { exit !(p > 0) }'; then
		touch "$T/heard.rec$i"
	else
		echo "$i" >>"$T/silent-recordings"
	fi
}

# Volume and mute of a random xensnd node; mute only briefly, so that
# every interval has sound to check.
knobs() {
	local ids id
	mapfile -t ids < <(node_ids | awk '{ print $2 }')
	id=${ids[RANDOM % ${#ids[@]}]}
	wpctl set-volume "$id" "0.$((RANDOM % 7 + 3))" &&
	wpctl set-mute "$id" 1 && sleep 0.2 && wpctl set-mute "$id" 0
}

loops=()
for i in 0 1 2 3; do
	client_loop "play$i" pw-play --target "${sinks[$i]}" "$T/clip.wav" &
	_track $! "play-loop$i"
	loops+=($!)
	client_loop "rec$i" record_check "$i" &
done
client_loop knobs knobs &
_track $! knob-loop
loops+=($!)

_no_busy() {
	! compgen -G "$T/busy.*" >/dev/null
}

# hold; wait for quiet; run CMD...; release.
quiet() {
	touch "$HOLD"
	_wait_for 10 _no_busy || fail "clients still running 10 s after the hold: $(ls "$T"/busy.*)"
	wait_all_closed 10
	sleep 0.3
	"$@"
	rm -f "$HOLD"
}

# What each sink's stream had written when an interval began: its OPEN
# count and the size of its newest WAV. A pause (0.3 s gap) continues the
# same OPEN and WAV; a suspend starts a new one.
opens_then=()
size_then=()
newest_wav() {
	wav_file "$1" "$(wav_count "$1")"
}
mark_opens() {
	local i
	rm -f "$T"/heard.rec*
	for i in 0 1 2 3; do
		opens_then[i]=$(wav_count "${streams[$i]}")
		size_then[i]=$(stat -c %s "$(newest_wav "${streams[$i]}")" 2>/dev/null || echo 0)
	done
}

# Heard since the mark: a new OPEN with sound, or the same WAV grew and
# has sound.
_heard_since() {
	local i=$1 f
	_new_sound "${streams[$i]}" "${opens_then[$i]}" && return 0
	f=$(wav_file "${streams[$i]}" "${opens_then[$i]}")
	[ "${opens_then[$i]}" -gt 0 ] && [ "$(stat -c %s "$f")" -gt "${size_then[$i]}" ] && has_sound "$f"
}

check_audio() {
	local i
	for i in 0 1 2 3; do
		_heard_since "$i" ||
			fail "${sinks[$i]}: nothing heard at the backend in this interval (OPENs ${opens_then[$i]} -> $(wav_count "${streams[$i]}"); $(ls -l "$OUT" | grep "${streams[$i]}"))"
		[ -e "$T/heard.rec$i" ] ||
			fail "${sources[$i]}: no recording with sound in this interval"
	done
}

start_s=$(date +%s)
elapsed() {
	echo $(($(date +%s) - start_s))
}

measure() {
	echo "soak t=$(elapsed)s:"
	snapshot | tee "$T/snap" | sed 's/^/  /'
	sed 's/ rss=[0-9]* anon=[0-9]*//' "$T/snap" >"$T/counts"
}

# Warm-up: one round of every client, then the baseline.
mark_opens
sleep 5
quiet measure
check_audio
cp "$T/snap" "$T/baseline"
cp "$T/counts" "$T/baseline-counts"
# Whole intervals only (a short last one may see a loop in its gap):
# the warm-up and each hold take a few seconds of the duration.
intervals=$(((duration - 10) / interval))
[ "$intervals" -ge 1 ] || intervals=1
for ((n = 1; n <= intervals; n++)); do
	mark_opens
	# In the background: a TERM (meson's timeout) is handled at once.
	sleep "$interval" &
	wait $!
	quiet measure
	check_audio
	diff -u "$T/baseline-counts" "$T/counts" >&2 ||
		fail "fds or grant counts changed since the baseline"
	# RSS is compared from the end of the first interval on (if more
	# follow), or of the first minute in long runs.
	if [ "$intervals" -ge 2 ] && [ ! -e "$T/rss-baseline" ] &&
	   { [ "$interval" -ge 60 ] || [ "$(elapsed)" -ge 60 ] ||
	     [ $((intervals * interval)) -le 60 ]; }; then
		cp "$T/snap" "$T/rss-baseline"
	fi
done
[ -e "$T/rss-baseline" ] || cp "$T/baseline" "$T/rss-baseline"

# The loops end after their current client.
touch "$T/stop"
for p in "${loops[@]}"; do
	_wait_for 10 eval "! kill -0 $p 2>/dev/null" || fail "client loop $p did not end"
	_untrack "$p"
done

# RSS: the end against the baseline, per process.
echo "soak: anonymous RSS start -> warm -> end (kB; asserted but for pipewire: warm -> end):"
rss_of() {
	grep "^$1 " "$2" | sed 's/.* anon=\([0-9]*\).*/\1/'
}
while read -r name _; do
	s0=$(rss_of "$name" "$T/baseline")
	b=$(rss_of "$name" "$T/rss-baseline")
	e=$(rss_of "$name" "$T/snap")
	echo "  $name $s0 -> $b -> $e ($((e - b)))"
	# Under ASan every free goes to its quarantine (up to 256 MiB) first:
	# RSS grows by design there, and LeakSanitizer is the leak check.
	_sanitized && continue
	# pipewire runs none of our code (the nodes live in WirePlumber),
	# and in a one-minute run its one-time growth to a working size can
	# come after the warm point (8.5 MiB in one step at 57 s, once):
	# printed, not asserted. Its fds and mappings are, exactly.
	[ "$name" = pipewire ] && continue
	[ $((e - b)) -le "$slack_kb" ] || fail "$name anonymous RSS grew by $((e - b)) kB (slack $slack_kb kB)"
done <"$T/baseline"
echo "soak: recordings without sound: $(cat "$T/silent-recordings" 2>/dev/null | wc -l)"
grep '^stream ' "$STATE" | sed 's/ format=.* opens=/ opens=/; s/ requests=.*//' | sed 's/^/  /'
echo "PASS: $duration s soak of 8 streams: counts exact, RSS within $slack_kb kB, audio every interval"
