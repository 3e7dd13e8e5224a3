#!/usr/bin/env python3
"""fake_ntp.py - a minimal NTP server whose clock is off by a known amount.

Real daemons on loopback share this machine's clock, so every offset they
give is a few microseconds and a client that gets the sign of the offset
wrong still passes.  This server answers mode-3 requests on 127.0.0.1 and
::1 with timestamps OFFSET seconds ahead of the local clock (RFC 5905 sec. 7.3
layout: LI 0, VN as asked, mode 4, stratum 2, refid 127.0.0.1), so the
offset a client measures must be +OFFSET (server minus client).

usage: fake_ntp.py PORT OFFSET
"""
import select
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def to_ntp(t):
    t += NTP_EPOCH
    sec = int(t)
    return (sec << 32) | int((t - sec) * 2**32)


def main():
    port, offset = int(sys.argv[1]), float(sys.argv[2])
    socks = []
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((addr, port))
        socks.append(s)
    while True:
        for s in select.select(socks, [], [])[0]:
            req, peer = s.recvfrom(2048)
            rx = time.time() + offset
            if len(req) < 48 or req[0] & 7 != 3:
                continue
            vn = (req[0] >> 3) & 7
            hdr = struct.pack("!BBbbIII", (vn << 3) | 4, 2, req[2], -20,
                              0, 0, 0x7F000001)
            ref = to_ntp(rx - 16)
            tx = time.time() + offset
            body = struct.pack("!Q", ref) + req[40:48] + \
                struct.pack("!QQ", to_ntp(rx), to_ntp(tx))
            s.sendto(hdr + body, peer)


if __name__ == "__main__":
    main()
