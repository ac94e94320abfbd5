# shellcheck shell=bash
# What the PCM tests share, on top of ../lib.sh.

# xensim vsnd-attach wants guest 1 to exist: a first process introduces it.
introduce_guest() {
	xensim exec --dir "$SIM" --domid "$GUEST" -- true
}

# gen_wav FILE FORMAT RATE CHANNELS FRAMES: a tone in a sndif format's WAV
# twin (s32_le: 24-bit content in 32 bits, as the float32 graph keeps it).
# Never dithered (-D): the file is what it is, and is compared exactly.
# Half a second of silence ends it: pw-play (PipeWire 0.3.65) loses the
# last quantum or two of a stream when it drains, before they reach any
# sink (our node never gets a short or missing chunk there), so the tail
# it loses is silence that wavcmp ignores anyway.
gen_wav() {
	local file=$1 fmt=$2 rate=$3 ch=$4 secs=${5}s tones=(sine 440)
	[ "$ch" = 2 ] && tones=(sine 440 sine 660)
	case $fmt in
	s16_le) sox -D -r "$rate" -c "$ch" -n -b 16 -e signed-integer "$file" \
			synth "$secs" "${tones[@]}" vol 0.5 pad 0 0.5 ;;
	s24_le) sox -D -r "$rate" -c "$ch" -n -b 24 -e signed-integer "$file" \
			synth "$secs" "${tones[@]}" vol 0.5 pad 0 0.5 ;;
	s32_le) sox -D -r "$rate" -c "$ch" -n -b 24 -e signed-integer "$file.24.wav" \
			synth "$secs" "${tones[@]}" vol 0.5 pad 0 0.5
		sox -D "$file.24.wav" -b 32 "$file"
		rm -f "$file.24.wav" ;;
	float_le) sox -D -r "$rate" -c "$ch" -n -b 32 -e floating-point "$file" \
			synth "$secs" "${tones[@]}" vol 0.5 pad 0 0.5 ;;
	*) fail "gen_wav: no generator for $fmt" ;;
	esac
}

# The backend's state line of a stream ("dom1-vsnd0-pcm0-stream0").
stream_state() {
	grep "^stream $1 " "$STATE" 2>/dev/null || true
}

_stream_closed_after_open() {
	local line
	line=$(stream_state "$1")
	[[ $line == *" state=closed "* && $line != *" opens=0 "* ]]
}

# Wait until the stream was opened and is closed again (the node went
# idle: its last frames were drained and the WAV is complete).
wait_stream_closed() {
	_wait_for "${2:-15}" _stream_closed_after_open "$1" ||
		fail "stream $1 did not close in ${2:-15} s: $(stream_state "$1")"
}

_stream_open() {
	[[ $(stream_state "$1") == *" state=running "* ]]
}

wait_stream_running() {
	_wait_for "${2:-10}" _stream_open "$1" ||
		fail "stream $1 is not running after ${2:-10} s: $(stream_state "$1")"
}

# The pipewire object id of node NAME.
node_id() {
	pw-cli ls Node | awk -v name="$1" '
		/^[[:space:]]*id [0-9]+,/ { id = $2; sub(",", "", id) }
		$0 ~ "node.name = \"" name "\"" && !found { print id; found = 1 }'
}

# The headroom a sink raised to since line FROM of wireplumber's log
# (its last "headroom raised to N frames"), or nothing if it did not.
raised_headroom() {
	tail -n +"$1" "$WP_LOG" | { grep -a -o 'headroom raised to [0-9]*' || true; } |
		awk '{ h = $4 } END { if (h) print h }'
}
