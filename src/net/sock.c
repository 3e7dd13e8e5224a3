/* sock.c - socket helpers; see sock.h. */
#include "net/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>

ssize_t sock_recv_stamped(int fd, void *buf, size_t len, struct timespec *rx, bool *have_rx,
			  bool *truncated)
{
	return sock_recv_from(fd, buf, len, NULL, rx, have_rx, truncated);
}

ssize_t sock_recv_from(int fd, void *buf, size_t len, struct sockaddr_storage *from,
		       struct timespec *rx, bool *have_rx, bool *truncated)
{
	union {
		char b[CMSG_SPACE(sizeof(struct timespec)) + 64];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof ctl.b;
	if (from) {
		memset(from, 0, sizeof *from);
		from->ss_family = AF_UNSPEC;
		msg.msg_name = from;
		msg.msg_namelen = sizeof *from;
	}
	*have_rx = false;
	*truncated = false;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
	if (from && msg.msg_namelen == 0)
		from->ss_family = AF_UNSPEC;
	*truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(rx, CMSG_DATA(c), sizeof *rx);
			*have_rx = true;
		}
	}
	return n;
}

int sock_recverr_on(int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one)
				    : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
	return rc == 0 ? 0 : -errno;
}

ssize_t sock_recv_err(int fd, void *buf, size_t len, struct sock_err *out)
{
	/* The error (struct sock_extended_err and the offender's address
	 * after it), a receive time, and room for whatever else is on. */
	union {
		char b[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6)) +
		       CMSG_SPACE(sizeof(struct timespec)) + 128];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	memset(&msg, 0, sizeof msg);
	memset(out, 0, sizeof *out);
	out->offender.ss_family = AF_UNSPEC;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof ctl.b;
	ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return n;
	out->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&out->rx, CMSG_DATA(c), sizeof out->rx);
			out->have_rx = true;
			continue;
		}
		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		size_t have = c->cmsg_len - CMSG_LEN(0);
		if (have < sizeof out->ee)
			continue;
		const unsigned char *data = CMSG_DATA(c);
		memcpy(&out->ee, data, sizeof out->ee);
		/* SO_EE_OFFENDER: a struct sockaddr_in or _in6 right after
		 * it, family AF_UNSPEC when the kernel does not say. */
		size_t off = have - sizeof out->ee;
		sa_family_t fam = AF_UNSPEC;
		if (off >= sizeof fam)
			memcpy(&fam, data + sizeof out->ee, sizeof fam);
		if ((fam == AF_INET && off >= sizeof(struct sockaddr_in)) ||
		    (fam == AF_INET6 && off >= sizeof(struct sockaddr_in6)))
			memcpy(&out->offender, data + sizeof out->ee,
			       fam == AF_INET ? sizeof(struct sockaddr_in)
					      : sizeof(struct sockaddr_in6));
	}
	return n;
}
