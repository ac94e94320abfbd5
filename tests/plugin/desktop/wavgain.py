#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wavgain.py EXPECTED.wav ACTUAL.wav GAIN: is ACTUAL EXPECTED scaled by
GAIN (linear), sample for sample within +/-1 LSB?

Both are 16-bit PCM WAV files with the same channel count. As in wavcmp,
each is compared from its first non-zero frame (the graph adds silence
before a stream) up to EXPECTED's last non-zero frame. At least one second
of audio must be compared. Prints the largest error.

Exit: 0 within tolerance, 1 not, 2 usage or unreadable file.
"""
import array
import sys
import wave


def read(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            sys.exit(f"wavgain: {path}: {8 * w.getsampwidth()}-bit; only 16-bit is compared")
        ch, rate = w.getnchannels(), w.getframerate()
        data = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        data.byteswap()
    return ch, rate, data


def first_nonzero_frame(data, ch):
    for i, v in enumerate(data):
        if v != 0:
            return i // ch
    return None


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        gain = float(sys.argv[3])
        ech, erate, exp = read(sys.argv[1])
        ach, arate, act = read(sys.argv[2])
    except (OSError, ValueError, wave.Error) as e:
        print(f"wavgain: {e}", file=sys.stderr)
        return 2
    if (ech, erate) != (ach, arate):
        print(f"wavgain: {ech} ch {erate} Hz expected, {ach} ch {arate} Hz actual")
        return 1
    e0, a0 = first_nonzero_frame(exp, ech), first_nonzero_frame(act, ach)
    if e0 is None or a0 is None:
        print("wavgain: a file is all silence")
        return 1
    last = max(i for i, v in enumerate(exp) if v != 0) // ech
    frames = last + 1 - e0
    if a0 + frames > len(act) // ach:
        print(f"wavgain: ACTUAL has {len(act) // ach - a0} frames of audio, "
              f"EXPECTED {frames}")
        return 1
    if frames < erate:
        print(f"wavgain: only {frames} frames to compare; need a second")
        return 1
    worst, worst_at = 0, 0
    for f in range(frames):
        for c in range(ech):
            want = round(exp[(e0 + f) * ech + c] * gain)
            got = act[(a0 + f) * ech + c]
            if abs(got - want) > worst:
                worst, worst_at = abs(got - want), f
    ok = worst <= 1
    print(f"wavgain: {frames} frames x {ech} ch against gain {gain:.6f}: "
          f"largest error {worst} LSB (frame {worst_at}) -> "
          f"{'ok' if ok else 'NOT the expected gain'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
