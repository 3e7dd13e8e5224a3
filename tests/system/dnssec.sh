#!/bin/bash
# dnssec.sh - `sundial dnssec` against zones signed here with ldns-signzone,
# ldns-verify-zone as the oracle for signature validity, and knot serving the
# same zone for --server (AXFR, and queries when AXFR is refused).
#
# One zone, t., with one name per problem.  Every name is signed by one run
# of ldns-signzone over the same unsigned zone with the same keys; the RRSIG
# of a problem name is then taken from a run with the validity window that
# makes its problem, or edited:
#   ok         nothing wrong
#   expired    window [now-10d, now-1d]                      expired
#   ttlbeyond  TTL 86400, window [now-1d, now+1h]             ttl_beyond_expiration
#   future     window [now+1d, now+10d]                       not_yet_valid
#   skew       window [now-100s, now+30d]                     inception_skew
#   lowmargin  window [now-1d, now+1d]                        margin_low
#   origttl    A TTL raised from 300 to 600 after signing    original_ttl_exceeded, ttl_mismatch
#   mismatch   RRSIG TTL lowered from 300 to 60              ttl_mismatch
#   unsigned   RRSIG removed                                 missing
#   bogus      A changed after signing                       bogus
#   nokey      signed only by a key that is not in the zone  no_key
#   sub        a delegation (NS, DS) with glue ns.sub        nothing: NS and glue are unsigned
# The rest (apex, NSEC chain, DS) has window [now-1d, now+30d].

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
for p in ldns-keygen ldns-signzone ldns-verify-zone drill knotd; do
	command -v "$p" >/dev/null 2>&1 || bail_out "$p is missing (scripts/install-deps: ldnsutils, knot)"
done

NOW=$(date +%s)
Z=$T/zone
mkdir -p "$Z"
cd "$Z" || bail_out "cannot enter $Z"

# --- the zone ---
cat >t.zone <<'EOF'
$ORIGIN t.
$TTL 300
@	SOA	ns1 hostmaster 1 7200 3600 1209600 300
@	NS	ns1
ns1	A	192.0.2.53
ok	A	192.0.2.1
expired	A	192.0.2.2
ttlbeyond 86400	A	192.0.2.3
future	A	192.0.2.4
skew	A	192.0.2.5
lowmargin A	192.0.2.6
origttl	A	192.0.2.7
mismatch A	192.0.2.8
unsigned A	192.0.2.9
bogus	A	192.0.2.10
nokey	A	192.0.2.11
sub	NS	ns.sub
sub	DS	12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.sub	A	192.0.2.54
*.w	TXT	"wild"
EOF
ZSK=$(ldns-keygen -a ECDSAP256SHA256 t. 2>"$T/keygen.err") &&
	KSK=$(ldns-keygen -k -a ECDSAP256SHA256 t. 2>>"$T/keygen.err") &&
	OTHER=$(ldns-keygen -a ECDSAP256SHA256 t. 2>>"$T/keygen.err") ||
	bail_out "ldns-keygen failed" "$(cat "$T/keygen.err")"

# sign OUT INCEPTION EXPIRATION [KEYS...]: t.zone signed into OUT.
sign() {
	local out=$1 inc=$2 exp=$3
	shift 3
	[ $# -gt 0 ] || set -- "$ZSK" "$KSK"
	ldns-signzone -i "$inc" -e "$exp" -f "$out" t.zone "$@" 2>"$T/sign.err" ||
		bail_out "ldns-signzone $out failed" "$(cat "$T/sign.err")"
}
D=86400
sign base.signed $((NOW - D)) $((NOW + 30 * D))
sign expired.signed $((NOW - 10 * D)) $((NOW - D))
sign ttlbeyond.signed $((NOW - D)) $((NOW + 3600))
sign future.signed $((NOW + D)) $((NOW + 10 * D))
sign skew.signed $((NOW - 100)) $((NOW + 30 * D))
sign lowmargin.signed $((NOW - D)) $((NOW + D))
# -d: the key is used but not added to the zone.
ldns-signzone -d -i $((NOW - D)) -e $((NOW + 30 * D)) -f nokey.signed t.zone "$OTHER" 2>"$T/sign.err" ||
	bail_out "ldns-signzone nokey failed" "$(cat "$T/sign.err")"

# The base zone with each problem name's RRSIG A taken from its own run,
# then the edits.
awk -F '\t' -v names="expired ttlbeyond future skew lowmargin nokey" '
	BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) special[a[i] ".t."] = 1 }
	!($1 in special && $4 == "RRSIG" && $5 ~ /^A /) { print }' base.signed >t.signed
for n in expired ttlbeyond future skew lowmargin nokey; do
	awk -v o="$n.t." -F '\t' '$1 == o && $4 == "RRSIG" && $5 ~ /^A / { print }' "$n.signed" >>t.signed
done
awk -F '\t' -v OFS='\t' '
	$1 == "origttl.t." && $4 == "A" { $2 = 600 }
	$1 == "mismatch.t." && $4 == "RRSIG" && $5 ~ /^A / { $2 = 60 }
	$1 == "unsigned.t." && $4 == "RRSIG" && $5 ~ /^A / { next }
	$1 == "bogus.t." && $4 == "A" { $5 = "192.0.2.99" }
	{ print }' t.signed >t.tmp && mv t.tmp t.signed
for n in expired ttlbeyond future skew lowmargin nokey; do
	is "$(grep -c "^$n\.t\.	.*RRSIG	A " t.signed)" 1 "zone: $n.t. has one RRSIG A, from its own signing run"
done

# The findings of the last JSON output ($T/out), one "kind owner type" a line.
problems() {
	"$PYTHON" - "$T/out" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("<invalid json>"); sys.exit(0)
for p in sorted("%s %s %s" % (p["kind"], p["owner"], p["type"]) for p in d.get("problems", [])):
    print(p)
EOF
}

# pfield KIND OWNER FIELD: a field of that problem in $T/out.
pfield() {
	"$PYTHON" - "$T/out" "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d.get("problems", []):
    if p["kind"] == sys.argv[2] and p["owner"] == sys.argv[3]:
        v = p.get(sys.argv[4]); print("null" if v is None else v); break
else:
    print("<missing>")
EOF
}

WANT="bogus bogus.t. A
expired expired.t. A
inception_skew skew.t. A
margin_low lowmargin.t. A
missing unsigned.t. A
no_key nokey.t. A
not_yet_valid future.t. A
original_ttl_exceeded origttl.t. A
ttl_beyond_expiration ttlbeyond.t. A
ttl_mismatch mismatch.t. A
ttl_mismatch origttl.t. A"

# --- the file ---
run_sundial dnssec --json --at "@$NOW" "$Z/t.signed"
is "$RC" 2 "file: exit 2 (CRITICAL)"
check "file: JSON is valid" json_valid
is "$(problems)" "$WANT" "file: exactly the problems made, each at its name"
FILE_PROBLEMS=$(problems)
jis status CRITICAL "file: status CRITICAL"
jis source file "file: source file"
jis zone t. "file: zone t."
jis dnskeys 2 "file: 2 DNSKEYs (ZSK, KSK)"
jis counts.missing 1 "file: one missing signature (the glue and the delegation NS need none)"
# When each problem begins, exactly.
is "$(pfield ttl_beyond_expiration ttlbeyond.t. begins_unix)" $((NOW + 3600 - 86400)) \
	"file: TTL beyond expiration began at expiration - TTL"
is "$(pfield expired expired.t. begins_unix)" $((NOW - D + 1)) "file: expired from expiration + 1 s"
is "$(pfield not_yet_valid future.t. ends_unix)" $((NOW + D)) "file: not yet valid until the inception"
is "$(pfield inception_skew skew.t. begins_unix)" $((NOW - 100)) "file: skew warning from the inception"
is "$(pfield inception_skew skew.t. ends_unix)" $((NOW + 200)) "file: ... to inception + 300 s"
is "$(pfield margin_low lowmargin.t. begins_unix)" $((NOW + D - 300 - 3 * D)) \
	"file: margin below 3 days from expiration - TTL - 3 days"
is "$(pfield margin_low lowmargin.t. severity)" WARNING "file: a low margin is a WARNING"
is "$(pfield no_key nokey.t. severity)" CRITICAL "file: no key and no other signature: CRITICAL"
jis next_ttl_beyond_expiration.owner lowmargin.t. "file: next TTL beyond expiration: lowmargin.t."
jis next_ttl_beyond_expiration.at_unix $((NOW + D - 300)) "file: ... at its expiration - TTL"

# --- ldns-verify-zone as the oracle for signature validity ---
# Its verdict at NOW, as "kind owner": Bogus -> bogus, expired, not incepted
# -> not_yet_valid, no key -> no_key, no signature -> missing.
ldns-verify-zone -t "$(date -u -d "@$NOW" +%Y%m%d%H%M%S)" "$Z/t.signed" >"$T/lvz.out" 2>&1
lvz_rc=$?
oracle() {
	sed -n 's/^Error: \(.*\) for \([^[:space:]]*\)[[:space:]]\+\([A-Z0-9]*\)$/\1|\2 \3/p' "$1" |
		sed -e 's/^Bogus DNSSEC signature|/bogus /' \
			-e 's/^DNSSEC signature has expired|/expired /' \
			-e 's/^DNSSEC signature not incepted yet|/not_yet_valid /' \
			-e 's/^No keys with the keytag and algorithm from the RRSIG found|/no_key /' \
			-e 's/^no signatures|/missing /' | sort
}
diag "ldns-verify-zone (exit $lvz_rc): $(head -c 1500 "$T/lvz.out")"
num_is "$lvz_rc" '>' 0 "oracle: ldns-verify-zone finds errors in the zone"
SUNDIAL_VERDICTS=$(printf '%s\n' "$FILE_PROBLEMS" | grep -E '^(bogus|expired|not_yet_valid|no_key|missing) ' | sort)
is "$(oracle "$T/lvz.out")" "$SUNDIAL_VERDICTS" \
	"oracle: ldns-verify-zone's verdicts (bogus, expired, premature, no key, unsigned) are sundial's"

# The valid part: the base zone is clean for both at NOW.
ldns-verify-zone -t "$(date -u -d "@$NOW" +%Y%m%d%H%M%S)" "$Z/base.signed" >"$T/lvz.base" 2>&1
is "$?" 0 "oracle: ldns-verify-zone accepts the base zone"
run_sundial dnssec --at "@$NOW" "$Z/base.signed"
is "$RC" 0 "base zone: exit 0 (OK)"
run_sundial dnssec --json --warn 1d --at "@$NOW" "$Z/base.signed"
is "$RC" 0 "base zone with --warn 1d: exit 0 (OK)"
is "$(problems)" "" "base zone: no problems"
jis counts.bogus 0 "base zone: every signature verifies"

# A tampered signature: one base64 character of www's RRSIG changed.
awk -F '\t' -v OFS='\t' '$1 == "ok.t." && $4 == "RRSIG" && $5 ~ /^A / {
	n = split($5, w, " "); s = w[n]; c = substr(s, 10, 1); c = (c == "A") ? "B" : "A"
	w[n] = substr(s, 1, 9) c substr(s, 11); $5 = w[1]; for (i = 2; i <= n; i++) $5 = $5 " " w[i] }
	{ print }' base.signed >tampered.signed
run_sundial dnssec --json --warn 1d --at "@$NOW" "$Z/tampered.signed"
is "$RC" 2 "tampered signature: exit 2"
is "$(problems)" "bogus ok.t. A" "tampered signature: bogus at ok.t. A, nothing else"
ldns-verify-zone -t "$(date -u -d "@$NOW" +%Y%m%d%H%M%S)" "$Z/tampered.signed" >"$T/lvz.tampered" 2>&1
is "$(oracle "$T/lvz.tampered")" "bogus ok.t. A" "oracle: ldns-verify-zone says the same of the tampered zone"

# --- time: --at moves every window ---
run_sundial dnssec --json --at "@$((NOW + 3600 - 86400 - 1))" "$Z/t.signed"
is "$(pfield margin_low ttlbeyond.t. kind)" margin_low "at expiration - TTL - 1 s: ttlbeyond only has a low margin"
run_sundial dnssec --json --at "@$((NOW + 3600 - 86400))" "$Z/t.signed"
is "$(pfield ttl_beyond_expiration ttlbeyond.t. kind)" ttl_beyond_expiration "at expiration - TTL: TTL beyond expiration"
run_sundial dnssec --json --at "@$((NOW + 3600))" "$Z/t.signed"
is "$(pfield expired ttlbeyond.t. kind)" "<missing>" "at its expiration second: not expired yet (RFC 4035 5.3.1)"
run_sundial dnssec --json --at "@$((NOW + 3601))" "$Z/t.signed"
is "$(pfield expired ttlbeyond.t. kind)" expired "1 s after its expiration: expired"
run_sundial dnssec --json --at "$(date -u -d "@$((NOW + 2 * D))" +%Y-%m-%dT%H:%M:%SZ)" "$Z/t.signed"
is "$(pfield not_yet_valid future.t. kind)" "<missing>" "--at ISO 8601, 2 days on: future.t. is valid"
is "$(pfield expired lowmargin.t. kind)" expired "--at 2 days on: lowmargin.t. has expired"

# --- output forms ---
run_sundial dnssec --nagios --at "@$NOW" "$Z/t.signed"
is "$RC" 2 "--nagios: exit 2"
like "$OUT" "^DNSSEC CRITICAL: t\. " "--nagios: 'DNSSEC CRITICAL: t. ...'"
like "$OUT" "\|margin=-[0-9]+s;259200:;1:;; rrsets=[0-9]+;;;0; signatures=[0-9]+;;;0; critical=6;;;0; warning=5;;;0;$" \
	"--nagios: performance data (margin, rrsets, signatures, critical, warning)"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "--nagios: one line"
run_sundial dnssec --nagios --warn 1d --at "@$NOW" "$Z/base.signed"
is "$RC" 0 "--nagios, clean zone: exit 0"
like "$OUT" "^DNSSEC OK: t\. " "--nagios, clean zone: 'DNSSEC OK'"
run_sundial dnssec --nagios --warn 30d --at "@$NOW" "$Z/base.signed"
is "$RC" 1 "--nagios, margins under --warn 30d: exit 1 (WARNING)"
like "$OUT" "^DNSSEC WARNING: t\. 0 critical, [0-9]+ warning; margin_low " "--nagios, margins under --warn 30d: WARNING, margin_low"
run_sundial dnssec --at "@$NOW" "$Z/t.signed"
is "$RC" 2 "text: exit 2"
like "$OUT" "BEGINS +SEVERITY +PROBLEM" "text: a table of problems"
like "$(printf '%s\n' "$OUT" | grep -n 'expired.t. A' | cut -d: -f1)" "^[0-9]+$" "text: lists expired.t."
# Sorted by when they begin: the static problems (no time) first, then in time.
"$PYTHON" - "$T/out" >"$T/order" <<'EOF'
import sys, re
rows = [l.split()[0] for l in open(sys.argv[1]) if re.match(r"^(-|\d{4}-)\S*\s+(WARNING|CRITICAL)", l)]
times = [r for r in rows if r != "-"]
print("ok" if rows and rows[:len(rows) - len(times)] == ["-"] * (len(rows) - len(times)) and times == sorted(times) else "bad: %s" % rows)
EOF
is "$(cat "$T/order")" ok "text: problems sorted by when they begin"
like "$OUT" "summary: CRITICAL: 6 critical, 5 warning" "text: summary line"
run_sundial dnssec -v --at "@$NOW" "$Z/t.signed"
like "$OUT" "ns\.sub\.t\. A +300 +0 +- +needs no signature" "-v: glue listed, needing no signature"
like "$OUT" "ok\.t\. A +300 +1 +29d 23h" "-v: ok.t. A with its margin"

# --- unreadable input: UNKNOWN ---
run_sundial dnssec "$Z/nonexistent.signed"
is "$RC" 3 "missing file: exit 3"
like "$ERR" "nonexistent.signed: No such file" "missing file: says so"
printf '$ORIGIN t.\n@ 300 SOA ns1 hostmaster 1 2 3 4 5\nwww 300 A 192.0.2.300\n' >bad.zone
run_sundial dnssec --nagios "$Z/bad.zone"
is "$RC" 3 "syntax error: exit 3"
like "$OUT" "^DNSSEC UNKNOWN: .*bad\.zone:3: " "syntax error: UNKNOWN names file:line"
printf '$ORIGIN t.\nwww 300 A 192.0.2.1\n' >nosoa.zone
run_sundial dnssec "$Z/nosoa.zone"
is "$RC" 3 "no SOA: exit 3"
like "$ERR" "no SOA" "no SOA: says so"

# --- usage errors ---
for a in "--at yesterday" "--at 2026-13-01" "--at 2026-02-30T00:00:00Z" "--warn 3x" "-t 0"; do
	# shellcheck disable=SC2086 # split on purpose
	run_sundial dnssec $a "$Z/t.signed"
	is "$RC" 64 "usage: $a: exit 64"
done
run_sundial dnssec
is "$RC" 64 "usage: no ZONEFILE: exit 64"
run_sundial dnssec -n www "$Z/t.signed"
is "$RC" 64 "usage: --name without --server: exit 64"

# --- knot serving the zone ---
PORT=$(free_udp_port)
mkdir -p "$T/knot/db"
cat >"$T/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$PORT
    rundir: $T/knot
control:
    listen: $T/knot/knot.sock
database:
    storage: $T/knot/db
log:
  - target: stderr
    any: info
acl:
  - id: transfer
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: $Z
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: t.
    file: t.signed
    acl: transfer
EOF
_spawn knot knotd -c "$T/knot/knot.conf"
for _ in $(seq 1 100); do
	drill -p "$PORT" -t t. SOA @127.0.0.1 >"$T/knot/ready" 2>&1 && grep -q 'rcode: NOERROR' "$T/knot/ready" && break
	kill -0 "$(_pid_of knot)" 2>/dev/null || _daemon_failed knot "exited during start-up"
	sleep 0.1
done
grep -q 'rcode: NOERROR' "$T/knot/ready" || _daemon_failed knot "does not answer t. SOA on port $PORT"
echo "# knot ready on 127.0.0.1 port $PORT"

# Knot serves an RRSIG with its original TTL, not the TTL in the file
# (mismatch.t.'s 60): what drill sees is what sundial must report.
drill -D -p "$PORT" @127.0.0.1 mismatch.t. A >"$T/drill.mismatch" 2>&1
SERVED=$(awk '$1 == "mismatch.t." && $4 == "RRSIG" { print $2 }' "$T/drill.mismatch")
diag "knot serves mismatch.t.'s RRSIG A with TTL '$SERVED' (60 in the file)"
SERVER_WANT=$FILE_PROBLEMS
[ "$SERVED" = 300 ] && SERVER_WANT=$(printf '%s\n' "$FILE_PROBLEMS" | grep -v '^ttl_mismatch mismatch\.t\. A$')
like "$SERVED" '^(60|300)$' "knot: drill sees mismatch.t.'s RRSIG A"
run_sundial dnssec --json --at "@$NOW" --server "127.0.0.1:$PORT" t.
is "$RC" 2 "server (AXFR): exit 2"
jis source axfr "server: the zone came by AXFR"
is "$(problems)" "$SERVER_WANT" "server (AXFR): the same findings as the file (as knot serves it)"

# AXFR refused: queries for the names given.
sed -i '/acl: transfer$/d' "$T/knot/knot.conf"
stop_daemon knot
_spawn knot knotd -c "$T/knot/knot.conf"
for _ in $(seq 1 100); do
	drill -p "$PORT" -t t. SOA @127.0.0.1 >"$T/knot/ready" 2>&1 && grep -q 'rcode: NOERROR' "$T/knot/ready" && break
	sleep 0.1
done
NAMES=""
# (x.w: knot synthesises it from *.w: its RRSIG's labels field restores the owner)
for n in ns1 ok expired ttlbeyond future skew lowmargin origttl mismatch unsigned bogus nokey sub ns.sub x.w; do
	NAMES="$NAMES -n $n"
done
# shellcheck disable=SC2086 # split on purpose
run_sundial dnssec --json --at "@$NOW" --server "127.0.0.1:$PORT" $NAMES t.
is "$RC" 2 "server (queries): exit 2"
jis source queries "server: AXFR refused, so queries"
like "$(jf note)" "AXFR refused" "server (queries): the note says AXFR was refused"
is "$(problems)" "$SERVER_WANT" "server (queries): the same findings as the file (as knot serves it)"
is "$(jq -r '.rrset_list[] | select(.owner == "x.w.t." and .type == "TXT") | "\(.signatures | length) \(.signatures[0].verdict)"' "$T/out" 2>/dev/null)" \
	"1 valid" "server (queries): x.w.t. TXT, from the wildcard, has one signature and it verifies"
run_sundial dnssec --json --at "@$NOW" --server "127.0.0.1:$PORT" t.
is "$(problems)" "" "server (queries), apex only: the apex is clean"
run_sundial dnssec --nagios --server "127.0.0.1:$PORT" other.
is "$RC" 3 "server: a zone it does not serve: exit 3"
like "$OUT" "^DNSSEC UNKNOWN: " "server: a zone it does not serve: UNKNOWN"
stop_daemon knot
run_sundial dnssec -t 1 --server "127.0.0.1:$PORT" t.
is "$RC" 3 "server down: exit 3"

# --- a real zone: RFC 8976's uri.arpa (tests/data/dnssec/SOURCES.md) ---
URI=$TESTS_DIR/data/dnssec/uri.arpa.rfc8976.signed
run_sundial dnssec --json --at 20210201000000 "$URI"
is "$RC" 2 "uri.arpa: exit 2"
jis zone uri.arpa. "uri.arpa: zone uri.arpa."
jis signatures 15 "uri.arpa: 15 signatures"
jis counts.no_key 15 "uri.arpa: its keys were replaced: no signature has its DNSKEY"
jis counts.expired 0 "uri.arpa: none expired on 2021-02-01"
ldns-verify-zone -t 20210201000000 "$URI" >"$T/lvz.uri" 2>&1
is "$(oracle "$T/lvz.uri" | grep -c '^no_key ')" 15 "uri.arpa: ldns-verify-zone finds the same 15 keyless signatures"
is "$(oracle "$T/lvz.uri" | grep '^no_key ' | sed 's/^no_key //' | sort)" \
	"$(problems | sed -n 's/^no_key //p' | sort)" "uri.arpa: ... on the same RRsets"
is "$(pfield ttl_beyond_expiration ftp.uri.arpa. kind)" "<missing>" \
	"uri.arpa: on 2021-02-01 the NAPTR's 7-day TTL ends before the 2021-02-17 expiration"
run_sundial dnssec --json --at 2021-02-12T00:00:00Z "$URI"
is "$(jf counts.ttl_beyond_expiration)" 4 "uri.arpa: on 2021-02-12 the 4 NAPTR TTLs (7 days) outlive their signatures"
is "$(pfield ttl_beyond_expiration ftp.uri.arpa. begins)" 2021-02-10T23:24:40Z \
	"uri.arpa: ... since 2021-02-10T23:24:40Z, 7 days before the expiration"
run_sundial dnssec --json --at 2021-03-01T00:00:00Z "$URI"
jis counts.expired 15 "uri.arpa: on 2021-03-01 all 15 have expired"


# --- every algorithm sundial verifies itself (its own OpenSSL keys) ---
# A zone with a wildcard, mixed case and names in RDATA, signed with each
# algorithm (RSASHA1-NSEC3-SHA1 with NSEC3): every signature verifies, as
# ldns-verify-zone says; an MX target's case changed after signing changes
# nothing (RFC 4034 6.2: names in RDATA are signed in lower case); an
# address changed after signing is bogus there and nowhere else.
cat >a.zone <<'EOF'
$ORIGIN a.
$TTL 300
@	SOA	ns1 hostmaster 1 7200 3600 1209600 300
@	NS	ns1
@	MX	10 Mail.a.
ns1	A	192.0.2.53
Mail	A	192.0.2.25
www	A	192.0.2.80
www	AAAA	2001:db8::80
*.w	TXT	"wild"
Mixed.Case	TXT	"case"
EOF
for alg in RSASHA1 RSASHA1-NSEC3-SHA1 RSASHA256 RSASHA512 ECDSAP256SHA256 ECDSAP384SHA384 ED25519 ED448; do
	bits=""
	case $alg in RSA*) bits="-b 2048" ;; esac
	# shellcheck disable=SC2086 # bits: none or two words
	AZ=$(ldns-keygen $bits -a "$alg" a. 2>"$T/keygen.err") &&
		AK=$(ldns-keygen $bits -k -a "$alg" a. 2>>"$T/keygen.err") || {
		not_ok "$alg: ldns-keygen" "$(cat "$T/keygen.err")"
		continue
	}
	n3=""
	[ "$alg" = RSASHA1-NSEC3-SHA1 ] && n3="-n"
	# shellcheck disable=SC2086
	ldns-signzone $n3 -i $((NOW - D)) -e $((NOW + 30 * D)) -f "a-$alg.signed" a.zone "$AZ" "$AK" 2>"$T/sign.err" || {
		not_ok "$alg: ldns-signzone" "$(cat "$T/sign.err")"
		continue
	}
	run_sundial dnssec --json --at "@$NOW" "$Z/a-$alg.signed"
	is "$(jf status)/$(jf counts.bogus)/$(jf counts.no_key)/$(jf counts.unsupported_algorithm)/$(jf counts.missing)" \
		OK/0/0/0/0 "$alg: every signature verifies ($(jf signatures) signatures)"
	ldns-verify-zone -t "$(date -u -d "@$NOW" +%Y%m%d%H%M%S)" "a-$alg.signed" >"$T/lvz.a" 2>&1
	is "$?" 0 "$alg: ldns-verify-zone agrees"
	sed 's/\tMX\t10 [Mm]ail\.a\./\tMX\t10 MAIL.A./' "a-$alg.signed" >"a-$alg.case"
	grep -q 'MX	10 MAIL\.A\.' "a-$alg.case" || not_ok "$alg: the MX target is upper-cased" "$(grep MX "a-$alg.case")"
	run_sundial dnssec --json --at "@$NOW" "$Z/a-$alg.case"
	is "$(jf status)/$(jf counts.bogus)" OK/0 "$alg: the MX target's case changed: still valid"
	awk -F '\t' -v OFS='\t' '$1 == "www.a." && $4 == "A" { $5 = "192.0.2.81" } { print }' "a-$alg.signed" >"a-$alg.bogus"
	run_sundial dnssec --json --at "@$NOW" "$Z/a-$alg.bogus"
	is "$(problems)" "bogus www.a. A" "$alg: the address changed: bogus at www.a. A, nothing else"
done


# --- a larger zone: its signatures are checked on several threads ---
# 600 names, about 1800 signatures (chunks of 64, threads by processor):
# three addresses changed after signing, far apart, are bogus, and nothing
# else; ldns-verify-zone names the same three.
{
	printf '$ORIGIN b.\n$TTL 300\n@\tSOA\tns1 hostmaster 1 7200 3600 1209600 300\n@\tNS\tns1\nns1\tA\t192.0.2.53\n'
	for i in $(seq 1 600); do
		printf 'h%d\tA\t10.%d.%d.1\nh%d\tTXT\t"host %d"\n' "$i" $((i / 256)) $((i % 256)) "$i" "$i"
	done
} >b.zone
BZ=$(ldns-keygen -a ECDSAP256SHA256 b. 2>"$T/keygen.err") &&
	BK=$(ldns-keygen -k -a ECDSAP256SHA256 b. 2>>"$T/keygen.err") ||
	bail_out "ldns-keygen failed" "$(cat "$T/keygen.err")"
ldns-signzone -i $((NOW - D)) -e $((NOW + 30 * D)) -f b.signed b.zone "$BZ" "$BK" 2>"$T/sign.err" ||
	bail_out "ldns-signzone b.zone failed" "$(cat "$T/sign.err")"
awk -F '\t' -v OFS='\t' '($1 == "h7.b." || $1 == "h300.b." || $1 == "h599.b.") && $4 == "A" { $5 = "192.0.2.99" } { print }' \
	b.signed >b.bogus
run_sundial dnssec --json --at "@$NOW" "$Z/b.signed"
num_is "$(jf signatures)" '>=' 1800 "large zone: $(jf signatures) signatures"
is "$(jf status)/$(jf counts.bogus)" OK/0 "large zone: every signature verifies"
run_sundial dnssec --json --at "@$NOW" "$Z/b.bogus"
is "$(problems)" "$(printf 'bogus h300.b. A\nbogus h599.b. A\nbogus h7.b. A')" \
	"large zone: three addresses changed: bogus there, nowhere else"
ldns-verify-zone -t "$(date -u -d "@$NOW" +%Y%m%d%H%M%S)" b.bogus >"$T/lvz.b" 2>&1
is "$(oracle "$T/lvz.b")" "$(problems)" "large zone: ldns-verify-zone names the same three"

finish
