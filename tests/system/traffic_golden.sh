#!/bin/bash
# traffic_golden.sh - `sundial traffic -r` on real captures (tcpdump's and
# Zeek's NTP test captures, a truncated copy of one, two merged) against
# the expected reports in tests/data/traffic/*.expected.json.
#
# An expected file holds the parts of the --json report that were checked
# against tshark, number by number (tests/data/traffic/README.md says how);
# the report may hold more.  Both are normalised (keys sorted, floats
# rounded to 1 us, zero counts left out of the version and mode maps) and
# every key of the expected file must be in the report with that value
# (floats within 1 us, but for what sundial keeps with less precision by
# design, src/analysis/clients.c: a talker's first and last request within
# 1 ms, poll intervals within 0.025 %); lists must have the same length.  Keys starting with "_" are not report
# fields: _inputs (the capture files, in that order; default NAME.pcap),
# _exit (the exit status, default 0), _stderr_re (what stderr must match).
#
# Besides: the expected files' counts agree with tshark now (requests,
# responses, pairs, unanswered, distinct clients: a stale or hand-slipped
# number shows); --pairs prints one line per pair, each one tshark's (as in
# traffic_chronyd.sh); a capture read from standard input gives the same
# report.
#
# usage: traffic_golden.sh [--update]
#   --update rewrites each expected file with sundial's values for the keys
#   it already has (no new keys) and prints the differences; check every
#   changed number against tshark (README.md) before committing.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

UPDATE=0
[ "${1:-}" = --update ] && UPDATE=1
D=$TESTS_DIR/data/traffic

require_traffic

# golden EXPECTED OUT ERR RC [update]: compares; prints JSON
# {"problems": [...], "changed": bool}.
golden() {
	"$PYTHON" - "$@" <<'PYEOF'
import difflib, json, re, sys
exp_path, out_path, err_path, rc = sys.argv[1:5]
update = len(sys.argv) > 5
exp = json.load(open(exp_path))
problems = []


def norm(x):
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, int):
        return x
    if isinstance(x, list):
        return [norm(e) for e in x]
    if isinstance(x, dict):
        d = {k: norm(v) for k, v in sorted(x.items())}
        # {"3": 16, "4": 0}: a count of zero is the same as none
        if d and all(re.fullmatch(r"\d+", k) for k in d) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in d.values()):
            d = {k: v for k, v in d.items() if v != 0}
        return d
    return x


def same(a, b, path):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        tol = 1.000001e-6
        # Where src/analysis/clients.c keeps less (a client record is kept
        # small): a talker's first and last request to the millisecond,
        # poll intervals as 16-bit floats of milliseconds (0.025 %).
        if re.search(r"\.(top|abusive)\.\d+\.(first|last)$", path):
            tol = 0.001 + 1e-6
        elif re.search(r"(\.poll_median|\.poll_interval\.p\d+)$", path):
            tol = max(tol, abs(a) * 0.00025 + 1e-6)
        return abs(a - b) <= tol
    return a == b


def cmp(want, got, path):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            problems.append("%s: want an object, got %s" % (path, json.dumps(got)[:80]))
            return
        for k, v in want.items():
            if k not in got:
                problems.append("%s.%s: missing (want %s)" % (path, k, json.dumps(v)[:80]))
            else:
                cmp(v, got[k], path + "." + k)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            problems.append("%s: want %d elements, got %s" % (path, len(want), json.dumps(got)[:200]))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            cmp(w, g, "%s.%d" % (path, i))
    elif not same(want, got, path):
        problems.append("%s: got %s, want %s" % (path, json.dumps(got), json.dumps(want)))


def project(got, tmpl):
    """got, cut down to the keys of tmpl (for --update)"""
    if isinstance(tmpl, dict) and isinstance(got, dict):
        return {k: project(got[k], v) for k, v in tmpl.items() if k in got}
    if isinstance(tmpl, list) and isinstance(got, list):
        if tmpl and isinstance(tmpl[0], dict):
            return [project(g, tmpl[min(i, len(tmpl) - 1)]) for i, g in enumerate(got)]
        return got
    return got


want_rc = exp.get("_exit", 0)
if int(rc) != want_rc:
    problems.append("exit status %s, want %s" % (rc, want_rc))
err = open(err_path).read()
if "_stderr_re" in exp:
    if not re.search(exp["_stderr_re"], err):
        problems.append("stderr does not match /%s/: %r" % (exp["_stderr_re"], err[:300]))
elif err.strip():
    problems.append("unexpected stderr: %r" % err[:300])
try:
    got = norm(json.load(open(out_path)))
except ValueError as e:
    problems.append("stdout is not JSON: %s: %r" % (e, open(out_path).read()[:200]))
    print(json.dumps({"problems": problems, "changed": False}))
    sys.exit(0)
want = norm({k: v for k, v in exp.items() if not k.startswith("_")})
cmp(want, got, "")
changed = False
if update:
    new = {k: v for k, v in exp.items() if k.startswith("_")}
    new.update(project(got, want))
    a = json.dumps(exp, indent=1, sort_keys=True).splitlines()
    b = json.dumps(new, indent=1, sort_keys=True).splitlines()
    if a != b:
        changed = True
        sys.stderr.write("\n".join(difflib.unified_diff(a, b, exp_path, exp_path + " (sundial)", lineterm="")) + "\n")
        with open(exp_path, "w") as f:
            f.write("\n".join(b) + "\n")
print(json.dumps({"problems": problems, "changed": changed}))
PYEOF
}

n_files=0
for exp in "$D"/*.expected.json; do
	name=$(basename "$exp" .expected.json)
	mapfile -t inputs < <(jf _inputs "$exp" | "$PYTHON" -c '
import json, sys
t = sys.stdin.read().strip()
for f in (json.loads(t) if t.startswith("[") else [sys.argv[1] + ".pcap"]):
    print(f)' "$name")
	args=()
	for f in "${inputs[@]}"; do args+=(-r "$D/$f"); done
	n_files=$((n_files + 1))

	run_sundial traffic "${args[@]}" --json -q
	upd=()
	[ "$UPDATE" = 1 ] && upd=(update)
	golden "$exp" "$T/out" "$T/err" "$RC" "${upd[@]}" >"$T/golden.json"
	if [ "$(jf problems "$T/golden.json")" = "[]" ]; then
		ok "$name: the --json report matches $name.expected.json"
	else
		not_ok "$name: the --json report matches $name.expected.json" \
			"$("$PYTHON" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["problems"]))' "$T/golden.json")"
	fi
	[ "$(jf changed "$T/golden.json")" = true ] && echo "# --update: rewrote $exp (check it against tshark)"

	# The expected file's counts against tshark, now.
	if [ "${#inputs[@]}" = 1 ]; then
		tshark_view "$D/${inputs[0]}" >"$T/view.json" 2>"$T/view.err"
		"$PYTHON" - "$exp" "$T/view.json" >"$T/agree" <<'PYEOF'
import json, sys
e, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rt, cl = e.get("response_time", {}), e.get("clients", {})
checks = [("response_time.requests", rt.get("requests"), v["requests"]),
          ("response_time.responses", rt.get("responses"), v["responses"]),
          ("response_time.pairs", rt.get("pairs"), v["n_pairs"]),
          ("response_time.unanswered", rt.get("unanswered"), v["unanswered"]),
          ("clients.clients_v4", cl.get("clients_v4"), v["clients_v4"]),
          ("clients.clients_v6", cl.get("clients_v6"), v["clients_v6"]),
          # modes 6 and 7 are counted apart, in skipped.control
          ("input.ntp_packets + skipped.control", None if "skipped" not in e.get("input", {}) else
           e["input"]["ntp_packets"] + e["input"]["skipped"].get("control", 0), v["ntp_packets"]),
          ("input.skipped.control", e.get("input", {}).get("skipped", {}).get("control"), v["control"])]
bad = ["%s = %s, tshark %s" % c for c in checks if c[1] is not None and c[1] != c[2]]
print("; ".join(bad) if bad else "ok %d of %d counts" % (sum(c[1] is not None for c in checks), len(checks)))
PYEOF
		like "$(cat "$T/agree")" '^ok ' "$name.expected.json agrees with tshark ($(cat "$T/agree"))"

		pairs=$(jf response_time.pairs "$exp")
		if [ "$pairs" != "<missing>" ] && [ "$pairs" -gt 0 ]; then
			run_sundial traffic "${args[@]}" --pairs -q
			cp "$T/out" "$T/pairs.out"
			pairs_check "$T/view.json" "$T/pairs.out" >"$T/pairs.json"
			PJ() { jf "$1" "$T/pairs.json"; }
			if [ "$(PJ lines)" = "$pairs" ] && [ "$(PJ missing)" = 0 ] && [ "$(PJ repeated)" = 0 ] &&
			   [ "$(PJ n_bad_lines)" = 0 ] && [ "$(PJ n_unknown)" = 0 ] && [ "$(PJ n_wire_bad)" = 0 ] &&
			   [ "$(PJ n_tshark_bad)" = 0 ] && [ "$(PJ n_missing_tshark)" = 0 ] && [ "$(PJ n_server_bad)" = 0 ]; then
				ok "$name: --pairs prints its $pairs pairs as tshark sees them (wire delta and T3-T2 within 1 us, $(PJ tshark_compared) against ntp.delta_time)"
			else
				not_ok "$name: --pairs prints its $pairs pairs as tshark sees them" "$(cat "$T/pairs.json")" "$(head -n 5 "$T/pairs.out")"
			fi
		fi
	fi
done
num_is "$n_files" '>=' 14 "found the expected files in $D ($n_files)"

# Standard input: the same report as from the file (but input.files).
if [ "$UPDATE" = 0 ]; then
	echo "# \$ sundial traffic -r - --json -q <tcpdump_ntp.pcap"
	timeout -k 5 "$SUNDIAL_RUN_TIMEOUT" "$SUNDIAL" traffic -r - --json -q <"$D/tcpdump_ntp.pcap" >"$T/out" 2>"$T/err"
	golden "$D/tcpdump_ntp.expected.json" "$T/out" "$T/err" "$?" >"$T/golden.json"
	is "$(jf problems "$T/golden.json")" "[]" "-r - (standard input): the report matches tcpdump_ntp.expected.json"
fi

finish
