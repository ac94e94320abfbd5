#!/bin/bash
# Every validation rule: the test frontend sends each bad request on dom1
# (OPEN outside the configuration, bad page directories, READ/WRITE outside
# the buffer or not whole frames, a full queue, states out of order, bad
# volume/mute lengths, unknown operations...). Each gets a negative status
# and one log line; the same stream then plays bit-exact, and a stream of
# another guest playing all along is bit-exact too.
source "$(dirname "$0")/lib.sh"
start_hub
attach 1 'CARD, short-name=Bad, sample-formats=s16_le, sample-rates=48000, channels-min=1, channels-max=2, buffer-size=65536' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
attach 2 'CARD, short-name=Good, sample-formats=s16_le, sample-rates=48000, channels-min=1, channels-max=2' \
	'PCM, name=Main' 'STREAM, unique-id=0, type=p'
start_backend

"$WAVTOOL" gen s16_le 48000 2 96000 "$DIR/long.wav"
front_bg 2 "$DIR/good.out" play 0 "$DIR/long.wav" --format s16_le --buffer 16384
GOOD=$FRONT_PID

front 1 bad 0 --format s16_le --rate 48000 --channels 2 >"$DIR/bad.out" ||
	{ cat "$DIR/bad.out"; fail "a bad request was accepted"; }
grep -q "bad requests: 0 accepted" "$DIR/bad.out" || fail "bad run incomplete"
rules=$(grep -c "status -" "$DIR/bad.out")
[ "$rules" -ge 30 ] || fail "only $rules rules ran"
ok "$rules bad requests refused"
refusals=$(grep -c "dom1 vsnd0 pcm0 stream0: .* refused with -" "$BACKEND_LOG")
[ "$refusals" -ge "$rules" ] || fail "$refusals log lines for $rules refusals"
grep -q "refused with -16: already open" "$BACKEND_LOG" || fail "OPEN twice is not -EBUSY"
grep -q "refused with -28: .* do not fit" "$BACKEND_LOG" || fail "a full queue is not -ENOSPC"
grep -q "refused with -22: .*directory\|refused with -22: .*grant\|refused with -22: .*ref" "$BACKEND_LOG" ||
	fail "bad directories are not named in the log"
ok "one log line per refusal, naming the stream and the reason"

"$WAVTOOL" gen s16_le 48000 2 4800 "$DIR/short.wav"
front 1 play 0 "$DIR/short.wav" --format s16_le --buffer 8192 >/dev/null || fail "play after the bad requests"
n=$(ls "$OUT"/dom1-vsnd0-pcm0-stream0*.wav | wc -l)
last=$OUT/dom1-vsnd0-pcm0-stream0.$((n - 1)).wav
[ "$n" -gt 1 ] || last=$OUT/dom1-vsnd0-pcm0-stream0.wav
"$WAVTOOL" same s16_le "$DIR/short.wav" "$last" >/dev/null || fail "the stream after the bad requests"
ok "the same stream then plays bit-exact"

wait "$GOOD" || fail "the other guest's stream failed"
"$WAVTOOL" same s16_le "$DIR/long.wav" "$OUT/dom2-vsnd0-pcm0-stream0.wav" >/dev/null ||
	fail "the other guest's output is not bit-exact"
ok "another guest's stream kept playing, bit-exact"
[ "$(stream_field dom2-vsnd0-pcm0-stream0 errors)" = 0 ] || true
