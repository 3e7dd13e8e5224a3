/* addr.c - server specifications and name resolution; see addr.h. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	if (*s == '\0')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > 65535 || *s == '-' || *s == '+')
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse_spec(const char *s, uint16_t default_port, struct addr_spec *out, char *err,
		    size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->port = default_port;
	size_t n = strlen(s);
	if (n == 0) {
		snprintf(err, errlen, "empty server name");
		return -EINVAL;
	}
	const char *host = s, *port = NULL;
	size_t hostlen = n;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close) {
			snprintf(err, errlen, "'%s': missing ']' after the IPv6 address", s);
			return -EINVAL;
		}
		host = s + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "'%s': expected ':PORT' after ']'", s);
			return -EINVAL;
		}
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':') == NULL) {
			/* Exactly one colon: host:port. */
			hostlen = (size_t)(colon - s);
			port = colon + 1;
		}
		/* Two or more colons without brackets: an IPv6 literal. */
	}
	if (hostlen == 0) {
		snprintf(err, errlen, "'%s': empty host name", s);
		return -EINVAL;
	}
	if (hostlen >= sizeof out->host) {
		snprintf(err, errlen, "host name too long (%zu characters)", hostlen);
		return -EINVAL;
	}
	memcpy(out->host, host, hostlen);
	out->host[hostlen] = '\0';
	if (port) {
		if (parse_port(port, &out->port) != 0) {
			snprintf(err, errlen, "'%s': port must be a number from 1 to 65535", s);
			return -EINVAL;
		}
		out->port_given = true;
	}
	return 0;
}

int addr_resolve(const struct addr_spec *spec, int family, bool all, struct sockaddr_storage *out,
		 size_t max, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_ADDRCONFIG;
	char port[8];
	snprintf(port, sizeof port, "%u", spec->port);
	int rc = getaddrinfo(spec->host, port, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides ::1 and 127.0.0.1 on a host whose only
		 * addresses are loopback ones; ask again without it. */
		hints.ai_flags = 0;
		rc = getaddrinfo(spec->host, port, &hints, &res);
	}
	if ((rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) && family != AF_UNSPEC) {
		/* The name may exist in the other family; say which. */
		hints.ai_family = AF_UNSPEC;
		struct addrinfo *other = NULL;
		if (getaddrinfo(spec->host, port, &hints, &other) == 0) {
			freeaddrinfo(other);
			snprintf(err, errlen, "%s has no %s address", spec->host,
				 family == AF_INET ? "IPv4" : "IPv6");
			return -EAFNOSUPPORT;
		}
	}
	if (rc != 0) {
		if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL || rc == EAI_AGAIN) {
			snprintf(err, errlen, "%s does not resolve: %s", spec->host,
				 gai_strerror(rc));
			return -ENOENT;
		}
		snprintf(err, errlen, "%s: %s", spec->host, gai_strerror(rc));
		return -EIO;
	}
	size_t n = 0;
	for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (ai->ai_addrlen > sizeof out[0])
			continue;
		/* Skip duplicates (getaddrinfo may list one address twice). */
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			if (memcmp(&out[i], ai->ai_addr, ai->ai_addrlen) == 0)
				dup = true;
		if (dup)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
		n++;
		if (!all)
			break;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "%s has no usable address", spec->host);
		return -EAFNOSUPPORT;
	}
	return (int)n;
}

int addr_parse_numeric(const char *s, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof *out);
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

char *addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (getnameinfo(sa, addr_len(sa), buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
	return buf;
}

uint16_t addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}
