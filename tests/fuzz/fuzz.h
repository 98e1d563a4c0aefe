/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the libFuzzer targets: an invariant check that aborts
 * (libFuzzer then saves the input as a crash), NUL-terminated copies of the
 * input, and error buffers allocated to their exact size so that ASan sees
 * one byte written past errlen.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* FUZZ_CHECK(cond, "what %s", ...): abort with the message when cond is false. */
#define FUZZ_CHECK(cond, ...) \
	do { if (!(cond)) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* A NUL-terminated copy of data[0..size) (a NUL inside ends the C string). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The message is a NUL-terminated string within errlen bytes. */
static inline void fuzz_check_err_terminated(const char *err, size_t errlen)
{
	FUZZ_CHECK(errlen == 0 || memchr(err, '\0', errlen) != NULL,
		   "error text not NUL-terminated within %zu bytes", errlen);
}

/* A message written into a short buffer is the start of the full one. */
static inline void fuzz_check_err_prefix(const char *short_err, size_t errlen,
					 const char *full_err)
{
	fuzz_check_err_terminated(short_err, errlen);
	if (errlen == 0)
		return;
	FUZZ_CHECK(strncmp(short_err, full_err, strlen(short_err)) == 0 &&
		   strlen(short_err) == (strlen(full_err) < errlen - 1 ? strlen(full_err) : errlen - 1),
		   "truncated message '%s' (errlen %zu) is not the start of '%s'",
		   short_err, errlen, full_err);
}

#endif
