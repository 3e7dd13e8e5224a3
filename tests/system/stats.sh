#!/bin/bash
# stats.sh - `sundial stats` on statistics files this test writes in the
# documented formats (NTPsec loopstats and peerstats, chrony tracking.log,
# the NTP Pool's score CSV), each with malformed lines at known places:
#   - each file's kind detected from its content; --kind forces one;
#   - every series' figures (1, 5, 50, 95, 99 %, the 90 % and 98 % ranges,
#     mean, standard deviation, skew, kurtosis, min, max, n) equal those
#     python3 computes on the same data (sort + nearest rank; two passes);
#   - malformed lines counted and named with their file and line numbers
#     (JSON and stderr), never fatal;
#   - -o DIR: one SVG per series and pool-score.svg (the Pool's score on a
#     right axis beside the local offset), all well-formed (xmllint);
#   - the tables fit 80 columns; --help fits a screen; a progress line only
#     on a terminal (script(1)) and not with -q;
#   - exit statuses: 0; 1 for a missing or unrecognised file; 64 for usage.
# (The real files in /work/shared/corpus/ntp_stats have no licence that
# lets them into this BSD-2-Clause tree: none stated, or AGPL-3.0.)

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
command -v xmllint >/dev/null 2>&1 || bail_out "xmllint is not installed (scripts/install-deps)"
command -v script >/dev/null 2>&1 || bail_out "script (util-linux) is not installed"

D=$T/in
mkdir -p "$D"
"$PYTHON" - "$D" <<'PYEOF' || bail_out "could not write the test files"
import random, sys, math
d = sys.argv[1]
rnd = random.Random(20261126)
T0 = 1767225600                  # 2026-01-01 00:00:00 UTC = MJD 61041
MJD0 = 61041
with open(d + "/loopstats", "w") as f:
    for i in range(3000):
        t = 16 * i + 0.25
        day, sec = MJD0 + int(t // 86400), t % 86400
        off = rnd.gauss(0, 2e-6) + (5e-5 if i % 997 == 0 else 0)
        f.write("%d %.3f %.9f %.3f %.9f %.6f %d\n" % (day, sec, off, -33.3 + rnd.random() * 0.2,
                abs(rnd.gauss(3e-6, 1e-6)), rnd.random() * 0.01, 4))
        if i == 10:
            f.write("61041 x 0.1 2 3 4 5\n")           # line 12
        if i == 20:
            f.write("61041 100.000 nan -33.3 0 0 4\n")  # line 23
with open(d + "/peerstats", "w") as f:
    for i in range(1200):
        t = 64 * i
        day, sec = MJD0 + int(t // 86400), t % 86400
        peer = ("192.0.2.10", "2001:db8::53")[i % 2]
        f.write("%d %.3f %s 963a %.9f %.9f %.9f %.9f\n" % (day, sec, peer, rnd.gauss(1e-4, 3e-5),
                0.02 + rnd.random() * 1e-3, rnd.random() * 1e-3, rnd.random() * 1e-4))
    f.write("61041 5.000 192.0.2.10 963a 0.1 0.2 0.3\n")   # line 1201: 7 fields
with open(d + "/tracking.log", "w") as f:
    for i in range(600):
        if i % 50 == 0:
            f.write("   Date (UTC) Time     IP Address   St   Freq ppm   Skew ppm     Offset L Co  Offset sd Rem. corr.  Root delay Root disp. Max. error\n")
            f.write("=" * 127 + "\n")
        t = T0 + 128 * i
        import time as _t
        ts = _t.strftime("%Y-%m-%d %H:%M:%S", _t.gmtime(t))
        f.write("%s 192.0.2.10      2     %8.3f      %.3f %10.3e N  1  %.3e %.3e  %.3e  %.3e  %.3e\n" % (
            ts, -12 + rnd.random(), rnd.random() * 0.1, rnd.gauss(0, 1e-5), rnd.random() * 1e-6,
            rnd.gauss(0, 1e-9), 0.02 + rnd.random() * 1e-3, 1e-3 * rnd.random(), 1e-2))
with open(d + "/pool.csv", "w") as f:
    f.write("ts_epoch,ts,offset,step,score,monitor_id,monitor_name,rtt,leap,error\n")
    rows = []
    for i in range(400):
        t = T0 + 120 * i
        import time as _t
        ts = _t.strftime("%Y-%m-%d %H:%M:%S", _t.gmtime(t))
        # The score falls for a while (a monitor's network) although the
        # server's offset stays small.
        score = 20 if not 150 <= i < 200 else 20 - (i - 150) * 0.5
        mon = ("mon-a", "mon-b", "recentmedian")[i % 3]
        off = "" if mon == "recentmedian" else "%.9f" % rnd.gauss(0, 5e-4)
        rows.append("%d,%s,%s,1,%s,%d,%s,%s,," % (t, ts, off, repr(score), 10 + i % 3, mon,
                    "" if mon == "recentmedian" else "%.3f" % (20 + rnd.random())))
    for r in reversed(rows):        # newest first, as the Pool gives it
        f.write(r + "\n")
    f.write("1767225600,2026-01-01 00:00:00,abc,1,20,1,mon-a,1,,\n")   # line 402
with open(d + "/unknown.txt", "w") as f:
    f.write("hello\nworld\n")
PYEOF

run_sundial stats --json "$D/loopstats" "$D/peerstats" "$D/tracking.log" "$D/pool.csv" -o "$T/svg"
is "$RC" 0 "four files: exit 0"
check "JSON is valid" json_valid
is "$(jf files.0.kind)/$(jf files.1.kind)/$(jf files.2.kind)/$(jf files.3.kind)" \
	"loopstats/peerstats/tracking/pool" "kinds detected from the content"
is "$(jf files.0.records)/$(jf files.0.malformed)" 3000/2 "loopstats: 3000 records, 2 malformed"
is "$(jf files.2.skipped)" 24 "tracking: the 24 header lines skipped"
is "$(jf malformed | "$PYTHON" -c 'import json,sys,os
print(" ".join("%s:%d" % (os.path.basename(m["file"]), m["line"]) for m in json.load(sys.stdin)))')" \
	"loopstats:12 loopstats:23 peerstats:1201 pool.csv:402" "malformed lines named by file and line"
like "$ERR" "loopstats:12: " "stderr names loopstats:12"
like "$ERR" "pool.csv:402: offset is not a number" "stderr says what is wrong with pool.csv:402"

# Every series against python on the same files.
"$PYTHON" - "$D" "$T/out" >"$T/cmp" <<'PYEOF'
import json, math, sys, calendar, time
d, out = sys.argv[1], json.load(open(sys.argv[2]))
S = {}
def add(kind, field, src, t, v):
    S.setdefault((kind, field, src), []).append(v)
def num(s):
    v = float(s)
    if not math.isfinite(v): raise ValueError
    return v
for line in open(d + "/loopstats"):
    w = line.split()
    try:
        vals = [num(x) for x in w[2:6]]
        float(w[1])
    except ValueError:
        continue
    for f, v in zip(("offset", "frequency", "jitter", "wander"), vals):
        add("loopstats", f, "", 0, v)
for line in open(d + "/peerstats"):
    w = line.split()
    if len(w) != 8: continue
    for f, v in zip(("offset", "delay", "dispersion", "jitter"), w[4:8]):
        add("peerstats", f, w[2], 0, num(v))
for line in open(d + "/tracking.log"):
    w = line.split()
    if not w or not w[0][:1].isdigit(): continue
    for f, i in (("frequency", 4), ("skew", 5), ("offset", 6), ("offset_sd", 9), ("root_delay", 11), ("root_dispersion", 12)):
        add("tracking", f, "", 0, num(w[i]))
for line in list(open(d + "/pool.csv"))[1:]:
    c = line.rstrip("\n").split(",")
    try:
        sc = num(c[4]); off = num(c[2]) if c[2] else None
    except ValueError:
        continue
    add("pool", "score", c[6], 0, sc)
    if off is not None: add("pool", "offset", c[6], 0, off)
def nearest(s, p):
    r = max(1, math.ceil(p * len(s)))
    return s[r - 1]
bad = []
got = {(s["kind"], s["field"], s["source"]): s for s in out["series"]}
if set(got) != set(S):
    bad.append("series differ: extra %s missing %s" % (sorted(set(got) - set(S)), sorted(set(S) - set(got))))
for k, v in S.items():
    g = got.get(k)
    if not g: continue
    s = sorted(v); n = len(v)
    mean = sum(v) / n
    m2 = sum((x - mean) ** 2 for x in v) / n
    m3 = sum((x - mean) ** 3 for x in v) / n
    m4 = sum((x - mean) ** 4 for x in v) / n
    want = {"n": n, "min": s[0], "max": s[-1], "p1": nearest(s, .01), "p5": nearest(s, .05),
            "p50": nearest(s, .5), "p95": nearest(s, .95), "p99": nearest(s, .99),
            "mean": mean, "sd": math.sqrt(m2),
            "skew": m3 / m2 ** 1.5 if m2 > 0 else 0, "kurtosis": m4 / m2 ** 2 - 3 if m2 > 0 else 0}
    want["range90"] = want["p95"] - want["p5"]
    want["range98"] = want["p99"] - want["p1"]
    for f, w in want.items():
        x = g[f]
        tol = 1e-9 * max(1.0, abs(w)) if f in ("skew", "kurtosis") else 1e-12 * max(1e-6, abs(w))
        if x is None or abs(x - w) > tol:
            bad.append("%s %s: got %r want %r" % (k, f, x, w))
print(len(S))
print("\n".join(bad[:10]))
PYEOF
is "$(head -n 1 "$T/cmp")" 23 "23 series (4 loopstats, 8 peerstats, 6 tracking, 5 pool)"
is "$(tail -n +2 "$T/cmp")" "" "every figure of every series equals python's"
is "$(jf series | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 23 "23 series in the JSON"

# Graphs.
n_svg=$(find "$T/svg" -name '*.svg' | wc -l)
is "$n_svg" 24 "-o: 23 series graphs and pool-score.svg"
bad_svg=""
for f in "$T"/svg/*.svg; do
	xmllint --noout "$f" 2>/dev/null || bad_svg="$bad_svg $(basename "$f")"
done
is "$bad_svg" "" "every SVG is well-formed (xmllint)"
check "loopstats-offset.svg has its band and line" grep -q '5-95 %' "$T/svg/loopstats-offset.svg"
check "peerstats graph named after the peer" test -s "$T/svg/peerstats-delay-2001_db8__53.svg"
P=$T/svg/pool-score.svg
is "$(grep -c '<polyline' "$P")" 2 "pool-score.svg: two lines (offset and score)"
check "pool-score.svg: the score on the right axis" grep -q 'score (recentmedian) (right)' "$P"
check "pool-score.svg: the local offset (loopstats) on the left" grep -q 'loopstats offset (left)' "$P"
check "pool-score.svg: titled" grep -q '<title>NTP Pool score and offset</title>' "$P"
is "$(jf graphs | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 24 "graphs listed in the JSON"

# People's tables.
run_sundial stats "$D/loopstats" "$D/peerstats" "$D/pool.csv"
is "$RC" 0 "tables: exit 0"
like "$OUT" "^peerstats 2001:db8::53: 600 points" "a heading per peer with its points"
like "$OUT" "  offset .* us$" "loopstats offset in microseconds"
like "$OUT" "90% rng .*kurtosis" "the ranges, deviation, skew and kurtosis table"
is "$(awk 'length > 80' "$T/out" | head -n 3)" "" "tables fit 80 columns"
is "$(grep -c 'file [0-9]* of' "$T/err")" 0 "no progress line when stderr is not a terminal"
# On a terminal (script(1) gives one): a progress line, cleared at the end;
# -q: none.
script -qec "$SUNDIAL stats $D/loopstats $D/peerstats" /dev/null >"$T/tty" 2>&1
like "$(tr '\r' '\n' <"$T/tty")" "sundial stats: file [12] of 2, [0-9.]+ of [0-9.]+ MB" "a terminal gets a progress line"
script -qec "$SUNDIAL stats -q $D/loopstats $D/peerstats" /dev/null >"$T/tty" 2>&1
like "$(cat "$T/tty")" "loopstats: 3000 points" "-q on a terminal: the tables"
is "$(tr '\r' '\n' <"$T/tty" | grep -c 'file [0-9]* of')" 0 "-q: no progress line"
p50=$("$PYTHON" -c '
import sys, math
v = sorted(float(l.split()[4]) for l in open(sys.argv[1]) if len(l.split()) == 8 and l.split()[2] == "192.0.2.10")
print("%.3f" % (v[math.ceil(0.5 * len(v)) - 1] * 1e6))' "$D/peerstats")
like "$(grep -A2 '^peerstats 192.0.2.10' "$T/out" | tail -n 1)" "^  offset +[-0-9.]+ +[-0-9.]+ +$p50 " \
	"the table's median offset of 192.0.2.10 is python's ($p50 us)"

# --kind forces; unrecognised and missing files; usage.
run_sundial stats --json --kind peerstats "$D/loopstats"
is "$RC/$(jf files.0.kind)/$(jf files.0.malformed)" "0/peerstats/3002" "--kind peerstats: every loopstats line malformed"
run_sundial stats "$D/unknown.txt"
is "$RC" 1 "an unrecognised file: exit 1"
like "$ERR" "unknown.txt: not a statistics file" "... named, with a hint"
run_sundial stats "$D/loopstats" "$T/missing"
is "$RC" 1 "a missing file: exit 1"
like "$ERR" "missing: No such file" "... named"
like "$OUT" "^loopstats: 3000 points" "... and the others still reported"
run_sundial stats --kind bogus "$D/loopstats"
is "$RC" 64 "unknown --kind: exit 64"
run_sundial stats
is "$RC" 64 "no FILE: exit 64"
run_sundial stats -o /proc/nonexistent/dir "$D/loopstats"
is "$RC" 1 "an output folder that cannot be made: exit 1"
"$SUNDIAL" stats --help >"$T/help" 2>&1
is "$?" 0 "--help: exit 0"
num_is "$(wc -l <"$T/help")" '<=' 24 "--help fits a screen ($(wc -l <"$T/help") lines)"
is "$(awk 'length > 80' "$T/help")" "" "--help fits 80 columns"
printf '61041 1.0 0.001 1 2 3 4\n61041 2.0 0.003 1 2 3 4\n' | "$SUNDIAL" stats --json - >"$T/out" 2>"$T/err"
is "$(jf series.0.p50)" 0.001 "'-' reads standard input"

finish
