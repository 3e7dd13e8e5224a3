/* sock.h - socket helpers shared by the network clients. */
#ifndef SUNDIAL_NET_SOCK_H
#define SUNDIAL_NET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* One datagram from fd without blocking (recvmsg, MSG_DONTWAIT) into buf,
 * with the kernel's receive time when the socket has SO_TIMESTAMPNS: *rx
 * and *have_rx (*rx is left alone without one).  *truncated says it was
 * longer than len.  Returns its length, or -1 with errno (EAGAIN: none
 * waiting; EINTR; an ICMP error queued for the socket). */
ssize_t sock_recv_stamped(int fd, void *buf, size_t len, struct timespec *rx, bool *have_rx,
			  bool *truncated);

#endif
