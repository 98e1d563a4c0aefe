/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * limits_client: the client side of bench/limits.sh, against any driver
 * socket (ours or NUT's).
 *
 *   limits_client -S SOCK -m idle -c N [-t MS]
 *	Open N connections (waiting out a full backlog, at most -t ms per
 *	connection), then send PING on each and wait (-t ms in all) for PONG
 *	(served) or end of file (refused). Prints one line of counts and
 *	"READY", holds the connections until its standard input ends, closes
 *	them and exits.
 *
 *   limits_client -S SOCK -m flood -k newlines|unknown|binary -b BYTES [-t MS]
 *	One connection: BYTES of empty lines, of unknown commands
 *	("FOO bar\n") or of random bytes without LF, quote or backslash (one
 *	long line), as fast as the driver reads them, then PING. Prints the
 *	time taken and whether the PONG came (the connection lived on);
 *	holds the connection until its standard input ends.
 *
 * Built with one command: gcc -O2 -D_GNU_SOURCE -o limits_client limits_client.c
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;

static void die(const char *what)
{
	fprintf(stderr, "limits_client: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connection; a full backlog is waited out up to deadline.
 * -1: could not connect (errno says why). */
static int connect_until(int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (errno != EAGAIN || now_ms() >= deadline) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		close(fd);
		usleep(500);
	}
}

enum state { ST_WAITING, ST_SERVED, ST_REFUSED };

static int run_idle(int n, int timeout_ms)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	enum state *st = calloc((size_t)n, sizeof(*st));
	int connected = 0, failed = 0, served = 0, refused = 0, i, last_errno = 0;
	int64_t t0 = now_ms(), deadline;
	char buf[256];

	if (!fds || !pfd || !st)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = connect_until(now_ms() + timeout_ms);
		if (fds[i] < 0) {
			failed++;
			last_errno = errno;
			continue;
		}
		connected++;
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && send(fds[i], "PING\n", 5, MSG_NOSIGNAL) != 5)
			st[i] = ST_REFUSED;
	deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		int k = 0, waiting = 0;

		for (i = 0; i < n; i++) {
			pfd[i].fd = (fds[i] >= 0 && st[i] == ST_WAITING) ? fds[i] : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			waiting += pfd[i].fd >= 0;
		}
		if (!waiting)
			break;
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 && memmem(buf, (size_t)r, "PONG\n", 5))
				st[i] = ST_SERVED;
			else if (r == 0 || (r < 0 && errno != EAGAIN))
				st[i] = ST_REFUSED;
			k++;
		}
	}
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		served += st[i] == ST_SERVED;
		refused += st[i] == ST_REFUSED;
	}
	printf("attempted=%d connected=%d connect_failed=%d served=%d refused=%d unanswered=%d ms=%lld%s%s\n",
	       n, connected, failed, served, refused, connected - served - refused,
	       (long long)(now_ms() - t0), failed ? " connect_error=" : "",
	       failed ? strerror(last_errno) : "");
	printf("READY\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(pfd);
	free(st);
	return 0;
}

/* The whole of buf on a non-blocking socket, waiting for room. */
static bool send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0 && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN)
			return false;
		poll(&p, 1, 100);
	}
	return len == 0;
}

static void fill_pattern(char *buf, size_t len, const char *kind)
{
	size_t i;

	if (!strcmp(kind, "newlines")) {
		memset(buf, '\n', len);
	} else if (!strcmp(kind, "unknown")) {
		for (i = 0; i < len; i++)
			buf[i] = "FOO bar\n"[i % 8];
	} else if (!strcmp(kind, "binary")) {
		uint32_t x = 2463534242u;

		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (char)(x & 0xff);
			/* one endless line: no LF, no quote, no backslash-LF */
			if (buf[i] == '\n' || buf[i] == '"' || buf[i] == '\\')
				buf[i] = 'x';
		}
	} else {
		fprintf(stderr, "limits_client: unknown -k %s\n", kind);
		exit(2);
	}
}

static int run_flood(const char *kind, size_t bytes, int timeout_ms)
{
	static char chunk[65536];
	int64_t t0 = now_ms(), deadline = t0 + timeout_ms;
	size_t sent = 0;
	char buf[4096];
	bool pong = false, eof = false;
	size_t got = 0;
	int fd = connect_until(deadline);

	if (fd < 0)
		die("connect");
	fill_pattern(chunk, sizeof(chunk), kind);
	while (sent < bytes && now_ms() < deadline) {
		/* the pattern repeats every 8 bytes: go on where the last send stopped */
		size_t off = sent % 8, len = sizeof(chunk) - off;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t w;

		if (len > bytes - sent)
			len = bytes - sent;
		w = send(fd, chunk + off, len, MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN)
			break;
		poll(&p, 1, 100);
	}
	/* binary: end the junk line so that PING is a line of its own */
	if (send_all(fd, "\nPING\n", 6, deadline)) {
		while (!pong && !eof && now_ms() < deadline) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			poll(&p, 1, 100);
			r = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);
			if (r == 0)
				eof = true;
			if (r > 0) {
				got += (size_t)r;
				buf[got] = '\0';
				pong = strstr(buf, "PONG\n") != NULL;
				if (got > sizeof(buf) / 2)
					got = 0;
			}
		}
	}
	printf("kind=%s sent=%zu ms=%lld pong=%s%s\n", kind, sent, (long long)(now_ms() - t0),
	       pong ? "yes" : "no", eof ? " (connection closed)" : "");
	printf("READY\n");
	fflush(stdout);
	/* hold the connection until told: NUT 2.8.0 spins once a client leaves */
	while (read(0, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return pong ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *kind = "newlines";
	long count = 100, bytes = 1 << 20;
	int timeout_ms = 10000, opt;

	while ((opt = getopt(argc, argv, "S:m:c:k:b:t:")) != -1) {
		switch (opt) {
		case 'S':
			sock_path = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'c':
			count = strtol(optarg, NULL, 10);
			break;
		case 'k':
			kind = optarg;
			break;
		case 'b':
			bytes = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = (int)strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: limits_client -S SOCK -m idle|flood [-c N] "
				"[-k newlines|unknown|binary] [-b BYTES] [-t MS]\n");
			return 2;
		}
	}
	if (!sock_path || !mode || count < 1 || bytes < 0)
		return 2;
	if (!strcmp(mode, "idle"))
		return run_idle((int)count, timeout_ms);
	if (!strcmp(mode, "flood"))
		return run_flood(kind, (size_t)bytes, timeout_ms);
	fprintf(stderr, "limits_client: unknown mode %s\n", mode);
	return 2;
}
