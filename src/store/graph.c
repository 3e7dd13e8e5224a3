/* graph.c - the graphs of a source page and their RRD files; see graph.h.
 *
 * The catalogue follows the collector's put_*() (collect/collector.c): the
 * families each kind of source writes, and the labels they carry after
 * '@' in the file name (upstream, device, window, chip and sensor).
 *
 * File and folder names are read as untrusted text: a name is used only
 * if it is exactly what store/rrd.c's escaping makes of its unescaped
 * form (so "%zz", "%00", "%2f" and raw characters rrd.c would have escaped
 * are skipped), if the unescaped text is valid UTF-8 without control
 * characters, and if it fits the buffers; anything else is skipped, never
 * truncated.
 *
 * A line's label is the label values joined by " "; in a graph of more
 * than one family the family's short name comes first ("seen /dev/ttyS0"),
 * and a file without label values is called by the short name alone: the
 * family name's last word before its unit suffix ("_seconds", "_total",
 * "_ratio", "_per_second", ...), e.g. "seen", "p99", "received".
 * Lines are sorted by family order, then by label in natural order (digit
 * runs as numbers: 192.0.2.9 before 192.0.2.10, temp2 before temp10;
 * durations as durations: 5m, 20m, 1h, 24h). */
#include "store/graph.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"
#include "store/rrd.h"

#define PART_MAX 512	 /* an unescaped folder name or label part, with its NUL */
#define ESCAPED_MAX 1536 /* ... escaped: 3 bytes each */

/* --- the catalogue ------------------------------------------------------------ */

/* Every kind ends with these two (the collector's put_outcome()). */
/* clang-format off */
#define COMMON_GRAPHS \
	{ "sample_time", "Time a sample took", "seconds", \
	  "How long each sample of this source took to answer; it grows when the source is " \
	  "slow or far away, and samples that reach the timeout fail.", \
	  { "sundial_collect_sample_seconds" }, 1, false }, \
	{ "up", "Samples that worked", "%", \
	  "Share of the samples of this source that worked; anything below 100 % means some " \
	  "failed, and the collector's log says why.", \
	  { "sundial_collect_up" }, 100, false }
/* clang-format on */

static const struct graph_spec daemon_graphs[] = {
	{ "offset",
	  "Offset of the local clock",
	  "seconds",
	  "The offset of the local clock from the daemon's reference at its last update, as the "
	  "daemon reports it; a flat line near zero is good, and the band shows the spread "
	  "within each point.",
	  { "sundial_daemon_offset_seconds" },
	  1,
	  false },
	{ "upstream_offset",
	  "Offsets of the upstream sources",
	  "seconds",
	  "The offset the daemon measures to each upstream source; lines that agree are healthy, "
	  "and one that strays from the others is a falseticker or has an asymmetric path.",
	  { "sundial_daemon_source_offset_seconds" },
	  1,
	  false },
	{ "jitter",
	  "Jitter of the upstream sources",
	  "seconds",
	  "How much each upstream source's measurements scatter from one poll to the next; lower "
	  "is steadier, and a rise points to a congested network or a busy server.",
	  { "sundial_daemon_source_jitter_seconds" },
	  1,
	  false },
	{ "delay",
	  "Delay to the upstream sources",
	  "seconds",
	  "The round-trip network delay to each upstream source; an offset can be wrong by up to "
	  "half of it, and steps show route changes.",
	  { "sundial_daemon_source_delay_seconds" },
	  1,
	  false },
	{ "reach",
	  "Reachability of the upstream sources",
	  "%",
	  "Share of the last eight polls of each upstream source that were answered; 100 % is "
	  "normal, dips are lost packets, and 0 means the source is gone.",
	  { "sundial_daemon_source_reach_ratio" },
	  100,
	  false },
	{ "stratum",
	  "Stratum",
	  "stratum",
	  "The daemon's distance in hops from a reference clock (1: it has one of its own); a "
	  "rise means it lost its better sources.",
	  { "sundial_daemon_stratum" },
	  1,
	  false },
	{ "frequency",
	  "Frequency correction",
	  "ppm",
	  "How much the daemon speeds up or slows down the local oscillator, in parts per "
	  "million; it follows the temperature slowly, and a jump means a restart or a "
	  "disturbed clock.",
	  { "sundial_daemon_frequency_ppm" },
	  1,
	  false },
	{ "root",
	  "Root delay and dispersion",
	  "seconds",
	  "The round trip to the reference clock along the chain of servers (delay) and the "
	  "accumulated error estimate (dispersion); half the delay plus the dispersion bounds "
	  "the error of the time served.",
	  { "sundial_daemon_root_delay_seconds", "sundial_daemon_root_dispersion_seconds" },
	  1,
	  false },
	{ "packets",
	  "NTP packets",
	  "packets/s",
	  "Packets per second the daemon received, sent and dropped between samples; sent "
	  "should follow received, and drops point to rate limiting or overload.",
	  { "sundial_daemon_packets_received_total", "sundial_daemon_packets_sent_total",
	    "sundial_daemon_packets_dropped_total" },
	  1,
	  true },
	{ "refclock",
	  "Reference clock status",
	  "status",
	  "The status code of each reference clock as the daemon reports it; a change marks a "
	  "fault or a recovery.",
	  { "sundial_daemon_refclock_status" },
	  1,
	  false },
	COMMON_GRAPHS,
};

static const struct graph_spec server_graphs[] = {
	{ "offset",
	  "Offset of the server's clock",
	  "seconds",
	  "The median offset of the server's clock from this host's clock in each query; a flat "
	  "line near zero is good, and when all servers move together it is this host's clock "
	  "that moved.",
	  { "sundial_query_offset_seconds" },
	  1,
	  false },
	{ "delay",
	  "Round-trip delay",
	  "seconds",
	  "The shortest round trip of each query to the server; the offset can be wrong by up to "
	  "half of it, and steps show route changes.",
	  { "sundial_query_delay_seconds" },
	  1,
	  false },
	{ "stratum",
	  "Stratum",
	  "stratum",
	  "The server's distance in hops from a reference clock (1: it has one of its own); a "
	  "rise means it lost its better sources.",
	  { "sundial_query_stratum" },
	  1,
	  false },
	{ "reachable",
	  "Queries answered",
	  "%",
	  "Share of queries the server answered with a usable time; below 100 % means lost "
	  "packets, refusals, kiss-o'-death replies or an unsynchronised server.",
	  { "sundial_query_up" },
	  100,
	  false },
	{ "root_distance",
	  "Root distance",
	  "seconds",
	  "The server's own bound on its error to its reference clock (root delay / 2 + root "
	  "dispersion); lower is better, and a rise means it lost its good sources.",
	  { "sundial_query_root_distance_seconds" },
	  1,
	  false },
	{ "nts_certificate",
	  "NTS certificate",
	  "days",
	  "Days until the certificate of the server's NTS key exchange expires, as seen at each "
	  "key exchange (at least hourly); renew it before it reaches zero, or NTS clients stop "
	  "trusting the server.",
	  { "sundial_nts_certificate_remaining_seconds" },
	  1.0 / 86400,
	  false },
	{ "nts_key_exchange",
	  "NTS key exchange",
	  "seconds",
	  "Time the NTS key exchange (TCP, TLS 1.3 and the NTS-KE records) took when it ran.",
	  { "sundial_nts_ke_seconds" },
	  1,
	  false },
	{ "nts_cookies",
	  "NTS cookies",
	  "cookies",
	  "Cookies left for NTS requests; each request spends one and each good reply brings "
	  "one back, so a falling line means replies are lost or refused.",
	  { "sundial_nts_cookies" },
	  1,
	  false },
	COMMON_GRAPHS,
};

static const struct graph_spec gpsd_graphs[] = {
	{ "satellites",
	  "Satellites",
	  "satellites",
	  "Satellites in view (seen) and used in the fix; fewer than four used means no 3D fix, "
	  "and both falling at once points to the antenna.",
	  { "sundial_gps_satellites_seen", "sundial_gps_satellites_used" },
	  1,
	  false },
	{ "signal",
	  "Signal of the satellites used",
	  "dB-Hz",
	  "Mean and weakest carrier-to-noise ratio of the satellites used; above 30 dB-Hz is "
	  "good, and both falling together points to the antenna or its cable.",
	  { "sundial_gps_used_snr_mean_dbhz", "sundial_gps_used_snr_min_dbhz" },
	  1,
	  false },
	{ "dop",
	  "Dilution of precision",
	  "DOP",
	  "How much the satellites' geometry magnifies errors horizontally, vertically, in "
	  "position and in time; below 2 is good, high values mean few or bunched satellites.",
	  { "sundial_gps_hdop", "sundial_gps_vdop", "sundial_gps_pdop", "sundial_gps_tdop" },
	  1,
	  false },
	{ "fix",
	  "Fix mode",
	  "mode",
	  "The receiver's fix: 3 is a 3D fix, 2 a 2D fix, 1 none and 0 unknown; good time needs "
	  "a steady 3.",
	  { "sundial_gps_fix_mode" },
	  1,
	  false },
	{ "pps",
	  "PPS offset",
	  "seconds",
	  "The offset of the pulse per second from the system clock as gpsd measures it; it "
	  "should stay within microseconds, and a drift means the clock is not following the "
	  "PPS.",
	  { "sundial_gps_pps_offset_seconds" },
	  1,
	  false },
	COMMON_GRAPHS,
};

static const struct graph_spec capture_graphs[] = {
	{ "clients",
	  "Distinct clients",
	  "clients",
	  "Distinct client addresses in each sliding window, from 5 minutes to 24 hours; the long "
	  "windows show how many clients the server has, the short one how busy it is now.",
	  { "sundial_traffic_clients" },
	  1,
	  false },
	{ "clients_family",
	  "Distinct clients by address family",
	  "clients",
	  "The same windows split into IPv4 and IPv6 clients: how much of the server's public "
	  "is reached over each.",
	  { "sundial_traffic_clients_by_family" },
	  1,
	  false },
	{ "rates",
	  "Requests and responses",
	  "packets/s",
	  "Requests received and responses sent per second, each the mean over 5 minutes; "
	  "responses below requests mean the server drops or rate-limits some.",
	  { "sundial_traffic_requests_per_second", "sundial_traffic_responses_per_second" },
	  1,
	  false },
	{ "response_time",
	  "Response time",
	  "seconds",
	  "Median (p50) and 99th percentile (p99) time from a request's capture to its "
	  "response's; this is the server's own delay, and a rising p99 means it is busy.",
	  { "sundial_traffic_response_p50_seconds", "sundial_traffic_response_p99_seconds" },
	  1,
	  false },
	{ "unanswered",
	  "Answered and unanswered requests",
	  "requests",
	  "Requests answered (pairs) and left unanswered in each sample interval; every "
	  "unanswered request is a client that got no time.",
	  { "sundial_traffic_unanswered", "sundial_traffic_pairs" },
	  1,
	  false },
	{ "kernel_drops",
	  "Kernel drops",
	  "packets/s",
	  "Packets per second the kernel dropped before the capture read them; above zero the "
	  "figures above undercount, and a larger capture buffer helps.",
	  { "sundial_traffic_kernel_drops_total" },
	  1,
	  true },
	COMMON_GRAPHS,
};

static const struct graph_spec hwmon_graphs[] = {
	{ "temperature",
	  "Temperatures",
	  "°C",
	  "The temperatures the kernel reports for each chip and sensor; an oscillator's "
	  "frequency follows its temperature, so compare with the frequency graph.",
	  { "sundial_hwmon_temperature_celsius" },
	  1,
	  false },
	COMMON_GRAPHS,
};

/* The shipped SNMP profiles' objects (profiles/NAME.profile); a graph whose
 * files an agent does not have is not shown. */
static const struct graph_spec snmp_graphs[] = {
	{ "mbg_offset",
	  "Refclock offset (LANTIME)",
	  "seconds",
	  "The offset of the reference clock NTP follows, as the LANTIME reports it "
	  "(mbgLtNgNtpRefclockOffset).",
	  { "sundial_snmp_meinberg_ntp_refclock_offset_seconds" },
	  1,
	  false },
	{ "mbg_state",
	  "NTP and refclock state (LANTIME)",
	  "state",
	  "NTP: 2 synchronized, 1 not; refclocks: 1 synchronized, 2 not, 0 not available. "
	  "A step in this graph is a loss of sync.",
	  { "sundial_snmp_meinberg_ntp_state", "sundial_snmp_meinberg_refclock_state" },
	  1,
	  false },
	{ "mbg_signal",
	  "Refclock signal (LANTIME)",
	  "%",
	  "Correlation of PZF (DCF77) receivers and field strength of long-wave receivers; "
	  "both drop with interference and at night for distant transmitters.",
	  { "sundial_snmp_meinberg_refclock_correlation_ratio",
	    "sundial_snmp_meinberg_refclock_field_strength_ratio" },
	  100,
	  false },
	{ "mbg_satellites",
	  "GNSS satellites (LANTIME)",
	  "satellites",
	  "Good satellites and satellites in view of the GNSS receivers; fewer than 4 good "
	  "ones and the receiver cannot hold its position fix.",
	  { "sundial_snmp_meinberg_refclock_satellites_good",
	    "sundial_snmp_meinberg_refclock_satellites_in_view" },
	  1,
	  false },
	{ "mbg_clients",
	  "NTP clients (LANTIME)",
	  "clients",
	  "Clients the LANTIME counts: in its current count and since midnight.",
	  { "sundial_snmp_meinberg_ntp_clients", "sundial_snmp_meinberg_ntp_clients_today" },
	  1,
	  false },
	{ "mbg_requests",
	  "NTP requests (LANTIME)",
	  "requests/s",
	  "Requests per second, from the LANTIME's request counter.",
	  { "sundial_snmp_meinberg_ntp_requests_total" },
	  1,
	  true },
	{ "mbg_temperature",
	  "Temperature (LANTIME)",
	  "°C",
	  "The appliance's temperature; its oscillator's frequency follows it.",
	  { "sundial_snmp_meinberg_temperature_celsius" },
	  1,
	  false },
	{ "host_load",
	  "Load average",
	  "load",
	  "Runnable and waiting tasks averaged over 1, 5 and 15 minutes; above the number of "
	  "CPUs, work waits.",
	  { "sundial_snmp_host_load1", "sundial_snmp_host_load5", "sundial_snmp_host_load15" },
	  1,
	  false },
	{ "host_cpu",
	  "CPU time",
	  "ticks/s",
	  "Clock ticks per second spent per mode, summed over the CPUs (100 per CPU on Linux).",
	  { "sundial_snmp_host_cpu_user_total", "sundial_snmp_host_cpu_system_total",
	    "sundial_snmp_host_cpu_wait_total", "sundial_snmp_host_cpu_idle_total" },
	  1,
	  true },
	{ "host_memory",
	  "Memory and swap",
	  "bytes",
	  "Memory and swap in total and available; no swap at all is shown as 0 and is no "
	  "error.",
	  { "sundial_snmp_host_memory_size_bytes", "sundial_snmp_host_memory_available_bytes",
	    "sundial_snmp_host_swap_size_bytes", "sundial_snmp_host_swap_available_bytes" },
	  1,
	  false },
	{ "host_storage",
	  "Storage used",
	  "bytes",
	  "Space used per file system (by mount point) and memory area.",
	  { "sundial_snmp_host_storage_used_bytes" },
	  1,
	  false },
	{ "host_interfaces",
	  "Interface traffic",
	  "bytes/s",
	  "Bytes per second received and sent per interface (by name, so a tunnel that comes "
	  "back continues its line).",
	  { "sundial_snmp_host_interface_receive_bytes_total",
	    "sundial_snmp_host_interface_transmit_bytes_total" },
	  1,
	  true },
	COMMON_GRAPHS,
};

/* sources/adsb.h's families. */
static const struct graph_spec adsb_graphs[] = {
	{ "aircraft",
	  "Aircraft",
	  "aircraft",
	  "Aircraft heard in the last minute, and those of them with a position; a drop of "
	  "both at once points to the antenna, its cable or the receiver, not to the sky.",
	  { "sundial_adsb_aircraft", "sundial_adsb_aircraft_with_position" },
	  1,
	  false },
	{ "messages",
	  "Message rate",
	  "messages/s",
	  "Mode S messages per second the receiver decoded, from its message counter; it follows "
	  "the traffic of the day, and a fall to zero means the receiver stopped hearing.",
	  { "sundial_adsb_messages_total" },
	  1,
	  true },
	{ "range",
	  "Maximum range",
	  "km",
	  "Distance from the receiver to the farthest aircraft position of the last minute; it "
	  "shows how far the antenna hears, and shrinks with a weak antenna or a blocked view.",
	  { "sundial_adsb_max_range_meters" },
	  0.001,
	  false },
	{ "signal",
	  "Signal and noise",
	  "dBFS",
	  "Mean and peak signal of the last minute's messages and the noise floor, in dB below "
	  "the receiver's full scale; signal well above noise is good, a peak near 0 means the "
	  "gain is too high.",
	  { "sundial_adsb_signal_dbfs", "sundial_adsb_signal_peak_dbfs",
	    "sundial_adsb_noise_dbfs" },
	  1,
	  false },
	{ "strong",
	  "Strong signals",
	  "%",
	  "Share of the last minute's messages received above -3 dBFS; more than a few percent "
	  "means the receiver's gain is too high and near aircraft overload it.",
	  { "sundial_adsb_strong_signals_ratio" },
	  100,
	  false },
	COMMON_GRAPHS,
};

static const struct graph_spec exec_graphs[] = {
	COMMON_GRAPHS,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *kind;
	const struct graph_spec *graphs;
	size_t n;
} kinds[] = {
	{ "server", server_graphs, N(server_graphs) },
	{ "ntpd", daemon_graphs, N(daemon_graphs) },
	{ "chronyd", daemon_graphs, N(daemon_graphs) },
	{ "gpsd", gpsd_graphs, N(gpsd_graphs) },
	{ "capture", capture_graphs, N(capture_graphs) },
	{ "hwmon", hwmon_graphs, N(hwmon_graphs) },
	{ "exec", exec_graphs, N(exec_graphs) },
	{ "snmp", snmp_graphs, N(snmp_graphs) },
	{ "adsb", adsb_graphs, N(adsb_graphs) },
};

const struct graph_spec *graph_catalogue(const char *source_kind, size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (source_kind == NULL)
		return NULL;
	for (size_t i = 0; i < N(kinds); i++)
		if (strcmp(kinds[i].kind, source_kind) == 0) {
			if (n != NULL)
				*n = kinds[i].n;
			return kinds[i].graphs;
		}
	return NULL;
}

#define EXEC_PREFIX "sundial_exec_"

bool graph_exec_spec(const char *metric, struct graph_spec *out, char *buf, size_t bufsize)
{
	const char *name;
	size_t n, need, pos = 0;

	if (metric == NULL || out == NULL || buf == NULL ||
	    strncmp(metric, EXEC_PREFIX, strlen(EXEC_PREFIX)) != 0)
		return false;
	name = metric + strlen(EXEC_PREFIX);
	n = strlen(name);
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	/* "exec_<name>", "Exec value <name>", the metric */
	need = (5 + n + 1) + (11 + n + 1) + (strlen(metric) + 1);
	if (bufsize < need)
		return false;
	memset(out, 0, sizeof *out);
	out->id = buf + pos;
	pos += (size_t)snprintf(buf + pos, bufsize - pos, "exec_%s", name) + 1;
	for (char *p = buf; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	out->title = buf + pos;
	pos += (size_t)snprintf(buf + pos, bufsize - pos, "Exec value %s", name) + 1;
	out->metrics[0] = buf + pos;
	snprintf(buf + pos, bufsize - pos, "%s", metric);
	out->unit = "value";
	out->legend = "A value the exec program printed, one per sample; the band shows the "
		      "lowest and highest sample within each point of the graph.";
	out->scale = 1;
	out->counter = false;
	return true;
}

/* --- spans -------------------------------------------------------------------- */

static const struct {
	const char *name;
	double seconds;
} spans[GRAPH_N_SPANS] = {
	{ "day", 86400.0 },
	{ "week", 7 * 86400.0 },
	{ "month", 31 * 86400.0 },
	{ "year", 366 * 86400.0 },
};

const char *graph_span_name(enum graph_span s)
{
	return (size_t)s < GRAPH_N_SPANS ? spans[s].name : "?";
}

double graph_span_seconds(enum graph_span s)
{
	return (size_t)s < GRAPH_N_SPANS ? spans[s].seconds : 0;
}

bool graph_span_parse(const char *s, enum graph_span *out)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < GRAPH_N_SPANS; i++)
		if (strcmp(s, spans[i].name) == 0) {
			if (out != NULL)
				*out = (enum graph_span)i;
			return true;
		}
	return false;
}

/* --- names -------------------------------------------------------------------- */

/* Valid UTF-8 without control characters (C0, DEL, C1). */
static bool clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p, cp, min;
		size_t n;

		if (c < 0x20 || c == 0x7F)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80) /* also the NUL at the end */
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
		    (cp >= 0x80 && cp <= 0x9F))
			return false;
		p += n;
	}
	return true;
}

/* s[0..n), one part of a name as store/rrd.c escapes it, unescaped into
 * out; false unless it is exactly rrd_store_escape() of the result, clean
 * text, and fits.  An empty part is an empty string. */
static bool unescape(const char *s, size_t n, char *out, size_t outlen)
{
	char again[ESCAPED_MAX];
	size_t k = 0;

	if (outlen == 0)
		return false;
	for (size_t i = 0; i < n;) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = n - i >= 3 ? str_hex_digit((unsigned char)s[i + 1]) : -1;
			int lo = n - i >= 3 ? str_hex_digit((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return false;
			c = hi << 4 | lo;
			if (c == 0)
				return false;
			i += 3;
		} else if (c == 0) {
			return false;
		} else {
			i++;
		}
		if (k + 1 >= outlen)
			return false;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	if (k == 0)
		return true;
	if (!clean_text(out))
		return false;
	return rrd_store_escape(out, again, sizeof again) && strlen(again) == n &&
	       memcmp(again, s, n) == 0;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A file name without ".rrd" that ends in rrd.c's dated suffix of a kept
 * file: ".YYYYMMDDTHHMMSSZ", maybe with "-N" after it. */
static bool retired(const char *stem, size_t n)
{
	size_t end = n, i = n;
	const char *p;

	while (i > 0 && stem[i - 1] >= '0' && stem[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && stem[i - 1] == '-' && stem[i - 2] == 'Z')
		end = i - 1;
	if (end < 17)
		return false;
	p = stem + end - 17;
	return p[0] == '.' && digits(p + 1, 8) && p[9] == 'T' && digits(p + 10, 6) && p[16] == 'Z';
}

/* The family name's last word before its unit suffix. */
static void short_name(const char *family, char *out, size_t len)
{
	static const char *const units[] = { "_per_second", "_seconds", "_total",
					     "_ratio",	    "_celsius", "_ppm",
					     "_dbhz",	    "_dbfs",	"_meters" };
	size_t n = strlen(family), start;

	for (size_t i = 0; i < N(units); i++) {
		size_t u = strlen(units[i]);

		if (n > u && strcmp(family + n - u, units[i]) == 0) {
			n -= u;
			break;
		}
	}
	start = n;
	while (start > 0 && family[start - 1] != '_')
		start--;
	snprintf(out, len, "%.*s", (int)(n - start), family + start);
}

/* Whether the entry name in d is a file (following a symbolic link), or
 * a folder. */
static bool entry_is(DIR *d, const struct dirent *e, bool folder)
{
	struct stat sb;

	if (e->d_type == DT_REG)
		return !folder;
	if (e->d_type == DT_DIR)
		return folder;
	if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
		return false;
	if (fstatat(dirfd(d), e->d_name, &sb, 0) != 0)
		return false;
	return folder ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode);
}

/* datadir without trailing '/' (but "/" stays), into buf. */
static bool trim_dir(const char *dir, char *buf, size_t len)
{
	size_t n;

	if (dir == NULL || *dir == '\0' || str_copy(buf, dir, len) >= len)
		return false;
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return true;
}

/* --- graph_lines ---------------------------------------------------------------- */

struct found {
	size_t metric;
	struct graph_line l;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "5m", "24h": seconds; false if s is not a whole number and one of s m h d. */
static bool duration(const char *s, double *sec)
{
	size_t n = strlen(s);
	double v = 0;

	if (n < 2 || n > 12 || !digits(s, n - 1))
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		v = v * 10 + (s[i] - '0');
	switch (s[n - 1]) {
	case 's': *sec = v; return true;
	case 'm': *sec = v * 60; return true;
	case 'h': *sec = v * 3600; return true;
	case 'd': *sec = v * 86400; return true;
	default: return false;
	}
}

/* Natural order: runs of digits compare as numbers, durations as
 * durations; then byte order. */
static int label_cmp(const char *a, const char *b)
{
	const char *a0 = a, *b0 = b;
	double da, db;

	if (duration(a, &da) && duration(b, &db) && da != db)
		return da < db ? -1 : 1;
	while (*a != '\0' && *b != '\0') {
		if (is_digit(*a) && is_digit(*b)) {
			size_t la = 0, lb = 0;
			int c;

			while (*a == '0' && is_digit(a[1]))
				a++;
			while (*b == '0' && is_digit(b[1]))
				b++;
			while (is_digit(a[la]))
				la++;
			while (is_digit(b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
		} else if (*a != *b) {
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		} else {
			a++;
			b++;
		}
	}
	if (*a != '\0' || *b != '\0')
		return *a != '\0' ? 1 : -1;
	return strcmp(a0, b0);
}

static int found_cmp(const void *pa, const void *pb)
{
	const struct found *a = pa, *b = pb;
	int c;

	if (a->metric != b->metric)
		return a->metric < b->metric ? -1 : 1;
	c = label_cmp(a->l.label, b->l.label);
	return c != 0 ? c : strcmp(a->l.path, b->l.path);
}

/* The label of a file whose name after "<family>%40" is rest[0..n), or
 * false if a part does not read back (see unescape) or it does not fit. */
static bool make_label(const char *rest, size_t n, bool have_labels, const char *shortname,
		       bool multi, char *out, size_t len)
{
	char values[sizeof((struct graph_line *)0)->label] = "";
	size_t used = 0;
	int w;

	while (have_labels) {
		const char *at = NULL;
		char part[PART_MAX];
		size_t pn, plen;

		for (size_t i = 0; i + 3 <= n; i++)
			if (memcmp(rest + i, "%40", 3) == 0) {
				at = rest + i;
				break;
			}
		pn = at != NULL ? (size_t)(at - rest) : n;
		if (!unescape(rest, pn, part, sizeof part))
			return false;
		plen = strlen(part);
		if (plen > 0) {
			if (used + (used > 0) + plen + 1 > sizeof values)
				return false;
			if (used > 0)
				values[used++] = ' ';
			memcpy(values + used, part, plen + 1);
			used += plen;
		}
		if (at == NULL)
			break;
		rest += pn + 3;
		n -= pn + 3;
	}
	if (used == 0)
		w = snprintf(out, len, "%s", shortname);
	else if (multi)
		w = snprintf(out, len, "%s %s", shortname, values);
	else
		w = snprintf(out, len, "%s", values);
	return w >= 0 && (size_t)w < len;
}

int graph_lines(const char *datadir, const char *source, const char *target,
		const struct graph_spec *spec, struct graph_line *out, size_t max)
{
	char base[PATH_MAX], dir[PATH_MAX], esrc[ESCAPED_MAX], etgt[ESCAPED_MAX];
	char fam[GRAPH_MAX_METRICS][ESCAPED_MAX], shortn[GRAPH_MAX_METRICS][64];
	size_t nfam = 0, nfound = 0, cap = 0;
	struct found *found = NULL;
	struct dirent *e;
	DIR *d;
	int n, rc;

	if (spec == NULL || (out == NULL && max > 0))
		return -EINVAL;
	if (!trim_dir(datadir, base, sizeof base) || !rrd_store_escape(source, esrc, sizeof esrc) ||
	    !rrd_store_escape(target, etgt, sizeof etgt))
		return -ENOENT;
	n = snprintf(dir, sizeof dir, "%s/%s/%s", strcmp(base, "/") == 0 ? "" : base, esrc, etgt);
	if (n < 0 || (size_t)n >= sizeof dir)
		return -ENOENT;
	for (size_t i = 0; i < GRAPH_MAX_METRICS && spec->metrics[i] != NULL; i++) {
		if (!rrd_store_escape(spec->metrics[i], fam[i], sizeof fam[i]))
			fam[i][0] = '\0'; /* matches nothing */
		short_name(spec->metrics[i], shortn[i], sizeof shortn[i]);
		nfam = i + 1;
	}

	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EIO;
	for (;;) {
		const char *name;
		size_t len, stem;

		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			rc = errno != 0 ? -EIO : 0;
			break;
		}
		name = e->d_name;
		len = strlen(name);
		if (len <= 4 || strcmp(name + len - 4, ".rrd") != 0)
			continue;
		stem = len - 4;
		if (retired(name, stem))
			continue;
		for (size_t k = 0; k < nfam; k++) {
			size_t fl = strlen(fam[k]);
			bool labels;
			struct found f;

			if (fl == 0 || stem < fl || memcmp(name, fam[k], fl) != 0)
				continue;
			if (stem == fl)
				labels = false;
			else if (stem - fl >= 3 && memcmp(name + fl, "%40", 3) == 0)
				labels = true;
			else
				continue;
			memset(&f, 0, sizeof f);
			f.metric = k;
			if (!make_label(name + fl + 3 * labels, stem - fl - 3 * labels, labels,
					shortn[k], nfam > 1, f.l.label, sizeof f.l.label))
				break;
			n = snprintf(f.l.path, sizeof f.l.path, "%s/%s", dir, name);
			if (n < 0 || (size_t)n >= sizeof f.l.path)
				break;
			if (!entry_is(d, e, false))
				break;
			if (nfound == cap) {
				cap = cap != 0 ? 2 * cap : 16;
				found = mem_realloc(found, cap * sizeof found[0]);
			}
			found[nfound++] = f;
			break;
		}
	}
	closedir(d);
	if (rc == 0) {
		if (nfound > 1)
			qsort(found, nfound, sizeof found[0], found_cmp);
		for (size_t i = 0; i < nfound && i < max; i++)
			out[i] = found[i].l;
		rc = nfound > INT_MAX ? INT_MAX : (int)nfound;
	}
	free(found);
	return rc;
}

/* --- graph_each_source ---------------------------------------------------------- */

struct pair {
	char *source, *target;
};

static int pair_cmp(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;
	int c = strcmp(a->source, b->source);

	return c != 0 ? c : label_cmp(a->target, b->target);
}

int graph_each_source(const char *datadir,
		      void (*fn)(void *arg, const char *source, const char *target), void *arg)
{
	char base[PATH_MAX];
	struct pair *pairs = NULL;
	size_t npairs = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc;

	if (fn == NULL || !trim_dir(datadir, base, sizeof base))
		return -ENOENT;
	d = opendir(base);
	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EIO;
	for (;;) {
		char source[PART_MAX];
		DIR *sd;
		int fd;

		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			rc = errno != 0 ? -EIO : 0;
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    !unescape(e->d_name, strlen(e->d_name), source, sizeof source) ||
		    source[0] == '\0' || !entry_is(d, e, true))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		sd = fdopendir(fd);
		if (sd == NULL) {
			close(fd);
			continue;
		}
		for (const struct dirent *t; (t = readdir(sd)) != NULL;) {
			char target[PART_MAX];

			if (strcmp(t->d_name, ".") == 0 || strcmp(t->d_name, "..") == 0 ||
			    !unescape(t->d_name, strlen(t->d_name), target, sizeof target) ||
			    target[0] == '\0' || !entry_is(sd, t, true))
				continue;
			if (npairs == cap) {
				cap = cap != 0 ? 2 * cap : 16;
				pairs = mem_realloc(pairs, cap * sizeof pairs[0]);
			}
			pairs[npairs].source = mem_strdup(source);
			pairs[npairs].target = mem_strdup(target);
			npairs++;
		}
		closedir(sd);
	}
	closedir(d);
	if (rc == 0) {
		if (npairs > 1)
			qsort(pairs, npairs, sizeof pairs[0], pair_cmp);
		for (size_t i = 0; i < npairs; i++)
			fn(arg, pairs[i].source, pairs[i].target);
	}
	for (size_t i = 0; i < npairs; i++) {
		free(pairs[i].source);
		free(pairs[i].target);
	}
	free(pairs);
	return rc;
}
