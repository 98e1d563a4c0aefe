/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small client of a running driver's socket, for -k, -c and the takeover
 * at start: connect, NOBROADCAST, PING/PONG, then requests that carry
 * "TRACKING <id>" and wait for "TRACKING <id> <result>". Nothing in it can
 * block past its timeout: a stopped driver, a full listen backlog or a peer
 * that never answers all end in an error with timed_out set.
 */
#ifndef SOCKCLIENT_H
#define SOCKCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "nut_tokenizer.h"

struct sock_conn {
	int fd;
	char path[108];
	struct tokenizer tok;
	unsigned seq;
	char in[512];		/* read but not yet tokenized: in[inoff..inlen) */
	size_t inoff, inlen;
	bool absent;		/* nothing listens there (ENOENT, ECONNREFUSED) */
	bool timed_out;		/* the last failure was a deadline */
	bool unsupported;	/* the driver ignored the last request */
	unsigned pings_out;	/* PINGs sent, PONGs not yet seen */
};

/* Connect and check the driver answers PING, all within timeout_ms
 * (-1: no limit). 0, or -1 with err naming the socket path. */
int sockclient_open(struct sock_conn *c, const char *path, int timeout_ms,
		    char *err, size_t errlen);
/*
 * Send "<request> TRACKING <id>" and wait up to timeout_ms (-1: no limit)
 * for its result. Returns the result (>= 0) or -1 with err. A PING follows
 * the request: a driver answers lines in order, so its PONG coming first
 * means the request was ignored (NUT 2.8.0 drops what it does not know
 * without a word); that fails at once, with unsupported set.
 */
int sockclient_request(struct sock_conn *c, const char *request, int timeout_ms,
		       char *err, size_t errlen);
/* Send request (e.g. "GETPID") and wait up to timeout_ms for a line whose
 * first word is reply ("PID"); its second word goes to value. 0 or -1 (also
 * at once when the driver ignores the request, as above). */
int sockclient_query(struct sock_conn *c, const char *request, const char *reply,
		     char *value, size_t len, int timeout_ms, char *err, size_t errlen);
/* Wait up to timeout_ms for the driver to close the connection (it exits),
 * discarding what it sends. 0, or -1 with err. */
int sockclient_wait_close(struct sock_conn *c, int timeout_ms, char *err, size_t errlen);
/* LOGOUT (if it can be sent at once) and close. */
void sockclient_close(struct sock_conn *c);

#endif
