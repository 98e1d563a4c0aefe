/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the benchmark clients (header only, so each client is
 * still built from one command): monotonic time, the simulator's state
 * file, driver socket lines and percentiles.
 */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BL_LINE_MAX 1024

/* Input levels of the simulated port that the benchmarks drive. */
struct bl_lines {
	int cts;
	int dcd;
	int rng;
	int dsr;
};

/* The level of the input line named CTS, DCD, RNG or DSR; NULL if unknown. */
static inline int *bl_line_level(struct bl_lines *l, const char *name)
{
	if (!strcmp(name, "CTS"))
		return &l->cts;
	if (!strcmp(name, "DCD"))
		return &l->dcd;
	if (!strcmp(name, "RNG"))
		return &l->rng;
	if (!strcmp(name, "DSR"))
		return &l->dsr;
	return NULL;
}

/* One line reassembler per socket: the drivers may split lines over reads. */
struct bl_linebuf {
	char buf[BL_LINE_MAX];
	size_t len;
};

static inline void bl_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void bl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static inline int64_t bl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void bl_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* xorshift64*: a seeded, repeatable pause generator */
static inline uint64_t bl_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* A uniform pause in [0, max_ms] milliseconds, in nanoseconds. */
static inline long bl_pause_ms(uint64_t *s, long max_ms)
{
	return max_ms > 0 ? (long)(bl_rand(s) % (uint64_t)(max_ms + 1)) : 0;
}

/*
 * Write the new levels to "<path>.tmp"; bl_state_commit() renames it over
 * the state file, which is the moment the simulated line changes.
 */
static inline void bl_state_prepare(const char *path, struct bl_lines l, unsigned seq)
{
	char tmp[4096], text[128];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(text, sizeof(text), "CTS=%d DCD=%d RNG=%d DSR=%d\n",
		     l.cts, l.dcd, l.rng, l.dsr);
	(void)seq;	/* levels always differ; port=sim: takes no SEQ word */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		bl_die("%s: open: %s", tmp, strerror(errno));
	if (write(fd, text, (size_t)n) != n)
		bl_die("%s: write: %s", tmp, strerror(errno));
	close(fd);
}

static inline void bl_state_commit(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (rename(tmp, path) < 0)
		bl_die("rename %s -> %s: %s", tmp, path, strerror(errno));
}

/* Connect a blocking Unix stream socket to path, or die naming it. */
static inline int bl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		bl_die("%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bl_die("socket: %s", strerror(errno));
	/* the file appears at bind(), before listen(): retry for up to 5 s */
	for (int i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if ((errno != ECONNREFUSED && errno != ENOENT) || i == 500)
			bl_die("%s: connect: %s", path, strerror(errno));
		bl_sleep_ms(10);
	}
	return fd;
}

static inline void bl_send(int fd, const char *text)
{
	size_t len = strlen(text);

	if (write(fd, text, len) != (ssize_t)len)
		bl_die("socket write '%s': %s", text, strerror(errno));
}

/*
 * Append n bytes to lb and call fn for each complete line (without LF).
 * Over-long lines are cut, never overflow.
 */
static inline void bl_feed(struct bl_linebuf *lb, const char *data, size_t n,
			   void (*fn)(void *ctx, const char *line), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			lb->buf[lb->len] = '\0';
			fn(ctx, lb->buf);
			lb->len = 0;
		} else if (lb->len < sizeof(lb->buf) - 1) {
			lb->buf[lb->len++] = data[i];
		}
	}
}

/*
 * If line is `SETINFO ups.status "..."`, copy the value (quotes removed,
 * escapes kept: status words never need them) and return true.
 */
static inline bool bl_parse_status(const char *line, char *val, size_t vlen)
{
	static const char key[] = "SETINFO ups.status \"";
	const char *p, *q;
	size_t n;

	if (strncmp(line, key, sizeof(key) - 1) != 0)
		return false;
	p = line + sizeof(key) - 1;
	q = strrchr(p, '"');
	n = q ? (size_t)(q - p) : strlen(p);
	if (n >= vlen)
		n = vlen - 1;
	memcpy(val, p, n);
	val[n] = '\0';
	return true;
}

/* Does the space-separated status contain the word w? */
static inline bool bl_has_word(const char *status, const char *w)
{
	size_t wl = strlen(w);

	for (const char *p = status; (p = strstr(p, w)) != NULL; p += wl) {
		bool start = p == status || p[-1] == ' ';
		bool end = p[wl] == '\0' || p[wl] == ' ';

		if (start && end)
			return true;
	}
	return false;
}

static int bl_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..100] of n sorted values. */
static inline int64_t bl_pct(const int64_t *sorted, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

/* Sort v and print "label n=N p50=.. p90=.. p99=.. max=.. ms" on one line. */
static inline void bl_report(const char *label, int64_t *v, size_t n, size_t fails)
{
	qsort(v, n, sizeof(*v), bl_cmp_i64);
	printf("%-28s n=%zu p50=%.3f p90=%.3f p99=%.3f max=%.3f ms",
	       label, n, bl_pct(v, n, 50) / 1e6, bl_pct(v, n, 90) / 1e6,
	       bl_pct(v, n, 99) / 1e6, n ? v[n - 1] / 1e6 : 0.0);
	if (fails)
		printf(" TIMEOUTS=%zu", fails);
	putchar('\n');
	fflush(stdout);
}

/* Stop the driver before our connections close: NUT 2.8.0 spins at 100% CPU
 * on a client that went away. */
static inline void bl_kill_driver(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		bl_sleep_ms(20);
}

#endif
