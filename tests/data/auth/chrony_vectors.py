#!/usr/bin/env python3
"""Makes the authenticated NTP replies embedded in tests/unit/test_mac.c.

Run with a chronyd listening on 127.0.0.1:PORT that was started as
  chronyd -x -d -u root -f chrony.conf
where chrony.conf holds
  port PORT / bindaddress 127.0.0.1 / local stratum 3 / allow 127.0.0.1 /
  keyfile chrony-loopback.keys / pidfile ... / cmdport 0
(chrony 4.3 was used), while `tcpdump -i lo -w replies.pcap udp port PORT`
captures the exchange.  For each key of chrony-loopback.keys it sends an NTPv4
client request with a MAC made here (independently of sundial: hashlib and
the `cryptography` package), and prints chronyd's reply in hex; the replies
were cross-checked against the pcap.  A request with a corrupted MAC and one
with an unknown key id show what chronyd answers then.
"""
import socket
import struct
import sys
import hashlib

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

KEYS = {}
for line in open(sys.argv[2] if len(sys.argv) > 2 else 'chrony-loopback.keys'):
    f = line.split()
    if len(f) == 3 and not line.startswith('#'):
        KEYS[int(f[0])] = (f[1], bytes.fromhex(f[2][4:]))


def mac(alg, key, data):
    if alg == 'MD5':
        return hashlib.md5(key + data).digest()
    if alg == 'SHA1':
        return hashlib.sha1(key + data).digest()
    if alg == 'SHA256':
        return hashlib.sha256(key + data).digest()[:20]  # NTPv4: 20 octets
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def request(xmt):
    # LI 0, VN 4, mode 3; poll 6; precision -20; transmit timestamp xmt
    return struct.pack('!BBbbII4sQQQQ', 0x23, 0, 6, -20, 0, 0, b'\0' * 4, 0, 0, 0, xmt)


def ask(port, pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(pkt, ('127.0.0.1', port))
    try:
        return s.recv(2048)
    except socket.timeout:
        return None
    finally:
        s.close()


port = int(sys.argv[1])
xmt = 0xe9a3b7c400000000
for kid, (alg, key) in sorted(KEYS.items()):
    xmt += 1 << 32
    req = request(xmt)
    req += struct.pack('!I', kid) + mac(alg, key, req)
    rep = ask(port, req)
    print(f'key {kid} {alg} request {req.hex()}')
    print(f'key {kid} {alg} reply {rep.hex() if rep else None}')

# A bad MAC (last octet flipped) and an unknown key id.
alg, key = KEYS[2]
req = request(xmt + (1 << 32))
bad = bytearray(req + struct.pack('!I', 2) + mac(alg, key, req))
bad[-1] ^= 1
rep = ask(port, bytes(bad))
print(f'badmac reply {rep.hex() if rep else None}')
req = request(xmt + (2 << 32))
rep = ask(port, req + struct.pack('!I', 99) + bytes(20))
print(f'unknown-key reply {rep.hex() if rep else None}')
