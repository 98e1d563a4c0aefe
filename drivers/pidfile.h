/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PID file, and whether the process it names is a genericups serving a
 * given UPS. The state directory is writable by the run-time user, so root
 * trusts nothing in it: the PID is parsed strictly, the process is checked
 * through /proc before it is signalled, the file is created without
 * following symlinks, and only the instance that created it removes it.
 */
#ifndef PIDFILE_H
#define PIDFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The identity of a created PID file, for pidfile_remove_own(). */
struct pidfile_id {
	dev_t dev;
	ino_t ino;
};

/* Parse a PID file's text: digits, then optional white space only;
 * 1 < pid <= INT_MAX. 0, or -1 (text is not a process ID). */
int pidfile_parse(const char *text, pid_t *pid);

/* Read and parse path. 0 with *pid; -1 with errno ENOENT (no file), or
 * EINVAL with err quoting the content, or another errno with err. */
int pidfile_read(const char *path, pid_t *pid, char *err, size_t errlen);

/* Write "<pid>\n" to a new temporary file beside path (O_EXCL, O_NOFOLLOW,
 * mode 0644 set on the fd) and rename it over path, so that no symlink is
 * ever followed. 0 with *id, or -1 with err. */
int pidfile_create(const char *path, pid_t pid, struct pidfile_id *id,
		   char *err, size_t errlen);

/* Unlink path only if it still is the file of id (a newer instance may have
 * replaced it). 1 removed, 0 left alone (not ours, or gone). */
int pidfile_remove_own(const char *path, const struct pidfile_id *id);

/*
 * Does a NUL-separated command line (as /proc/PID/cmdline) run a program
 * named prog (by basename, anywhere in it, so that wrappers like valgrind
 * count) with -a ups or -s ups among its options, and none of the modes
 * that end at once (-k, -c, -d, -h, -V, -L)?
 */
bool cmdline_serves_ups(const char *cmdline, size_t len, const char *prog, const char *ups);

/*
 * Is process pid a prog serving ups? Reads /proc/PID/cmdline, comm and exe.
 * On false, what names the process found ("PID 1 (systemd: /sbin/init)",
 * "no process 1234"); *gone is set when the process does not exist.
 */
bool process_serves_ups(pid_t pid, const char *prog, const char *ups, bool *gone,
			char *what, size_t whatlen);

/* Has pid exited (no such process, or a zombie)? */
bool process_has_exited(pid_t pid);

#endif
