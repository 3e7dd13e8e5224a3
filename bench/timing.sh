# shellcheck shell=bash
# bench/timing.sh - timing commands side by side for bench/traffic and
# bench/noise: sourced with $T set (the bench's folder).

# once N LABEL OUTFILE CMD...: one run under /usr/bin/time, its line
# "wall user sys maxrss_kB" appended to $T/runs.N; stdout to OUTFILE.
once() {
	local n=$1 label=$2 out=$3
	shift 3
	if ! /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" >"$out" 2>"$T/err"; then
		echo "# $label: failed: $(head -c 300 "$T/err")"
	fi
	tail -n 1 "$T/time" >>"$T/runs.$n"
}

# summary N LABEL: appends "LABEL<tab>wall<tab>user<tab>sys<tab>maxrss_kB<tab>min wall"
# (the run with the median wall time, and the fastest) to $T/results.
summary() {
	sort -n "$T/runs.$1" | awk -v l="$2" '{ w[NR] = $0 } END {
		split(w[int((NR + 1) / 2)], m, " "); split(w[1], f, " ")
		print l "\t" m[1] "\t" m[2] "\t" m[3] "\t" m[4] "\t" f[1] }' >>"$T/results"
	printf '# %-36s wall s: %s\n' "$2" "$(cut -d' ' -f1 "$T/runs.$1" | tr '\n' ' ')"
}
