#!/usr/bin/env bash
# Hostile backends: the real plugin in wireplumber (guest 1) has two cards.
# "Healthy" is served by xensnd-backend in dom0 and plays one long pw-play
# all the time; "Hostile" is served from domain 2 by hostback, restarted
# for every scenario with one misbehaviour (hostback --help lists them).
# For each scenario, while pw-play plays into the hostile card too:
#   - pipewire and wireplumber stay up;
#   - wireplumber's log names what the backend did wrong (a pattern per
#     scenario), or the card recovers where the protocol allows it;
#   - once the hostile backend is gone and the card is back to Initialising,
#     wireplumber has the fds and shared-memory (grant) mappings it had
#     after the reference run (polite), and pipewire its fds.
# The healthy card, all along: no underrun in its backend, except in a
# sanitized build where it is only printed; its output has every sample
# pw-play sent, in order. Printed, not held (a time is a benchmark's
# figure): WRITEs that came more than a quantum + 10 ms after the one
# before (late_writes in the backend's state file: a stalled data loop
# shows there), scenario by scenario, and the longest gap between WRITEs.
# The backend reads WRITEs at its clock's ticks while a quantum is queued,
# so it sees them up to a quantum late: its gaps may be two quanta long.
# Such a stall need not be the node's: PipeWire 0.3.65 relays each cycle
# of a driver in wireplumber through pipewire's data thread, so a pause
# there delays the node's cycle too. (open-error stalled it 23 ms, twice
# in a row, in one clean run of three; the cause was not traced.)
set -euo pipefail
here=$(dirname "$0")
. "$here/../plugin/lib.sh"
. "$here/../plugin/common.sh"
. "$here/../plugin/pcm/common-pcm.sh"
hostback=$1
gapcmp=$2

# name | pw-play into the hostile card? | what wireplumber's log must say
SCENARIOS=(
	"polite|play|\\(Hostile\\).*opened s16_le 48000 Hz 2 ch"
	"unknown-id|play|response WRITE with id [0-9]+, which is not outstanding"
	"duplicate-id|play|response producer [0-9]+ is [0-9]+ ahead of consumer [0-9]+, but only [0-9]+ requests were sent|which is not outstanding"
	"wrong-op|play|says operation 2 \\(READ\\)"
	"write-error|play|WRITE refused"
	"positive-status|play|has status 5; sndif allows 0 or a negative error"
	"open-error|play|OPEN s16_le 48000 Hz 2 ch failed"
	"trigger-error|play|TRIGGER refused"
	"rsp-ahead|play|response producer [0-9]+ is 6[0-9] ahead"
	"rsp-back|play|response producer [0-9]+ is 429496729[0-9] ahead"
	"ring-garbage|play|response producer|not outstanding|says operation"
	"evt-ahead|play|event producer [0-9]+ is 1000 ahead"
	"evt-flicker|play|event producer [0-9]+ is [0-9]+ ahead"
	"curpos-back|play|backend position went back"
	"curpos-jump|play|backend position [0-9]+ is beyond the [0-9]+ frames written"
	"curpos-never|play|backend sent no CUR_POS within"
	"write-silent|play|WRITE not answered"
	"query-empty|none|backend offers no configured format"
	"query-inverted|none|backend rate range 96000..8000 holds no"
	"query-absurd|none|ignoring backend buffer range 0..4294967295"
	"open-silent|play|backend did not answer OPEN within"
	"open-late|play|backend did not answer OPEN within"
	"notify-flood|play|the backend notifies with nothing to read"
	"state-flap|none|backend /local/domain/2/backend/vsnd/1/[0-9]+ is Closing"
	"xs-garbage|none|offers protocol versions \"banana,,;9+\", none of which we speak"
	"vanish|play|backend /local/domain/2/backend/vsnd/1/[0-9]+ is (Closed|Unknown)"
)

stack_init
_need sox soxi pw-play pw-metadata python3
STATE=$T/backend-state
start_sim
introduce_guest
xensim exec --dir "$SIM" --domid 2 -- true || fail "cannot create domain 2"
HEALTHY=$(attach_card 'CARD, short-name=Healthy, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2' \
	'PCM, name=Out' 'STREAM, unique-id=0, type=p')
HEALTHY_NODE=xensnd_output.$HEALTHY.0.0
HEALTHY_STREAM=dom1-vsnd$HEALTHY-pcm0-stream0
# Each scenario gets a card of its own, served from domain 2 (attached
# when the scenario starts, detached when it ends): a node that went into
# error stays unusable in PipeWire 0.3.65 (see the report), and the
# detach also shows that the card's teardown gives everything back.
HOSTILE=
HOSTILE_NODE=
attach_hostile() {
	HOSTILE=$(attach_card 'CARD, short-name=Hostile, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2, backend=2' \
		'PCM, name=Out' 'STREAM, unique-id=1, type=p')
	HOSTILE_NODE=xensnd_output.$HOSTILE.0.0
}
start_backend --state-file "$STATE"

HB_PID=
HB_LOG=
start_hostback() {
	HB_LOG=$T/hostback-$1.log
	xensim exec --dir "$SIM" --domid 2 -- "$hostback" --scenario "$1" \
		--guest "$GUEST" --dev "$HOSTILE" >"$HB_LOG" 2>&1 &
	HB_PID=$!
	_track "$HB_PID" "hostback($1)"
}

stop_hostback() {
	[ -n "$HB_PID" ] || return 0
	_stop_pid "$HB_PID"
	_untrack "$HB_PID"
	HB_PID=
}

start_session
wait_node "$HEALTHY_NODE" 15
# What measures the healthy card is the backend's clock of WRITE arrivals,
# and xensim's hub carries every event-channel notification: real time
# for them (below the guest's data loop), so the figure is the guest's.
realtime_dom0 || true

# The graph at one rate and quantum: nothing resamples, the healthy
# output can be compared bit for bit.
QUANTUM=1024
pw-metadata -n settings 0 clock.force-quantum $QUANTUM >/dev/null
pw-metadata -n settings 0 clock.force-rate 48000 >/dev/null

# Healthy: long enough for every scenario; stopped when they are done.
gen_wav "$T/healthy.wav" s16_le 48000 2 $((48000 * 170))
gen_wav "$T/short.wav" s16_le 48000 2 $((48000 * 3))
pw-play --target "$HEALTHY_NODE" "$T/healthy.wav" &
HEALTHY_PLAY=$!
_track "$HEALTHY_PLAY" "pw-play(healthy)"
wait_stream_running "$HEALTHY_STREAM" 10

n_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
n_memfd() { grep -c 'memfd:' "/proc/$1/maps" 2>/dev/null || true; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
counts() { echo "wp_fds=$(n_fds "$WP_PID") wp_memfd=$(n_memfd "$WP_PID") pw_fds=$(n_fds "$PW_PID")"; }

_log_since() {
	tail -n +"$1" "$WP_LOG" | grep -E -- "$2" >/dev/null
}

_counts_are() {
	[ "$(counts)" = "$1" ]
}

_hostback_connected() {
	grep -q "^hostback: .*: connected" "$HB_LOG"
}

# One scenario: its backend, pw-play into the card, the log line, cleanup.
run_scenario() {
	local name=$1 play=$2 pattern=$3 mark player=
	mark=$(($(wc -l <"$WP_LOG") + 1))
	attach_hostile
	start_hostback "$name"
	wait_node "$HOSTILE_NODE" 10
	_wait_for 10 _hostback_connected ||
		fail "$name: hostback did not connect: $(tail -n 3 "$HB_LOG")"
	wait_front_state "$HOSTILE" 4 10
	if [ "$play" = play ]; then
		pw-play --target "$HOSTILE_NODE" "$T/short.wav" 2>>"$T/pw-play-hostile.log" &
		player=$!
		_track "$player" "pw-play($name)"
	fi
	if [ "$name" = vanish ]; then
		sleep 1
		xensim destroy --dir "$SIM" 2 || fail "xensim destroy 2 failed"
	fi
	# Each misbehaviour goes on for a while with the healthy card playing.
	sleep 1
	_wait_for 8 _log_since "$mark" "$pattern" ||
		fail "$name: wireplumber's log never said /$pattern/; hostback said: $(tail -n 3 "$HB_LOG"); the node: $(node_info "$HOSTILE_NODE" | grep -E 'state|error' | tr '\n' ' ')"
	if [ "$name" = xs-garbage ]; then
		# A backend domain can read the frontend's nodes, never write them.
		! grep -q "WRITE ACCEPTED" "$HB_LOG" ||
			fail "xs-garbage: $(grep "WRITE ACCEPTED" "$HB_LOG")"
		[ "$(grep -c "refused: Permission denied" "$HB_LOG")" = 6 ] ||
			fail "xs-garbage: not every write to the frontend was refused: $(cat "$HB_LOG")"
	fi
	if [ -n "$player" ]; then
		_stop_pid "$player"
		_untrack "$player"
	fi
	stop_hostback
	if [ "$name" = vanish ]; then
		# Its backend domain is gone: nothing answers the detach.
		wait_front_state "$HOSTILE" 1 10
		xensim vsnd-detach --dir "$SIM" --force "$GUEST" "$HOSTILE" ||
			fail "vsnd-detach --force after the backend domain died"
	else
		wait_front_state "$HOSTILE" 1 10
		detach_card "$HOSTILE"
	fi
	wait_no_node "$HOSTILE_NODE" 10
	_alive "$WP_PID" || fail "$name: wireplumber died"
	_alive "$PW_PID" || fail "$name: pipewire died"
	pw-cli info 0 >/dev/null || fail "$name: pipewire stopped answering"
	echo "ok: $name: $(tail -n +"$mark" "$WP_LOG" | grep -E -m1 -- "$pattern" | sed 's/^.*xensnd[^ ]* //' | cut -c1-160)"
}

# After a scenario: back to the reference counts (the card's grants and
# fds go with its transport; allow the teardown a few seconds).
check_counts() {
	_wait_for 8 _counts_are "$BASELINE" ||
		fail "$1: leaked: $(counts), after the reference run $BASELINE"
}

healthy_field() {
	sed -n "s/^stream $HEALTHY_STREAM .* $1=\([0-9]*\).*/\1/p" "$STATE"
}

# The healthy card's late WRITEs (late_writes, as xensnd-backend(8) counts
# them) while a scenario ran. The machine
# may be loaded by other work too: a scenario with late WRITEs runs once
# more, and only a stall that comes back is the scenario's.
LATE=
late_during() {
	local before after
	before=$(healthy_field late_writes)
	run_scenario "$@"
	sleep 0.3	# the state file is rewritten at most 10 times a second
	after=$(healthy_field late_writes)
	LATE=$((after - before))
}

# The noise floor: late WRITEs in 3 s with nothing else going on.
before=$(healthy_field late_writes)
sleep 3
echo "healthy card, 3 s alone: $(($(healthy_field late_writes) - before)) late WRITEs"
t0=$(date +%s)
IFS='|' read -r name play pattern <<<"${SCENARIOS[0]}"
late_during "$name" "$play" "$pattern"
echo "healthy card during the reference run: $LATE late WRITEs"
sleep 1
BASELINE=$(counts)
RSS0=$(rss_kb "$WP_PID")
echo "reference counts after polite: $BASELINE, wireplumber RSS ${RSS0} kB"
passed=1
stalls=0
for s in "${SCENARIOS[@]:1}"; do
	IFS='|' read -r name play pattern <<<"$s"
	# HOSTILE_ONLY="a b": just those (when working on one).
	[ -z "${HOSTILE_ONLY:-}" ] || [[ " $HOSTILE_ONLY " == *" $name "* ]] || continue
	late_during "$name" "$play" "$pattern"
	[ "$LATE" = 0 ] || echo "$name: $LATE late WRITEs on the healthy card"
	if [ "${HOSTILE_RETRY:-1}" = 1 ] && [ "$LATE" != 0 ] && [ "$name" != vanish ]; then
		echo "$name: once more"
		check_counts "$name"
		late_during "$name" "$play" "$pattern"
		if [ "$LATE" != 0 ]; then
			echo "STALL (printed, not failed): $name: $LATE late WRITEs on the healthy card, twice"
			stalls=$((stalls + 1))
		fi
	fi
	check_counts "$name"
	passed=$((passed + 1))
	# Memory: the first scenarios warm caches up; after that it stays.
	[ "$passed" = 6 ] && RSS5=$(rss_kb "$WP_PID")
done
echo "scenarios passed: $passed of ${#SCENARIOS[@]} in $(($(date +%s) - t0)) s"

# The healthy card, measured before its player is stopped.
line=$(stream_state "$HEALTHY_STREAM")
underruns=$(sed -n 's/.* underruns=\([0-9]*\).*/\1/p' <<<"$line")
gap=$(sed -n 's/.* max_write_gap_us=\([0-9]*\).*/\1/p' <<<"$line")
[ -n "$gap" ] || fail "no max_write_gap_us in the backend's state: $line"
period_us=$((QUANTUM * 1000000 / 48000))
echo "healthy card: underruns=$underruns, longest gap between WRITEs ${gap} us (a quantum is ${period_us} us, two are normal): worst stall $((gap > 2 * period_us ? gap - 2 * period_us : 0)) us"
# A sanitized build runs everything (xensim's hub too) several times
# slower: there the figures are printed, not held.
if [ -z "${XENSND_SANITIZE:-}" ] || [ "$XENSND_SANITIZE" = none ]; then
	[ "$underruns" = 0 ] || fail "the healthy card underran $underruns times"
fi
echo "healthy card: $stalls scenarios of $passed had late WRITEs twice"
RSS1=$(rss_kb "$WP_PID")
echo "wireplumber RSS ${RSS0} kB after the reference run, ${RSS5:-?} kB after 5 scenarios, ${RSS1} kB at the end"
if [ -n "${RSS5:-}" ] && { [ -z "${XENSND_SANITIZE:-}" ] || [ "$XENSND_SANITIZE" = none ]; }; then
	[ "$RSS1" -le $((RSS5 + 2048)) ] ||
		fail "wireplumber grew from $RSS5 kB to $RSS1 kB over $((passed - 6)) scenarios"
fi

_stop_pid "$HEALTHY_PLAY"
_untrack "$HEALTHY_PLAY"
out=$OUT/$HEALTHY_STREAM.wav
frames=$(soxi -s "$out")
[ "$frames" -gt $((48000 * 3)) ] || fail "the healthy card played only $frames frames"
# Every sample pw-play sent, in order, none lost or changed. PipeWire
# 0.3.65 hands the node a silent quantum now and then while WirePlumber
# relinks the graph for a card coming or going (the pw-play client misses
# that cycle; its audio comes one quantum later): counted, not failed.
if ! "$gapcmp" "$T/healthy.wav" "$out" $QUANTUM; then
	[ "$underruns" != 0 ] && [ -n "${XENSND_SANITIZE:-}" ] && [ "$XENSND_SANITIZE" != none ] ||
		fail "the healthy card's output lost or changed samples of what pw-play played"
	echo "note: sanitized build: the healthy card's $underruns underruns show in its output"
fi
echo "PASS: $passed hostile backends; the healthy card played $((frames / 48000)) s, no sample lost"
