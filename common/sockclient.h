/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small client of a running driver's socket, for -k and -c: connect,
 * NOBROADCAST, PING/PONG, then requests that carry "TRACKING <id>" and wait
 * for "TRACKING <id> <result>".
 */
#ifndef SOCKCLIENT_H
#define SOCKCLIENT_H

#include <stddef.h>

#include "nut_tokenizer.h"

struct sock_conn {
	int fd;
	struct tokenizer tok;
	unsigned seq;
};

/* Connect and check the driver answers PING within timeout_ms.
 * 0, or -1 with err naming the socket path. */
int sockclient_open(struct sock_conn *c, const char *path, int timeout_ms,
		    char *err, size_t errlen);
/* Send "<request> TRACKING <id>" and wait up to timeout_ms (-1: forever)
 * for its result. Returns the result (>= 0) or -1 with err. */
int sockclient_request(struct sock_conn *c, const char *request, int timeout_ms,
		       char *err, size_t errlen);
/* LOGOUT and close. */
void sockclient_close(struct sock_conn *c);

#endif
