#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gapcmp EXPECTED.wav ACTUAL.wav QUANTUM

Is ACTUAL (16-bit PCM, what a backend recorded) EXPECTED's audio, every
sample in order, with nothing lost or changed, where the only difference
allowed is runs of silence inserted between samples whose length is a
whole number of QUANTUM frames (a graph cycle that delivered no data:
the audio after it is late, not lost)? Leading silence of both files is
skipped; ACTUAL may end early, in silence or not (its player was
stopped), and its last second is not compared.

Prints the silent runs found ("inserted N frames at F") and a summary.
Exit 0 when ACTUAL passes, 1 when a sample is lost or changed, 2 on a
usage error or an unreadable file.
"""
import array
import sys
import wave


def frames(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: not 16-bit PCM")
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
        ch = w.getnchannels()
    return [tuple(data[i:i + ch]) for i in range(0, len(data), ch)], w.getframerate()


def first_sound(fs):
    silent = tuple(0 for _ in fs[0]) if fs else ()
    i = 0
    while i < len(fs) and fs[i] == silent:
        i += 1
    return i, silent


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        exp, _ = frames(argv[1])
        act, rate = frames(argv[2])
        quantum = int(argv[3])
    except (OSError, ValueError, EOFError, wave.Error) as e:
        print(f"gapcmp: {e}", file=sys.stderr)
        return 2
    i, silent = first_sound(act)
    j, _ = first_sound(exp)
    end = len(act) - rate
    inserted = []
    while i < end and j < len(exp):
        if act[i] == exp[j]:
            i += 1
            j += 1
            continue
        k = i
        while k < len(act) and act[k] == silent:
            k += 1
        n = k - i
        if k >= len(act):
            break	# silence to the end: the player was stopped
        if n == 0 or n % quantum != 0 or act[k] != exp[j]:
            print(f"gapcmp: frame {i} of {argv[2]} is {act[i]}, frame {j} of "
                  f"{argv[1]} is {exp[j]} (not a whole-quantum silence "
                  f"before it: {n} silent frames)", file=sys.stderr)
            return 1
        print(f"inserted {n} silent frames at {i}")
        inserted.append(n)
        i = k
    print(f"gapcmp: {j} frames in order, none lost or changed; "
          f"{len(inserted)} silent runs inserted ({sum(inserted)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
