#!/usr/bin/env python3
"""fake_ntske.py - an NTS-KE server (RFC 8915 section 4) that misbehaves on
purpose, for the failures a real server never shows: TLS 1.3 with ALPN
"ntske/1" on 127.0.0.1 and ::1, the certificate and key given, and a
response chosen by MODE:

  error       an Error record (code 1, bad request), End of Message
  warning     a good response with a Warning record (code 7) in it
  nocookies   Next Protocol NTPv4 and AEAD 15, no cookie, End of Message
  badaead     AEAD algorithm 99, which no client offers
  notntp      Next Protocol 1 (not NTPv4)
  truncated   Next Protocol and AEAD records, then the connection closes
              (no End of Message)
  garbage     an AEAD record of 3 octets (malformed), End of Message
  noalpn      the server offers only ALPN "http/1.1": it selects nothing
  tls12       TLS 1.2 at most
  plain:PORT  a good response (AEAD 15, eight random cookies) sending the
              client to NTP server 127.0.0.1 port PORT (Server and Port
              Negotiation): with a plain NTP server there, nothing it
              answers is authenticated

Prints "ready" when listening.  usage: fake_ntske.py PORT MODE CERT KEY
"""
import os
import select
import socket
import ssl
import struct
import sys

CRIT = 0x8000


def rec(rtype, body=b"", critical=False):
    return struct.pack(">HH", rtype | (CRIT if critical else 0), len(body)) + body


def u16(v):
    return struct.pack(">H", v)


def response(mode):
    nextp = rec(1, u16(0), True)
    aead = rec(4, u16(15))
    eom = rec(0, b"", True)
    cookies = b"".join(rec(5, os.urandom(100)) for _ in range(8))
    if mode == "error":
        return rec(2, u16(1), True) + eom
    if mode == "warning":
        return nextp + aead + rec(3, u16(7), True) + cookies + eom
    if mode == "nocookies":
        return nextp + aead + eom
    if mode == "badaead":
        return nextp + rec(4, u16(99)) + cookies + eom
    if mode == "notntp":
        return rec(1, u16(1), True) + aead + cookies + eom
    if mode == "truncated":
        return nextp + aead
    if mode == "garbage":
        return nextp + rec(4, b"\x00\x0f\x00") + cookies + eom
    if mode.startswith("plain:"):
        port = int(mode.split(":", 1)[1])
        return (nextp + aead + rec(6, b"127.0.0.1") + rec(7, u16(port)) + cookies + eom)
    return nextp + aead + cookies + eom


def main():
    port, mode, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if mode == "tls12":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["http/1.1"] if mode == "noalpn" else ["ntske/1"])
    ls = []
    for fam, a in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(16)
        ls.append(s)
    print("ready", flush=True)
    while True:
        for s in select.select(ls, [], [])[0]:
            c, _ = s.accept()
            c.settimeout(5)
            try:
                t = ctx.wrap_socket(c, server_side=True)
                req = b""
                # The request ends with End of Message (0x8000 0x0000).
                while not req.endswith(b"\x80\x00\x00\x00"):
                    d = t.recv(4096)
                    if not d:
                        break
                    req += d
                t.sendall(response(mode))
                t.close()
            except (OSError, ssl.SSLError) as e:
                print("connection: %s" % e, flush=True)
                c.close()


if __name__ == "__main__":
    main()
