/* pcap_floor.c - the floor for reading a capture: a plain libpcap read loop
 * that touches every packet (pcap_next_ex, sums the octets, reads the NTP
 * header's first octet where an Ethernet/IPv4/UDP frame would have it) and
 * does nothing else.  With -f EXPR it also runs a BPF filter, as sundial
 * traffic does by default ("udp port 123").  For bench/traffic.
 *
 * usage: pcap_floor [-f EXPR] FILE
 * Prints {"packets": N, "octets": N, "x": N} on stdout. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *filter = NULL, *file;
	char err[PCAP_ERRBUF_SIZE];
	int a = 1;

	if (argc > 2 && strcmp(argv[1], "-f") == 0) {
		filter = argv[2];
		a = 3;
	}
	if (a + 1 != argc) {
		fprintf(stderr, "usage: pcap_floor [-f EXPR] FILE\n");
		return 64;
	}
	file = argv[a];
	pcap_t *p = pcap_open_offline(file, err);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s\n", err);
		return 1;
	}
	if (filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(p, &prog) != 0) {
			fprintf(stderr, "pcap_floor: %s: %s\n", filter, pcap_geterr(p));
			return 1;
		}
		pcap_freecode(&prog);
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, octets = 0, x = 0;
	int r;
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		octets += h->caplen;
		if (h->caplen > 42)
			x += d[42];
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "pcap_floor: %s: %s\n", file, pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	printf("{\"packets\": %llu, \"octets\": %llu, \"x\": %llu}\n", (unsigned long long)n,
	       (unsigned long long)octets, (unsigned long long)x);
	return 0;
}
