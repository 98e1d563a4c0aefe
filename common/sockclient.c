/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
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

static int send_line(struct sock_conn *c, const char *line)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Read until a line whose words match want (want[1] may be NULL = any);
 * returns the third word as a number for TRACKING lines, 0 for others. */
static int wait_line(struct sock_conn *c, const char *w0, const char *w1,
		     int timeout_ms, char *err, size_t errlen)
{
	long long deadline = timeout_ms < 0 ? -1 : (long long)monotime_ms() + timeout_ms;
	char buf[512];

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int left = deadline < 0 ? -1 : (int)(deadline - (long long)monotime_ms());
		ssize_t n, i;

		if (deadline >= 0 && left <= 0) {
			snprintf(err, errlen, "no %s%s%s reply from the driver in time", w0,
				 w1 ? " " : "", w1 ? w1 : "");
			return -1;
		}
		if (poll(&pfd, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		n = read(c->fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			snprintf(err, errlen, "the driver closed the connection");
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (tok_feed(&c->tok, buf[i]) != TOK_LINE || c->tok.nwords == 0)
				continue;
			if (strcasecmp(c->tok.words[0], w0))
				continue;
			if (!w1)
				return 0;
			if (c->tok.nwords >= 3 && !strcmp(c->tok.words[1], w1))
				return atoi(c->tok.words[2]);
		}
	}
}

int sockclient_open(struct sock_conn *c, const char *path, int timeout_ms,
		    char *err, size_t errlen)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	tok_init(&c->tok);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -1;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (send_line(c, "NOBROADCAST\nPING\n") < 0 ||
	    wait_line(c, "PONG", NULL, timeout_ms, err, errlen) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

int sockclient_request(struct sock_conn *c, const char *request, int timeout_ms,
		       char *err, size_t errlen)
{
	char id[32], line[600];

	snprintf(id, sizeof(id), "gu%ld-%u", (long)getpid(), ++c->seq);
	snprintf(line, sizeof(line), "%s TRACKING %s\n", request, id);
	if (send_line(c, line) < 0) {
		snprintf(err, errlen, "cannot send '%s': %s", request, strerror(errno));
		return -1;
	}
	return wait_line(c, "TRACKING", id, timeout_ms, err, errlen);
}

void sockclient_close(struct sock_conn *c)
{
	if (c->fd < 0)
		return;
	send_line(c, "LOGOUT\n");
	close(c->fd);
	c->fd = -1;
}
