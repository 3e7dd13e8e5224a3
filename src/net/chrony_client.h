/* chrony_client.h - a chronyc-like session with chronyd, over UDP (command
 * port 323) or its Unix datagram socket (default /run/chrony/chronyd.sock):
 * one request at a time, retries with new random sequence numbers (timeout
 * doubling), and a fallback to protocol version 5 on BADPKTVERSION. */
#ifndef SUNDIAL_NET_CHRONY_CLIENT_H
#define SUNDIAL_NET_CHRONY_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire/chrony.h"

#define CHRC_DEFAULT_SOCKET "/run/chrony/chronyd.sock"
#define CHRC_DEFAULT_PORT 323

typedef struct chrc chrc;

/* Opens a session over UDP to server.  timeout is the first try's, in seconds. */
chrc *chrc_open_udp(const struct sockaddr_storage *server, double timeout, int *err);

/* Opens a session over chronyd's Unix socket at path: binds a socket of its
 * own in a private directory that chronyd can reach (as chronyc does), and
 * removes it on close.  Returns NULL with a negative errno in *err (-ENOENT:
 * no socket there; -EACCES: not allowed to reach it). */
chrc *chrc_open_unix(const char *path, double timeout, int *err);

void chrc_close(chrc *c); /* accepts NULL; removes the client's socket */

/* True if the session goes over the Unix socket (where every command is
 * allowed); over UDP only chronyd's "opencommands" are. */
bool chrc_is_unix(const chrc *c);

/* Sends command with data and waits for its reply, which is copied to
 * reply (cap >= CHR_MAX_PKT) with its length in *len; the header has been
 * checked.  Returns 0, -ETIMEDOUT, -ECONNREFUSED, -EPROTO, or -EREMOTEIO
 * with chronyd's status in *status (e.g. CHR_STT_UNAUTH). */
int chrc_request(chrc *c, uint16_t command, const void *data, size_t data_len, uint8_t *reply,
		 size_t cap, size_t *len, uint16_t *status) __attribute__((warn_unused_result));

#endif
