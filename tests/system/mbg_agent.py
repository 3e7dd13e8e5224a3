#!/usr/bin/env python3
"""mbg_agent.py RECORD - a Meinberg LTNG subtree for net-snmp's snmpd
through pass_persist (snmpd.conf(5)): answers get and getnext from a record
file of "OID TYPE VALUE" lines (tests/data/meinberg-ltng.rec), read again
whenever the file changes, so that tests can change what the "device" says.
set is refused (not-writable)."""
import os
import sys


def load(path):
    rows = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            oid, typ, val = line.split(None, 2)
            rows[tuple(int(a) for a in oid.strip(".").split("."))] = (oid, typ, val)
    return rows, sorted(rows)


def main():
    path = sys.argv[1]
    mtime, rows, order = None, {}, []
    out = sys.stdout
    while True:
        cmd = sys.stdin.readline()
        if not cmd:
            return
        cmd = cmd.strip()
        st = os.stat(path)
        if st.st_mtime_ns != mtime:
            mtime = st.st_mtime_ns
            rows, order = load(path)
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            want = tuple(int(a) for a in sys.stdin.readline().strip().strip(".").split("."))
            hit = None
            if cmd == "get":
                hit = rows.get(want)
            else:
                for k in order:
                    if k > want:
                        hit = rows[k]
                        break
            if hit:
                out.write("%s\n%s\n%s\n" % hit)
            else:
                out.write("NONE\n")
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        else:
            out.write("NONE\n")
        out.flush()


if __name__ == "__main__":
    main()
