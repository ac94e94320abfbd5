#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the small handmade seed corpora of the fuzz targets into corpus/.

The seeds are committed; run this again only to change them. Layouts are
those the targets read (see each fuzz-*.c).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- config: "<path below the card>=<value>" lines ----
write('config', 'sndif-example', """short-name=Card short name
long-name=Card long name
sample-rates=8000,32000,44100,48000,96000
sample-formats=s8,u8,s16_le,s16_be
buffer-size=262144
0/name=General analog
0/channels-max=5
0/0/type=p
0/0/sample-formats=s8,u8
0/0/unique-id=0
0/1/type=c
0/1/channels-max=2
0/1/unique-id=1
1/name=HDMI-0
1/sample-rates=8000,32000,44100
1/0/type=c
1/0/unique-id=2
2/name=SPDIF
2/0/type=p
2/0/unique-id=3
""")
write('config', 'minimal', "0/0/type=p\n0/0/unique-id=a\n")
write('config', 'narrowing', """channels-min=1
channels-max=8
buffer-size=1048576
sample-formats=s16_le,s32_le,float_le,mu_law
0/channels-min=2
0/sample-formats=s32_le,float_le
0/0/channels-max=6
0/0/sample-rates=48000
0/0/type=c
0/0/unique-id=x
0/1/type=p
0/1/unique-id=y
""")
write('config', 'bad-subset', "0/sample-rates=44100\n0/0/sample-rates=48000\n"
      "0/0/type=p\n0/0/unique-id=0\n")
write('config', 'versions', "versions=1,2\n0/0/type=p\n0/0/unique-id=1,2;3\n")


# ---- front ring: the frontend's moves and a hostile backend's ----
def resp(id_, op, status=0):
    return struct.pack('<HBBi', id_, op, 0, status) + bytes(56)


def push(op, offset=0, length=64):
    return bytes([0, op]) + struct.pack('<II', offset, length)


WRITE, READ = 3, 2
front = b''.join([
    push(WRITE), push(WRITE),
    bytes([3, 0]) + resp(0, WRITE),         # response in slot 0
    bytes([3, 1]) + resp(1, WRITE, -22),    # and slot 1
    bytes([4, 2]),                          # rsp_prod += 2
    bytes([1, 32]),                         # take responses
])
write('front-ring', 'two-writes', front)
write('front-ring', 'wrong-op', push(WRITE) + bytes([3, 0]) + resp(0, READ) +
      bytes([4, 1, 1, 32]))
evt = struct.pack('<HB5xQ', 0, 0, 4096) + bytes(48)
write('front-ring', 'events', bytes([6, 0]) + evt + bytes([6, 1]) + evt +
      bytes([7, 2, 2, 63]))
write('front-ring', 'prod-ahead', push(READ) + bytes([5]) + struct.pack('<I', 0x80000000) +
      bytes([1, 8]))


# ---- back ring: a hostile frontend's moves and the backend's ----
def req(id_, op, a=0, b=0):
    return struct.pack('<HB5xII', id_, op, a, b) + bytes(48)


back = b''.join([
    bytes([3, 0]) + req(0, WRITE, 0, 4096),
    bytes([3, 1]) + req(1, 8, 0),           # TRIGGER start
    bytes([4, 2]),                          # req_prod += 2
    bytes([0, 32]),                         # take
    bytes([1, 2]),                          # answer both
    bytes([2]) + struct.pack('<I', 4096),   # CUR_POS
    bytes([6, 1]),                          # in_cons += 1
])
write('back-ring', 'two-requests', back)
write('back-ring', 'overflow', bytes([4, 33, 0, 32]))
write('back-ring', 'stalled-events', (bytes([2]) + struct.pack('<I', 1)) * 70)


# ---- page directory: buffer_sz, first ref, then directory pages 1..N ----
def dir_page(next_ref, refs):
    page = struct.pack('<I', next_ref) + b''.join(struct.pack('<I', r) for r in refs)
    return page + bytes(4096 - len(page))


write('pagedir', 'one-page', struct.pack('<I', 4096) + bytes([1]) + dir_page(0, [7]))
write('pagedir', 'two-dir-pages',
      struct.pack('<I', 1100 * 4096) + bytes([1]) +
      dir_page(2, range(100, 100 + 1023)) + dir_page(0, range(2000, 2077)))
write('pagedir', 'loop', struct.pack('<I', 3000 * 4096) + bytes([1]) +
      dir_page(2, range(5, 5 + 1023)) + dir_page(1, range(9000, 10023)))
