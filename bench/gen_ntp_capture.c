/* gen_ntp_capture.c - writes the capture a busy time server's interface
 * would give: clients (IPv4 and IPv6, NTPv4 and some v3) polling every
 * 64-1024 s, a few abusive ones polling 2-4 times a second, replies lost
 * now and then, kiss-o'-death RATE replies (mostly to the abusive clients).
 * Server side: every request is followed by its response a few tens of
 * microseconds later (the server's own time T3 - T2 inside).  For
 * bench/traffic; no libpcap needed (pcap format written by hand).
 *
 * usage: gen_ntp_capture [-n PACKETS] [-c CLIENTS] [-6 FRACTION] [-l LOSS]
 *                        [-k KOD] [-a ABUSIVE] [-s SEED] [-t START] [-N] [-p] -o FILE
 *   -n  packets to write (default 4000000)
 *   -c  clients (default 100000)
 *   -6  fraction of IPv6 clients (default 0.3)
 *   -l  fraction of requests whose reply is lost (default 0.02)
 *   -k  fraction of replies to ordinary clients that are KoD RATE (default 0.002);
 *       abusive clients get one for half of their requests
 *   -a  abusive clients, polling every 0.25-0.5 s (default 10): 120-240
 *       requests a minute, abusive by sundial's default (more than 100/60s)
 *   -s  seed (default 1)
 *   -t  Unix time of the first packet (default 1767225600, 2026-01-01)
 *   -N  nanosecond time stamps (default microseconds)
 *   -p  IPv4 clients packed into 198.18.0.0/15 (RFC 2544 benchmarking; at
 *       most 131072 clients) instead of spread over the unicast space
 * Prints what it wrote as one JSON object on stdout: the truth to compare
 * a report with.
 *
 * Addresses: server 192.0.2.123 and 2001:db8::123 (RFC 5737/3849
 * documentation); IPv4 clients all over the public unicast space, as a
 * public server sees them (each address once), or with -p in 198.18.0.0/15;
 * IPv6 clients in 2001:db8:1000::/36, 16 to a /64.  These are only octets
 * in a file: nothing is sent anywhere.  (tcpdump -n caches every address
 * it prints in a table hashed on the first octet and a half, so -p makes
 * it quadratic: a tcpdump pathology, not what a public server sees.)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_common.h"

#define NTP_UNIX_OFFSET 2208988800ULL
#define NS 1000000000ULL

struct client {
	uint8_t ipv;	  /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 in the first 4 */
	uint16_t port;	  /* 0: a new random port per request (chrony, SNTP) */
	uint8_t version;  /* 3 or 4 */
	int8_t poll_log;  /* the poll field */
	uint64_t poll_ns;
	bool abusive;
	bool seen;
};

/* An event: a client's next request, or the response to one. */
struct event {
	uint64_t t; /* capture time, ns since 1970 */
	uint32_t client;
	bool response;
	uint16_t cport;
	uint64_t xmt;	 /* request: its transmit timestamp; response: the one it echoes */
	uint64_t t2, t3; /* response: receive and transmit time, ns */
};

static struct event *heap;
static size_t heap_n, heap_cap;

static void heap_push(struct event e)
{
	if (heap_n == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = realloc(heap, heap_cap * sizeof(*heap));
		if (!heap) {
			perror("realloc");
			exit(1);
		}
	}
	size_t i = heap_n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (heap[p].t <= e.t)
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = e;
}

static struct event heap_pop(void)
{
	struct event top = heap[0], last = heap[--heap_n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= heap_n)
			break;
		if (c + 1 < heap_n && heap[c + 1].t < heap[c].t)
			c++;
		if (last.t <= heap[c].t)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_n)
		heap[i] = last;
	return top;
}

static uint64_t ntp_ts(uint64_t ns)
{
	uint64_t sec = ns / NS + NTP_UNIX_OFFSET, frac = ((ns % NS) << 32) / NS;
	return sec << 32 | frac;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static const uint8_t server4[4] = { 192, 0, 2, 123 };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,	 0,
				     0,	   0,	 0,    0,    0, 0, 0x01, 0x23 };
static const uint8_t mac_server[6] = { 0x02, 0, 0, 0, 0x01, 0x23 };
static const uint8_t mac_router[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* One frame: Ethernet, IPv4 or IPv6, UDP, 48 octets of NTP.  Returns its
 * length. */
static size_t frame(uint8_t *f, const struct client *c, bool response, uint16_t cport,
		    const uint8_t ntp[48], uint16_t ip_id)
{
	const uint8_t *src = response ? (c->ipv == 4 ? server4 : server6) : c->addr;
	const uint8_t *dst = response ? c->addr : (c->ipv == 4 ? server4 : server6);
	uint16_t sport = response ? 123 : cport, dport = response ? cport : 123;
	size_t alen = c->ipv == 4 ? 4 : 16, ip_len = c->ipv == 4 ? 20 : 40, udp_len = 8 + 48;
	uint8_t *ip = f + 14, *udp = ip + ip_len;

	memcpy(f, response ? mac_router : mac_server, 6);
	memcpy(f + 6, response ? mac_server : mac_router, 6);
	be16(f + 12, c->ipv == 4 ? 0x0800 : 0x86dd);
	if (c->ipv == 4) {
		ip[0] = 0x45;
		ip[1] = 0;
		be16(ip + 2, (uint16_t)(20 + udp_len));
		be16(ip + 4, ip_id);
		be16(ip + 6, 0x4000); /* DF */
		ip[8] = response ? 64 : 52;
		ip[9] = 17;
		be16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		be16(ip + 10, fold(sum16(ip, 20, 0)));
	} else {
		be32(ip, 0x60000000);
		be16(ip + 4, (uint16_t)udp_len);
		ip[6] = 17;
		ip[7] = response ? 64 : 52;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
	be16(udp, sport);
	be16(udp + 2, dport);
	be16(udp + 4, (uint16_t)udp_len);
	be16(udp + 6, 0);
	memcpy(udp + 8, ntp, 48);
	/* UDP checksum over the pseudo header (required over IPv6) */
	uint32_t s = sum16(src, alen, 0);
	s = sum16(dst, alen, s);
	s += 17 + (uint32_t)udp_len;
	s = sum16(udp, udp_len, s);
	uint16_t ck = fold(s);
	be16(udp + 6, ck ? ck : 0xffff);
	return 14 + ip_len + udp_len;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_ntp_capture [-n PACKETS] [-c CLIENTS] [-6 FRACTION] [-l LOSS] "
			"[-k KOD] [-a ABUSIVE] [-s SEED] [-t START] [-N] [-p] -o FILE\n");
	exit(64);
}

int main(int argc, char **argv)
{
	uint64_t packets = 4000000, seed = 1, start = 1767225600ULL;
	unsigned long n_clients = 100000, n_abusive = 10;
	double v6 = 0.3, loss = 0.02, kod = 0.002;
	bool nano = false, packed = false;
	const char *out = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:6:l:k:a:s:t:Npo:h")) != -1) {
		switch (opt) {
		case 'n': packets = strtoull(optarg, NULL, 10); break;
		case 'c': n_clients = strtoul(optarg, NULL, 10); break;
		case '6': v6 = atof(optarg); break;
		case 'l': loss = atof(optarg); break;
		case 'k': kod = atof(optarg); break;
		case 'a': n_abusive = strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 't': start = strtoull(optarg, NULL, 10); break;
		case 'N': nano = true; break;
		case 'p': packed = true; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!out || n_clients == 0 || n_abusive > n_clients || packets == 0)
		usage();
	if (packed && n_clients > 131072) {
		fprintf(stderr, "gen_ntp_capture: at most 131072 clients (198.18.0.0/15)\n");
		return 64;
	}
	rng_state = seed;

	struct client *cl = calloc(n_clients, sizeof(*cl));
	if (!cl) {
		perror("calloc");
		return 1;
	}
	uint64_t t0 = start * NS;
	uint32_t next4 = 0;
	for (unsigned long i = 0; i < n_clients; i++) {
		struct client *c = &cl[i];
		c->ipv = rnd01() < v6 ? 6 : 4;
		if (c->ipv == 4) {
			uint32_t a;
			if (packed) /* 198.18.0.0/15, one address per client */
				a = (198u << 24) | (18u << 16) | (uint32_t)(i & 0x1ffff);
			else /* a bijection of a counter: each address once */
				do
					a = mix32(next4++);
				while (!public4(a));
			be32(c->addr, a);
		} else {
			static const uint8_t p[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x10, 0x00 };
			memcpy(c->addr, p, 6);
			be16(c->addr + 6, (uint16_t)(i >> 4)); /* a /64 per 16 clients */
			be64(c->addr + 8, rnd() | 1);
		}
		c->abusive = i < n_abusive;
		c->version = rnd01() < 0.1 ? 3 : 4;
		c->port = rnd01() < 0.4 ? 123 : 0;
		if (c->abusive) {
			c->poll_log = -2;
			c->poll_ns = NS / 4 + rnd() % (NS / 4); /* 0.25-0.5 s */
		} else {
			c->poll_log = (int8_t)(6 + rnd() % 5); /* 64 .. 1024 s */
			c->poll_ns = (1ULL << c->poll_log) * NS;
		}
		struct event e = { .t = t0 + rnd() % c->poll_ns, .client = (uint32_t)i };
		heap_push(e);
	}

	FILE *f = fopen(out, "wb");
	if (!f) {
		fprintf(stderr, "gen_ntp_capture: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	uint8_t gh[24];
	le32(gh, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	gh[4] = 2;
	gh[5] = 0;
	gh[6] = 4;
	gh[7] = 0; /* version 2.4, little-endian */
	le32(gh + 8, 0);
	le32(gh + 12, 0);
	le32(gh + 16, 262144);
	le32(gh + 20, 1); /* LINKTYPE_ETHERNET */
	fwrite(gh, 1, sizeof(gh), f);

	uint64_t written = 0, requests = 0, responses = 0, lost = 0, kods = 0, rate_kods = 0;
	uint64_t first = 0, last = 0, v3 = 0;
	uint16_t ip_id = 1;
	uint8_t rec[16 + 14 + 40 + 8 + 48], ntp[48];
	while (written < packets && heap_n) {
		struct event e = heap_pop();
		struct client *c = &cl[e.client];
		memset(ntp, 0, sizeof(ntp));
		uint16_t cport = e.cport;
		if (!e.response) {
			if (!cport)
				cport = c->port ? c->port : (uint16_t)(1024 + rnd() % 64512);
			uint64_t xmt = c->port ? ntp_ts(e.t - 150000)
					       : rnd(); /* ntpd: its time; chrony: random */
			ntp[0] = (uint8_t)(c->version << 3 | 3);
			ntp[2] = (uint8_t)c->poll_log;
			ntp[3] = (uint8_t)(int8_t)-20;
			be64(ntp + 40, xmt);
			requests++;
			v3 += c->version == 3;
			c->seen = true;
			/* its response, unless lost */
			if (rnd01() >= loss) {
				uint64_t proc = 5000 + rnd() % 55000; /* 5-60 us */
				if (rnd01() < 0.01)
					proc += 500000 +
						rnd() % 4500000; /* a slow one: +0.5-5 ms */
				struct event r = { .client = e.client,
						   .response = true,
						   .cport = cport,
						   .xmt = xmt };
				r.t2 = e.t + 3000;
				r.t3 = r.t2 + proc;
				r.t = r.t3 + 2000;
				heap_push(r);
			} else {
				lost++;
			}
			/* the next request */
			uint64_t jitter = c->poll_ns / 32;
			struct event n = { .client = e.client,
					   .t = e.t + c->poll_ns - jitter / 2 + rnd() % jitter };
			heap_push(n);
		} else {
			bool k = rnd01() < (c->abusive ? 0.5 : kod);
			ntp[0] = (uint8_t)((k ? 3 : 0) << 6 | c->version << 3 | 4);
			ntp[1] = k ? 0 : 2;
			ntp[2] = (uint8_t)c->poll_log;
			ntp[3] = (uint8_t)(int8_t)-24;
			be32(ntp + 4, 0x00000123);
			be32(ntp + 8, 0x00000456);
			if (k)
				memcpy(ntp + 12, "RATE", 4);
			else
				be32(ntp + 12, 0xc0000201);
			be64(ntp + 16, ntp_ts(e.t2 - 60 * NS));
			be64(ntp + 24, e.xmt);
			be64(ntp + 32, ntp_ts(e.t2));
			be64(ntp + 40, ntp_ts(e.t3));
			responses++;
			kods += k;
			rate_kods += k;
		}
		size_t len = frame(rec + 16, c, e.response, cport, ntp, ip_id++);
		uint64_t sub = nano ? e.t % NS : (e.t % NS) / 1000;
		le32(rec, (uint32_t)(e.t / NS));
		le32(rec + 4, (uint32_t)sub);
		le32(rec + 8, (uint32_t)len);
		le32(rec + 12, (uint32_t)len);
		if (fwrite(rec, 1, 16 + len, f) != 16 + len) {
			fprintf(stderr, "gen_ntp_capture: %s: %s\n", out, strerror(errno));
			return 1;
		}
		if (!written)
			first = e.t;
		last = e.t;
		written++;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "gen_ntp_capture: %s: %s\n", out, strerror(errno));
		return 1;
	}
	/* Requests whose response would come after the last packet. */
	uint64_t pending = 0;
	for (size_t i = 0; i < heap_n; i++)
		pending += heap[i].response;
	uint64_t c4 = 0, c6 = 0;
	for (unsigned long i = 0; i < n_clients; i++)
		if (cl[i].seen)
			*(cl[i].ipv == 4 ? &c4 : &c6) += 1;
	/* Time stamps as the file has them (us or ns). */
	uint64_t q = nano ? 1 : 1000;
	printf("{\"packets\": %llu, \"requests\": %llu, \"responses\": %llu, \"pairs\": %llu, "
	       "\"unanswered\": %llu, \"lost\": %llu, \"kod\": %llu, \"rate_kod\": %llu, "
	       "\"clients_v4\": %llu, \"clients_v6\": %llu, \"abusive\": %lu, \"v3_requests\": "
	       "%llu, "
	       "\"first\": %llu.%09llu, \"last\": %llu.%09llu, \"duration\": %.6f}\n",
	       (unsigned long long)written, (unsigned long long)requests,
	       (unsigned long long)responses, (unsigned long long)responses,
	       (unsigned long long)(lost + pending), (unsigned long long)lost,
	       (unsigned long long)kods, (unsigned long long)rate_kods, (unsigned long long)c4,
	       (unsigned long long)c6, n_abusive, (unsigned long long)v3,
	       (unsigned long long)(first / NS), (unsigned long long)(first % NS / q * q),
	       (unsigned long long)(last / NS), (unsigned long long)(last % NS / q * q),
	       (double)(last / q * q - first / q * q) / 1e9);
	free(cl);
	free(heap);
	return 0;
}
