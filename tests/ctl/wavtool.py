#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""WAV helpers for the xensnd-ctl tests (generated at test time, never committed).

  wavtool.py gen FORMAT RATE CHANNELS FRAMES OUT.wav   deterministic noise
  wavtool.py gen-packed24 RATE CHANNELS FRAMES OUT.wav packed 24-bit PCM (no sndif twin)
  wavtool.py same A.wav B.wav          exit 0 if the sample data is identical
  wavtool.py info A.wav                "tag channels rate bits valid frames"
  wavtool.py testsignal A.wav FORMAT   exit 0 if A holds xensnd-backend's test
                                       signal from frame 0 (see xensnd-backend(8))
  wavtool.py gaps A.wav FORMAT         after an overrun: print "silent=N shifted=N"
                                       (frames of silence, frames of test signal
                                       off its place); exit 1 if a frame is
                                       neither silence nor the test signal at
                                       some place
FORMAT is an sndif name: u8 s16_le s24_le s32_le float_le float64_le.
"""
import random
import struct
import sys

TAG_PCM, TAG_FLOAT, TAG_EXT = 1, 3, 0xFFFE
GUID_TAIL = bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                   0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])

# sndif name -> (tag, container bits, valid bits)
FORMATS = {
    "u8": (TAG_PCM, 8, 8),
    "s16_le": (TAG_PCM, 16, 16),
    "s24_le": (TAG_PCM, 32, 24),
    "s32_le": (TAG_PCM, 32, 32),
    "float_le": (TAG_FLOAT, 32, 32),
    "float64_le": (TAG_FLOAT, 64, 64),
}


def write_wav(path, tag, bits, valid, rate, channels, data):
    extensible = channels > 2 or valid != bits
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", TAG_EXT if extensible else tag, channels, rate,
                      rate * align, align, bits)
    if extensible:
        fmt += struct.pack("<HHIH", 22, valid, 0, tag) + GUID_TAIL
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    if len(data) % 2:
        body += b"\0"
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_wav(path):
    """(tag, channels, rate, bits, valid, data) of a WAV file."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        sys.exit(f"{path}: not a WAV file")
    pos, fmt = 12, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        pos += 8
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", raw[pos:pos + 16])
            valid = bits
            if tag == TAG_EXT:
                valid = struct.unpack("<H", raw[pos + 18:pos + 20])[0]
                tag = struct.unpack("<H", raw[pos + 24:pos + 26])[0]
            fmt = (tag, ch, rate, bits, valid)
        elif cid == b"data":
            if fmt is None:
                sys.exit(f"{path}: data before fmt")
            return fmt + (raw[pos:pos + size],)
        pos += size + (size & 1)
    sys.exit(f"{path}: no data chunk")


def sample_bytes(name, rng):
    tag, bits, valid = FORMATS[name]
    if name == "u8":
        return bytes([rng.randrange(256)])
    if name == "s24_le":   # ALSA S24_LE: 24 bits in the low octets, sign-extended
        return struct.pack("<i", rng.randrange(-(1 << 23), 1 << 23))
    if tag == TAG_FLOAT:
        return struct.pack("<f" if bits == 32 else "<d", rng.uniform(-1.0, 1.0))
    return rng.randrange(1 << bits).to_bytes(bits // 8, "little")


def gen(name, rate, channels, frames, out):
    tag, bits, valid = FORMATS[name]
    rng = random.Random(f"{name}/{rate}/{channels}/{frames}")
    data = b"".join(sample_bytes(name, rng) for _ in range(frames * channels))
    write_wav(out, tag, bits, valid, rate, channels, data)


def gen_packed24(rate, channels, frames, out):
    data = bytes((i * 37) & 0xFF for i in range(frames * channels * 3))
    write_wav(out, TAG_PCM, 24, 24, rate, channels, data)


def testsignal_value(frame, channel):
    k = (frame * (channel + 1)) % 64
    return (k if k < 32 else k - 64) * (1 << 24)


def expected_sample(name, v):
    if name == "u8":
        return bytes([(v >> 24) + 128])
    if name == "s16_le":
        return struct.pack("<h", v >> 16)
    if name == "s24_le":
        return struct.pack("<i", v >> 8)
    if name == "s32_le":
        return struct.pack("<i", v)
    if name == "float_le":
        return struct.pack("<f", v / 2.0**31)
    if name == "float64_le":
        return struct.pack("<d", v / 2.0**31)
    sys.exit(f"no test signal rule for {name}")


def check_testsignal(path, name):
    tag, ch, rate, bits, valid, data = read_wav(path)
    want_tag, want_bits, want_valid = FORMATS[name]
    if (tag, bits, valid) != (want_tag, want_bits, want_valid):
        sys.exit(f"{path}: coded as tag {tag} {bits}/{valid} bits, not {name}")
    size = bits // 8
    frames = len(data) // (size * ch)
    if frames == 0:
        sys.exit(f"{path}: no samples")
    for f in range(frames):
        for c in range(ch):
            at = (f * ch + c) * size
            want = expected_sample(name, testsignal_value(f, c))
            if data[at:at + size] != want:
                sys.exit(f"{path}: frame {f} channel {c}: {data[at:at + size].hex()} "
                         f"!= test signal {want.hex()}")
    print(f"{path}: {frames} frames x {ch} channels match the test signal")


def check_gaps(path, name):
    """Silence where frames were lost, the test signal everywhere else.

    A frame that is not silent must be the test signal of its own index
    (exact accounting) or, at worst, of some other index mod the signal's
    64-frame period (the recorder resynchronised late): it never holds
    anything else.
    """
    tag, ch, rate, bits, valid, data = read_wav(path)
    size = bits // 8
    frame_size = size * ch
    frames = len(data) // frame_size
    signal = [b"".join(expected_sample(name, testsignal_value(k, c)) for c in range(ch))
              for k in range(64)]
    silence = expected_sample(name, 0) * ch
    silent = shifted = 0
    for f in range(frames):
        got = data[f * frame_size:(f + 1) * frame_size]
        if got == signal[f % 64]:
            continue
        if got == silence:
            silent += 1
        elif got in signal:
            shifted += 1
        else:
            sys.exit(f"{path}: frame {f}: {got.hex()} is neither silence nor the test signal")
    print(f"silent={silent} shifted={shifted}")


def main(argv):
    if len(argv) >= 2 and argv[1] == "gen" and len(argv) == 7:
        gen(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
    elif len(argv) == 6 and argv[1] == "gen-packed24":
        gen_packed24(int(argv[2]), int(argv[3]), int(argv[4]), argv[5])
    elif len(argv) == 4 and argv[1] == "same":
        a, b = read_wav(argv[2]), read_wav(argv[3])
        if a[:5] != b[:5]:
            sys.exit(f"formats differ: {a[:5]} vs {b[:5]}")
        if a[5] != b[5]:
            n = min(len(a[5]), len(b[5]))
            first = next((i for i in range(n) if a[5][i] != b[5][i]), n)
            sys.exit(f"data differ: {len(a[5])} vs {len(b[5])} octets, first "
                     f"difference at octet {first}")
        print(f"identical: {len(a[5])} octets")
    elif len(argv) == 3 and argv[1] == "info":
        tag, ch, rate, bits, valid, data = read_wav(argv[2])
        print(tag, ch, rate, bits, valid, len(data) // (ch * bits // 8))
    elif len(argv) == 4 and argv[1] == "gaps":
        check_gaps(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "testsignal":
        check_testsignal(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
