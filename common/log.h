/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging: to stderr with "%12.6f\t" seconds since start (and "[Dn] " for
 * debug lines) while in the foreground, to syslog once backgrounded.
 * The logger is a plain struct owned by its user (the driver context), not
 * a global: modules that log take a pointer to it.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <time.h>

struct logger {
	const char *progname;
	int debug;		/* -D count, or SET driver.debug */
	int quiet;		/* -q count: LOG_* priorities above LOG_ERR-quiet... are dropped */
	bool syslog;		/* after backgrounding */
	struct timespec start;	/* monotonic, for the stderr time stamp */
};

void log_init(struct logger *lg, const char *progname);
void log_use_syslog(struct logger *lg, bool on);

void log_msg(const struct logger *lg, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Shown when lg->debug >= level. */
void log_debug(const struct logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* log_msg(LOG_ERR) then exit(1). */
void log_fatal(const struct logger *lg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* log_fatal with ": strerror(errno)" appended. */
void log_fatal_errno(const struct logger *lg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
