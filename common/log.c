/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void log_init(struct logger *lg, const char *progname)
{
	memset(lg, 0, sizeof(*lg));
	lg->progname = progname;
	clock_gettime(CLOCK_MONOTONIC, &lg->start);
}

void log_use_syslog(struct logger *lg, bool on)
{
	if (on && !lg->syslog)
		openlog(lg->progname, LOG_PID, LOG_DAEMON);
	else if (!on && lg->syslog)
		closelog();
	lg->syslog = on;
}

static double log_elapsed(const struct logger *lg)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - lg->start.tv_sec) +
	       (double)(now.tv_nsec - lg->start.tv_nsec) / 1e9;
}

static void log_emit(const struct logger *lg, int prio, int dlevel,
		     const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lg->syslog) {
		syslog(prio, "%s%s", msg, suffix ? suffix : "");
		return;
	}
	if (dlevel > 0)
		fprintf(stderr, "%12.6f\t[D%d] %s%s\n", log_elapsed(lg), dlevel,
			msg, suffix ? suffix : "");
	else
		fprintf(stderr, "%12.6f\t%s%s\n", log_elapsed(lg), msg,
			suffix ? suffix : "");
}

void log_msg(const struct logger *lg, int prio, const char *fmt, ...)
{
	va_list ap;

	/* -q drops informational messages first, never errors */
	if (lg->quiet > 0 && prio > LOG_ERR && prio >= LOG_DEBUG - lg->quiet + 1)
		return;
	va_start(ap, fmt);
	log_emit(lg, prio, 0, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const struct logger *lg, int level, const char *fmt, ...)
{
	va_list ap;

	if (lg->debug < level)
		return;
	va_start(ap, fmt);
	log_emit(lg, LOG_DEBUG, level, fmt, ap, NULL);
	va_end(ap);
}

void log_fatal(const struct logger *lg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(lg, LOG_ERR, 0, fmt, ap, NULL);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void log_fatal_errno(const struct logger *lg, const char *fmt, ...)
{
	char suffix[160];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	va_start(ap, fmt);
	log_emit(lg, LOG_ERR, 0, fmt, ap, suffix);
	va_end(ap);
	exit(EXIT_FAILURE);
}
