/* sock.c - socket helpers; see sock.h. */
#include "net/sock.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

ssize_t sock_recv_stamped(int fd, void *buf, size_t len, struct timespec *rx, bool *have_rx,
			  bool *truncated)
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
	*have_rx = false;
	*truncated = false;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
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
