#!/usr/bin/env python3
"""traffic.py MODE ... - the traffic that make-captures.sh records (README.md).

  serve                NTP server on UDP 123 and a TCP listener on 8123, both
                       families, until killed (namespace B)
  client               NTP requests, TCP, fragments, IPv4 options, IPv6
                       extension headers from the kernel's own sockets (A)
  inject IFACE         hand-made frames (VLAN, QinQ, PPPoE, IPv6 extension
                       chains, AH, fragments) sent raw on IFACE (A)
  reencap IN OUTDIR    the IP packets of IN (Ethernet pcap) written again as
                       NULL, LOOP, RAW, DLT_RAW 12 and 14, IPV4 and IPV6 files

Only the Python standard library; addresses are from the documentation
ranges (192.0.2.0/24, 2001:db8::/32).
"""
import os
import socket
import struct
import subprocess
import sys
import time

A4, B4 = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
NTP_EPOCH = 2208988800


def ntp_ts(t):
    return struct.pack("!II", int(t) + NTP_EPOCH, int((t % 1) * 2**32))


def ntp_request():
    # LI 0, VN 4, mode 3; transmit timestamp only.
    return bytes([0x23, 0, 6, 0xec]) + bytes(36) + ntp_ts(time.time())


def ntp_reply(req):
    now = ntp_ts(time.time())
    return (bytes([0x24, 2, req[2], 0xe9]) + struct.pack("!II", 0x10, 0x20) + b"GPS\0" + now +
            req[40:48] + now + now)


# --- serve / client: the kernel's own packets ----------------------------------

def serve():
    import select
    socks = []
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        t = socket.socket(fam, socket.SOCK_STREAM)
        for s in (u, t):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind((addr, 123))
        t.bind((addr, 8123))
        t.listen(4)
        socks += [u, t]
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            if s.type == socket.SOCK_DGRAM:
                data, peer = s.recvfrom(65535)
                if len(data) >= 48 and data[0] & 7 == 3:
                    s.sendto(ntp_reply(data), peer)
            else:
                c, _ = s.accept()
                c.settimeout(2)
                try:
                    c.recv(100)
                    c.sendall(b"bye\n")
                except OSError:
                    pass
                c.close()


def ntp_query(fam, dst, opts=None):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for level, name, val in opts or []:
        s.setsockopt(level, name, val)
    s.settimeout(1)
    s.sendto(ntp_request(), (dst, 123))
    try:
        s.recvfrom(1024)
    except OSError:
        pass
    s.close()
    time.sleep(0.05)


def client():
    v4, v6 = socket.AF_INET, socket.AF_INET6
    # Plain NTP over IPv4 and IPv6.
    ntp_query(v4, B4)
    ntp_query(v6, B6)
    # IPv4 with options: record route (RFC 791 3.1: type 7, length 11, pointer
    # 4, two slots) and end of list.
    ntp_query(v4, B4, [(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 11, 4]) + bytes(9))])
    # IPv6 destination options and hop-by-hop (PadN to 8 octets); the kernel
    # fills in next header.
    padn = bytes([0, 0, 1, 4, 0, 0, 0, 0])
    ntp_query(v6, B6, [(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, padn)])
    ntp_query(v6, B6, [(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, padn),
                       (socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, padn)])
    # A segment routing header (RFC 8754; type 4, segments left 0, one
    # segment: the destination).  B drops it (seg6_enabled 0).
    srh = bytes([0, 2, 4, 0, 0, 0, 0, 0]) + socket.inet_pton(v6, B6)
    try:
        ntp_query(v6, B6, [(socket.IPPROTO_IPV6, socket.IPV6_RTHDR, srh)])
    except OSError as e:
        print("traffic.py: no routing header:", e, file=sys.stderr)
    # Fragments: 3000 octets to the discard port, closed, so that the
    # reassembled datagram also brings an ICMP/ICMPv6 port unreachable.
    for fam, dst in ((v4, B4), (v6, B6)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.sendto(bytes(range(256)) * 11 + bytes(184), (dst, 9))
        s.close()
        time.sleep(0.1)
    # TCP: a short exchange with the listener, and a SYN to a closed port
    # (RST).
    for fam, dst in ((v4, B4), (v6, B6)):
        s = socket.create_connection((dst, 8123), timeout=2)
        s.sendall(b"hello\n")
        s.recv(100)
        s.close()
        try:
            socket.create_connection((dst, 8124), timeout=2)
        except OSError:
            pass
        time.sleep(0.1)
    # ICMP echo.
    subprocess.run(["ping", "-c", "1", "-W", "1", B4], stdout=subprocess.DEVNULL)
    subprocess.run(["ping", "-6", "-c", "1", "-W", "1", B6], stdout=subprocess.DEVNULL)
    # An MLDv2 report (ICMPv6 after a hop-by-hop router alert).
    m = socket.socket(v6, socket.SOCK_DGRAM)
    mreq = socket.inet_pton(v6, "ff02::101") + struct.pack("@I", socket.if_nametoindex("a0"))
    m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    time.sleep(0.5)
    m.close()
    time.sleep(0.5)


# --- inject: hand-made frames ----------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, options=b"", ttl=64, ident=0x1234, frag=0):
    hlen = 20 + len(options)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hlen // 4, 0, hlen + len(payload), ident, frag,
                    ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload, hlim=64):
    return (struct.pack("!IHBB", 0x60000000, len(payload), nh, hlim) +
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            payload)


def udp(sport, dport, data, src, dst):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if ":" in src:
        ph = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!I3xB", len(u), 17))
    else:
        ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!xBH", 17, len(u))
    c = csum(ph + u) or 0xffff
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp_syn(sport, dport):
    # Data offset 6 (one MSS option), SYN; checksum left 0.
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 6 << 4, 0x02, 64240, 0, 0) + \
        bytes([2, 4, 0x05, 0xb4])


def ext(nh, body):
    # An IPv6 extension header in the common format, padded with PadN.
    n = len(body) + 2
    pad = (-n) % 8
    if pad == 1:
        body += b"\0"
    elif pad:
        body += bytes([1, pad - 2]) + bytes(pad - 2)
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


def ah(nh, icv_len=12, spi=0x100, seq=1):
    # RFC 4302: length in 32-bit words minus 2.
    return struct.pack("!BBHII", nh, (12 + icv_len) // 4 - 2, 0, spi, seq) + bytes(icv_len)


def frag6(nh, offset, more, ident=0xabcd):
    return struct.pack("!BBHI", nh, 0, offset << 3 | more, ident)


MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(tags, etype, payload, pad_to=0):
    f = MAC_B + MAC_A
    for tpid, vid in tags:
        f += struct.pack("!HH", tpid, vid)
    f += struct.pack("!H", etype) + payload
    return f + bytes(max(0, pad_to - len(f)))


def pppoe(session, proto, payload):
    pp = struct.pack("!H", proto) + payload
    return struct.pack("!BBHH", 0x11, 0, session, len(pp)) + pp


def crafted():
    n4 = udp(40123, 123, ntp_request(), A4, B4)
    n6 = udp(40123, 123, ntp_request(), A6, B6)
    r6 = udp(123, 40123, ntp_reply(ntp_request()), B6, A6)
    frames = [
        eth([(0x8100, 100)], 0x0800, ip4(A4, B4, 17, n4)),
        eth([(0x8100, 0x2000 | 100)], 0x86dd, ip6(B6, A6, 17, r6)),  # PCP 1
        eth([(0x88a8, 200), (0x8100, 300)], 0x0800, ip4(A4, B4, 17, n4)),
        eth([(0x9100, 10), (0x8100, 20)], 0x86dd, ip6(A6, B6, 17, n6)),
        eth([], 0x8864, pppoe(0x1234, 0x0021, ip4(A4, B4, 17, n4, ttl=255))),
        eth([], 0x8864, pppoe(0x0001, 0x0057, ip6(A6, B6, 17, n6))),
        eth([(0x8100, 7)], 0x8864, pppoe(0xbeef, 0x0021, ip4(A4, B4, 6, tcp_syn(40000, 8123)))),
        eth([], 0x8864, pppoe(0x1234, 0xc021, bytes([1, 1, 0, 4]))),  # LCP: not IP
        eth([(0x8100, 100)], 0x0806, bytes(28)),  # ARP in a VLAN
        # IPv6: hop-by-hop, routing (SRH, segments left 0), destination
        # options, AH, then UDP.
        eth([], 0x86dd, ip6(A6, B6, 0,
                            ext(43, b"\1\4\0\0\0\0") +
                            bytes([60, 2, 4, 0, 0, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, B6) +
                            ext(51, b"\1\4\0\0\0\0") + ah(17) + n6)),
        # IPv4 with AH, then UDP.
        eth([], 0x0800, ip4(A4, B4, 51, ah(17) + n4)),
        # IPv4 with a router alert option (RFC 2113) carrying IGMPv2.
        eth([], 0x0800, ip4(A4, "224.0.0.22", 2, bytes([0x16, 0, 0xfa, 0x04]) + bytes(4),
                            options=bytes([0x94, 4, 0, 0]), ttl=1)),
        # IPv6 fragments of one datagram: first (after destination options)
        # and last; and an atomic fragment (RFC 6946) that is whole.
        eth([], 0x86dd, ip6(A6, B6, 60, ext(44, b"\1\4\0\0\0\0") + frag6(17, 0, 1) + n6[:48])),
        eth([], 0x86dd, ip6(A6, B6, 44, frag6(17, 6, 0) + n6[48:])),
        eth([], 0x86dd, ip6(A6, B6, 44, frag6(17, 0, 0) + n6)),
        # IPv4 fragments: first (MF) and last (offset 3 x 8).
        eth([], 0x0800, ip4(A4, B4, 17, n4[:24], frag=0x2000)),
        eth([], 0x0800, ip4(A4, B4, 17, n4[24:], frag=3)),
        # IPv6 destination options, then no next header.
        eth([], 0x86dd, ip6(A6, B6, 60, ext(59, b"\1\4\0\0\0\0"))),
        # A small UDP datagram in a frame padded to 60 octets.
        eth([], 0x0800, ip4(A4, B4, 17, udp(40123, 7, b"hi", A4, B4)), pad_to=60),
        # ICMP echo request in a VLAN, ICMPv6 echo reply in QinQ.
        eth([(0x8100, 4094)], 0x0800, ip4(A4, B4, 1, bytes([8, 0, 0xf7, 0xfe, 0, 1, 0, 1]))),
        eth([(0x88a8, 1), (0x8100, 2)], 0x86dd,
            ip6(B6, A6, 58, bytes([129, 0, 0, 0, 0, 1, 0, 1]))),
    ]
    return frames


def inject(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for f in crafted():
        s.send(f)
        time.sleep(0.01)


# --- reencap ------------------------------------------------------------------

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    lt = struct.unpack(e + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append((sec, frac if nano else frac * 1000, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt, out


def write_pcap(path, linktype, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, linktype))
        for sec, nsec, d in pkts:
            f.write(struct.pack("<IIII", sec, nsec, len(d), len(d)) + d)


def reencap(path, outdir):
    lt, pkts = read_pcap(path)
    assert lt == 1
    ips = []
    for sec, nsec, d in pkts:
        et = struct.unpack("!H", d[12:14])[0]
        if et in (0x0800, 0x86dd):
            ips.append((sec, nsec, et == 0x86dd, d[14:]))
    v4 = [(s, n, d) for s, n, v6, d in ips if not v6]
    v6 = [(s, n, d) for s, n, v6, d in ips if v6]
    # NULL: host byte order of the writer; both orders, and the three BSD
    # AF_INET6 values.
    null = []
    for i, (s, n, is6, d) in enumerate(ips):
        af = [24, 28, 30][i % 3] if is6 else 2
        order = "<" if i % 2 == 0 else ">"
        null.append((s, n, struct.pack(order + "I", af) + d))
    write_pcap(os.path.join(outdir, "null.pcap"), 0, null)
    loop = [(s, n, struct.pack("!I", [24, 28, 30][i % 3] if is6 else 2) + d)
            for i, (s, n, is6, d) in enumerate(ips)]
    write_pcap(os.path.join(outdir, "loop.pcap"), 108, loop)
    raw = [(s, n, d) for s, n, _, d in ips]
    write_pcap(os.path.join(outdir, "raw.pcap"), 101, raw)
    write_pcap(os.path.join(outdir, "dlt-raw-12.pcap"), 12, raw[:6])
    write_pcap(os.path.join(outdir, "dlt-raw-14.pcap"), 14, raw[:6])
    write_pcap(os.path.join(outdir, "linktype-ipv4.pcap"), 228, v4)
    write_pcap(os.path.join(outdir, "linktype-ipv6.pcap"), 229, v6)


def main():
    mode = sys.argv[1]
    if mode == "serve":
        serve()
    elif mode == "client":
        client()
    elif mode == "inject":
        inject(sys.argv[2])
    elif mode == "reencap":
        reencap(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: traffic.py serve|client|inject IFACE|reencap IN OUTDIR")


if __name__ == "__main__":
    main()
