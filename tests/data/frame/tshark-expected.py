#!/usr/bin/env python3
"""tshark-expected.py CAPTURE - what tshark (Wireshark 4.0) sees in each packet
of CAPTURE, as one line per packet in the form test_frame.c compares with
frame_decode()'s result (columns: see COLUMNS).  "-" marks a field that is
not there.  Run by hand to remake the .tsv files of this folder:

    for f in *.pcap *.pcapng; do ./tshark-expected.py "$f" > "${f%.*}.tsv"; done

Reassembly is off (ip/ipv6 defragment FALSE), so fragments are seen as such.
Only the outermost IP header chain counts: an ICMP error's quoted packet or a
tunnel's inner packet is not what frame_decode() reports.
"""
import subprocess
import sys

COLUMNS = ["frame", "status", "vlan", "pppoe_session", "ip_version", "src", "dst", "ttl",
           "proto", "first_fragment", "sport", "dport", "tcp_flags", "icmp_type",
           "icmp_code", "payload_wire_len"]

FIELDS = ["frame.number", "frame.protocols", "vlan.id", "ieee8021ad.id", "pppoe.session_id",
          "ip.src", "ip.dst", "ip.ttl", "ip.proto", "ip.flags.mf", "ip.frag_offset",
          "ipv6.src", "ipv6.dst", "ipv6.hlim", "ipv6.nxt", "ipv6.hopopts.nxt",
          "ipv6.routing.nxt", "ipv6.dstopts.nxt", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset",
          "ipv6.fraghdr.more", "ah.next_header", "udp.srcport", "udp.dstport", "udp.length",
          "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.len", "icmp.type", "icmp.code",
          "icmpv6.type", "icmpv6.code"]

EXT = {"ipv6.hopopts": "ipv6.hopopts.nxt", "ipv6.routing": "ipv6.routing.nxt",
       "ipv6.dstopts": "ipv6.dstopts.nxt", "ipv6.fraghdr": "ipv6.fraghdr.nxt",
       "ah": "ah.next_header"}
TRANSPORT = {"udp": 17, "tcp": 6, "icmp": 1, "icmpv6": 58}


def num(s):
    return int(s, 0)


def packet(v):
    f = dict(zip(FIELDS, v))
    occ = {k: (f[k].split(",") if f[k] else []) for k in FIELDS}
    first = {k: (occ[k][0] if occ[k] else None) for k in FIELDS}
    out = dict.fromkeys(COLUMNS, "-")
    out["frame"] = f["frame.number"]
    protos = f["frame.protocols"].split(":")
    ip = next((i for i, p in enumerate(protos) if p in ("ip", "ipv6")), None)
    link = protos if ip is None else protos[:ip]
    # VLAN tags before the IP header, in order.
    seen = {"vlan": 0, "ieee8021ad": 0}
    vlans = []
    for p in link:
        if p in seen:
            field = "vlan.id" if p == "vlan" else "ieee8021ad.id"
            vlans.append(occ[field][seen[p]])
            seen[p] += 1
    if vlans:
        out["vlan"] = ",".join(vlans)
    if "pppoes" in link:
        out["pppoe_session"] = str(num(first["pppoe.session_id"]))
    if ip is None:
        out["status"] = "unsupported"
        return out
    v6 = protos[ip] == "ipv6"
    out["ip_version"] = "6" if v6 else "4"
    out["src"] = first["ipv6.src" if v6 else "ip.src"]
    out["dst"] = first["ipv6.dst" if v6 else "ip.dst"]
    out["ttl"] = first["ipv6.hlim" if v6 else "ip.ttl"]
    # The extension header chain (AH also after IPv4).
    nxt = num(first["ipv6.nxt" if v6 else "ip.proto"])
    used = dict.fromkeys(EXT, 0)
    i = ip + 1
    fragment = False
    first_fragment = False
    while i < len(protos) and protos[i] in EXT and (v6 or protos[i] == "ah"):
        p = protos[i]
        nxt = num(occ[EXT[p]][used[p]])
        if p == "ipv6.fraghdr":
            off = num(occ["ipv6.fraghdr.offset"][used[p]])
            more = occ["ipv6.fraghdr.more"][used[p]] in ("1", "True")
            if off or more:
                fragment, first_fragment = True, off == 0
        used[p] += 1
        i += 1
        if fragment:
            break
    if not v6:
        mf = first["ip.flags.mf"] in ("1", "True")
        off = num(first["ip.frag_offset"])
        if mf or off:
            fragment, first_fragment = True, off == 0
    out["proto"] = str(nxt)
    if fragment:
        out["status"] = "fragment"
        out["first_fragment"] = "1" if first_fragment else "0"
        return out
    out["status"] = "ok"
    t = protos[i] if i < len(protos) else None
    if t in TRANSPORT and TRANSPORT[t] == nxt:
        if t in ("udp", "tcp"):
            out["sport"] = first[t + ".srcport"]
            out["dport"] = first[t + ".dstport"]
        if t == "udp":
            out["payload_wire_len"] = str(num(first["udp.length"]) - 8)
        if t == "tcp":
            out["tcp_flags"] = "0x%02x" % (num(first["tcp.flags"]) & 0xff)
            out["payload_wire_len"] = first["tcp.len"]
        if t in ("icmp", "icmpv6"):
            out["icmp_type"] = first[t + ".type"]
            out["icmp_code"] = first[t + ".code"]
    return out


def main():
    cmd = ["tshark", "-n", "-r", sys.argv[1], "-o", "ip.defragment:FALSE",
           "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for x in FIELDS:
        cmd += ["-e", x]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    print("#" + "\t".join(COLUMNS))
    for line in res.stdout.splitlines():
        v = line.split("\t")
        try:
            out = packet(v)
        except (TypeError, IndexError, ValueError):
            # A field tshark could not read: malformed (seen only in
            # hand checks of damaged captures, never in a .tsv here).
            out = dict.fromkeys(COLUMNS, "-")
            out["frame"], out["status"] = v[0], "malformed"
        print("\t".join(out[c] for c in COLUMNS))


if __name__ == "__main__":
    main()
