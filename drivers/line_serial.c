/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Serial port line source. Change notification: a helper thread blocks in
 * TIOCMIWAIT (the kernel offers nothing pollable for modem lines) and wakes
 * the main loop through an eventfd; it shares nothing else with the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cable_profile.h"
#include "line_source.h"

#define WATCH_SIGNAL SIGUSR2	/* interrupts TIOCMIWAIT when stopping */

/* Which kernel driver serves the port, and so what it reports: the sysfs
 * driver link of the character device, and TIOCGSERIAL's UART type for
 * the serial core's generic port device. */
static void serial_probe(struct line_source *ls)
{
	struct serial_struct ss;
	struct stat st;
	char path[96], link[PATH_MAX];
	const char *name = NULL;
	int type = PORT_SERIAL_TYPE_NONE;
	ssize_t n;

	if (fstat(ls->fd, &st) == 0 && S_ISCHR(st.st_mode)) {
		snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/driver",
			 major(st.st_rdev), minor(st.st_rdev));
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			name = strrchr(link, '/');
			name = name ? name + 1 : link;
		}
	}
	memset(&ss, 0, sizeof(ss));
	if (ioctl(ls->fd, TIOCGSERIAL, &ss) == 0)
		type = ss.type;
	ls->caps = port_caps_for(name, type);
}

static int serial_open(struct line_source *ls, char *err, size_t errlen)
{
	struct termios tio;
	int fd;

	fd = open(ls->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open port %s: %s", ls->path, strerror(errno));
		return -1;
	}
	if (!ls->nolock && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "port %s is locked by another process "
				 "(is another driver using it?)", ls->path);
		else
			snprintf(err, errlen, "cannot lock port %s: %s", ls->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (tcgetattr(fd, &tio) < 0) {
		snprintf(err, errlen, "port %s is not a serial port: tcgetattr: %s",
			 ls->path, strerror(errno));
		close(fd);
		return -1;
	}
	/* keep DTR/RTS as we set them when we close; never hardware flow control */
	tio.c_cflag &= ~(HUPCL | CRTSCTS);
	tio.c_cflag |= CLOCAL;
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		snprintf(err, errlen, "port %s: tcsetattr: %s", ls->path, strerror(errno));
		close(fd);
		return -1;
	}
	ls->fd = fd;
	serial_probe(ls);
	return 0;
}

static int serial_get(struct line_source *ls, unsigned *bits)
{
	int v;

	if (ioctl(ls->fd, TIOCMGET, &v) < 0)
		return -errno;
	*bits = (unsigned)v;
	return 0;
}

static int serial_set(struct line_source *ls, unsigned mask)
{
	int v = (int)mask;	/* exact, as NUT: SD=DTR+ST writes 0x00a */

	if (ioctl(ls->fd, TIOCMSET, &v) < 0)
		return -errno;
	return 0;
}

static int serial_send_break(struct line_source *ls, unsigned ms)
{
	/* glibc turns a duration into TCSBRKP in tenths of a second */
	if (tcsendbreak(ls->fd, (int)ms) < 0)
		return -errno;
	return 0;
}

static int serial_set_break(struct line_source *ls, bool on)
{
	if (ioctl(ls->fd, on ? TIOCSBRK : TIOCCBRK) < 0)
		return -errno;
	return 0;
}

static int serial_counts(struct line_source *ls, struct line_counts *c)
{
	struct serial_icounter_struct ic;

	if (ioctl(ls->fd, TIOCGICOUNT, &ic) < 0)
		return -errno;
	c->cts = (uint32_t)ic.cts;
	c->dsr = (uint32_t)ic.dsr;
	c->rng = (uint32_t)ic.rng;
	c->dcd = (uint32_t)ic.dcd;
	return 0;
}

static void watch_signal_noop(int sig)
{
	(void)sig;
}

static void watch_wake(struct line_source *ls)
{
	uint64_t one = 1;

	if (write(ls->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		__atomic_store_n(&ls->thread_errno, errno, __ATOMIC_SEQ_CST);
}

static bool counts_differ(const struct line_counts *a, const struct line_counts *b)
{
	return a->cts != b->cts || a->dsr != b->dsr || a->rng != b->rng || a->dcd != b->dcd;
}

static void *watch_thread(void *arg)
{
	struct line_source *ls = arg;
	struct line_counts before = { 0 }, after = { 0 };
	bool have_counts;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, WATCH_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	have_counts = serial_counts(ls, &before) == 0;
	/* A change after the loop's last read and before the first wait below
	 * would go unseen: have the loop read (and read again shortly after). */
	watch_wake(ls);

	while (!__atomic_load_n(&ls->thread_stop, __ATOMIC_SEQ_CST)) {
		/* again each time: an interposed library (umockdev's preload, in
		 * the USB tests) may have handed this thread another's mask */
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		if (ioctl(ls->fd, TIOCMIWAIT, ML_INPUTS) == 0) {
			watch_wake(ls);
		} else if (errno != EINTR) {
			__atomic_store_n(&ls->thread_errno, errno, __ATOMIC_SEQ_CST);
			watch_wake(ls);
			break;
		}
		/* a change between the wake-up and the next wait shows in the counters */
		if (have_counts && serial_counts(ls, &after) == 0) {
			if (counts_differ(&before, &after))
				watch_wake(ls);
			before = after;
		}
	}
	return NULL;
}

static int serial_watch_start(struct line_source *ls)
{
	struct sigaction sa;
	sigset_t set, old;

	if (!ls->caps.miwait)
		return -1;
	if (ls->wake_fd < 0) {
		ls->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ls->wake_fd < 0)
			return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal_noop;	/* no SA_RESTART: the wait returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(WATCH_SIGNAL, &sa, NULL);

	/* The thread inherits the loop's blocked signals; it unblocks only its own. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	ls->thread_stop = 0;
	ls->thread_errno = 0;
	if (pthread_create(&ls->thread, NULL, watch_thread, ls) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ls->thread_running = true;
	return ls->wake_fd;
}

static void serial_watch_ack(struct line_source *ls)
{
	uint64_t n;

	if (read(ls->wake_fd, &n, sizeof(n)) < 0)
		return;
}

static void serial_watch_stop(struct line_source *ls)
{
	if (ls->thread_running) {
		struct timespec ts;

		__atomic_store_n(&ls->thread_stop, 1, __ATOMIC_SEQ_CST);
		/* repeat: a signal sent just before the thread enters the wait is lost */
		do {
			pthread_kill(ls->thread, WATCH_SIGNAL);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
		} while (pthread_timedjoin_np(ls->thread, NULL, &ts) == ETIMEDOUT);
		ls->thread_running = false;
	}
	if (ls->wake_fd >= 0)
		close(ls->wake_fd);
	ls->wake_fd = -1;
}

const struct line_source_ops line_serial_ops = {
	.kind = "serial",
	.open = serial_open,
	.close = line_source_close,
	.get = serial_get,
	.set = serial_set,
	.send_break = serial_send_break,
	.set_break = serial_set_break,
	.counts = serial_counts,
	.watch_start = serial_watch_start,
	.watch_ack = serial_watch_ack,
	.watch_stop = serial_watch_stop,
};
