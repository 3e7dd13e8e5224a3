/* addr.h - server specifications ("host", "host:port", "[v6]:port") and
 * name resolution. */
#ifndef SUNDIAL_NET_ADDR_H
#define SUNDIAL_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr_spec {
	char host[256]; /* name or address literal, without brackets */
	uint16_t port;
	bool port_given;
};

/* Splits s into host and port: "name", "192.0.2.1", "2001:db8::1" (more than
 * one colon and no brackets: all of it is the address), "name:123",
 * "[2001:db8::1]:123", "[::1]".  default_port is used when none is given.
 * Returns 0 or -EINVAL with a message for people in err. */
int addr_parse_spec(const char *s, uint16_t default_port, struct addr_spec *out, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/* Resolves spec into at most max addresses (family AF_UNSPEC, AF_INET or
 * AF_INET6; all = every address, otherwise the first).  Returns the number
 * found (> 0), or -ENOENT (name does not resolve: message in err),
 * -EAFNOSUPPORT (no address of the asked family) or -EIO. */
int addr_resolve(const struct addr_spec *spec, int family, bool all, struct sockaddr_storage *out,
		 size_t max, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Parses a numeric address (no name lookup) for binding, port 0. */
int addr_parse_numeric(const char *s, struct sockaddr_storage *out)
	__attribute__((warn_unused_result));

/* Formats the address (without port) into buf; returns buf. */
char *addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* The port of sa in host order. */
uint16_t addr_port(const struct sockaddr *sa);

/* sizeof the sockaddr for its family. */
socklen_t addr_len(const struct sockaddr *sa);

#endif
