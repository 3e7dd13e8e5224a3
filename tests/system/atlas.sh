#!/bin/bash
# atlas.sh - `sundial atlas` on RIPE Atlas NTP results this test writes in
# the Atlas result format (two servers, IPv4 and IPv6, 36 probes, replies,
# timeouts and errors, fractional root delays, an outlying probe, probes
# that see another stratum, ref-id or leap indicator), as JSON Lines with
# malformed lines at known places, and the same results as one JSON array:
#   - per probe and per server (and IPv4/IPv6 apart): counts, RTT and
#     offset min/p50/p95/max, outlying replies and probes (|x - median| >
#     k MAD), the most common stratum/ref-id/leap/version and who differs,
#     all equal to what python3 computes on the same data (sort + nearest
#     rank), for the default k = 5 and for -k 3;
#   - the fractional root delay kept;
#   - rejected results named with file and line (JSON and stderr);
#   - the array form gives the same figures; RIPE's own sample results
#     (sagan's tests, written here) read;
#   - tables fit 80 columns; --help fits a screen;
#   - exit statuses: 0 (also for an empty array); 1 for a missing file, an
#     unclosed array or a file without a single NTP result; 64 usage.
# (The sagan results in /work/shared/corpus/ripe_atlas are GPL-3.0 and are
# not copied into the tree; the few fields used below are restated.)

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"

D=$T/in
mkdir -p "$D"
"$PYTHON" - "$D" <<'PYEOF' || bail_out "could not write the test results"
import json, random, sys
d = sys.argv[1]
rnd = random.Random(424242)
results = []
for srv, af in (("192.0.2.123", 4), ("2001:db8::123", 6)):
    for p in range(18):
        prb = 1000 + p
        bias = 0.25 if p == 5 else rnd.gauss(0, 2e-4)     # probe 1005 is far off
        for k in range(rnd.randint(1, 6)):
            res = []
            for j in range(3):
                x = rnd.random()
                if x < 0.08:
                    res.append({"x": "*"})
                elif x < 0.12:
                    res.append({"error": "timeout waiting for reply"})
                else:
                    off = bias + rnd.gauss(0, 5e-5) + (0.05 if rnd.random() < 0.03 else 0)
                    res.append({"rtt": round(rnd.uniform(0.001, 0.2), 6), "offset": round(off, 9),
                                "origin-ts": 3976214400.1, "final-ts": 3976214400.2})
            r = {"type": "ntp", "fw": 5020, "prb_id": prb, "af": af, "dst_addr": srv,
                 "from": "198.51.100.%d" % p, "src_addr": "10.0.0.2", "msm_id": 20000 + af,
                 "timestamp": 1767225600 + 240 * k, "proto": "UDP", "mode": "server", "poll": 3,
                 "precision": 9.5367e-07, "stratum": 2 if p == 3 else 1,
                 "ref-id": "PPS" if p == 4 else "GPS", "li": "61" if (p == 6 and k == 0) else "no",
                 "version": 4, "root-delay": round(0.0152587890625 * (1 + p % 3), 13),
                 "root-dispersion": 0.000457763671875, "result": res}
            results.append(r)
rnd.shuffle(results)
lines = [json.dumps(r) for r in results]
bad = {4: '{"type": "ping", "prb_id": 1, "result": []}',
       9: '{"type": "ntp", "af": 4, "result": [{"x": "*"}]}',
       15: '{"type": "ntp", "prb_id": 7, "result": [{"rtt": 0.1}]}',
       22: 'this is not json'}
for ln in sorted(bad):
    lines.insert(ln - 1, bad[ln])
open(d + "/results.jsonl", "w").write("\n".join(lines) + "\n")
open(d + "/results.json", "w").write(json.dumps(results, indent=2) + "\n")
json.dump(results, open(d + "/good.json", "w"))
open(d + "/unclosed.json", "w").write(json.dumps(results[:3], indent=1)[:-2] + "\n")
# RIPE's sample results (sagan's tests): a reply triple, a timeout triple,
# and errors.
open(d + "/sagan.jsonl", "w").write("\n".join(json.dumps(x) for x in [
    {"af": 4, "dst_addr": "193.0.0.229", "from": "193.0.0.78", "li": "no", "mode": "server",
     "prb_id": 71, "ref-id": "GPS", "result": [{"offset": -8.363271, "rtt": 0.021899},
     {"offset": -8.36871, "rtt": 0.01016}, {"offset": -8.372775, "rtt": 0.002004}],
     "root-delay": 0, "root-dispersion": 0.00140381, "stratum": 1, "type": "ntp", "version": 4},
    {"msm_id": "1020235", "prb_id": 71, "dst_addr": "193.0.6.139", "af": 4, "type": "ntp",
     "result": [{"x": "*"}, {"x": "*"}, {"x": "*"}]},
    {"msm_id": "1020235", "prb_id": 71, "dst_addr": "193.0.6.139", "af": 4, "type": "ntp",
     "result": [{"error": "error-example"}, {"error": "error-example"}, {"x": "*"}]}]) + "\n")
PYEOF

# compare K: python's figures from good.json against $T/out.
compare() {
	"$PYTHON" - "$D/good.json" "$T/out" "$1" <<'PYEOF'
import json, math, sys
res, out, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
def nearest(v, p):
    s = sorted(v)
    return s[max(1, math.ceil(p * len(s))) - 1] if s else None
def dist(v):
    return {"n": len(v), "min": min(v), "p50": nearest(v, .5), "p95": nearest(v, .95), "max": max(v)} if v else {"n": 0}
rows = {}
for r in res:
    key = (r["dst_addr"], r["af"], r["prb_id"])
    w = rows.setdefault(key, {"results": 0, "packets": 0, "replies": 0, "timeouts": 0, "errors": 0,
                              "rtt": [], "off": [], "rd": [], "said": []})
    w["results"] += 1
    w["packets"] += len(r["result"])
    rep = [e for e in r["result"] if "rtt" in e]
    w["replies"] += len(rep)
    w["timeouts"] += sum("x" in e for e in r["result"])
    w["errors"] += sum("error" in e for e in r["result"])
    w["rtt"] += [e["rtt"] for e in rep]
    w["off"] += [e["offset"] for e in rep]
    if rep:
        w["rd"].append(r["root-delay"])
        w["said"].append((r["stratum"], r["ref-id"], r["li"], r["version"]))
bad = []
got = {(p["dst_addr"], p["af"], p["prb_id"]): p for p in out["probes"]}
if set(got) != set(rows):
    bad.append("probe rows differ")
medians = {}
for key, w in rows.items():
    g = got.get(key)
    if not g: continue
    for f in ("results", "packets", "replies", "timeouts", "errors"):
        if g[f] != w[f]: bad.append("%s %s: %s != %s" % (key, f, g[f], w[f]))
    for f, v in (("rtt", w["rtt"]), ("offset", w["off"])):
        if g[f] != dist(v): bad.append("%s %s: %s != %s" % (key, f, g[f], dist(v)))
    m = nearest(w["off"], .5)
    if m is None: continue
    medians.setdefault(key[0], []).append((key, m))
    mad = nearest([abs(x - m) for x in w["off"]], .5)
    lim = k * max(mad, 1e-6)
    n = sum(abs(x - m) > lim for x in w["off"])
    if g["outliers"] != n: bad.append("%s outliers: %s != %s" % (key, g["outliers"], n))
    if g["root_delay"] != nearest(w["rd"], .5): bad.append("%s root_delay %s" % (key, g["root_delay"]))
outl = {}
for srv, ms in medians.items():
    mm = nearest([m for _, m in ms], .5)
    mad = nearest([abs(m - mm) for _, m in ms], .5)
    for key, m in ms:
        want = abs(m - mm) > k * max(mad, 1e-6)
        outl[key] = want
        if got[key]["outlier"] != want: bad.append("%s outlier: %s" % (key, got[key]["outlier"]))
# Groups.
def group(keys):
    v = [rows[x] for x in keys]
    g = {"probes": len(v)}
    for f in ("results", "packets", "replies", "timeouts", "errors"):
        g[f] = sum(w[f] for w in v)
    g["rtt"] = dist([x for w in v for x in w["rtt"]])
    g["offset"] = dist([x for w in v for x in w["off"]])
    g["root_delay"] = dist([x for w in v for x in w["rd"]])
    g["outlier_probes"] = sum(outl.get(x, False) for x in keys)
    return g
for name, keys in (("overall", list(rows)), ("ipv4", [x for x in rows if x[1] == 4]),
                   ("ipv6", [x for x in rows if x[1] == 6])):
    want, g = group(keys), out[name]
    for f, w in want.items():
        if g[f] != w: bad.append("%s %s: %s != %s" % (name, f, g[f], w))
# The most common values and who differs, per server.
for s in out["servers"]:
    keys = [x for x in rows if x[0] == s["dst_addr"] and rows[x]["said"]]
    first = {x: rows[x]["said"][0] for x in keys}
    for i, f in enumerate(("stratum", "ref_id", "li", "version")):
        vals = sorted(first[x][i] for x in keys)
        mode = max(sorted(set(vals)), key=vals.count)
        if s[f] != mode: bad.append("%s %s: %s != %s" % (s["dst_addr"], f, s[f], mode))
        n = sum(1 for x in keys if first[x][i] != mode or len(set(t[i] for t in rows[x]["said"])) > 1)
        if s["probes_differing"][f] != n: bad.append("%s differing %s: %s != %s" % (s["dst_addr"], f, s["probes_differing"][f], n))
print("\n".join(bad[:12]))
PYEOF
}

run_sundial atlas --json "$D/results.jsonl"
is "$RC" 0 "JSON Lines with 4 bad lines: exit 0"
check "JSON is valid" json_valid
is "$(jf files.0.rejected)" 4 "4 results rejected"
is "$(jf rejected | "$PYTHON" -c 'import json,sys; print(" ".join(str(r["line"]) for r in json.load(sys.stdin)))')" \
	"4 9 15 22" "rejected results named by their lines"
like "$ERR" "results.jsonl:4: type 'ping' is not ntp" "stderr: file:line and why (type)"
like "$ERR" "results.jsonl:9: no prb_id" "stderr: file:line and why (prb_id)"
like "$ERR" "results.jsonl:22: not JSON" "stderr: file:line and why (JSON)"
is "$(compare 5)" "" "k=5: every probe, server and group figure equals python's"
is "$(jf probes | "$PYTHON" -c 'import json,sys
print(1005 in {p["prb_id"] for p in json.load(sys.stdin) if p["outlier"]})')" "True" \
	"probe 1005 (0.25 s off) is an outlying probe"
is "$(jf servers.0.probes_differing.stratum)/$(jf servers.0.probes_differing.ref_id)/$(jf servers.0.probes_differing.li)" \
	"1/1/1" "one probe each saw another stratum, ref-id, leap"
is "$(jf probes | "$PYTHON" -c 'import json,sys
print(sorted({(p["prb_id"], tuple(p["differs"])) for p in json.load(sys.stdin) if p["differs"]}))')" \
	"[(1003, ('stratum',)), (1004, ('ref_id',)), (1006, ('li',))]" "which probes differ, and in what"
is "$(jf ipv4.probes)/$(jf ipv6.probes)" "18/18" "IPv4 and IPv6 apart"
is "$(jf probes | "$PYTHON" -c 'import json,sys
print(sorted({p["root_delay"] for p in json.load(sys.stdin) if "root_delay" in p}))')" \
	"[0.0152587890625, 0.030517578125, 0.0457763671875]" "fractional root delays kept"

run_sundial atlas --json -k 3 "$D/results.jsonl"
is "$(jf k)" 3.0 "-k 3 taken"
is "$(compare 3)" "" "k=3: the outliers equal python's"

run_sundial atlas --json "$D/results.json"
is "$RC/$(jf files.0.results)/$(jf rejected_total)" "0/$("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$D/good.json")/0" \
	"a JSON array: every result read"
is "$(compare 5)" "" "the array gives the same figures"

run_sundial atlas --json "$D/sagan.jsonl"
is "$RC/$(jf overall.replies)/$(jf overall.timeouts)/$(jf overall.errors)" "0/3/4/2" "RIPE's sample results: 3 replies, 4 timeouts, 2 errors"
is "$(jf servers.0.ref_id)/$(jf probes.0.offset.p50)/$(jf probes.0.rtt.min)" "GPS/-8.36871/0.002004" \
	"RIPE's sample results: ref-id, median offset, min RTT"

# People's tables.
run_sundial atlas "$D/results.jsonl" "$D/sagan.jsonl"
is "$RC" 0 "tables: exit 0"
like "$OUT" "^server 2001:db8::123" "a section per server"
like "$OUT" "^all servers" "and all servers together"
like "$OUT" "^ +1005  4 .*[0-9]\* " "the outlying probe marked with *"
like "$OUT" "^ +1003  4 .* 2! " "a differing stratum marked with !"
is "$(awk 'length > 80' "$T/out" | head -n 3)" "" "tables fit 80 columns"
run_sundial atlas -q "$D/results.jsonl"
is "$(grep -c 'rtt min' "$T/out")" 0 "-q: no per-probe tables"

# Errors.
run_sundial atlas "$D/unclosed.json"
is "$RC" 1 "an unclosed array: exit 1"
like "$ERR" "unclosed.json:[0-9]+: .*not closed" "... with file:line"
run_sundial atlas "$D/results.jsonl" "$T/missing.json"
is "$RC" 1 "a missing file: exit 1"
like "$ERR" "missing.json: No such file" "... named"
like "$OUT" "^server 192.0.2.123" "... and the others still reported"
# a file of other results (ping): nothing from it, named, exit 1; the
# others are still reported.  An empty array is no error.
printf '%s\n' '{"fw":5020,"type":"ping","prb_id":1,"dst_addr":"192.0.2.1","af":4,"timestamp":1700000000,"result":[{"rtt":1.2}]}' >"$T/ping.jsonl"
run_sundial atlas "$T/ping.jsonl" "$D/results.jsonl"
is "$RC" 1 "a file without any NTP result: exit 1"
like "$ERR" "ping.jsonl: no RIPE Atlas NTP result in it, 1 rejected" "... named"
like "$ERR" "ping.jsonl:1: .*ping" "... with file:line and the reason"
like "$OUT" "^server 192.0.2.123" "... and the others still reported"
echo '[]' >"$T/empty.json"
run_sundial atlas "$T/empty.json"
is "$RC" 0 "an empty array: exit 0"
like "$OUT" "^RIPE Atlas NTP: 0 results from 1 files, 0 rejected" "... 0 results"
run_sundial atlas -k 0 "$D/results.jsonl"
is "$RC" 64 "-k 0: exit 64"
run_sundial atlas
is "$RC" 64 "no FILE: exit 64"
"$SUNDIAL" atlas --help >"$T/help" 2>&1
is "$?" 0 "--help: exit 0"
num_is "$(wc -l <"$T/help")" '<=' 24 "--help fits a screen ($(wc -l <"$T/help") lines)"
is "$(awk 'length > 80' "$T/help")" "" "--help fits 80 columns"
"$SUNDIAL" atlas --json - <"$D/sagan.jsonl" >"$T/out" 2>"$T/err"
is "$(jf overall.replies)" 3 "'-' reads standard input"

finish
