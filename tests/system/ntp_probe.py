#!/usr/bin/env python3
"""ntp_probe.py - a one-shot NTP client for the system tests (RFC 5905).

Sends one mode-3 request (optionally with a symmetric MAC, RFC 5905 sec. 7.3
and RFC 8573 for AES-128-CMAC) and prints what came back as one JSON object:

  {"reply": true, "leap": 0, "version": 4, "mode": 4, "stratum": 3,
   "refid": "7f7f0101", "kiss": null, "offset": 1.2e-06, "delay": 4.1e-05,
   "origin_ok": true, "mac": "valid"|"bad"|"crypto_nak"|"none",
   "mac_key_id": 1, "length": 68}

or {"reply": false} after the timeout.  The helpers in lib.sh use it to wait
for a daemon and to find out what a daemon sends back; it is not the oracle
(ntpdig and chronyd -Q are).

usage: ntp_probe.py [-b ADDR] [-t SEC] [-k ID:TYPE:HEXKEY] HOST PORT
  TYPE: md5, sha1, aes128 (CMAC; needs the cryptography module or openssl)
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time

NTP_EPOCH = 2208988800  # 1900-01-01 to 1970-01-01 in seconds


def to_ntp(t):
    sec = int(t)
    frac = int((t - sec) * 2**32) & 0xFFFFFFFF
    return ((sec + NTP_EPOCH) << 32) | frac


def from_ntp(v):
    return (v >> 32) - NTP_EPOCH + (v & 0xFFFFFFFF) / 2**32


def cmac_aes128(key, msg):
    try:
        from cryptography.hazmat.primitives import cmac
        from cryptography.hazmat.primitives.ciphers import algorithms
        c = cmac.CMAC(algorithms.AES(key))
        c.update(msg)
        return c.finalize()
    except ImportError:
        out = subprocess.run(
            ["openssl", "mac", "-cipher", "AES-128-CBC", "-macopt",
             "hexkey:" + key.hex(), "-binary", "CMAC"],
            input=msg, capture_output=True, check=True)
        return out.stdout


def mac(alg, key, msg):
    if alg == "md5":
        return hashlib.md5(key + msg).digest()
    if alg == "sha1":
        return hashlib.sha1(key + msg).digest()
    if alg == "aes128":
        return cmac_aes128(key, msg)
    raise SystemExit("ntp_probe: unknown key type " + alg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-b", "--bind", default=None)
    ap.add_argument("-t", "--timeout", type=float, default=1.0)
    ap.add_argument("-k", "--key", default=None, help="ID:TYPE:HEXKEY")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    a = ap.parse_args()

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.bind:
        s.bind((a.bind, 0))
    s.settimeout(a.timeout)

    # LI=0 VN=4 Mode=3, everything else zero but a random transmit timestamp
    # (as chrony and ntpdig do, so the origin check is meaningful).
    xmt_raw = os.urandom(8)
    req = bytes([0x23]) + bytes(39) + xmt_raw
    key = None
    if a.key:
        kid, alg, hexkey = a.key.split(":", 2)
        key = (int(kid), alg.lower(), bytes.fromhex(hexkey))
        req += struct.pack("!I", key[0]) + mac(key[1], key[2], req)[:20]

    t1 = time.time()
    s.sendto(req, (a.host, a.port))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        print(json.dumps({"reply": False}))
        return 0
    t4 = time.time()

    res = {"reply": True, "length": len(data)}
    if len(data) < 48:
        res["short"] = True
        print(json.dumps(res))
        return 0
    li_vn_mode, stratum, poll, prec = struct.unpack("!BBbb", data[:4])
    rdelay, rdisp, refid = struct.unpack("!III", data[4:16])
    ref, org, rec, xmt = struct.unpack("!QQQQ", data[16:48])
    res.update({
        "leap": li_vn_mode >> 6, "version": (li_vn_mode >> 3) & 7,
        "mode": li_vn_mode & 7, "stratum": stratum, "poll": poll,
        "precision": prec, "root_delay": rdelay / 65536.0,
        "root_dispersion": rdisp / 65536.0, "refid": "%08x" % refid,
        "kiss": None, "origin_ok": data[24:32] == xmt_raw,
    })
    if stratum == 0:
        res["kiss"] = data[12:16].decode("ascii", "replace")
    t2, t3 = from_ntp(rec), from_ntp(xmt)
    res["offset"] = ((t2 - t1) + (t3 - t4)) / 2
    res["delay"] = (t4 - t1) - (t3 - t2)

    tail = data[48:]
    if len(tail) == 0:
        res["mac"] = "none"
    elif len(tail) == 4:
        res["mac"] = "crypto_nak"
        res["mac_key_id"] = struct.unpack("!I", tail)[0]
    else:
        kid = struct.unpack("!I", tail[:4])[0]
        res["mac_key_id"] = kid
        if key and kid == key[0]:
            want = mac(key[1], key[2], data[:48])[:20]
            res["mac"] = "valid" if want == tail[4:4 + len(want)] else "bad"
        else:
            res["mac"] = "unknown_key"
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
