#!/bin/bash
# Hostile guests against xensnd-backend, beyond what tests/backend/bad.sh
# tries: page directories that loop (to themselves, or over two pages),
# that are a page too long, that name a directory or buffer page granted
# to another domain, a buffer reference 0 or never granted; requests after
# CLOSE; 20000 requests as fast as the ring takes them; 2000 requests of
# random bytes; 100000 notifications; a guest that never consumes its
# events; a request producer two rings ahead. Guest 1 runs each rule (the
# test frontend's `hostile` command) while guest 2 plays all along.
# Checked: every rule refused or survived, one log line per refusal, the
# backend alive, guest 2's output bit-exact, mapped pages back to what
# guest 2 alone holds, then 0, and /proc maps back to the baseline.
source "$(dirname "$0")/../backend/lib.sh"
RULES=(dir-loop dir-loop-2 dir-long dir-foreign buf-foreign buf-ref0 buf-ungranted
       after-close req-flood req-garbage notify-flood never-consume req-prod-ahead)
FMT=(--format s16_le --rate 48000 --channels 2)

start_hub
attach 1 'CARD, short-name=Evil, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2, buffer-size=8388608' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
attach 2 'CARD, short-name=Good, sample-formats=s16_le, sample-rates=48000, channels-min=2, channels-max=2' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend
maps() { grep -c 'memfd:' "/proc/$BACKEND_PID/maps" || true; }
baseline_maps=$(maps)

"$WAVTOOL" gen s16_le 48000 2 $((48000 * 20)) "$DIR/good.wav"
front_bg 2 "$DIR/good.out" play 0 "$DIR/good.wav" --format s16_le --buffer 16384
GOOD=$FRONT_PID
wait_for "guest 2 plays" 'test "$(stream_field dom2-vsnd0-pcm0-stream0 state)" = running'
good_pages=$(backend_field mapped_pages)

for rule in "${RULES[@]}"; do
	refusals=$(grep -c "refused with -" "$BACKEND_LOG" || true)
	front 1 hostile 0 "$rule" "${FMT[@]}" >"$DIR/$rule.out" 2>&1 ||
		{ cat "$DIR/$rule.out"; fail "$rule: not refused, or the backend did not survive it"; }
	process_gone "$BACKEND_PID" && fail "$rule: the backend died"
	case $rule in
	dir-*|buf-*)
		# One line, naming the stream and what is wrong with the directory.
		new=$(tail -n +$((refusals + 1)) <(grep "refused with -" "$BACKEND_LOG"))
		grep -qE "dom1 vsnd0 pcm0 stream0: OPEN \(id [0-9]+\) refused with -22: " <<<"$new" ||
			fail "$rule: no refusal in the backend's log: $new"
		ok "$rule: $(tail -n 1 "$DIR/$rule.out"); backend: ${new##*refused with }" ;;
	*)
		ok "$rule: $(tail -n 1 "$DIR/$rule.out")" ;;
	esac
done
# 22000 refused requests, but the log is not the guest's to fill.
lines=$(grep -c "refused with -" "$BACKEND_LOG")
[ "$lines" -lt 1000 ] || fail "$lines refusal lines in the backend's log: a guest can flood it"
ok "refusals logged: $lines lines for over 22000 refused requests"
process_gone "$GOOD" && fail "guest 2 finished before the hostile rules did; give it a longer file"
sleep 0.2	# the state file is rewritten at most 10 times a second
good_underruns=$(stream_field dom2-vsnd0-pcm0-stream0 underruns)
good_gap=$(stream_field dom2-vsnd0-pcm0-stream0 max_write_gap_us)
[ "$good_underruns" = 0 ] || fail "guest 2 underran $good_underruns times during the rules"
grep -q "dom1 vsnd0: the frontend broke the protocol (dom1 vsnd0 pcm0 stream0: request producer" "$BACKEND_LOG" ||
	fail "req_prod two rings ahead is not named in the backend's log"
wait_for "guest 1's pages are unmapped (guest 2 holds $good_pages)" \
	'test "$(backend_field mapped_pages)" = "$good_pages"'
ok "guest 1 holds no mapping after ${#RULES[@]} rules: mapped_pages back to guest 2's $good_pages"

# The guest that broke the protocol connects again and plays bit-exact.
"$WAVTOOL" gen s16_le 48000 2 4800 "$DIR/short.wav"
front 1 play 0 "$DIR/short.wav" --format s16_le --buffer 16384 >/dev/null ||
	fail "guest 1 cannot play after its rules"
last=$(ls -t "$OUT"/dom1-vsnd0-pcm0-stream0*.wav | head -n 1)
"$WAVTOOL" same s16_le "$DIR/short.wav" "$last" >/dev/null || fail "guest 1's later play is not bit-exact"
ok "guest 1 reconnects and plays bit-exact"

wait "$GOOD" || fail "guest 2's stream failed"
"$WAVTOOL" same s16_le "$DIR/good.wav" "$OUT/dom2-vsnd0-pcm0-stream0.wav" >/dev/null ||
	fail "guest 2's output is not bit-exact"
ok "guest 2 played 20 s through all of it, bit-exact, no underrun (longest gap between its WRITEs during the rules: $good_gap us)"
wait_for "nothing mapped" 'test "$(backend_field mapped_pages)" = 0'
wait_for "the process maps are back to the baseline ($baseline_maps)" 'test "$(maps)" -le "$baseline_maps"'
ok "no leaked mappings: mapped_pages 0, /proc maps at the baseline ($baseline_maps)"
