#!/usr/bin/env python3
# errors.py PORT - sends chronyd requests it answers with an error status
# and prints what came back (errors.txt).  Used by make-captures.sh.
import socket
import struct
import sys

port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect(("127.0.0.1", port))


def req(ver, cmd, seq, total):
    h = struct.pack(">BBBBHHIII", ver, 1, 0, 0, cmd, 0, seq, 0, 0)
    return h + bytes(total - len(h))


for name, pkt in [
    ("v5 tracking (BADPKTVERSION)", req(5, 33, 0x11111111, 104)),
    ("v6 tracking, 28 octets (BADPKTLENGTH)", req(6, 33, 0x22222222, 28)),
    ("v6 command 200 (INVALID)", req(6, 200, 0x33333333, 28)),
    ("v6 source_data index 7 (NOSUCHSOURCE)",
     req(6, 15, 0x44444444, 20) + struct.pack(">i", 7) + bytes(52)),
]:
    s.send(pkt)
    try:
        r = s.recv(1000)
        print(name, "->", len(r), "octets, status", struct.unpack(">H", r[8:10])[0])
    except socket.timeout:
        print(name, "-> no reply")
