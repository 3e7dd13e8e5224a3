# bench/lib.sh - measuring daemons for bench/collect and bench/snmp:
# sourced after tests/system/lib.sh (for _spawn, _pid_of, stop_daemon,
# _daemon_failed, $T, $PYTHON) with DURATION, WARMUP and HZ set.  run()
# calls collectd_rows DATADIR T0 T1, which the script defines, for a daemon
# without an HTTP port (collectd): how many samples its files hold.

# cpu_io PID: "utime_ticks stime_ticks sched_ms write_bytes threads" of a
# running process: sched_ms is the sum of its threads' se.sum_exec_runtime
# (exact; "-" without /proc/PID/task/*/sched), threads a checksum of their
# ids (a thread that ended between two readings takes its time with it).
cpu_io() {
	local st ms wb th
	st=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }')
	ms=$(cat "/proc/$1"/task/*/sched 2>/dev/null | awk '$1 == "se.sum_exec_runtime" { s += $3; n++ }
		END { if (n) printf "%.3f", s; else print "-" }')
	wb=$(awk '$1 == "write_bytes:" { print $2 }' "/proc/$1/io")
	th=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | cksum | cut -d' ' -f1)
	echo "$st $ms ${wb:-0} $th"
}

# settle NAME DIR: until DIR stops growing (the RRD files are all made:
# librrd writes each one whole when it creates it), at most 10 minutes.
settle() {
	local a b start=$SECONDS
	b=$(du -sb "$2" 2>/dev/null | cut -f1)
	while [ $((SECONDS - start)) -lt 600 ]; do
		sleep 1
		a=$b
		b=$(du -sb "$2" 2>/dev/null | cut -f1)
		[ "$a" = "$b" ] && break
	done
	echo "# $1: $(find "$2" -type f | wc -l) files, $(du -sh "$2" | cut -f1), settled $((SECONDS - start)) s after the warm-up"
}

# api_runs PORT: "runs skipped up sources" summed over /api/v1/sources.
api_runs() {
	curl -sf "http://127.0.0.1:$1/api/v1/sources" | "$PYTHON" -c '
import json, sys
try:
    s = json.load(sys.stdin)["sources"]
except Exception:
    print("0 0 0 0"); sys.exit(0)
print(sum(x.get("runs", 0) for x in s), sum(x.get("skipped", 0) for x in s),
      sum(1 for x in s if x.get("up")), len(s))'
}

# wait_http PORT NAME: until the collector answers /healthz.
wait_http() {
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$(_pid_of "$2")" 2>/dev/null || _daemon_failed "$2" "exited during start-up"
		sleep 0.1
	done
	_daemon_failed "$2" "no /healthz after 10 s"
}

# run NAME LABEL DATADIR HTTPPORT|- CMD...: starts CMD, lets it warm up,
# measures it for DURATION s, stops it; appends a tab-separated line
# "label samples skipped up cpu_s user_s sys_s startup_cpu_s hwm_kB
# written_B disk_B seconds how" to $T/results (how: "sched" if cpu_s is the
# exact sum of the threads' run times, "ticks" if from /proc/PID/stat).
run() {
	local name=$1 label=$2 data=$3 hp=$4 pid a b r0 r1 t0 t1 hwm disk
	shift 4
	_spawn "$name" "$@"
	pid=$(_pid_of "$name")
	[ "$hp" != - ] && wait_http "$hp" "$name"
	sleep "$WARMUP"
	settle "$name" "$data"
	sync # the new files' pages, so that the window counts only what updates dirty
	kill -0 "$pid" 2>/dev/null || _daemon_failed "$name" "exited"
	a=$(cpu_io "$pid")
	r0="0 0 0 0"
	[ "$hp" != - ] && r0=$(api_runs "$hp")
	t0=$(date +%s.%N)
	sleep "$DURATION"
	kill -0 "$pid" 2>/dev/null || _daemon_failed "$name" "exited"
	b=$(cpu_io "$pid")
	r1="0 0 0 0"
	[ "$hp" != - ] && r1=$(api_runs "$hp")
	t1=$(date +%s.%N)
	hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")
	stop_daemon "$name"
	sync
	disk=$(du -s -B1 "$data" | cut -f1)
	if [ "$hp" = - ]; then
		r1="$(collectd_rows "$data" "$t0" "$t1") 0 1 1"
	fi
	[ "${KEEP:-0}" = 1 ] || rm -rf "$data" # up to 4 GB
	[ -s "$T/$name/out" ] && echo "# $name said: $(tail -n 3 "$T/$name/out" | tr '\n' ' ' | cut -c1-200)"
	awk -v l="$label" -v a="$a" -v b="$b" -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" \
		-v hwm="$hwm" -v disk="$disk" -v hz="$HZ" 'BEGIN {
		split(a, x, " "); split(b, y, " "); split(r0, p, " "); split(r1, q, " ")
		u = (y[1] - x[1]) / hz; s = (y[2] - x[2]) / hz; c = u + s; how = "ticks"
		if (x[3] != "-" && y[3] != "-" && x[5] == y[5]) { c = (y[3] - x[3]) / 1000; how = "sched" }
		printf "%s\t%.0f\t%.0f\t%d/%d\t%.4f\t%.3f\t%.3f\t%.3f\t%.0f\t%.0f\t%.0f\t%.3f\t%s\n", l, q[1] - p[1],
			q[2] - p[2], q[3], q[4], c, u, s, (x[1] + x[2]) / hz, hwm, y[4] - x[4], disk, t1 - t0, how
	}' >>"$T/results"
}

