/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modemsim_probe: performs serial-port operations named on its command line
 * (normally under LD_PRELOAD=modemsim.so) and prints one line per operation,
 * for check_modemsim to compare.
 *
 *   modemsim_probe PATH OP...
 *
 * OP               prints
 *   open           "open ok" | "open err ENOENT"  (O_RDWR|O_NOCTTY|O_NONBLOCK)
 *   open64 openat openat64
 *   open2 open64_2 openat_2 openat64_2   (glibc's fortified entry points)
 *   close          "close ok"
 *   dup fdupfd     dup(2) / fcntl(F_DUPFD) the fd, then close the old one
 *   get            "get 0x026"
 *   set:M bis:M bic:M          "set ok"
 *   break[:D]      tcsendbreak(fd, D) (default 0): "break ok"
 *   tcsbrk:N tcsbrkp:N sbrk cbrk
 *   miwait:MASK:MS TIOCMIWAIT bounded by a MS timer: "miwait ok",
 *                  "miwait timeout" or "miwait err EINTR" (SIGUSR1)
 *   miwait-at:MASK:MS  the same, with the CLOCK_MONOTONIC time it returned:
 *                  "miwait ok at S.NNNNNNNNN"
 *   icount         "icount cts=N dsr=N rng=N dcd=N"
 *   tiocgserial    "tiocgserial type=T line=L port=0xP irq=I baud_base=B"
 *   readlink-driver[:FN[:LEN]]
 *                  readlink of /sys/dev/char/MAJ:MIN/device/driver for the
 *                  st_rdev of the port (of the last one opened, after a
 *                  close) with FN = readlink (default), readlinkat,
 *                  readlink_chk or readlinkat_chk and a LEN-byte buffer
 *                  (default 256): "readlink-driver N TARGET", the N bytes
 *                  returned; " +written-past" if a byte after them changed
 *   readlink-path:FN:PATH      the same for PATH: "readlink-path N TARGET"
 *   readlink-dev:SUFFIX        readlink of /sys/dev/char/MAJ:MIN<SUFFIX> (the
 *                  port's MAJ:MIN): "readlink-dev N TARGET"
 *   flock          flock(LOCK_EX|LOCK_NB): "flock ok"
 *   tcgetattr      "tcgetattr ok"
 *   read           one non-blocking read: "read err EAGAIN" on an idle tty
 *   sleep:MS       "sleep ok"
 *   mark:TEXT      "TEXT" (printed at once: a sync point for the test)
 *   waitfor:FILE   wait (up to 10 s) until FILE exists: "waitfor ok" or
 *                  "waitfor timeout"; lets a test step the probe
 * Failures print "<op> err <ERRNAME>". Exit status 0, or 2 for a bad OP.
 */
#undef _FORTIFY_SOURCE		/* call readlink itself; the _chk ones are named */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* glibc's fortified open entry points; called directly so that the test
 * does not depend on the build's _FORTIFY_SOURCE level */
extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat_2(int dirfd, const char *path, int flags);
extern int __openat64_2(int dirfd, const char *path, int flags);
extern ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
extern ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
				size_t buflen);

#define PROBE_OPEN_FLAGS (O_RDWR | O_NOCTTY | O_NONBLOCK)

struct probe {
	const char *path;
	int fd;
	dev_t rdev;	/* of the last port opened */
};

static volatile sig_atomic_t probe_timed_out;

static void probe_on_alarm(int sig)
{
	(void)sig;
	probe_timed_out = 1;
}

static void probe_on_usr1(int sig)
{
	(void)sig;
}

static const char *probe_errname(int e)
{
	static const struct {
		int value;
		const char *name;
	} names[] = {
		{ EIO, "EIO" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" }, { EAGAIN, "EAGAIN" },
		{ EBADF, "EBADF" }, { ENXIO, "ENXIO" }, { ENODEV, "ENODEV" },
		{ EWOULDBLOCK, "EWOULDBLOCK" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EBUSY, "EBUSY" }, { EPERM, "EPERM" }, { EPROTO, "EPROTO" },
		{ EOVERFLOW, "EOVERFLOW" }, { ENAMETOOLONG, "ENAMETOOLONG" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].value == e)
			return names[i].name;
	return "E?";
}

static void probe_result(const char *op, int ret)
{
	if (ret < 0)
		printf("%s err %s\n", op, probe_errname(errno));
	else
		printf("%s ok\n", op);
}

/* The argument after the first ':' of op, or dflt. */
static long probe_arg(const char *op, long dflt)
{
	const char *colon = strchr(op, ':');

	return colon ? strtol(colon + 1, NULL, 0) : dflt;
}

static int probe_open(struct probe *p, const char *name)
{
	if (strcmp(name, "open") == 0)
		return open(p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "open64") == 0)
		return open64(p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "openat") == 0)
		return openat(AT_FDCWD, p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "openat64") == 0)
		return openat64(AT_FDCWD, p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "open2") == 0)
		return __open_2(p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "open64_2") == 0)
		return __open64_2(p->path, PROBE_OPEN_FLAGS);
	if (strcmp(name, "openat_2") == 0)
		return __openat_2(AT_FDCWD, p->path, PROBE_OPEN_FLAGS);
	return __openat64_2(AT_FDCWD, p->path, PROBE_OPEN_FLAGS);
}

static int probe_is_open_op(const char *op)
{
	static const char *const ops[] = {
		"open", "open64", "openat", "openat64",
		"open2", "open64_2", "openat_2", "openat64_2",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

/* miwait:MASK:MS, or miwait-at:MASK:MS (also prints when it returned). */
static void probe_miwait(struct probe *p, const char *op)
{
	unsigned long mask = 0;
	long ms = 2000;
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	struct timespec at;
	int ret, e, with_time = strncmp(op, "miwait-at:", 10) == 0;

	if (sscanf(strchr(op, ':') + 1, "%lx:%ld", &mask, &ms) < 1) {
		printf("miwait err EINVAL\n");
		return;
	}
	probe_timed_out = 0;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	ret = ioctl(p->fd, TIOCMIWAIT, mask);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &at);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (ret == 0 && with_time)
		printf("miwait ok at %lld.%09ld\n", (long long)at.tv_sec, at.tv_nsec);
	else if (ret == 0)
		printf("miwait ok\n");
	else if (e == EINTR && probe_timed_out)
		printf("miwait timeout\n");
	else
		printf("miwait err %s\n", probe_errname(e));
}

static void probe_icount(struct probe *p)
{
	struct serial_icounter_struct ic;

	memset(&ic, 0, sizeof(ic));
	if (ioctl(p->fd, TIOCGICOUNT, &ic) < 0)
		printf("icount err %s\n", probe_errname(errno));
	else
		printf("icount cts=%d dsr=%d rng=%d dcd=%d\n",
		       ic.cts, ic.dsr, ic.rng, ic.dcd);
}

static void probe_tiocgserial(struct probe *p)
{
	struct serial_struct ss;

	memset(&ss, 0, sizeof(ss));
	if (ioctl(p->fd, TIOCGSERIAL, &ss) < 0)
		printf("tiocgserial err %s\n", probe_errname(errno));
	else
		printf("tiocgserial type=%d line=%d port=0x%x irq=%d baud_base=%d\n",
		       ss.type, ss.line, ss.port, ss.irq, ss.baud_base);
}

/* One readlink through the entry point fn, into a buffer of len bytes. */
static ssize_t probe_call_readlink(const char *fn, const char *path, char *buf,
				   size_t len)
{
	if (strcmp(fn, "readlink") == 0)
		return readlink(path, buf, len);
	if (strcmp(fn, "readlinkat") == 0)
		return readlinkat(AT_FDCWD, path, buf, len);
	if (strcmp(fn, "readlink_chk") == 0)
		return __readlink_chk(path, buf, len, len);
	if (strcmp(fn, "readlinkat_chk") == 0)
		return __readlinkat_chk(AT_FDCWD, path, buf, len, len);
	errno = EINVAL;
	return -1;
}

/* "<label> N TARGET" for readlink of path through fn with a len-byte buffer. */
static void probe_readlink(const char *label, const char *fn, const char *path,
			   size_t len)
{
	char buf[512];
	ssize_t n;

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memset(buf, '#', sizeof(buf));
	n = probe_call_readlink(fn, path, buf, len);
	if (n < 0) {
		printf("%s err %s\n", label, probe_errname(errno));
		return;
	}
	/* readlink(2) writes no NUL: the byte after the answer is untouched */
	printf("%s %zd %.*s%s\n", label, n, (int)n, buf,
	       buf[n] == '#' ? "" : " +written-past");
}

/* readlink-driver[:FN[:LEN]]: the port's sysfs driver link. */
static void probe_readlink_driver(struct probe *p, const char *op)
{
	char fn[32] = "readlink", path[96];
	unsigned long len = 256;
	struct stat st;

	if (p->fd >= 0 && fstat(p->fd, &st) == 0)
		p->rdev = st.st_rdev;
	sscanf(op, "readlink-driver:%31[^:]:%lu", fn, &len);
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/driver",
		 major(p->rdev), minor(p->rdev));
	probe_readlink("readlink-driver", fn, path, len);
}

/* readlink-dev:SUFFIX: near misses of the driver link. */
static void probe_readlink_dev(struct probe *p, const char *op)
{
	char path[192];

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u%s", major(p->rdev),
		 minor(p->rdev), op + strlen("readlink-dev:"));
	probe_readlink("readlink-dev", "readlink", path, 256);
}

/* readlink-path:FN:PATH */
static void probe_readlink_path(const char *op)
{
	char fn[32] = "";
	int used = 0;

	if (sscanf(op, "readlink-path:%31[^:]:%n", fn, &used) < 1 || !used) {
		printf("readlink-path err EINVAL\n");
		return;
	}
	probe_readlink("readlink-path", fn, op + used, 256);
}

static void probe_modem_write(struct probe *p, const char *op, unsigned long req)
{
	int bits = (int)probe_arg(op, 0);
	char name[8];

	snprintf(name, sizeof(name), "%.3s", op);
	probe_result(name, ioctl(p->fd, req, &bits));
}

static void probe_dup(struct probe *p, const char *op)
{
	int nfd = strcmp(op, "dup") == 0 ? dup(p->fd) : fcntl(p->fd, F_DUPFD, 10);

	if (nfd >= 0) {
		close(p->fd);
		p->fd = nfd;
	}
	probe_result(op, nfd);
}

static void probe_get(struct probe *p)
{
	int bits = 0;

	if (ioctl(p->fd, TIOCMGET, &bits) < 0)
		printf("get err %s\n", probe_errname(errno));
	else
		printf("get 0x%03x\n", (unsigned)bits);
}

static void probe_read(struct probe *p)
{
	char c;
	ssize_t n = read(p->fd, &c, 1);

	if (n < 0)
		printf("read err %s\n", probe_errname(errno));
	else
		printf("read %zd\n", n);
}

static int probe_break_op(struct probe *p, const char *op)
{
	if (strncmp(op, "break", 5) == 0)
		probe_result("break", tcsendbreak(p->fd, (int)probe_arg(op, 0)));
	else if (strncmp(op, "tcsbrkp:", 8) == 0)
		probe_result("tcsbrkp", ioctl(p->fd, TCSBRKP, (int)probe_arg(op, 0)));
	else if (strncmp(op, "tcsbrk:", 7) == 0)
		probe_result("tcsbrk", ioctl(p->fd, TCSBRK, (int)probe_arg(op, 0)));
	else if (strcmp(op, "sbrk") == 0)
		probe_result(op, ioctl(p->fd, TIOCSBRK));
	else if (strcmp(op, "cbrk") == 0)
		probe_result(op, ioctl(p->fd, TIOCCBRK));
	else
		return 0;
	return 1;
}

static void probe_waitfor(const char *file)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (access(file, F_OK) == 0) {
			printf("waitfor ok\n");
			return;
		}
		usleep(5000);
	}
	printf("waitfor timeout\n");
}

/* Perform one op; 0, or -1 for an unknown op. */
static int probe_op(struct probe *p, const char *op)
{
	struct termios tio;

	if (probe_break_op(p, op))
		return 0;
	if (probe_is_open_op(op)) {
		int fd = probe_open(p, op);

		probe_result(op, fd);
		if (fd >= 0) {
			struct stat st;

			p->fd = fd;	/* a failed open keeps the fd we had */
			if (fstat(fd, &st) == 0)
				p->rdev = st.st_rdev;
		}
	} else if (strcmp(op, "close") == 0) {
		probe_result(op, close(p->fd));
		p->fd = -1;
	} else if (strcmp(op, "dup") == 0 || strcmp(op, "fdupfd") == 0) {
		probe_dup(p, op);
	} else if (strcmp(op, "get") == 0) {
		probe_get(p);
	} else if (strncmp(op, "set:", 4) == 0) {
		probe_modem_write(p, op, TIOCMSET);
	} else if (strncmp(op, "bis:", 4) == 0) {
		probe_modem_write(p, op, TIOCMBIS);
	} else if (strncmp(op, "bic:", 4) == 0) {
		probe_modem_write(p, op, TIOCMBIC);
	} else if (strncmp(op, "miwait:", 7) == 0 || strncmp(op, "miwait-at:", 10) == 0) {
		probe_miwait(p, op);
	} else if (strcmp(op, "icount") == 0) {
		probe_icount(p);
	} else if (strcmp(op, "tiocgserial") == 0) {
		probe_tiocgserial(p);
	} else if (strcmp(op, "readlink-driver") == 0 ||
		   strncmp(op, "readlink-driver:", 16) == 0) {
		probe_readlink_driver(p, op);
	} else if (strncmp(op, "readlink-path:", 14) == 0) {
		probe_readlink_path(op);
	} else if (strncmp(op, "readlink-dev:", 13) == 0) {
		probe_readlink_dev(p, op);
	} else if (strcmp(op, "flock") == 0) {
		probe_result(op, flock(p->fd, LOCK_EX | LOCK_NB));
	} else if (strcmp(op, "tcgetattr") == 0) {
		probe_result(op, tcgetattr(p->fd, &tio));
	} else if (strcmp(op, "read") == 0) {
		probe_read(p);
	} else if (strncmp(op, "sleep:", 6) == 0) {
		usleep((useconds_t)probe_arg(op, 0) * 1000);
		printf("sleep ok\n");
	} else if (strncmp(op, "waitfor:", 8) == 0) {
		probe_waitfor(op + 8);
	} else if (strncmp(op, "mark:", 5) == 0) {
		printf("%s\n", op + 5);
	} else {
		fprintf(stderr, "modemsim_probe: unknown operation '%s'\n", op);
		return -1;
	}
	fflush(stdout);
	return 0;
}

static void probe_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = probe_on_alarm;	/* no SA_RESTART: waits end with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = probe_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct probe p = { NULL, -1, 0 };
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: modemsim_probe PATH OP...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	probe_signals();
	p.path = argv[1];
	for (i = 2; i < argc; i++)
		if (probe_op(&p, argv[i]) < 0)
			return 2;
	return 0;
}
