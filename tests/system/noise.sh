#!/bin/bash
# noise.sh - `sundial noise -r`: unsolicited traffic, scanners, ports.
#
# Every figure is checked against an oracle: tshark decodes each capture
# (outermost IP header, TCP flags, ports, ICMP types, through VLAN, PPPoE and
# Linux cooked headers), and noise_oracle below applies the rules of
# doc/sundial-noise.1 to tshark's fields with unbounded Python sets (local
# addresses inferred or given; attempts = SYN without ACK; backscatter =
# SYN-ACK or RST outside a flow a local address began; replies; per port,
# per source, per hour).  sundial's --json report must agree with it on
# every count, list and time.
#
#   1. golden: the scan captures of tests/data/noise/ (nDPI's SYN scan,
#      Zeek's nmap version scan; SOURCES.md there), inferred and --local;
#      the oracle's own checks: the SYNs tshark counts per port;
#   2. live: nmap (TCP SYN over IPv4 and IPv6, UDP, and a ping) from this
#      test's namespace against a second one (sundial-noise-PID, over a veth
#      pair, deleted on exit) with listeners on a few ports, captured there
#      with tcpdump: the scanners and every port nmap scanned are found;
#   3. hand-made captures: Ethernet + 802.1Q VLAN 7 + PPPoE + PPP IPv4/IPv6
#      (TCP SYNs, UDP, ICMP, ICMPv6, backscatter, replies, three hours) and
#      Linux cooked (SLL) frames: decoded and counted; merged; standard
#      input; --csv; text within 80 columns;
#   4. rejections: garbage, truncated, missing and empty inputs (exit 1 and
#      what to do), bad options (exit 64).

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

D=$TESTS_DIR/data/noise
[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
command -v "$TSHARK" >/dev/null 2>&1 || bail_out "tshark ($TSHARK) is not installed (scripts/install-deps)"

# noise_oracle [--local LIST] [--scanner-ports N] [--scanner-hosts N] FILE...:
# the expected report, as JSON, from tshark's decode of the files (merged
# in time order).
noise_oracle() {
	local args=() f
	while [ $# -gt 0 ]; do
		case $1 in
		--*) args+=("$1" "$2"); shift 2 ;;
		*) break ;;
		esac
	done
	: >"$T/oracle.tsv"
	for f in "$@"; do
		"$TSHARK" -n -r "$f" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -E occurrence=f \
			-e frame.time_epoch -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e ip.proto -e ipv6.nxt \
			-e tcp.flags -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
			-e icmp.type -e icmpv6.type -e ip.flags.mf -e ip.frag_offset \
			>>"$T/oracle.tsv" 2>>"$T/oracle.err" || return 1
	done
	"$PYTHON" - "$T/oracle.tsv" "${args[@]}" <<'PYEOF'
import ipaddress, json, sys
from decimal import Decimal

opts = {"--scanner-ports": "10", "--scanner-hosts": "3"}
a = sys.argv[2:]
for i in range(0, len(a), 2):
    opts[a[i]] = a[i + 1]
sp, sh = int(opts["--scanner-ports"]), int(opts["--scanner-hosts"])
given = [ipaddress.ip_network(x, strict=False) for x in opts["--local"].split(",")] if "--local" in opts else None

rows = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    f += [""] * (16 - len(f))
    t, s4, d4, s6, d6, p4, nxt, fl, tsp, tdp, usp, udp_, it, it6, mf, off = f[:16]
    if s4:
        ver, src, dst, proto = 4, s4, d4, int(p4)
    elif s6:
        ver, src, dst = 6, s6, d6
        proto = 58 if it6 else 6 if tsp else 17 if usp else int(nxt)
    else:
        continue  # not IP
    frag = ver == 4 and (mf == "1" or mf == "True" or (off and int(off) > 0))
    r = {"t": int(Decimal(t) * 1000000000), "v": ver, "src": ipaddress.ip_address(src),
         "dst": ipaddress.ip_address(dst), "proto": proto, "frag": frag, "flags": 0,
         "sport": 0, "dport": 0, "type": None}
    if not frag:
        if proto == 6 and tsp:
            r.update(flags=int(fl, 16), sport=int(tsp), dport=int(tdp))
        elif proto == 17 and usp:
            r.update(sport=int(usp), dport=int(udp_))
        elif proto == 1 and ver == 4 and it:
            r["type"] = int(it)
        elif proto == 58 and ver == 6 and it6:
            r["type"] = int(it6)
    rows.append(r)
rows.sort(key=lambda r: r["t"])  # merged in time order (stable)

def is_request(r):
    if r["frag"]:
        return False
    if r["proto"] == 6:
        return r["flags"] & 0x12 == 0x02
    return (r["v"], r["proto"], r["type"]) in ((4, 1, 8), (6, 58, 128))

# the local addresses: given, or inferred (doc/sundial-noise.1)
inferred = []
if given is None:
    d = {}
    for r in rows:
        if r["dst"].is_multicast or str(r["dst"]) == "255.255.255.255":
            continue
        e = d.setdefault(r["dst"], {"srcs": set(), "rsrcs": set()})
        e["srcs"].add(r["src"])
        if is_request(r):
            e["rsrcs"].add(r["src"])
    for v in (4, 6):
        fam = {k: e for k, e in d.items() if k.version == v}
        mr = max([len(e["rsrcs"]) for e in fam.values()] + [0])
        ms = max([len(e["srcs"]) for e in fam.values()] + [0])
        if mr:
            inferred += [k for k, e in fam.items() if len(e["rsrcs"]) >= max(1, -(-mr // 10))]
        else:
            inferred += [k for k, e in fam.items() if len(e["srcs"]) >= max(2, -(-ms // 2))]
    nets = [ipaddress.ip_network(k) for k in inferred]
else:
    nets = given

def local(a):
    return any(a.version == n.version and a in n for n in nets)

flows, contacted = set(), set()
tr = dict(unsolicited=0, outgoing=0, replies=0, internal=0, transit=0)
u = dict(packets=0, ipv4=0, ipv6=0, tcp_attempts=0, tcp_backscatter=0, tcp_other=0, udp=0,
         icmp=0, icmp6=0, other_protocols=0)
ports = {"tcp_ports": {}, "udp_ports": {}, "backscatter_ports": {}}
icmp_types, srcs, hours = {}, {}, {}
for r in rows:
    sl, dl = local(r["src"]), local(r["dst"])
    if sl and dl:
        tr["internal"] += 1; continue
    if sl:
        tr["outgoing"] += 1
        if not r["frag"]:
            if r["proto"] in (6, 17):
                flows.add((r["proto"], r["src"], r["sport"], r["dst"], r["dport"]))
            elif r["proto"] not in (1, 58) or is_request(r):
                flows.add((r["proto"], r["src"], 0, r["dst"], 0))
        contacted.add((r["src"], r["dst"]))
        continue
    if not dl:
        tr["transit"] += 1; continue
    back = (r["proto"], r["dst"], r["dport"], r["src"], r["sport"])
    icmp = (r["v"], r["proto"]) in ((4, 1), (6, 58))
    if r["frag"]:
        cls = "reply" if (r["dst"], r["src"]) in contacted else "other"
    elif r["proto"] == 6:
        f = r["flags"]
        cls = ("attempt" if f & 0x12 == 0x02 else "reply" if back in flows else
               "backscatter" if f & 0x12 == 0x12 or f & 0x04 else "tcp_other")
    elif r["proto"] == 17:
        cls = "reply" if back in flows else "udp"
    elif icmp:
        ty = r["type"]
        err = ty in (3, 4, 5, 11, 12) if r["v"] == 4 else ty in (1, 2, 3, 4)
        if (r["v"], ty) in ((4, 0), (6, 129)):
            cls = "reply" if (r["proto"], r["dst"], 0, r["src"], 0) in flows else "icmp"
        elif err:
            cls = "reply" if (r["dst"], r["src"]) in contacted else "icmp"
        else:
            cls = "icmp"
    else:
        cls = "reply" if (r["proto"], r["dst"], 0, r["src"], 0) in flows else "other"
    if cls == "reply":
        tr["replies"] += 1; continue
    tr["unsolicited"] += 1
    u["packets"] += 1
    u["ipv%d" % r["v"]] += 1
    key = {"attempt": "tcp_attempts", "backscatter": "tcp_backscatter", "tcp_other": "tcp_other",
           "udp": "udp", "other": "other_protocols"}.get(cls)
    if cls == "icmp":
        key = "icmp" if r["v"] == 4 else "icmp6"
        k = "%s:%d" % ("icmp" if r["v"] == 4 else "icmpv6", r["type"])
        icmp_types[k] = icmp_types.get(k, 0) + 1
    u[key] += 1
    s = srcs.setdefault(r["src"], dict(packets=0, tcp_attempts=0, tcp_backscatter=0, tcp_other=0,
                                       udp=0, icmp=0, other=0, ports=set(), hosts=set(),
                                       first=r["t"], last=r["t"]))
    s["packets"] += 1
    s["first"], s["last"] = min(s["first"], r["t"]), max(s["last"], r["t"])
    s[{"attempt": "tcp_attempts", "backscatter": "tcp_backscatter", "icmp": "icmp"}.get(cls, cls if cls in ("tcp_other", "udp") else "other")] += 1
    pk = {"attempt": ("tcp_ports", r["dport"]), "udp": ("udp_ports", r["dport"]),
          "backscatter": ("backscatter_ports", r["sport"])}.get(cls)
    if pk:
        e = ports[pk[0]].setdefault(pk[1], [0, set()])
        e[0] += 1
        e[1].add(r["src"])
    if cls in ("attempt", "tcp_other", "udp") and not r["frag"]:
        s["ports"].add((r["proto"], r["dport"]))
    if cls != "backscatter":
        s["hosts"].add(r["dst"])
    h = hours.setdefault(r["t"] // 1000000000 // 3600 * 3600,
                         dict(packets=0, tcp_attempts=0, udp=0, icmp=0, srcs=set()))
    h["packets"] += 1
    h["tcp_attempts"] += cls == "attempt"
    h["udp"] += cls == "udp"
    h["icmp"] += cls == "icmp"
    h["srcs"].add(r["src"])
u["sources_ipv4"] = sum(1 for a in srcs if a.version == 4)
u["sources_ipv6"] = sum(1 for a in srcs if a.version == 6)
out = {"local": sorted(str(n.network_address) + ("" if n.prefixlen == n.max_prefixlen else "/%d" % n.prefixlen) for n in nets),
       "traffic": tr, "unsolicited": u, "icmp_types": icmp_types,
       "hours": [], "sources": {}, "scanners": []}
for k, v in ports.items():
    out[k] = {str(p): [e[0], len(e[1])] for p, e in v.items()}
if hours:
    for h in range(min(hours), max(hours) + 1, 3600):
        e = hours.get(h, dict(packets=0, tcp_attempts=0, udp=0, icmp=0, srcs=set()))
        out["hours"].append({"start": h, "packets": e["packets"], "tcp_attempts": e["tcp_attempts"],
                             "udp": e["udp"], "icmp": e["icmp"], "sources": len(e["srcs"])})
for a, s in srcs.items():
    s["ports"], s["hosts"] = len(s["ports"]), len(s["hosts"])
    s["first"], s["last"] = s["first"] / 1e9, s["last"] / 1e9
    s["scanner"] = s["ports"] >= sp or s["hosts"] >= sh
    out["sources"][str(a)] = s
    if s["scanner"]:
        out["scanners"].append(str(a))
out["scanners"].sort()
out["n_rows"] = len(rows)
json.dump(out, sys.stdout, sort_keys=True)
PYEOF
}

# noise_compare ORACLE REPORT: the differences between the oracle and
# sundial's --json report (run with --top 65536: every port and source), one per line; nothing if
# they agree.
noise_compare() {
	"$PYTHON" - "$1" "$2" <<'PYEOF'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
def eq(name, w, g):
    if w != g:
        bad.append("%s: sundial %s, oracle %s" % (name, json.dumps(g)[:300], json.dumps(w)[:300]))
eq("local addresses", want["local"], sorted(a["prefix"] for a in got["local"]["addresses"]))
for k, v in want["traffic"].items():
    eq("traffic." + k, v, got["traffic"][k])
for k, v in want["unsolicited"].items():
    eq("unsolicited." + k, v, got["unsolicited"][k])
eq("unsolicited.sources_approx", False, got["unsolicited"]["sources_approx"])
for k in ("tcp_ports", "udp_ports", "backscatter_ports"):
    eq(k, want[k], {str(p["port"]): [p["packets"], p["sources"]] for p in got[k]})
    # sorted by packets, then port
    order = [(-p["packets"], p["port"]) for p in got[k]]
    eq(k + " order", sorted(order), order)
eq("icmp_types", want["icmp_types"], {"%s:%d" % (i["family"], i["type"]): i["packets"] for i in got["icmp_types"]})
eq("hours", want["hours"], [{k: h[k] for k in ("start", "packets", "tcp_attempts", "udp", "icmp", "sources")} for h in got["hours"]])
eq("scanners", want["scanners"], sorted(s["address"] for s in got["scanners"]["sources"]))
eq("scanners.count", len(want["scanners"]), got["scanners"]["count"])
gs = {s["address"]: s for s in got["top_sources"]}
eq("itemised sources", len(want["sources"]), got["caps"]["itemised"])
eq("sources listed", sorted(want["sources"]), sorted(gs))
for a, w in want["sources"].items():
    g = gs.get(a)
    if not g:
        continue
    for k, v in w.items():
        if k in ("first", "last"):
            if abs(v - g[k]) > 1.5e-6:
                bad.append("source %s %s: sundial %.9f, oracle %.9f" % (a, k, g[k], v))
        else:
            eq("source %s %s" % (a, k), v, g[k])
print("\n".join(bad[:20]))
PYEOF
}

# check_oracle NAME ORACLE-ARGS... -- SUNDIAL-ARGS...: runs both, compares.
check_oracle() {
	local name=$1 oargs=() sargs=()
	shift
	while [ "$1" != -- ]; do oargs+=("$1"); shift; done
	shift
	sargs=("$@")
	noise_oracle "${oargs[@]}" >"$T/oracle.json" || { not_ok "$name: tshark decodes the input" "$(cat "$T/oracle.err")"; return; }
	run_sundial noise "${sargs[@]}" --json -q --top 65536
	is "$RC" 0 "$name: exit 0"
	if ! json_valid "$T/out"; then
		not_ok "$name: the report is JSON" "$(head -c 500 "$T/out")" "$(head -c 500 "$T/err")"
		return
	fi
	cp "$T/out" "$T/last-report.json"
	local diff
	diff=$(noise_compare "$T/oracle.json" "$T/out")
	if [ -z "$diff" ]; then
		ok "$name: every figure agrees with tshark's decode ($(jf unsolicited.packets) unsolicited, $(jf unsolicited.tcp_attempts) attempts, $(jf caps.itemised) sources, $(jf scanners.count) scanners)"
	else
		not_ok "$name: every figure agrees with tshark's decode" "$diff"
	fi
}

# tshark_count FILE FILTER: packets tshark matches.
tshark_count() { "$TSHARK" -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------
# 1. Golden: the scan captures.

SYN='tcp.flags.syn==1 && tcp.flags.ack==0'
F=$D/ndpi_synscan.pcap
check_oracle "nDPI synscan, inferred" "$F" -- -r "$F"
is "$(jf local.method)" inferred "nDPI synscan: the local address inferred"
is "$(jf local.addresses.0.prefix)/$(jf local.addresses.0.by)" "64.13.134.52/requests" \
	"nDPI synscan: the scanned host is the local one, by its connection attempts"
is "$(jf unsolicited.tcp_attempts)" "$(tshark_count "$F" "$SYN && ip.dst==64.13.134.52")" \
	"nDPI synscan: the attempts are tshark's SYNs without ACK"
is "$(jf unsolicited.tcp_attempts)" 1994 "nDPI synscan: 1994 attempts (tshark above; the corpus summary: 2011 packets, 17 back)"
"$TSHARK" -n -r "$F" -Y "$SYN" -T fields -e tcp.dstport 2>/dev/null | sort -n | uniq -c |
	awk '{print $2, $1}' | sort -n >"$T/syn-ports.tshark"
"$PYTHON" -c 'import json,sys; [print(p["port"], p["packets"]) for p in sorted(json.load(open(sys.argv[1]))["tcp_ports"], key=lambda p: p["port"])]' \
	"$T/last-report.json" >"$T/syn-ports.sundial"
check "nDPI synscan: packets per port are tshark's ($(wc -l <"$T/syn-ports.tshark") ports)" \
	cmp -s "$T/syn-ports.tshark" "$T/syn-ports.sundial"
is "$(jf scanners.sources.0.address)/$(jf scanners.sources.0.ports)" \
	"172.16.0.8/$(wc -l <"$T/syn-ports.tshark")" "nDPI synscan: 172.16.0.8 is a scanner of every port tshark sees"
is "$(jf unsolicited.ipv6)/$(jf unsolicited.sources_ipv6)" 0/0 "nDPI synscan: no IPv6"
check_oracle "nDPI synscan, --local" --local 64.13.134.0/24 "$F" -- -r "$F" --local 64.13.134.0/24
is "$(jf local.addresses.0.prefix)/$(jf local.addresses.0.by)" 64.13.134.0/24/given "nDPI synscan: --local as given"

F=$D/zeek_nmap-vsn.pcap
check_oracle "Zeek nmap-vsn, inferred" "$F" -- -r "$F"
is "$(jf local.addresses | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	"$("$TSHARK" -n -r "$F" -Y "$SYN" -T fields -e ip.dst 2>/dev/null | sort -u | wc -l)" \
	"Zeek nmap-vsn: every host tshark sees a SYN to is local"
is "$(jf input.not_ip)" "$(tshark_count "$F" "arp")" "Zeek nmap-vsn: the ARP frames are not IP"
is "$(jf scanners.sources.0.address)" 192.168.1.71 "Zeek nmap-vsn: 192.168.1.71 is a scanner (hosts)"
check_oracle "Zeek nmap-vsn, --scanner-hosts 8" --scanner-hosts 8 "$F" -- -r "$F" --scanner-hosts 8
is "$(jf scanners.count)" 0 "Zeek nmap-vsn: --scanner-hosts 8: no scanner (it touched 7)"

# ---------------------------------------------------------------------------
# 2. Live: nmap against a second namespace, captured with tcpdump.

command -v nmap >/dev/null 2>&1 || bail_out "nmap is not installed (scripts/install-deps)"
command -v "$TCPDUMP" >/dev/null 2>&1 || bail_out "tcpdump is not installed (scripts/install-deps)"
NS=sundial-noise-$$
# shellcheck disable=SC2317 # called by the EXIT trap
_noise_cleanup() {
	local rc=$?
	ip netns del "$NS" 2>/dev/null
	(exit "$rc")
	_cleanup
}
trap _noise_cleanup EXIT
ip netns add "$NS" || bail_out "cannot make the network namespace $NS (needs root)"
if ! ip link add nz0 type veth peer name nz1 || ! ip link set nz1 netns "$NS" ||
   ! ip addr add 10.99.0.1/24 dev nz0 || ! ip -6 addr add fd00:99::1/64 dev nz0 nodad ||
   ! ip link set nz0 up ||
   ! ip netns exec "$NS" ip addr add 10.99.0.2/24 dev nz1 ||
   ! ip netns exec "$NS" ip -6 addr add fd00:99::2/64 dev nz1 nodad ||
   ! ip netns exec "$NS" ip link set nz1 up || ! ip netns exec "$NS" ip link set lo up; then
	bail_out "cannot set up the veth pair to $NS"
fi
# listeners on TCP 22 and 8080 of both addresses: open ports for nmap
_spawn listener ip netns exec "$NS" "$PYTHON" -c '
import select, socket
ls = []
for fam, a in ((socket.AF_INET, "10.99.0.2"), (socket.AF_INET6, "fd00:99::2")):
    for p in (22, 8080):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, p)); s.listen(64); ls.append(s)
print("ready", flush=True)
while True:
    for s in select.select(ls, [], [])[0]:
        s.accept()[0].close()
'
for _ in $(seq 1 50); do grep -q ready "$T/listener/out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$T/listener/out" || _daemon_failed listener "did not start"
LIVE=$T/live.pcap
_spawn tcpdump ip netns exec "$NS" "$TCPDUMP" -i nz1 -n -U --immediate-mode -B 32768 -Z root -w "$LIVE"
for _ in $(seq 1 100); do grep -q 'listening on' "$T/tcpdump/out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$T/tcpdump/out" || _daemon_failed tcpdump "not listening after 10 s"
ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1 || diag "ping 10.99.0.2 failed"
nmap -n -Pn -sS -p 1-1000 -T4 --max-rate 4000 --max-retries 1 -oX "$T/nmap4.xml" 10.99.0.2 >"$T/nmap4.out" 2>&1 ||
	bail_out "nmap -sS 10.99.0.2 failed" "$(tail -n 5 "$T/nmap4.out")"
nmap -6 -n -Pn -sS -p 1-200,8080 -T4 --max-rate 4000 --max-retries 1 -oX "$T/nmap6.xml" fd00:99::2 >"$T/nmap6.out" 2>&1 ||
	bail_out "nmap -6 -sS fd00:99::2 failed" "$(tail -n 5 "$T/nmap6.out")"
nmap -n -Pn -sU -p 53,123,161 -T4 --max-retries 1 -oX "$T/nmapu.xml" 10.99.0.2 >"$T/nmapu.out" 2>&1 ||
	bail_out "nmap -sU 10.99.0.2 failed" "$(tail -n 5 "$T/nmapu.out")"
sleep 0.5
stop_daemon tcpdump
stop_daemon listener
ip netns del "$NS" || not_ok "the namespace $NS can be deleted"
if ip netns list 2>/dev/null | grep -q "^$NS\\b" || [ -e "/run/netns/$NS" ]; then
	not_ok "nothing of $NS remains"
else
	ok "nothing of $NS remains"
fi
[ -s "$LIVE" ] || bail_out "tcpdump wrote nothing to $LIVE" "$(cat "$T/tcpdump/out")"
# (nmap is held to 4000 packets/s and tcpdump has 32 MiB, for a busy machine)
like "$(cat "$T/tcpdump/out")" '^0 packets dropped by kernel' "tcpdump dropped no packet"

# nmap's own account: how many ports it scanned (listed + "extraports"),
# the open ones, and the port numbers it was told to scan (scaninfo).
nmap_ports() {
	"$PYTHON" - "$@" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
scanned, opened, numbers = 0, [], set()
for f in sys.argv[1:]:
    r = ET.parse(f).getroot()
    for si in r.iter("scaninfo"):
        for part in si.get("services").split(","):
            lo, _, hi = part.partition("-")
            numbers.update(range(int(lo), int(hi or lo) + 1))
    for pe in r.iter("ports"):
        scanned += sum(int(e.get("count")) for e in pe.iter("extraports"))
        for p in pe.iter("port"):
            scanned += 1
            if p.find("state").get("state") == "open":
                opened.append("%s/%s" % (p.get("protocol"), p.get("portid")))
print(scanned, ",".join(sorted(opened)) or "-", ",".join(str(n) for n in sorted(numbers)))
PYEOF
}
read -r N4 OPEN4 _ < <(nmap_ports "$T/nmap4.xml")
read -r N6 OPEN6 _ < <(nmap_ports "$T/nmap6.xml")
read -r NU _ _ < <(nmap_ports "$T/nmapu.xml")
read -r _ _ TCP_NUMBERS < <(nmap_ports "$T/nmap4.xml" "$T/nmap6.xml")
diag "nmap: IPv4 $N4 TCP ports (open: $OPEN4), IPv6 $N6 (open: $OPEN6), UDP $NU"
is "$OPEN4/$OPEN6" "tcp/22/tcp/22,tcp/8080" "nmap finds the listeners' ports open (8080 scanned over IPv6 only)"

check_oracle "live nmap scan, inferred" "$LIVE" -- -r "$LIVE"
is "$(jf local.addresses | "$PYTHON" -c 'import json,sys; print(" ".join(sorted(a["prefix"] + "/" + a["by"] for a in json.load(sys.stdin))))')" \
	"10.99.0.2/requests fd00:99::2/requests" "live: the scanned addresses are inferred as local"
SCANNERS=$("$PYTHON" -c 'import json,sys; print(" ".join(sorted("%s:%d" % (s["address"], s["ports"]) for s in json.load(open(sys.argv[1]))["scanners"]["sources"])))' "$T/last-report.json")
is "$SCANNERS" "10.99.0.1:$((N4 + NU)) fd00:99::1:$N6" \
	"live: both scanners found, with as many ports as nmap scanned ($N4 TCP + $NU UDP, $N6 TCP)"
"$TSHARK" -n -r "$LIVE" -Y "$SYN" -T fields -e tcp.dstport 2>/dev/null | sort -nu >"$T/live-syn.tshark"
"$PYTHON" -c 'import json,sys; [print(p["port"]) for p in sorted(json.load(open(sys.argv[1]))["tcp_ports"], key=lambda p: p["port"])]' \
	"$T/last-report.json" >"$T/live-syn.sundial"
check "live: the TCP ports are those tshark sees SYNs to ($(wc -l <"$T/live-syn.tshark"))" \
	cmp -s "$T/live-syn.tshark" "$T/live-syn.sundial"
is "$(paste -sd, "$T/live-syn.sundial")" "$TCP_NUMBERS" "live: ... which are every port nmap was told to scan"
is "$(jf udp_ports | "$PYTHON" -c 'import json,sys; print(",".join(str(p["port"]) for p in sorted(json.load(sys.stdin), key=lambda p: p["port"])))')" \
	53,123,161 "live: the UDP ports of nmap -sU"
num_is "$(jf unsolicited.ipv6)" '>=' "$N6" "live: IPv6 attempts counted"
num_is "$(jf traffic.replies)" '>' 0 "live: nmap's resets after the SYN-ACKs of open ports are replies, not noise"
is "$(jf unsolicited.tcp_backscatter)" 0 "live: no backscatter"
is "$(jf icmp_types | "$PYTHON" -c 'import json,sys; print([(i["type"], i["packets"]) for i in json.load(sys.stdin) if i["family"] == "icmp"])')" \
	"[(8, 2)]" "live: the two pings are ICMP echo requests"

# ---------------------------------------------------------------------------
# 3. Hand-made captures: VLAN 7 + PPPoE, and Linux cooked.

"$PYTHON" - "$T/vlan-pppoe.pcap" "$T/sll.pcap" <<'PYEOF'
import ipaddress, struct, sys

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp(sp, dp, flags):
    return struct.pack(">HHIIBBHHH", sp, dp, 1000, 2000 if flags & 0x10 else 0, 5 << 4, flags, 1024, 0, 0)

def udp(sp, dp, data=b"hello"):
    return struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data

def icmp(t, c=0):
    return struct.pack(">BBHHH", t, c, 0, 1, 1) + b"ping"

def ip(src, dst, proto, payload):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, s.packed, d.packed)
        return 4, h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload
    return 6, struct.pack(">IHBB", 6 << 28, len(payload), proto, 64) + s.packed + d.packed + payload

MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"

def vlan_pppoe(v, pkt):
    ppp = struct.pack(">H", 0x21 if v == 4 else 0x57) + pkt
    return MAC + struct.pack(">HH", 0x8100, 7) + struct.pack(">HBBHH", 0x8864, 0x11, 0, 0x1234, len(ppp)) + ppp

def sll(v, pkt):
    return struct.pack(">HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x09\x00\x00", 0x0800 if v == 4 else 0x86dd) + pkt

HERE4, HERE6 = "192.0.2.7", "2001:db8:1::7"
T0 = 1767225600 + 5 * 3600  # 2026-01-01 05:00 UTC
a = []  # (time, src, dst, proto, payload)
# a scanner: 12 ports over two hours
for k, p in enumerate([21, 22, 23, 25, 80, 110, 143, 443, 445, 3389, 5900, 8080]):
    a.append((T0 + 60 + k * 600, "198.51.100.66", HERE4, 6, tcp(40000 + k, p, 0x02)))
# five sources knock on telnet and ssh, one twice
for k in range(1, 6):
    a.append((T0 + 100 + k, "198.51.100.%d" % k, HERE4, 6, tcp(50000, 23 if k % 2 else 22, 0x02)))
a.append((T0 + 200, "198.51.100.1", HERE4, 6, tcp(50001, 23, 0x02)))
# UDP to three ports; ICMP echo and timestamp requests
a.append((T0 + 300, "203.0.113.5", HERE4, 17, udp(5060, 5060)))
a.append((T0 + 301, "203.0.113.6", HERE4, 17, udp(40000, 1900)))
a.append((T0 + 302, "203.0.113.6", HERE4, 17, udp(40000, 53)))
a.append((T0 + 303, "203.0.113.7", HERE4, 1, icmp(8)))
a.append((T0 + 304, "203.0.113.7", HERE4, 1, icmp(13)))
# backscatter: SYN-ACK and RST from victims of spoofed SYNs
a.append((T0 + 400, "203.0.113.80", HERE4, 6, tcp(80, 40001, 0x12)))
a.append((T0 + 401, "203.0.113.81", HERE4, 6, tcp(443, 40002, 0x04)))
# here asks a resolver; the answer is a reply; an unasked answer is not
a.append((T0 + 500, HERE4, "203.0.113.53", 17, udp(33333, 53)))
a.append((T0 + 500.01, "203.0.113.53", HERE4, 17, udp(53, 33333)))
a.append((T0 + 500.02, "203.0.113.53", HERE4, 17, udp(53, 33334)))
# IPv6: one SYN, one ping, in the third hour
a.append((T0 + 7300, "2001:db8:ff::1", HERE6, 6, tcp(1, 22, 0x02)))
a.append((T0 + 7301, "2001:db8:ff::2", HERE6, 58, icmp(128)))
a.sort(key=lambda x: x[0])

def write(path, linktype, frame, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, linktype))
        for t, s, d, proto, pl in pkts:
            v, p = ip(s, d, proto, pl)
            b = frame(v, p)
            ns = round(t * 1e9)
            f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(b), len(b)) + b)

write(sys.argv[1], 1, vlan_pppoe, a)
# SLL: the same kinds of packets, an hour later, other sources
b = [(t + 3600, s.replace("198.51.100.", "198.18.0.").replace("203.0.113.", "198.19.0."), d, p, pl)
     for t, s, d, p, pl in a if s != HERE4 and not s.startswith("2001") and "203.0.113.53" not in s]
write(sys.argv[2], 113, sll, b)
PYEOF
VP=$T/vlan-pppoe.pcap
SL=$T/sll.pcap
if [ ! -s "$VP" ] || [ ! -s "$SL" ]; then bail_out "could not write the hand-made captures"; fi
N_VP=$("$TSHARK" -n -r "$VP" 2>/dev/null | wc -l)
is "$(tshark_count "$VP" 'vlan.id == 7 && pppoes && pppoe.session_id == 0x1234')" "$N_VP" \
	"tshark sees VLAN 7 and PPPoE session 0x1234 in all $N_VP frames"
is "$(tshark_count "$SL" 'sll')" "$("$TSHARK" -n -r "$SL" 2>/dev/null | wc -l)" "tshark sees Linux cooked frames"
check_oracle "VLAN + PPPoE, inferred" "$VP" -- -r "$VP"
is "$(jf local.addresses | "$PYTHON" -c 'import json,sys; print(" ".join(a["prefix"] + "/" + a["by"] for a in json.load(sys.stdin)))')" \
	"192.0.2.7/requests 2001:db8:1::7/requests" "VLAN + PPPoE: 192.0.2.7 and 2001:db8:1::7 inferred"
is "$(jf input.packets)/$(jf input.not_ip)/$(jf input.truncated)/$(jf input.invalid)" "$N_VP/0/0/0" \
	"VLAN + PPPoE: every frame decoded"
is "$(jf scanners.sources.0.address)/$(jf scanners.sources.0.ports)" 198.51.100.66/12 \
	"VLAN + PPPoE: the scanner of 12 ports"
is "$(jf backscatter_ports | "$PYTHON" -c 'import json,sys; print(sorted(p["port"] for p in json.load(sys.stdin)))')" \
	"[80, 443]" "VLAN + PPPoE: backscatter apart, by the victims' ports"
check_oracle "VLAN + PPPoE, --local" --local 192.0.2.0/24,2001:db8:1::/64 "$VP" -- \
	-r "$VP" --local 192.0.2.0/24,2001:db8:1::/64
check_oracle "Linux cooked, --local" --local 192.0.2.7 "$SL" -- -r "$SL" --local 192.0.2.7
is "$(jf unsolicited.ipv4)/$(jf unsolicited.ipv6)" "$(tshark_count "$SL" 'ip.dst == 192.0.2.7 && !(udp.srcport == 53)')/0" \
	"Linux cooked: every IPv4 packet to 192.0.2.7 but the unasked DNS answer... (tshark)"
check_oracle "merged VLAN + PPPoE and SLL" --local 192.0.2.7,2001:db8:1::7 "$VP" "$SL" -- \
	-r "$SL" -r "$VP" --local 192.0.2.7,2001:db8:1::7
is "$(jf hours | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3 "merged: three hours (05:00 to 07:00; SLL an hour after the VLAN frames)"

# standard input: the same report
run_sundial noise -r "$VP" --json -q
cp "$T/out" "$T/file.json"
echo "# \$ sundial noise -r - < $VP --json"
timeout 20 "$SUNDIAL" noise -r - --json -q <"$VP" >"$T/stdin.json" 2>"$T/stdin.err"
is "$?" 0 "standard input: exit 0"
is "$("$PYTHON" -c 'import json,sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in (a, b):
    d["input"].pop("files")
    d["local"].pop("partial")
print(a == b)' "$T/file.json" "$T/stdin.json")" True "standard input: the same report as the file"

# --csv: a row per source
run_sundial noise -r "$VP" --csv
is "$RC" 0 "--csv: exit 0"
is "$(head -n 1 "$T/out")" "address,version,packets,ports,hosts,tcp_attempts,tcp_backscatter,tcp_other,udp,icmp,other,first,last,scanner" "--csv: the header"
is "$(($(wc -l <"$T/out") - 1))" "$(jf caps.itemised "$T/file.json")" "--csv: one row per source"
like "$(grep '^198.51.100.66,' "$T/out")" '^198\.51\.100\.66,4,12,12,1,12,0,0,0,0,0,[0-9.]+,[0-9.]+,1$' "--csv: the scanner's row"

# text: within 80 columns, the sections there
run_sundial noise -r "$VP" -r "$SL" --local 192.0.2.7,2001:db8:1::7
is "$RC" 0 "text: exit 0"
is "$(awk 'length($0) > 80' "$T/out" | head -n 3)" "" "text: no line over 80 columns"
for s in 'local addresses \(given' 'TCP connection attempts \(SYN\) +[0-9]+' 'TCP backscatter' \
	'top [0-9]+ UDP ports' 'ICMPv6 +128 echo request' 'per hour \(UTC\)' 'scanners \(10 or more ports, or 3 or more hosts\): 2'; do
	like "$OUT" "$s" "text: /$s/"
done
run_sundial noise -r "$D/ndpi_synscan.pcap"
like "$OUT" 'not a single IPv6 packet' "text: says when no IPv6 packet came"

# ---------------------------------------------------------------------------
# 4. Rejections.

head -c "$(($(stat -c %s "$VP") - 10))" "$VP" >"$T/cut.pcap"
run_sundial noise -r "$T/cut.pcap" --json -q
is "$RC" 1 "a capture cut short: exit 1"
like "$ERR" 'cut\.pcap: truncated dump file' "... and says so, naming the file"
check "... and still reports what it read" json_valid "$T/out"
echo 'this is not a capture' >"$T/garbage.pcap"
run_sundial noise -r "$T/garbage.pcap"
is "$RC" 1 "garbage: exit 1"
like "$ERR" 'garbage\.pcap: not a capture file \(pcap or pcapng\)' "garbage: a clear message"
is "$OUT" "" "garbage: nothing on standard output"
run_sundial noise -r "$T/nonexistent.pcap"
is "$RC" 1 "a missing file: exit 1"
like "$ERR" 'nonexistent\.pcap: No such file' "a missing file: says so"
head -c 24 "$VP" >"$T/empty.pcap"
run_sundial noise -r "$T/empty.pcap"
is "$RC" 1 "an empty capture without --local: exit 1"
like "$ERR" "give them with --local ADDR" "... and says what to do"
run_sundial noise -r "$T/empty.pcap" --local 192.0.2.7 --json
is "$RC/$(jf unsolicited.packets)" 0/0 "an empty capture with --local: exit 0, nothing"

bad_usage() {
	local want=$1
	shift
	run_sundial noise "$@"
	is "$RC" 64 "usage: $*: exit 64"
	like "$ERR" "$want" "usage: $*: says /$want/"
}
bad_usage 'give capture files with -r FILE'
bad_usage "unexpected argument 'x'" -r "$VP" x
bad_usage "--top needs a number from 0 to 65536, not 'abc'" -r "$VP" --top abc
bad_usage "--top needs a number" -r "$VP" --top -1
bad_usage "'192.0.2.1/33': the prefix length must be 0 to 32" -r "$VP" --local 192.0.2.1/33
bad_usage "'example.net' is not an IPv4 or IPv6 address" -r "$VP" --local 192.0.2.1,example.net
bad_usage "an empty item" -r "$VP" --local 192.0.2.1,
bad_usage "--scanner-ports needs a number from 1 to 65536" -r "$VP" --scanner-ports 0
bad_usage "--scanner-hosts needs a number from 1 to 65536" -r "$VP" --scanner-hosts x
bad_usage "--max-sources needs a number" -r "$VP" --max-sources 0
bad_usage "give --json or --csv, not both" -r "$VP" --json --csv
bad_usage "--help' lists the options" -r "$VP" --no-such-option
run_sundial noise --help
is "$RC" 0 "--help: exit 0"
like "$OUT" 'Exit: 0 ok, 1 ' "--help: the exit statuses"
is "$(awk 'length($0) > 80' "$T/out")" "" "--help: within 80 columns"

# the cap on itemised sources: counted, not itemised
run_sundial noise -r "$VP" --json -q --max-sources 3
is "$(jf caps.itemised)/$(jf unsolicited.sources_approx)" 3/true "--max-sources 3: three itemised, the rest estimated"
is "$(jf unsolicited.packets)" "$(jf unsolicited.packets "$T/file.json")" "--max-sources 3: every packet still counted"
num_is "$(jf caps.not_itemised_packets)" '>' 0 "--max-sources 3: the packets of later sources counted apart"

finish
