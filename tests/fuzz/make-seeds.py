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


# ---- xenstore: a setup octet, then xsd_sockmsg messages (fuzz-xenstore.c) ----
(XS_CONTROL, XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH,
 XS_TRANSACTION_START, XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE,
 XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS) = range(15)
XS_IS_DOMAIN_INTRODUCED, XS_RESET_WATCHES, XS_DIRECTORY_PART = 17, 21, 22


def setup(dom0, dom1, dom2, lazy=False):
    """Domains (0..3) of clients 0, 1, 2; client 2 lazy or not."""
    return bytes([dom0 | dom1 << 2 | dom2 << 4 | (0x40 if lazy else 0)])


def xs(client, typ, *args, tx=0, split=False, seq=[0]):
    """A message from client 0..2; args are nul-terminated strings, except
    a bytes argument, sent as it is (a WRITE's value)."""
    seq[0] += 1
    req_id = seq[0] * 3 + client + (0x100 if split else 0)
    payload = b''.join(a if isinstance(a, bytes) else a.encode() + b'\0' for a in args)
    return struct.pack('<IIII', typ, req_id, tx, len(payload)) + payload


write('xenstore', 'dom0-basics', setup(0, 0, 0) + b''.join([
    xs(0, XS_WRITE, '/tool/a/b', b'hello'),
    xs(0, XS_READ, '/tool/a/b'),
    xs(0, XS_DIRECTORY, '/tool'),
    xs(0, XS_MKDIR, '/tool/c'),
    xs(0, XS_GET_PERMS, '/tool/a'),
    xs(0, XS_SET_PERMS, '/tool/a', 'n0', 'r1', 'b2'),
    xs(0, XS_DIRECTORY_PART, '/local/domain', '0'),
    xs(0, XS_RM, '/tool/a'),
    xs(0, XS_GET_DOMAIN_PATH, '1'),
    xs(0, XS_IS_DOMAIN_INTRODUCED, '1'),
    xs(0, XS_CONTROL, 'print', 'hello'),
    xs(0, 99, 'unknown type'),
]))
write('xenstore', 'guest-perms', setup(0, 1, 2) + b''.join([
    xs(0, XS_WRITE, '/local/domain/1/device/vsnd/0/state', b'1'),
    xs(0, XS_SET_PERMS, '/local/domain/1/device/vsnd/0', 'n0', 'r1'),
    xs(1, XS_READ, 'device/vsnd/0/state'),
    xs(1, XS_WRITE, 'device/vsnd/0/state', b'3'),
    xs(1, XS_WRITE, 'data/x', b'mine'),
    xs(1, XS_SET_PERMS, 'data/x', 'n2'),
    xs(1, XS_SET_PERMS, 'data/x', 'n1', 'r2'),
    xs(2, XS_READ, '/local/domain/1/data/x'),
    xs(2, XS_WRITE, '/local/domain/1/data/x', b'theirs'),
    xs(2, XS_READ, '/local/domain/0/name'),
    xs(2, XS_CONTROL, 'print', 'denied'),
    xs(2, XS_RM, '/local/domain/2'),
]))
write('xenstore', 'transactions', setup(0, 0, 1) + b''.join([
    xs(0, XS_TRANSACTION_START, ''),
    xs(0, XS_WRITE, '/t/x', b'in txn', tx=1),
    xs(0, XS_READ, '/t/x', tx=1),
    xs(1, XS_WRITE, '/t/x', b'outside'),
    xs(0, XS_TRANSACTION_END, 'T', tx=1),
    xs(0, XS_TRANSACTION_START, ''),
    xs(0, XS_MKDIR, '/t/y', tx=2),
    xs(0, XS_SET_PERMS, '/t/y', 'n0', 'r1', tx=2),
    xs(0, XS_RM, '/t/x', tx=2),
    xs(0, XS_TRANSACTION_END, 'T', tx=2),
    xs(2, XS_TRANSACTION_START, ''),
    xs(2, XS_WRITE, 'a', b'1', tx=1),
    xs(2, XS_TRANSACTION_START, '', tx=1),
    xs(2, XS_TRANSACTION_END, 'F', tx=1),
    xs(2, XS_TRANSACTION_END, 'T', tx=7),
]))
write('xenstore', 'watches', setup(0, 1, 2) + b''.join([
    xs(1, XS_WATCH, 'device', 'tok'),
    xs(1, XS_WATCH, '@releaseDomain', 'rel'),
    xs(0, XS_SET_PERMS, '@releaseDomain', 'n0', 'r1'),
    xs(0, XS_WATCH, '/', 'all'),
    xs(0, XS_WRITE, '/local/domain/1/device/a', b'x'),
    xs(2, XS_WATCH, '/local/domain/1', 'spy'),
    xs(0, XS_RELEASE, '2'),
    xs(2, XS_READ, 'name'),
    xs(0, XS_INTRODUCE, '2'),
    xs(1, XS_UNWATCH, 'device', 'tok'),
    xs(1, XS_RESET_WATCHES),
    xs(0, XS_RM, '/local/domain/1/device'),
]))
write('xenstore', 'lazy-reader', setup(0, 0, 0, lazy=True) +
      xs(0, XS_WRITE, '/big', b'v' * 3000) +
      b''.join(xs(2, XS_READ, '/big') for _ in range(40)))
write('xenstore', 'framing', setup(1, 0, 0) + b''.join([
    xs(0, XS_WRITE, 'x', b'split in two', split=True),
    struct.pack('<IIII', XS_READ, 0, 0, 5000),  # too long: dropped
    xs(0, XS_READ, 'x'),                        # on a new connection
    xs(1, XS_READ, 'x'),
    xs(1, XS_WRITE, 'no/nul/in/the/path'.encode()),
    struct.pack('<IIII', XS_READ, 1, 0, 40) + b'/local',  # ends early
]))


# ---- vsnd-items: one xl vsnd item a line (fuzz-vsnd-items.c) ----
write('vsnd-items', 'xl-cfg-example', """CARD, short-name=Main, sample-formats=s16_le;s8;u32_be
PCM, name=Main
STREAM, id=0, type=p
PCM, name=Second
STREAM, id=1, type=c, channels-max=2
""")
write('vsnd-items', 'narrowing', """CARD, sample-rates=8000;44100;48000, channels-min=1, channels-max=8, buffer-size=1048576
PCM, name=HDMI, sample-rates=44100;48000, channels-max=6
STREAM, unique-id=hdmi-out, type=p, sample-rates=48000, channels-min=2
STREAM, unique-id=hdmi-in, type=c, buffer-size=65536
""")
write('vsnd-items', 'implicit-pcm', "STREAM, id=a, type=p\nSTREAM, id=b, type=c\n"
      "CARD, long-name=Late card, backend=0\n")
write('vsnd-items', 'errors', """PCM, name=A
STREAM, id=0, type=x
STREAM, id=0, typo=p
STREAM, id=0, type=p, id=1
STREAM, sample-rates=8000,44100
CARD, short-name=
STREAM, id=0, type=p
STREAM, id=0, type=c
""")


# ---- xlcfg: an xl.cfg file (fuzz-xlcfg.c) ----
write('xlcfg', 'guest', """# A guest as xl would take it
name = "guest1"
memory = 1024
vcpus = 2
disk = [ 'phy:/dev/vg/guest1,xvda,w' ]
vsnd = [
    [ 'CARD, short-name=Main, sample-formats=s16_le;s8;u32_be',
      'PCM, name=Main',
      'STREAM, id=0, type=p',
    ],
    [ "CARD, long-name=\\"Second\\" card", 'PCM, name=Other', 'STREAM, id=1, type=c' ],
]
on_crash = 'destroy'
""")
write('xlcfg', 'append', "vsnd = [ ['PCM, name=A', 'STREAM, id=a, type=p'] ]; "
      "vsnd += [['STREAM, id=b, type=c']]\nkernel='/boot/vmlinuz' # done\n")
write('xlcfg', 'escapes', "vsnd=[['CARD, short-name=it\\'s\\t\\\\', 'STREAM,id=0,type=p']]\n")
write('xlcfg', 'errors', "vsnd = [ 'not a list of lists' ]\nname = guest\n")
