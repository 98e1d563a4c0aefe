/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every step has a deadline: the socket is non-blocking, connect() is retried
 * while the listen backlog is full, and every read or write waits in poll()
 * for what is left of the time, never in a blocking call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "sockclient.h"

#define CONNECT_RETRY_MS 20	/* backlog full: try again this often */

static long long deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : (long long)monotime_ms() + timeout_ms;
}

/* ms left before deadline (-1: none), 0 once it has passed */
static int ms_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - (long long)monotime_ms();
	return left <= 0 ? 0 : left > 60000000 ? 60000000 : (int)left;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int left = ms_left(deadline), rc;

		if (left == 0)
			return 0;
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc;
		return 1;
	}
}

static int send_line(struct sock_conn *c, const char *line, long long deadline,
		     char *err, size_t errlen)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "cannot write to %s: %s", c->path, strerror(errno));
			return -1;
		}
		n = wait_fd(c->fd, POLLOUT, deadline);
		if (n == 0) {
			c->timed_out = true;
			snprintf(err, errlen, "the driver on %s does not read its socket "
				 "(write timed out)", c->path);
			return -1;
		}
		if (n < 0) {
			snprintf(err, errlen, "poll on %s: %s", c->path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Read up to len bytes before deadline: > 0 bytes, 0 end of file,
 * -1 error or timeout (err set). */
static ssize_t read_some(struct sock_conn *c, char *buf, size_t len, long long deadline,
			 const char *waiting_for, char *err, size_t errlen)
{
	for (;;) {
		ssize_t n = read(c->fd, buf, len);
		int rc;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "cannot read from %s: %s", c->path, strerror(errno));
			return -1;
		}
		rc = wait_fd(c->fd, POLLIN, deadline);
		if (rc == 0) {
			c->timed_out = true;
			snprintf(err, errlen, "no %s from the driver on %s in time", waiting_for,
				 c->path);
			return -1;
		}
		if (rc < 0) {
			snprintf(err, errlen, "poll on %s: %s", c->path, strerror(errno));
			return -1;
		}
	}
}

/* Read until a line whose first word is w0 (and second w1, unless NULL);
 * its words stay in c->tok. Bytes after it stay in c->in for the next call.
 * With pong_ends, the PONG answering the last PING sent, arriving first,
 * means the driver ignored the request (sets c->unsupported). 0, or -1 with
 * err. */
static int wait_line(struct sock_conn *c, const char *w0, const char *w1, bool pong_ends,
		     long long deadline, char *err, size_t errlen)
{
	char what[96];

	snprintf(what, sizeof(what), "%s%s%s reply", w0, w1 ? " " : "", w1 ? w1 : "");
	for (;;) {
		ssize_t n;

		while (c->inoff < c->inlen) {
			if (tok_feed(&c->tok, c->in[c->inoff++]) != TOK_LINE || c->tok.nwords == 0)
				continue;
			if (!strcasecmp(c->tok.words[0], "PONG") && c->pings_out > 0 &&
			    --c->pings_out == 0 && pong_ends) {
				c->unsupported = true;
				snprintf(err, errlen, "the driver on %s ignored the request (no %s)",
					 c->path, what);
				return -1;
			}
			if (strcasecmp(c->tok.words[0], w0))
				continue;
			if (!w1 || (c->tok.nwords >= 2 && !strcmp(c->tok.words[1], w1)))
				return 0;
		}
		n = read_some(c, c->in, sizeof(c->in), deadline, what, err, errlen);
		if (n < 0)
			return -1;
		if (n == 0) {
			snprintf(err, errlen, "the driver on %s closed the connection before its %s",
				 c->path, what);
			return -1;
		}
		c->inoff = 0;
		c->inlen = (size_t)n;
	}
}

/* connect() on a non-blocking socket: a full listen backlog gives EAGAIN
 * at once, so try again until the deadline. */
static int connect_by(struct sock_conn *c, const struct sockaddr_un *sun, long long deadline,
		      char *err, size_t errlen)
{
	for (;;) {
		int rc = connect(c->fd, (const struct sockaddr *)sun, sizeof(*sun)), e;
		socklen_t elen = sizeof(e);

		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			rc = wait_fd(c->fd, POLLOUT, deadline);
			if (rc > 0 && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0) {
				if (e == 0)
					return 0;
				errno = e;
			}
			if (rc != 0)
				break;
		} else if (errno != EAGAIN) {
			break;
		}
		if (ms_left(deadline) == 0) {
			c->timed_out = true;
			snprintf(err, errlen, "cannot connect to %s in time: its listen backlog "
				 "stays full (the driver does not accept connections)", c->path);
			return -1;
		}
		poll(NULL, 0, ms_left(deadline) < CONNECT_RETRY_MS ? ms_left(deadline) :
		     CONNECT_RETRY_MS);
	}
	c->absent = errno == ENOENT || errno == ECONNREFUSED;
	snprintf(err, errlen, "cannot connect to %s: %s", c->path, strerror(errno));
	return -1;
}

int sockclient_open(struct sock_conn *c, const char *path, int timeout_ms,
		    char *err, size_t errlen)
{
	long long deadline = deadline_after(timeout_ms);
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	tok_init(&c->tok);
	if (strlen(path) >= sizeof(sun.sun_path) || strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -1;
	}
	memcpy(c->path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->pings_out = 1;
	if (connect_by(c, &sun, deadline, err, errlen) < 0 ||
	    send_line(c, "NOBROADCAST\nPING\n", deadline, err, errlen) < 0 ||
	    wait_line(c, "PONG", NULL, false, deadline, err, errlen) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

int sockclient_request(struct sock_conn *c, const char *request, int timeout_ms,
		       char *err, size_t errlen)
{
	long long deadline = deadline_after(timeout_ms);
	char id[32], line[600];

	snprintf(id, sizeof(id), "gu%ld-%u", (long)getpid(), ++c->seq);
	snprintf(line, sizeof(line), "%s TRACKING %s\nPING\n", request, id);
	c->pings_out++;
	if (send_line(c, line, deadline, err, errlen) < 0 ||
	    wait_line(c, "TRACKING", id, true, deadline, err, errlen) < 0)
		return -1;
	if (c->tok.nwords < 3) {
		snprintf(err, errlen, "the driver on %s sent a TRACKING reply without a result",
			 c->path);
		return -1;
	}
	return atoi(c->tok.words[2]);
}

int sockclient_query(struct sock_conn *c, const char *request, const char *reply,
		     char *value, size_t len, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = deadline_after(timeout_ms);
	char line[600];

	snprintf(line, sizeof(line), "%s\nPING\n", request);
	c->pings_out++;
	if (send_line(c, line, deadline, err, errlen) < 0 ||
	    wait_line(c, reply, NULL, true, deadline, err, errlen) < 0)
		return -1;
	snprintf(value, len, "%s", c->tok.nwords >= 2 ? c->tok.words[1] : "");
	return 0;
}

int sockclient_wait_close(struct sock_conn *c, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = deadline_after(timeout_ms);
	ssize_t n;

	do
		n = read_some(c, c->in, sizeof(c->in), deadline, "end of connection", err, errlen);
	while (n > 0);
	c->inoff = c->inlen = 0;
	return n == 0 ? 0 : -1;
}

void sockclient_close(struct sock_conn *c)
{
	char err[8];

	if (c->fd < 0)
		return;
	/* a goodbye that cannot wait: the driver may be gone or stuck */
	send_line(c, "LOGOUT\n", deadline_after(0), err, sizeof(err));
	close(c->fd);
	c->fd = -1;
}
