#!/usr/bin/env python3
"""oracle.py - runs the daemons' own tools (NTPsec's ntpq, chrony's chronyc)
and prints what they say as JSON, for the `sundial status` system tests.
It only parses their output; the values are theirs.  Also checks the
Prometheus text exposition format when promtool is not installed.

usage:
  oracle.py ntpq-rv HOST ASSOC VARS       rv ASSOC VARS (raw mode): {"associd", "status", "vars": {...}}
  oracle.py ntpq-peers HOST               `ntpq -c as` joined with rv of each association and the
                                          tally of `ntpq -p`: [{"associd", "status", "condition",
                                          "tally", "remote", "vars": {...}}]
  oracle.py ntpq-cv HOST ASSOCID          cv (raw): {"associd", "status", "status_code", "event_count",
                                          "status_text", "vars": {...}}
  oracle.py ntpq-mru HOST                 mrulist: [{"addr", "port", "count", "mode", "version"}]
  oracle.py chronyc TARGET COMMAND        chronyc -c -n -h TARGET [-p PORT] COMMAND, one dict per line
                                          (TARGET: /path/to/socket or HOST:PORT); {"rc", "rows", "error"}
  oracle.py prom FILE                     checks the exposition format; prints {"ok", "errors",
                                          "samples": {"name{labels}": value}, "list", "types"}
  oracle.py prom-get FILE NAME [K=V...]   the value of the first sample NAME with those labels

Environment: NTPQ (default /opt/sundial-peers/ntpsec/usr/bin/ntpq), CHRONYC (chronyc).
"""
import json
import math
import os
import re
import subprocess
import sys

NTPQ = os.environ.get("NTPQ", "/opt/sundial-peers/ntpsec/usr/bin/ntpq")
CHRONYC = os.environ.get("CHRONYC", "chronyc")


def run(argv, timeout=30):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ntpq(host, *cmds, keyfile=None, keyid=None):
    argv = [NTPQ, "-n"]
    if keyfile:
        argv += ["-k", keyfile, "-a", str(keyid)]
    for c in cmds:
        argv += ["-c", c]
    argv.append(host)
    rc, out, err = run(argv)
    if rc != 0 or "***" in out + err:
        sys.stderr.write("ntpq %s: rc %d: %s%s\n" % (" ".join(cmds), rc, out[-500:], err[-500:]))
    return out


# "associd=0 status=0416 leap_none, sync_uhf_radio, 1 event, restart,"
HDR = re.compile(r"^associd=(\d+) status=(?:0x)?([0-9a-fA-F]{4}),?\s*(.*)$")

# ntpq's chatter around the values
NOISE = re.compile(r"^(Output set to raw|server=\S+ No association IDs returned)\s*$")


def clean(out):
    return "\n".join(ln.rstrip("\r\n ") for ln in out.replace("\r", "\n").splitlines()
                     if not NOISE.match(ln.strip()))


def parse_vars(text):
    """key=value pairs as ntpq prints them (values may be quoted and hold
    commas; lines are wrapped after ", ")."""
    out = {}
    s = " ".join(line.strip() for line in text.splitlines())
    i = 0
    n = len(s)
    while i < n:
        while i < n and s[i] in " ,\t":
            i += 1
        m = re.match(r"([A-Za-z_][\w.]*)\s*=\s*", s[i:])
        if not m:
            # a token without "=" (a flag); skip to the next comma
            j = s.find(",", i)
            i = n if j < 0 else j + 1
            continue
        key = m.group(1)
        i += m.end()
        if i < n and s[i] == '"':
            j = s.find('"', i + 1)
            j = n if j < 0 else j
            val = s[i + 1:j]
            i = j + 1
        else:
            j = s.find(",", i)
            j = n if j < 0 else j
            val = s[i:j].strip()
            i = j + 1
        out[key] = val
    return out


def split_header(out):
    """(associd, status, header text, rest) of one rv/cv answer."""
    lines = clean(out).splitlines()
    for k, line in enumerate(lines):
        m = HDR.match(line.strip())
        if m:
            return int(m.group(1)), m.group(2).lower(), m.group(3), "\n".join(lines[k + 1:])
    return None, None, "", clean(out)


def cmd_ntpq_rv(host, assoc, varlist):
    out = ntpq(host, "raw", "rv %s %s" % (assoc, varlist))
    associd, status, _, rest = split_header(out)
    return {"associd": associd, "status": status, "vars": parse_vars(rest)}


CONDITIONS = {0: "reject", 1: "falsetick", 2: "excess", 3: "outlier",
              4: "candidate", 5: "backup", 6: "sys.peer", 7: "pps.peer"}
TALLY = {"reject": " ", "falsetick": "x", "excess": ".", "outlier": "-",
         "candidate": "+", "backup": "#", "sys.peer": "*", "pps.peer": "o"}


def cmd_ntpq_peers(host):
    out = ntpq(host, "as")
    assocs = []
    for line in out.splitlines():
        f = line.split()
        # "  1 17767  961a   yes   yes  none  sys.peer    sys_peer  1"
        if len(f) >= 7 and f[0].isdigit() and f[1].isdigit():
            assocs.append((int(f[1]), f[2].lower()))
    peers_out = ntpq(host, "pe")
    rows = [ln for ln in peers_out.splitlines()
            if ln and not ln.startswith("=") and "remote" not in ln]
    res = []
    for k, (associd, status) in enumerate(assocs):
        sel = (int(status, 16) >> 8) & 7
        cond = CONDITIONS[sel]
        r = cmd_ntpq_rv(host, str(associd), "srcadr,srcport,refid,stratum,reach,hpoll,ppoll,hmode,offset,delay,jitter,dispersion,leap")
        row = rows[k] if k < len(rows) else ""
        res.append({"associd": associd, "status": status, "condition": cond,
                    "tally": TALLY[cond], "ntpq_p_tally": row[:1], "remote": row[1:].split()[0] if row[1:].split() else "",
                    "ntpq_p_row": row, "vars": r["vars"]})
    return res


CLK_STATUS = {0: "nominal", 1: "no reply", 2: "bad timecode format", 3: "fault",
              4: "signal loss", 5: "bad date", 6: "bad time"}


def cmd_ntpq_cv(host, associd):
    out = ntpq(host, "raw", "cv %s" % associd)
    a, status, hdr, rest = split_header(out)
    res = {"associd": a, "status": status, "header": hdr, "vars": parse_vars(rest)}
    if status:
        w = int(status, 16)
        res["status_code"] = w & 0xF
        res["event_count"] = (w >> 4) & 0xF
        res["status_text"] = CLK_STATUS.get(w & 0xF, "?")
    return res


def cmd_ntpq_mru(host):
    out = ntpq(host, "mrulist")
    res = []
    for line in out.splitlines():
        f = line.split()
        # lstint avgint rstr r m v count score drop rport remote-address
        if len(f) >= 11 and f[0].isdigit() and f[-2].isdigit():
            res.append({"addr": f[-1], "port": int(f[-2]), "count": int(f[6]),
                        "mode": int(f[4]), "version": int(f[5])})
    return res


CHRONYC_COLUMNS = {
    "tracking": ["refid_hex", "refid", "stratum", "ref_time", "system_time", "last_offset",
                 "rms_offset", "frequency", "residual_frequency", "skew", "root_delay",
                 "root_dispersion", "update_interval", "leap"],
    "sources": ["mode", "state", "address", "stratum", "poll", "reach", "lastrx",
                "offset", "measured_offset", "error"],
    "sourcestats": ["address", "np", "nr", "span", "frequency", "skew", "offset", "std_dev"],
    "serverstats": ["ntp_hits", "ntp_drops", "cmd_hits", "cmd_drops", "log_drops",
                    "nke_hits", "nke_drops", "ntp_auth_hits", "ntp_interleaved_hits",
                    "ntp_timestamps", "ntp_span_seconds"],
    "clients": ["address", "ntp_hits", "ntp_drops", "ntp_interval", "ntp_interval_limit",
                "ntp_last", "cmd_hits", "cmd_drops", "cmd_interval", "cmd_last"],
    "activity": ["online", "offline", "burst_online", "burst_offline", "unresolved"],
}


def cmd_chronyc(target, command):
    argv = [CHRONYC, "-c", "-n"]
    if target.startswith("/"):
        argv += ["-h", target]
    else:
        host, _, port = target.rpartition(":")
        argv += ["-h", host.strip("[]"), "-p", port]
    argv += command.split()
    rc, out, err = run(argv)
    cols = CHRONYC_COLUMNS.get(command.split()[0], [])
    rows = []
    errors = []
    for line in out.splitlines():
        if not line.strip():
            continue
        if re.match(r"^\d{3} ", line):      # "501 Not authorised"
            errors.append(line.strip())
            continue
        f = line.split(",")
        rows.append({(cols[i] if i < len(cols) else "c%d" % i): v for i, v in enumerate(f)})
    return {"rc": rc, "rows": rows, "error": "; ".join(errors) or None,
            "stdout": out, "stderr": err.strip()}


# Prometheus text exposition format 0.0.4, checked the way promtool's
# "check metrics" parser would reject it.
METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)')


def parse_value(v):
    if v in ("+Inf", "Inf"):
        return math.inf
    if v == "-Inf":
        return -math.inf
    if v == "NaN":
        return math.nan
    return float(v)


def cmd_prom(path):
    errors = []
    samples = {}
    slist = []
    types = {}
    helps = set()
    seen_sample_names = set()
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if text and not text.endswith("\n"):
        errors.append("does not end with a newline")
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            f = line.split(None, 3)
            if len(f) >= 3 and f[1] in ("HELP", "TYPE"):
                if not METRIC.match(f[2]):
                    errors.append("line %d: bad metric name in %s" % (no, f[1]))
                if f[1] == "TYPE":
                    t = f[3].strip() if len(f) > 3 else ""
                    if t not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        errors.append("line %d: bad type %r" % (no, t))
                    if f[2] in types:
                        errors.append("line %d: second TYPE for %s" % (no, f[2]))
                    if f[2] in seen_sample_names:
                        errors.append("line %d: TYPE for %s after its samples" % (no, f[2]))
                    types[f[2]] = t
                else:
                    if f[2] in helps:
                        errors.append("line %d: second HELP for %s" % (no, f[2]))
                    helps.add(f[2])
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?\s*$", line)
        if not m:
            errors.append("line %d: not a sample: %r" % (no, line[:120]))
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        lab = {}
        if labels:
            body = labels[1:-1]
            pos = 0
            while pos < len(body):
                lm = LABEL.match(body, pos)
                if not lm:
                    errors.append("line %d: bad labels %r" % (no, labels))
                    break
                if lm.group(1) in lab:
                    errors.append("line %d: label %s twice" % (no, lm.group(1)))
                lab[lm.group(1)] = lm.group(2)
                pos = lm.end()
        try:
            val = parse_value(value)
        except ValueError:
            errors.append("line %d: bad value %r" % (no, value))
            continue
        key = name + ("{" + ",".join('%s="%s"' % (k, lab[k]) for k in sorted(lab)) + "}" if lab else "")
        if key in samples:
            errors.append("line %d: duplicate sample %s" % (no, key))
        samples[key] = None if math.isnan(val) else val
        slist.append({"name": name, "labels": lab, "value": samples[key]})
        base = re.sub(r"_(total|created|bucket|count|sum)$", "", name)
        seen_sample_names.add(name)
        seen_sample_names.add(base)
        t = types.get(name) or types.get(base)
        if t == "counter" and val < 0:
            errors.append("line %d: negative counter %s" % (no, name))
    return {"ok": not errors, "errors": errors, "samples": samples, "list": slist, "types": types}


def cmd_prom_get(path, name, wants):
    """The value of the first sample NAME whose labels include every k=v."""
    res = cmd_prom(path)
    want = dict(w.split("=", 1) for w in wants)
    for smp in res["list"]:
        if smp["name"] == name and all(smp["labels"].get(k) == v for k, v in want.items()):
            return smp["value"]
    return "<missing>"


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(64)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ntpq-rv":
        res = cmd_ntpq_rv(args[0], args[1], args[2] if len(args) > 2 else "")
    elif cmd == "ntpq-peers":
        res = cmd_ntpq_peers(args[0])
    elif cmd == "ntpq-cv":
        res = cmd_ntpq_cv(args[0], args[1])
    elif cmd == "ntpq-mru":
        res = cmd_ntpq_mru(args[0])
    elif cmd == "chronyc":
        res = cmd_chronyc(args[0], " ".join(args[1:]))
    elif cmd == "prom":
        res = cmd_prom(args[0])
    elif cmd == "prom-get":
        print(cmd_prom_get(args[0], args[1], args[2:]))
        return
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)
    json.dump(res, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
