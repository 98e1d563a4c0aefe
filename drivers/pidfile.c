/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

#define OPTS_WITH_ARG "asdxrugicP"	/* the driver's getopt letters that take a value */
#define OPTS_ONE_SHOT "kcdhVL"		/* modes that do not serve the UPS */

int pidfile_parse(const char *text, pid_t *pid)
{
	unsigned long long v = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p || v <= 1)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* The file's text with control characters shown as '?', for messages. */
static void quote_text(const char *s, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 1 < outlen; i++) {
		if (s[i] == '\n' && !s[i + 1])
			break;
		out[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	}
	out[n] = '\0';
}

int pidfile_read(const char *path, pid_t *pid, char *err, size_t errlen)
{
	char buf[64], shown[40];
	ssize_t n;
	int fd, e;

	/* a FIFO or device planted here must not block or be touched */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open PID file %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read PID file %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n || pidfile_parse(buf, pid) < 0) {
		quote_text(buf, shown, sizeof(shown));
		snprintf(err, errlen, "PID file %s: '%s%s' is not a process ID", path, shown,
			 n == (ssize_t)sizeof(buf) - 1 ? "..." : "");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int pidfile_create(const char *path, pid_t pid, struct pidfile_id *id,
		   char *err, size_t errlen)
{
	char tmp[PATH_MAX], text[32];
	struct stat sb;
	int fd, len, attempt, e;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "PID file name %s is too long", path);
		return -1;
	}
	/* a leftover (or planted) temporary name is removed, never followed */
	for (attempt = 0;; attempt++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST || attempt == 2)
			break;
		unlink(tmp);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot create PID file %s: %s", tmp, strerror(errno));
		return -1;
	}
	len = snprintf(text, sizeof(text), "%ld\n", (long)pid);
	if (fchmod(fd, 0644) < 0 || write(fd, text, (size_t)len) != len || fstat(fd, &sb) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write PID file %s: %s", tmp, strerror(e));
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot write PID file %s: %s", path, strerror(e));
		return -1;
	}
	id->dev = sb.st_dev;
	id->ino = sb.st_ino;
	return 0;
}

int pidfile_remove_own(const char *path, const struct pidfile_id *id)
{
	struct stat sb;

	if (lstat(path, &sb) < 0 || sb.st_dev != id->dev || sb.st_ino != id->ino)
		return 0;
	return unlink(path) == 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Do the options in args name ups with -a or -s, in a run that serves it
 * (not -k, -c, -d, -h, -V or -L, which end at once)? */
static bool options_name_ups(const char *const *args, size_t nargs, const char *ups)
{
	bool named = false;
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];
		size_t j;

		if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
			break;	/* "+" in the optstring: options end here */
		for (j = 1; a[j]; j++) {
			const char *val;

			if (strchr(OPTS_ONE_SHOT, a[j]))
				return false;
			if (!strchr(OPTS_WITH_ARG, a[j]))
				continue;
			if (a[j + 1])
				val = a + j + 1;
			else if (i + 1 < nargs)
				val = args[++i];
			else
				return false;
			if ((a[j] == 'a' || a[j] == 's') && !strcmp(val, ups))
				named = true;
			break;
		}
	}
	return named;
}

bool cmdline_serves_ups(const char *cmdline, size_t len, const char *prog, const char *ups)
{
	const char *args[64];
	size_t nargs = 0, off = 0, i;

	while (off < len && nargs < sizeof(args) / sizeof(args[0])) {
		const char *end = memchr(cmdline + off, '\0', len - off);

		if (!end)
			break;	/* an unterminated last word is not trusted */
		args[nargs++] = cmdline + off;
		off = (size_t)(end - cmdline) + 1;
	}
	for (i = 0; i < nargs; i++)
		if (!strcmp(base_name(args[i]), prog))
			return options_name_ups(args + i + 1, nargs - i - 1, ups);
	return false;
}

/* Read a small /proc file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1 && (n = read(fd, buf + total, len - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

bool process_has_exited(pid_t pid)
{
	char stat[512], *paren;

	if (read_proc(pid, "stat", stat, sizeof(stat)) < 0)
		return errno == ENOENT || errno == ESRCH;
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';	/* a zombie has exited */
}

bool process_serves_ups(pid_t pid, const char *prog, const char *ups, bool *gone,
			char *what, size_t whatlen)
{
	char cmdline[4096], comm[64], exe[PATH_MAX], shown[160], link[64];
	ssize_t n, i;
	size_t k = 0;

	*gone = process_has_exited(pid);
	if (*gone) {
		snprintf(what, whatlen, "no process %ld", (long)pid);
		return false;
	}
	n = read_proc(pid, "cmdline", cmdline, sizeof(cmdline));
	if (n > 0 && cmdline_serves_ups(cmdline, (size_t)n, prog, ups))
		return true;
	if (read_proc(pid, "comm", comm, sizeof(comm)) <= 0)
		snprintf(comm, sizeof(comm), "?");
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	i = readlink(link, exe, sizeof(exe) - 1);
	if (i < 0)
		snprintf(exe, sizeof(exe), "exe unreadable: %s", strerror(errno));
	else
		exe[i] = '\0';
	for (i = 0; n > 0 && i < n && k + 1 < sizeof(shown); i++)
		shown[k++] = cmdline[i] == '\0' ? ' ' : (unsigned char)cmdline[i] < 0x20 ? '?' :
			     cmdline[i];
	while (k > 0 && shown[k - 1] == ' ')
		k--;
	shown[k] = '\0';
	snprintf(what, whatlen, "PID %ld (%s, %s): %s", (long)pid, comm, exe,
		 k ? shown : "(no command line)");
	return false;
}
