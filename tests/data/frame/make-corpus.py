#!/usr/bin/env python3
"""make-corpus.py - remakes the fuzz seed corpora from this folder's captures:

  tests/fuzz/corpus/frame/     4 octets choosing the link type (its index in
                               fuzz_frame.c's list, big-endian), then a frame:
                               packets of every .pcap here and edge cases
  tests/fuzz/corpus/pcapfile/  small capture files: pcap (both byte orders,
                               micro- and nanoseconds), pcapng, every link
                               type, and files cut inside a record

Run from anywhere; needs editcap and mergecap (Wireshark) for the pcapng
files.
"""
import glob
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import traffic  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FRAME = os.path.join(ROOT, "tests", "fuzz", "corpus", "frame")
PCAPFILE = os.path.join(ROOT, "tests", "fuzz", "corpus", "pcapfile")
LINKTYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame_corpus():
    for path in sorted(glob.glob(os.path.join(HERE, "*.pcap"))):
        base = os.path.basename(path)[:-5]
        if base == "eth-merged":
            continue
        lt, pkts = traffic.read_pcap(path)
        sel = struct.pack("!I", LINKTYPES.index(lt))
        seen = set()
        for i, (_, _, d) in enumerate(pkts):
            if d in seen or len(seen) >= 6:
                continue
            seen.add(d)
            put(FRAME, "real_%s_%03d" % (base, i + 1), sel + d)
    # Edge cases the captures do not have.
    T = traffic
    sel = lambda lt: struct.pack("!I", LINKTYPES.index(lt))  # noqa: E731
    n6 = T.udp(40123, 123, T.ntp_request(), T.A6, T.B6)
    n4 = T.udp(40123, 123, T.ntp_request(), T.A4, T.B4)
    jumbo = bytearray(T.ip6(T.A6, T.B6, 0, bytes([17, 0, 0xc2, 4]) + struct.pack("!I", 70000) +
                            n6[:4] + b"\0\0" + n6[6:]))
    jumbo[4:6] = b"\0\0"
    put(FRAME, "edge_jumbogram", sel(101) + bytes(jumbo))
    big = bytearray(T.ip6(T.A6, T.B6, 6, T.tcp_syn(40000, 443) + bytes(100)))
    big[4:6] = b"\0\0"
    put(FRAME, "edge_bigtcp6", sel(101) + bytes(big))
    tso = bytearray(T.ip4(T.A4, T.B4, 6, T.tcp_syn(40000, 443) + bytes(100)))
    tso[2:4] = b"\0\0"
    put(FRAME, "edge_tso4", sel(101) + bytes(tso))
    tags = [(0x88a8, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4), (0x8100, 5)]
    put(FRAME, "edge_5_vlans", sel(1) + T.eth(tags, 0x0800, T.ip4(T.A4, T.B4, 17, n4)))
    put(FRAME, "edge_4_vlans", sel(1) + T.eth(tags[:4], 0x0800, T.ip4(T.A4, T.B4, 17, n4)))
    pfc = struct.pack("!BBHH", 0x11, 0, 7, 1 + 20 + len(n4)) + b"\x21" + T.ip4(T.A4, T.B4, 17, n4)
    put(FRAME, "edge_pppoe_pfc", sel(1) + T.eth([], 0x8864, pfc))
    put(FRAME, "edge_atomic_fragment", sel(229) + T.ip6(T.A6, T.B6, 44, T.frag6(17, 0, 0) + n6))
    put(FRAME, "edge_ipv4_options_40", sel(228) + T.ip4(T.A4, T.B4, 17, n4, options=bytes([1] * 39 + [0])))
    put(FRAME, "edge_null_be_inet6", sel(0) + struct.pack(">I", 30) + T.ip6(T.A6, T.B6, 17, n6))
    put(FRAME, "edge_sll_vlan", sel(113) + struct.pack("!HHH8sH", 0, 1, 6, b"\x11" * 6 + b"\0\0", 0x8100) +
        struct.pack("!HH", 42, 0x0800) + T.ip4(T.A4, T.B4, 17, n4))
    put(FRAME, "edge_empty", sel(1))


def pcapfile_corpus():
    small = lambda p: traffic.read_pcap(p)  # noqa: E731
    for name in ("null", "loop", "raw", "sll", "sll2", "linktype-ipv4", "linktype-ipv6",
                 "dlt-raw-12", "dlt-raw-14", "eth"):
        lt, pkts = small(os.path.join(HERE, name + ".pcap"))
        traffic.write_pcap(os.path.join(PCAPFILE, name + "-6.pcap"), lt, pkts[8:14] if len(pkts) >= 14 else pkts[:6])
    for name in ("tcpdump_ntp-time.pcap", "eth-crafted.pcap", "eth-dumpcap.pcapng",
                 "zeek_ntp_misordered-ntp.pcap"):
        with open(os.path.join(HERE, name), "rb") as f:
            put(PCAPFILE, name, f.read())
    # tcpdump_ntp-time.pcap in big-endian byte order (a pcap written on a
    # big-endian machine; microseconds).
    with open(os.path.join(HERE, "tcpdump_ntp-time.pcap"), "rb") as f:
        le = f.read()
    hdr = struct.unpack("<IHHiIII", le[:24])
    be = struct.pack(">IHHiIII", *hdr)
    off = 24
    while off < len(le):
        rec = struct.unpack("<IIII", le[off:off + 16])
        be += struct.pack(">IIII", *rec) + le[off + 16:off + 16 + rec[2]]
        off += 16 + rec[2]
    put(PCAPFILE, "tcpdump_ntp-time-bigendian.pcap", be)
    # Cut inside a record header and inside a record's data.
    with open(os.path.join(HERE, "eth-crafted.pcap"), "rb") as f:
        d = f.read()
    put(PCAPFILE, "cut-in-record-header.pcap", d[:24 + 16 + 90 + 7])
    put(PCAPFILE, "cut-in-record-data.pcap", d[:24 + 16 + 90 + 16 + 30])
    with open(os.path.join(HERE, "eth-dumpcap.pcapng"), "rb") as f:
        d = f.read()
    put(PCAPFILE, "cut-in-block.pcapng", d[:len(d) // 2])
    # pcapng from editcap, and one with two interfaces of different link
    # types (libpcap refuses those).
    out = os.path.join(PCAPFILE, "raw-editcap.pcapng")
    subprocess.run(["editcap", "-F", "pcapng", "-r", os.path.join(PCAPFILE, "raw-6.pcap"), out,
                    "1-3"], check=True)
    subprocess.run(["mergecap", "-F", "pcapng", "-w", os.path.join(PCAPFILE, "two-linktypes.pcapng"),
                    os.path.join(PCAPFILE, "raw-6.pcap"), os.path.join(PCAPFILE, "sll2-6.pcap")],
                   check=True)


def main():
    os.makedirs(FRAME, exist_ok=True)
    os.makedirs(PCAPFILE, exist_ok=True)
    frame_corpus()
    pcapfile_corpus()


if __name__ == "__main__":
    main()
