#!/bin/bash
# A guest destroyed mid-stream (xensim destroy): the backend drops its
# card, unmaps everything of it (its own counter, and the shared-memory
# mappings in /proc/PID/maps), and keeps serving another guest whose
# output stays bit-exact.
source "$(dirname "$0")/lib.sh"
start_hub
for dom in 1 2; do
	attach "$dom" 'CARD, short-name=D, sample-formats=s16_le, sample-rates=48000' \
		'PCM, name=Main' 'STREAM, unique-id=0, type=p' 'STREAM, unique-id=1, type=c'
done
start_backend
# Grant mappings are shared memory (memfd) in the backend's address space.
maps() { grep -c 'memfd:' "/proc/$BACKEND_PID/maps" || true; }
baseline=$(maps)

"$WAVTOOL" gen s16_le 48000 2 96000 "$DIR/victim.wav"
"$WAVTOOL" gen s16_le 48000 2 72000 "$DIR/survivor.wav"
front_bg 1 "$DIR/v.out" play 0 "$DIR/victim.wav" --format s16_le --buffer 65536
VICTIM=$FRONT_PID
front_bg 2 "$DIR/s.out" play 0 "$DIR/survivor.wav" --format s16_le --buffer 65536
SURVIVOR=$FRONT_PID
wait_for "both streams run" 'test "$(grep -c state=running "$STATE")" = 2'
during=$(backend_field mapped_pages)
# 2 cards x 2 streams x 2 ring pages + 2 buffers x 16 pages
[ "$during" = 40 ] || fail "mapped pages while both play: $during, expected 40"
sleep 0.3
xensim destroy --dir "$XS_DIR" 1
[ "$(maps)" -gt "$baseline" ] || fail "grant mappings do not show in /proc/PID/maps"
wait_for "dom1's card is gone" '! grep -q "card dom1-vsnd0 state=connected" "$STATE"'
wait_for "dom1's pages are unmapped" 'test "$(backend_field mapped_pages)" = 20'
ok "dom1 destroyed mid-stream: its 20 pages unmapped, dom2's 20 stay"
kill -0 "$BACKEND_PID" || fail "the backend died with the guest"
stop_pid "$VICTIM"	# the dead guest's process: on Xen it died with the domain

wait "$SURVIVOR" || fail "dom2's stream failed"
"$WAVTOOL" same s16_le "$DIR/survivor.wav" "$OUT/dom2-vsnd0-pcm0-stream0.wav" >/dev/null ||
	fail "dom2's output is not bit-exact"
ok "dom2 played on, bit-exact"
wait_for "nothing mapped once dom2 closed" 'test "$(backend_field mapped_pages)" = 0'
wait_for "the process maps are back to the baseline ($baseline)" 'test "$(maps)" -le "$baseline"'
ok "no leaked mappings: counter 0, /proc maps at the baseline ($baseline)"
