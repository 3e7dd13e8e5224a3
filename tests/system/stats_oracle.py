#!/usr/bin/env python3
"""stats_oracle.py - an independent reading of the statistics files real
daemons wrote, for stats_daemons.sh: the series `sundial stats` should find,
and their figures by the straightforward computation (sort + nearest rank;
two-pass moments).

usage: stats_oracle.py SUNDIAL_JSON FILE...

Reads each FILE by its name (clockstats, peerstats, rawstats as NTPsec
writes them; refclocks.log, tracking.log, statistics.log as chronyd does),
then prints the number of series it found, a line per series that sundial's
JSON lacks or has in excess, and a line per figure that differs.  Prints
only the count when everything agrees.

The reading follows the formats as the daemons document them, not sundial's
code: NMEA fields by position ($--GGA: time, lat, N/S, lon, E/W, quality,
satellites, HDOP, altitude, M; $--RMC: time, status, ..., date), the NMEA
driver's extended log (six counts after the sentence), the SHM driver's five
counts, chrony's columns by its headers.
"""
import calendar
from decimal import Decimal
import json
import math
import os
import sys

S = {}


def add(kind, field, src, v):
    S.setdefault((kind, field, src), []).append(float(v))


def mjd_time(day, sec):
    return (int(day) - 40587) * 86400 + float(sec)


def nmea(t, label, sentence):
    body, _, cs = sentence[1:].partition("*")
    x = 0
    for ch in body.encode():
        x ^= ch
    if cs and int(cs, 16) != x:
        raise ValueError("checksum")
    f = body.split(",")
    typ = f[0]

    def sod(hms):
        return int(hms[0:2]) * 3600 + int(hms[2:4]) * 60 + float(hms[4:])

    def day_age(hms):
        d = t % 86400 - sod(hms)
        if d > 43200:
            d -= 86400
        elif d <= -43200:
            d += 86400
        return d

    if typ.endswith("RMC") and len(typ) == 5:
        add("clockstats", "fix_valid", label, 1 if f[2] == "A" else 0)
        if f[1]:
            if f[9]:
                dd, mm, yy = int(f[9][0:2]), int(f[9][2:4]), int(f[9][4:6])
                y = 2000 + yy if yy < 80 else 1900 + yy
                when = calendar.timegm((y, mm, dd, 0, 0, 0)) + sod(f[1])
                add("clockstats", "timecode_age", label, t - when)
            else:
                add("clockstats", "timecode_age", label, day_age(f[1]))
    elif typ.endswith("GGA") and len(typ) == 5:
        if f[1]:
            add("clockstats", "timecode_age", label, day_age(f[1]))
        if f[6]:
            add("clockstats", "fix_quality", label, int(f[6]))
            add("clockstats", "fix_valid", label, 1 if int(f[6]) > 0 else 0)
        if f[7]:
            add("clockstats", "satellites", label, float(f[7]))
        if f[8]:
            add("clockstats", "hdop", label, float(f[8]))
        if f[9] and (len(f) < 11 or f[10] in ("", "M")):
            add("clockstats", "altitude", label, float(f[9]))


def clockstats(path):
    tallies = ("nmea_received", "nmea_accepted", "nmea_rejected", "nmea_malformed",
               "nmea_filtered", "nmea_pps_used")
    shm = ("shm_ticks", "shm_good", "shm_not_ready", "shm_bad", "shm_clash")
    for line in open(path):
        w = line.split()
        if len(w) < 3:
            continue
        t, label = mjd_time(w[0], w[1]), w[2]
        if len(w) > 3 and (w[3].startswith("$") or w[3] == "(none)"):
            if w[3].startswith("$"):
                nmea(t, label, w[3])
            if len(w) == 10:
                for f, v in zip(tallies, w[4:10]):
                    add("clockstats", f, label, int(v))
        elif label.startswith("SHM(") and len(w) == 8:
            for f, v in zip(shm, w[3:8]):
                add("clockstats", f, label, int(v))


def peerstats(path):
    for line in open(path):
        w = line.split()
        for f, v in zip(("offset", "delay", "dispersion", "jitter"), w[4:8]):
            add("peerstats", f, w[2], v)


def rawstats(path):
    # NTP timestamps of 10 + 9 digits: exact in Decimal, not in a double.
    for line in open(path):
        w = line.split()
        t1, t2, t3, t4 = (Decimal(x) for x in w[4:8])
        if 0 in (t1, t2, t3, t4):
            continue
        add("rawstats", "offset", w[2], ((t2 - t1) + (t3 - t4)) / 2)
        add("rawstats", "delay", w[2], (t4 - t1) - (t3 - t2))


def chrony_rows(path):
    for line in open(path):
        w = line.split()
        if w and w[0][:1].isdigit():
            yield w


def refclocks(path):
    # Date Time Refid DP L P Raw-offset Cooked-offset Disp.
    for w in chrony_rows(path):
        if w[6] != "-":
            add("refclocks", "raw_offset", w[2], w[6])
        add("refclocks", "cooked_offset", w[2], w[7])
        add("refclocks", "dispersion", w[2], w[8])


def tracking(path):
    for w in chrony_rows(path):
        for f, i in (("frequency", 4), ("skew", 5), ("offset", 6), ("offset_sd", 9),
                     ("root_delay", 11), ("root_dispersion", 12)):
            add("tracking", f, "", w[i])


def statistics(path):
    for w in chrony_rows(path):
        for f, i, m in (("std_dev", 3, 1), ("est_offset", 4, 1), ("offset_sd", 5, 1),
                        ("diff_freq", 6, 1e6), ("skew", 7, 1e6)):
            add("statistics", f, w[2], float(w[i]) * m)


READERS = {"clockstats": clockstats, "peerstats": peerstats, "rawstats": rawstats,
           "refclocks.log": refclocks, "tracking.log": tracking,
           "statistics.log": statistics}


def nearest(s, p):
    return s[max(1, math.ceil(p * len(s))) - 1]


def main():
    out = json.load(open(sys.argv[1]))
    for path in sys.argv[2:]:
        READERS[os.path.basename(path)](path)
    got = {(s["kind"], s["field"], s["source"]): s for s in out["series"]}
    bad = []
    for k in sorted(set(got) - set(S)):
        bad.append("sundial has %s, python not" % (k,))
    for k in sorted(set(S) - set(got)):
        bad.append("python has %s, sundial not" % (k,))
    for k, v in S.items():
        g = got.get(k)
        if not g:
            continue
        s, n = sorted(v), len(v)
        mean = sum(v) / n
        m2 = sum((x - mean) ** 2 for x in v) / n
        m3 = sum((x - mean) ** 3 for x in v) / n
        m4 = sum((x - mean) ** 4 for x in v) / n
        want = {"n": n, "min": s[0], "max": s[-1], "p1": nearest(s, .01),
                "p5": nearest(s, .05), "p50": nearest(s, .5), "p95": nearest(s, .95),
                "p99": nearest(s, .99), "mean": mean, "sd": math.sqrt(m2),
                "skew": m3 / m2 ** 1.5 if m2 > 0 else 0,
                "kurtosis": m4 / m2 ** 2 - 3 if m2 > 0 else 0}
        for f, w in want.items():
            x = g[f]
            if f in ("skew", "kurtosis", "sd", "mean"):
                # Sums in another order: relative to the spread.
                tol = 1e-6 * max(1.0, abs(w)) if f in ("skew", "kurtosis") \
                    else 1e-9 * max(abs(w), max(abs(s[0]), abs(s[-1])), 1e-12)
            else:
                tol = 1e-9 * max(1e-12, abs(w))
            if x is None or abs(x - w) > tol:
                bad.append("%s %s: sundial %r, python %r" % (k, f, x, w))
    print(len(S))
    for b in bad[:20]:
        print(b)


if __name__ == "__main__":
    main()
