/* sock.h - socket helpers shared by the network clients. */
#ifndef SUNDIAL_NET_SOCK_H
#define SUNDIAL_NET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <linux/errqueue.h> /* after <time.h>: it uses struct timespec */

/* One datagram from fd without blocking (recvmsg, MSG_DONTWAIT) into buf,
 * with the kernel's receive time when the socket has SO_TIMESTAMPNS: *rx
 * and *have_rx (*rx is left alone without one).  *truncated says it was
 * longer than len.  Returns its length, or -1 with errno (EAGAIN: none
 * waiting; EINTR; an ICMP error queued for the socket). */
ssize_t sock_recv_stamped(int fd, void *buf, size_t len, struct timespec *rx, bool *have_rx,
			  bool *truncated);

/* sock_recv_stamped() that also says who sent the datagram: *from (its
 * family AF_UNSPEC when the kernel does not say; from may be NULL).  What a
 * raw AF_INET6 socket delivers has no IP header: this is its sender. */
ssize_t sock_recv_from(int fd, void *buf, size_t len, struct sockaddr_storage *from,
		       struct timespec *rx, bool *have_rx, bool *truncated);

/* Has the kernel queue the errors of fd (an AF_INET or AF_INET6 socket,
 * family) on its error queue with their details (ip(7) IP_RECVERR, ipv6(7)
 * IPV6_RECVERR): ICMP errors from the path or the peer, also those a
 * connected UDP socket would otherwise not report (host unreachable...).
 * Returns 0 or a negative errno. */
int sock_recverr_on(int fd, int family) __attribute__((warn_unused_result));

/* One error from a socket's error queue (copies only). */
struct sock_err {
	struct sock_extended_err ee;	  /* zero if the kernel gave none */
	struct sockaddr_storage offender; /* who sent the ICMP error; AF_UNSPEC if not said */
	struct timespec rx;		  /* its receive time, if have_rx (SO_TIMESTAMPNS) */
	bool have_rx;
	bool truncated; /* the quoted payload was longer than the buffer */
};

/* Takes one error off fd's error queue without blocking (recvmsg with
 * MSG_ERRQUEUE).  The payload of the packet the error is about, as far as
 * the ICMP error quoted it (for UDP: the datagram after its UDP header; for
 * TCP: from the TCP header on), goes to buf, cut to len.  Returns the
 * payload's length (0 and more) and *out, or -1 with errno: EAGAIN if the
 * queue is empty. */
ssize_t sock_recv_err(int fd, void *buf, size_t len, struct sock_err *out)
	__attribute__((warn_unused_result));

#endif
