/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modemsim: LD_PRELOAD serial-port simulator with modem lines. The control
 * and log formats are documented in modemsim.h.
 *
 * The faked port is the slave of a pty (so termios, poll, read and flock
 * are real); only the modem-line ioctls are answered here. The real libc
 * functions are found with dlsym(RTLD_NEXT). One recursive mutex guards the
 * fd table and the simulated line state; blocking waits never hold it.
 */
#undef _FORTIFY_SOURCE		/* we define open() and friends ourselves */
#undef _FILE_OFFSET_BITS	/* keep open/open64 etc. distinct symbols */
#undef _TIME_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/serial.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cable_profile.h"
#include "modemsim.h"

#define MS_MAX_FDS	4096
#define MS_MAX_PTYS	32
#define MS_HIGH_FD	512	/* masters are moved up here, out of the way */
#define MS_STATE_MAX	4096
#define MS_OUTPUTS	(TIOCM_DTR | TIOCM_RTS)
#define MS_INPUTS	(TIOCM_CTS | TIOCM_CD | TIOCM_RNG | TIOCM_DSR)

/* Exported interposers: declared here so -Wmissing-prototypes stays quiet
 * for the ones libc's headers do not declare. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int fcntl64(int fd, int cmd, ...);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
			 size_t buflen);

struct ms_real {
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*open_2)(const char *, int);
	int (*open64_2)(const char *, int);
	int (*openat_2)(int, const char *, int);
	int (*openat64_2)(int, const char *, int);
	int (*close)(int);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*flock)(int, int);
	int (*tcsendbreak)(int, int);
	int (*tcgetattr)(int, struct termios *);
	int (*tcsetattr)(int, int, const struct termios *);
	ssize_t (*readlink)(const char *, char *, size_t);
	ssize_t (*readlinkat)(int, const char *, char *, size_t);
	ssize_t (*readlink_chk)(const char *, char *, size_t, size_t);
	ssize_t (*readlinkat_chk)(int, const char *, char *, size_t, size_t);
};

/* How TIOCMIWAIT decides that a wait is over. */
enum ms_wait_rule {
	MS_WAIT_NONE,		/* no tiocmiwait in the driver: ENOTTY */
	MS_WAIT_SINCE_ENTRY,	/* a watched counter moved since the wait began */
	MS_WAIT_OLDCOUNT,	/* cdc-acm: moved since the last check of any wait */
};

/* What one Linux tty driver reports; see modemsim.h for the sources. */
struct ms_chip {
	const char *name;
	const char *driver_link;	/* /sys/dev/char/M:m/device/driver */
	unsigned count_rise;	/* lines whose clear -> set edge counts */
	unsigned count_fall;	/* lines whose set -> clear edge counts */
	int acm_notify;		/* counts like cdc-acm's notifications instead */
	unsigned tiocmget_always;	/* bits TIOCMGET reports whatever the lines */
	enum ms_wait_rule wait;
	unsigned wait_lines;	/* lines TIOCMIWAIT looks at */
	int icount;		/* TIOCGICOUNT is implemented */
	long latency_ms;	/* a wait ends on a multiple of this; 0: at once */
	const struct serial_struct *serial;	/* TIOCGSERIAL; NULL: ENOTTY */
};

struct ms_pty {
	int master;		/* -1 when the slot is free */
	int refs;		/* fake fds (dups included) on this pty */
	int lock_fd;		/* on the shared lock file, for flock; -1 */
	dev_t rdev;		/* the slave's device number */
	unsigned gone_gen;	/* sim.gone_count when opened */
};

/* What one reading of the state file says. */
struct ms_lines {
	unsigned inputs;	/* TIOCM_CTS|CD|RNG|DSR */
	unsigned pulses;	/* lines named by PULSE= */
	int err;		/* ERR=: errno for every modem ioctl, 0 none */
	int wait_err;		/* WAITERR=: errno for TIOCMIWAIT only, 0 none */
	int gone;		/* GONE=1 */
	int ups;		/* UPS=: the simulated cable's UPS state, -1 unset */
};

struct ms_sim {
	pthread_mutex_t lock;
	/* configuration, fixed after init */
	char port[PATH_MAX];
	char state_path[PATH_MAX];
	char state_dir[PATH_MAX];
	char out_path[PATH_MAX + 8];
	char lock_path[PATH_MAX + 8];
	char log_path[PATH_MAX];
	int have_port, have_state, have_log;
	int log_reads, fast_break, no_miwait, no_icount, shared_lock;
	unsigned open_lines;
	/* fd table: fake[fd] = pty slot + 1, 0 for a real fd */
	unsigned char fake[MS_MAX_FDS];
	struct ms_pty ptys[MS_MAX_PTYS];
	/* simulated lines */
	struct ms_lines lines;
	int have_content;
	size_t content_len;
	char content[MS_STATE_MAX];
	struct serial_icounter_struct icount;
	unsigned outputs;	/* DTR|RTS as last written */
	int in_break;
	unsigned gone_count;	/* times GONE=1 appeared: fds opened before stay dead */
	const struct ms_chip *chip;
	int bad_chip;		/* MODEMSIM_CHIP named no chip: opens fail */
	int port_list;		/* MODEMSIM_PORT_LIST=1: ':'-separated paths that must exist */
	char bad_chip_name[64];
	pid_t chip_logged;	/* the process that logged CHIP */
	/* cdc-acm's acm->oldcount: the counters at the last check or notification */
	struct serial_icounter_struct acm_oldcount;
};

static struct ms_real real;
static struct ms_sim sim = {
	.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
};
static pthread_once_t ms_once = PTHREAD_ONCE_INIT;
/* the fake fd the current call is on, for per-fd faults */
static __thread int ms_cur_fd = -1;
static __thread int ms_thread_inotify = -1;	/* TIOCMIWAIT's watch, see ms_miwait() */

/* ---- chip models ---------------------------------------------------- */

#define MS_USB_SERIAL_DRIVERS	"../../../../../bus/usb-serial/drivers/"
#define MS_PLATFORM_DRIVERS	"../../../bus/platform/drivers/"
#define MS_ACM_LINES		(TIOCM_DSR | TIOCM_CD | TIOCM_RNG)

/* serial_core.c uart_get_info, for a PC's first port; close_delay and
 * closing_wait are the tty_port defaults (HZ / 2, 30 * HZ) in 10 ms units. */
static const struct serial_struct ms_serial_8250 = {
	.type = PORT_16550A, .line = 0, .port = 0x3f8, .irq = 4,
	.xmit_fifo_size = 16, .baud_base = 115200,
	.close_delay = 50, .closing_wait = 3000,
};

/* usb-serial.c serial_get_serial and cdc-acm.c get_serial_info: the tty
 * layer zeroes the struct, so .type is PORT_UNKNOWN. */
static const struct serial_struct ms_serial_usb = {
	.type = PORT_UNKNOWN, .line = 0, .close_delay = 50, .closing_wait = 3000,
};

/* ... plus ftdi_sio.c get_serial_info's .baud_base (ftdi_determine_type: 48 MHz / 2) */
static const struct serial_struct ms_serial_ftdi = {
	.type = PORT_UNKNOWN, .line = 0, .baud_base = 24000000,
	.close_delay = 50, .closing_wait = 3000,
};

static const struct ms_chip ms_chips[] = {
	{
		/* drivers/usb/serial/ftdi_sio.c: ftdi_process_packet counts each
		 * changed status bit; usb_serial_generic_tiocmiwait; the status
		 * comes with bulk-in packets, sent when the latency timer (16 ms,
		 * ftdi_port_probe) expires */
		.name = "ftdi", .driver_link = MS_USB_SERIAL_DRIVERS "ftdi_sio",
		.count_rise = MS_INPUTS, .count_fall = MS_INPUTS,
		.wait = MS_WAIT_SINCE_ENTRY, .wait_lines = MS_INPUTS, .icount = 1,
		.latency_ms = MODEMSIM_FTDI_LATENCY_MS, .serial = &ms_serial_ftdi,
	}, {
		/* 8250_port.c serial8250_modem_status: DCTS, DDSR, DDCD count
		 * both edges, TERI only RI set -> clear; serial_core.c
		 * uart_wait_modem_status compares with the counters at entry */
		.name = "8250", .driver_link = MS_PLATFORM_DRIVERS "serial8250",
		.count_rise = TIOCM_CTS | TIOCM_DSR | TIOCM_CD, .count_fall = MS_INPUTS,
		.wait = MS_WAIT_SINCE_ENTRY, .wait_lines = MS_INPUTS, .icount = 1,
		.serial = &ms_serial_8250,
	}, {
		/* pl2303.c pl2303_update_line_status: every changed bit counts;
		 * usb_serial_generic_tiocmiwait; no get_icount (ENOTTY) */
		.name = "pl2303", .driver_link = MS_USB_SERIAL_DRIVERS "pl2303",
		.count_rise = MS_INPUTS, .count_fall = MS_INPUTS,
		.wait = MS_WAIT_SINCE_ENTRY, .wait_lines = MS_INPUTS,
		.serial = &ms_serial_usb,
	}, {
		/* ch341.c ch341_update_status: as pl2303 */
		.name = "ch341", .driver_link = MS_USB_SERIAL_DRIVERS "ch341-uart",
		.count_rise = MS_INPUTS, .count_fall = MS_INPUTS,
		.wait = MS_WAIT_SINCE_ENTRY, .wait_lines = MS_INPUTS,
		.serial = &ms_serial_usb,
	}, {
		/* cp210x.c cp210x_process_char: ES_MSR "unimplemented", so no
		 * line ever counts and there is no tiocmiwait; get_icount is the
		 * generic one (for the line-status counters) */
		.name = "cp210x", .driver_link = MS_USB_SERIAL_DRIVERS "cp210x",
		.wait = MS_WAIT_NONE, .icount = 1, .serial = &ms_serial_usb,
	}, {
		/* usb/class/cdc-acm.c: acm_tty_tiocmget always reports CTS;
		 * acm_process_notification counts; wait_serial_change */
		.name = "cdc-acm", .driver_link = "../../../../../bus/usb/drivers/cdc_acm",
		.acm_notify = 1, .tiocmget_always = TIOCM_CTS,
		.wait = MS_WAIT_OLDCOUNT, .wait_lines = MS_ACM_LINES, .icount = 1,
		.serial = &ms_serial_usb,
	}, {
		/* a driver the program does not know: ftdi without the latency */
		.name = "unknown", .driver_link = MS_PLATFORM_DRIVERS "mystery_uart",
		.count_rise = MS_INPUTS, .count_fall = MS_INPUTS,
		.wait = MS_WAIT_SINCE_ENTRY, .wait_lines = MS_INPUTS, .icount = 1,
	},
};

#define MS_N_CHIPS	(sizeof(ms_chips) / sizeof(ms_chips[0]))

/* The chip called name (unset or empty: ftdi), or NULL. */
static const struct ms_chip *ms_chip_named(const char *name)
{
	size_t i;

	if (!name || !*name)
		return &ms_chips[0];
	for (i = 0; i < MS_N_CHIPS; i++)
		if (strcmp(ms_chips[i].name, name) == 0)
			return &ms_chips[i];
	return NULL;
}

/* ---- start-up ------------------------------------------------------- */

static void *ms_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void ms_resolve(void)
{
	real.open = ms_sym("open");
	real.open64 = ms_sym("open64");
	real.openat = ms_sym("openat");
	real.openat64 = ms_sym("openat64");
	real.open_2 = ms_sym("__open_2");
	real.open64_2 = ms_sym("__open64_2");
	real.openat_2 = ms_sym("__openat_2");
	real.openat64_2 = ms_sym("__openat64_2");
	real.close = ms_sym("close");
	real.close_range = ms_sym("close_range");
	real.closefrom = ms_sym("closefrom");
	real.dup = ms_sym("dup");
	real.dup2 = ms_sym("dup2");
	real.dup3 = ms_sym("dup3");
	real.fcntl = ms_sym("fcntl");
	real.fcntl64 = ms_sym("fcntl64");
	real.ioctl = ms_sym("ioctl");
	real.flock = ms_sym("flock");
	real.tcsendbreak = ms_sym("tcsendbreak");
	real.tcgetattr = ms_sym("tcgetattr");
	real.tcsetattr = ms_sym("tcsetattr");
	real.readlink = ms_sym("readlink");
	real.readlinkat = ms_sym("readlinkat");
	real.readlink_chk = ms_sym("__readlink_chk");
	real.readlinkat_chk = ms_sym("__readlinkat_chk");
	if (!real.fcntl64)
		real.fcntl64 = real.fcntl;
}

static int ms_env_copy(const char *name, char *dst, size_t len)
{
	const char *v = getenv(name);

	if (!v || !*v || strlen(v) >= len)
		return 0;
	strcpy(dst, v);
	return 1;
}

static int ms_env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* A fork while another thread holds the lock must not leave it held. */
static void ms_atfork_lock(void)
{
	pthread_mutex_lock(&sim.lock);
}

static void ms_atfork_unlock(void)
{
	pthread_mutex_unlock(&sim.lock);
}

/* The child's thread has a new TID, so it cannot unlock a recursive mutex
 * the parent's thread locked: start it afresh instead. */
static void ms_atfork_child(void)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&sim.lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

/* the simulated cable (see its block below) */
static int ms_cable_state(const char *word);
static void ms_cable_read(struct ms_lines *l);
static void ms_cable_outputs(int by_program, unsigned before);
static void ms_cable_init(void);
enum { MS_UPS_MAINS, MS_UPS_BATTERY, MS_UPS_LOW, MS_UPS_PULLED };

static void ms_init(void)
{
	const char *v;
	char *slash;
	int i;

	ms_resolve();
	pthread_atfork(ms_atfork_lock, ms_atfork_unlock, ms_atfork_child);
	for (i = 0; i < MS_MAX_PTYS; i++)
		sim.ptys[i].master = -1;
	sim.have_port = ms_env_copy(MODEMSIM_ENV_PORT, sim.port, sizeof(sim.port));
	sim.have_log = ms_env_copy(MODEMSIM_ENV_LOG, sim.log_path, sizeof(sim.log_path));
	sim.have_state = ms_env_copy(MODEMSIM_ENV_STATE, sim.state_path,
				     sizeof(sim.state_path));
	if (sim.have_state) {
		snprintf(sim.out_path, sizeof(sim.out_path), "%s%s",
			 sim.state_path, MODEMSIM_OUT_SUFFIX);
		snprintf(sim.lock_path, sizeof(sim.lock_path), "%s%s",
			 sim.state_path, MODEMSIM_LOCK_SUFFIX);
		strcpy(sim.state_dir, sim.state_path);
		slash = strrchr(sim.state_dir, '/');
		if (!slash)
			strcpy(sim.state_dir, ".");
		else if (slash == sim.state_dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	sim.log_reads = ms_env_flag(MODEMSIM_ENV_LOG_READS);
	sim.fast_break = ms_env_flag(MODEMSIM_ENV_FAST_BREAK);
	sim.no_miwait = ms_env_flag(MODEMSIM_ENV_NO_MIWAIT);
	sim.no_icount = ms_env_flag(MODEMSIM_ENV_NO_ICOUNT);
	sim.port_list = ms_env_flag(MODEMSIM_ENV_PORT_LIST);
	sim.shared_lock = sim.have_state &&
			  !ms_env_flag(MODEMSIM_ENV_NO_SHARED_LOCK);
	v = getenv(MODEMSIM_ENV_OPEN_LINES);
	sim.open_lines = v && *v ? (unsigned)strtoul(v, NULL, 0) & MS_OUTPUTS
				 : MS_OUTPUTS;
	v = getenv(MODEMSIM_ENV_CHIP);
	sim.chip = ms_chip_named(v);
	if (!sim.chip) {
		sim.bad_chip = 1;	/* a typo must not quietly test the default */
		snprintf(sim.bad_chip_name, sizeof(sim.bad_chip_name), "%s", v);
		sim.chip = &ms_chips[0];
	}
	ms_cable_init();
}

static void ms_ensure_init(void)
{
	pthread_once(&ms_once, ms_init);
}

/* ---- log and outputs file (lock held) ------------------------------- */

static void ms_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void ms_log(const char *fmt, ...)
{
	struct timespec ts;
	char line[PATH_MAX + 128];
	int saved = errno, n, m, fd;
	va_list ap;

	if (!sim.have_log)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%lld.%09ld %d ",
		     (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = (int)sizeof(line) - 2 - n;
	line[n + m] = '\n';
	fd = real.open(sim.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)(n + m + 1)) < 0)
			(void)0;	/* a log we cannot write is not the test's problem */
		real.close(fd);
	}
	errno = saved;
}

static void ms_write_outputs(void)
{
	char tmp[PATH_MAX + 48], text[64];
	int saved = errno, fd, n;

	if (!sim.have_state)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", sim.out_path, (int)getpid());
	n = snprintf(text, sizeof(text), "DTR=%d RTS=%d BREAK=%d\n",
		     !!(sim.outputs & TIOCM_DTR), !!(sim.outputs & TIOCM_RTS),
		     sim.in_break);
	fd = real.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, text, (size_t)n) == n && real.close(fd) == 0)
			rename(tmp, sim.out_path);
		else
			unlink(tmp);
	}
	errno = saved;
}

/* ---- state file ----------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} ms_line_names[] = {
	{ "CTS", TIOCM_CTS }, { "DCD", TIOCM_CD }, { "CD", TIOCM_CD },
	{ "CAR", TIOCM_CD }, { "RNG", TIOCM_RNG }, { "RI", TIOCM_RNG },
	{ "DSR", TIOCM_DSR },
};

static const struct {
	const char *name;
	int value;
} ms_errnos[] = {
	{ "EIO", EIO }, { "ENXIO", ENXIO }, { "ENODEV", ENODEV },
	{ "ETIMEDOUT", ETIMEDOUT }, { "EPERM", EPERM }, { "EBUSY", EBUSY },
	{ "EAGAIN", EAGAIN }, { "ENOTTY", ENOTTY }, { "EINVAL", EINVAL },
	{ "EPROTO", EPROTO }, { "EOVERFLOW", EOVERFLOW },
};

static unsigned ms_line_bit(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(ms_line_names) / sizeof(ms_line_names[0]); i++)
		if (strlen(ms_line_names[i].name) == len &&
		    strncasecmp(ms_line_names[i].name, name, len) == 0)
			return ms_line_names[i].bit;
	return 0;
}

static int ms_errno_value(const char *v)
{
	size_t i;

	if (!*v || strcmp(v, "0") == 0 || strcasecmp(v, "none") == 0)
		return 0;
	for (i = 0; i < sizeof(ms_errnos) / sizeof(ms_errnos[0]); i++)
		if (strcasecmp(ms_errnos[i].name, v) == 0)
			return ms_errnos[i].value;
	return atoi(v) > 0 ? atoi(v) : EIO;
}

static unsigned ms_pulse_list(const char *v)
{
	unsigned bits = 0;
	size_t len;

	while (*v) {
		len = strcspn(v, ",+|");
		bits |= ms_line_bit(v, len);
		v += len;
		if (*v)
			v++;
	}
	return bits;
}

/* One NAME=VALUE word into l; unknown words are ignored. */
static void ms_parse_word(char *word, struct ms_lines *l)
{
	char *eq = strchr(word, '=');
	unsigned bit;

	if (!eq)
		return;
	*eq = '\0';
	bit = ms_line_bit(word, strlen(word));
	if (bit) {
		if (atoi(eq + 1) != 0)
			l->inputs |= bit;
	} else if (strcasecmp(word, "ERR") == 0) {
		l->err = ms_errno_value(eq + 1);
	} else if (strcasecmp(word, "WAITERR") == 0) {
		l->wait_err = ms_errno_value(eq + 1);
	} else if (strcasecmp(word, "GONE") == 0) {
		l->gone = atoi(eq + 1) != 0;
	} else if (strcasecmp(word, "PULSE") == 0) {
		l->pulses |= ms_pulse_list(eq + 1);
	} else if (strcasecmp(word, "UPS") == 0) {
		l->ups = ms_cable_state(eq + 1);
	}
}

/* Parse the state text (modified in place). */
static struct ms_lines ms_parse_state(char *text)
{
	struct ms_lines l = { 0, 0, 0, 0, 0, -1 };
	char *p = text, *word;
	size_t len;

	while (*p) {
		p += strspn(p, " \t\r\n");
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		len = strcspn(p, " \t\r\n#");
		if (!len)
			continue;
		word = p;
		p += len;
		if (*p == '#') {
			*p = '\0';
			ms_parse_word(word, &l);
			*p = '#';
			continue;
		}
		if (*p)
			*p++ = '\0';
		ms_parse_word(word, &l);
	}
	return l;
}

static void ms_count(unsigned lines)
{
	if (lines & TIOCM_CTS)
		sim.icount.cts++;
	if (lines & TIOCM_CD)
		sim.icount.dcd++;
	if (lines & TIOCM_RNG)
		sim.icount.rng++;
	if (lines & TIOCM_DSR)
		sim.icount.dsr++;
}

/* One SERIAL_STATE notification from before to after, as cdc-acm.c
 * acm_process_notification counts it: the device sends DSR, DCD and RI
 * only (no CTS), oldcount takes the counters first, then a changed DSR or
 * DCD counts, and rng counts whenever RI is set in the new state. */
static void ms_acm_notify(unsigned before, unsigned after)
{
	unsigned difference = (before ^ after) & MS_ACM_LINES;

	if (!difference)
		return;
	sim.acm_oldcount = sim.icount;
	ms_count(difference & (TIOCM_DSR | TIOCM_CD));
	if (after & TIOCM_RNG)
		sim.icount.rng++;
}

/* Lines went from before to after, then the lines in pulses went and came
 * back: count the edges the chip counts. */
static void ms_count_change(unsigned before, unsigned after, unsigned pulses)
{
	const struct ms_chip *chip = sim.chip;

	if (chip->acm_notify) {
		ms_acm_notify(before, after);
		ms_acm_notify(after, after ^ pulses);
		ms_acm_notify(after ^ pulses, after);
		return;
	}
	ms_count((after & ~before & chip->count_rise) |
		 (before & ~after & chip->count_fall));
	/* a pulse is one edge each way, whichever level it started from */
	ms_count(pulses & chip->count_rise);
	ms_count(pulses & chip->count_fall);
}

/* Read the state file again; count transitions and pulses (lock held). */
static void ms_refresh(void)
{
	char buf[MS_STATE_MAX], work[MS_STATE_MAX];
	int saved = errno, fd;
	ssize_t n;
	size_t len = 0;
	struct ms_lines l;

	if (!sim.have_state)
		return;
	fd = real.open(sim.state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	real.close(fd);
	/* empty: a rewrite in place between truncate and write; keep the old */
	if (len == 0)
		goto out;
	if (sim.have_content && len == sim.content_len &&
	    memcmp(buf, sim.content, len) == 0)
		goto out;
	memcpy(work, buf, len);
	work[len] = '\0';
	l = ms_parse_state(work);
	ms_cable_read(&l);
	if (l.gone && !sim.lines.gone)
		sim.gone_count++;	/* like an unplugged adapter: open fds never work again */
	if (sim.have_content) {
		ms_count_change(sim.lines.inputs, l.inputs, l.pulses);
		if (l.inputs != sim.lines.inputs)
			ms_log("LINES 0x%03x 0x%03x", sim.lines.inputs, l.inputs);
	}
	sim.lines = l;
	memcpy(sim.content, buf, len);
	sim.content_len = len;
	sim.have_content = 1;
out:
	errno = saved;
}

/* ---- simulated cables (MODEMSIM_CABLE) ------------------------------ */
/*
 * A cable of one upstype (or overrides on one) between the port and a UPS
 * whose state the state file gives as UPS=mains|battery|low|pulled. The
 * input lines follow the profile table read as wiring (drivers/cablefit.h
 * says the same for the wizard): powered (every CP line raised, by the
 * program or by the open), the lines say what OL, LB, RB and BYPASS mean
 * for the state; unpowered or pulled, every line is clear. A write of the
 * program that is the cable's shutdown signal (the exact SD mask, a BREAK
 * for SD=ST, every line dropped after CP for SD=0) is logged as SHUTDOWN;
 * on battery the UPS obeys it and goes dark (every line clear) until the
 * state file says mains again; a signal still held when the UPS goes on
 * battery is obeyed too (a level input). Lines raised by open(2) are the
 * kernel's, not a signal: every program, the driver too, opens that way.
 */

static struct {
	int on, bad;
	char spec[256];
	struct cable_profile prof;
	unsigned prog_outputs;	/* the outputs as the program last wrote them */
	int off;		/* the UPS obeyed a shutdown on battery */
	int ups;		/* the state last read */
} ms_cable = { .ups = MS_UPS_MAINS };

static const char *const ms_ups_names[] = { "mains", "battery", "low", "pulled" };

static int ms_cable_state(const char *word)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(word, ms_ups_names[i]) == 0)
			return i;
	return MS_UPS_MAINS;
}

static int ms_cable_word(char *w, char *err, size_t errlen)
{
	char *eq = strchr(w, '=');
	int type, mask;

	if (!eq)
		return cable_parse_upstype(w, &type, err, errlen) < 0 ? -1 :
		       (ms_cable.prof = *cable_profile_get(type), 0);
	*eq++ = '\0';
	if (strcmp(w, "CP") == 0 || strcmp(w, "SD") == 0) {
		if (cable_parse_output(w, eq, &mask, err, errlen) < 0)
			return -1;
		*(w[0] == 'C' ? &ms_cable.prof.cp : &ms_cable.prof.sd) = mask;
		return 0;
	}
	if (strcmp(w, "OL") == 0)
		return cable_parse_input(w, eq, &ms_cable.prof.ol, err, errlen);
	if (strcmp(w, "LB") == 0)
		return cable_parse_input(w, eq, &ms_cable.prof.lb, err, errlen);
	if (strcmp(w, "RB") == 0)
		return cable_parse_input(w, eq, &ms_cable.prof.rb, err, errlen);
	if (strcmp(w, "BYPASS") == 0)
		return cable_parse_input(w, eq, &ms_cable.prof.bypass, err, errlen);
	snprintf(err, errlen, "unknown word '%s'", w);
	return -1;
}

/* MODEMSIM_CABLE: "5", or "1 OL=-DSR LB=CTS", or "0 CP=DTR OL=... SD=RTS". */
static void ms_cable_init(void)
{
	char work[256], err[200], *w, *save = NULL;

	if (!ms_env_copy(MODEMSIM_ENV_CABLE, ms_cable.spec, sizeof(ms_cable.spec)) ||
	    !ms_cable.spec[0])
		return;
	ms_cable.on = 1;
	ms_cable.prof = *cable_profile_get(0);
	snprintf(work, sizeof(work), "%s", ms_cable.spec);
	for (w = strtok_r(work, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (ms_cable_word(w, err, sizeof(err)) < 0) {
			fprintf(stderr, "modemsim: %s='%s': %s: every open of the port fails\n",
				MODEMSIM_ENV_CABLE, ms_cable.spec, err);
			ms_cable.bad = 1;
			return;
		}
	}
}

static int ms_cable_bad(const char *path)
{
	if (ms_cable.bad)
		fprintf(stderr, "modemsim: %s is not a cable: open %s fails\n",
			MODEMSIM_ENV_CABLE, path);
	return ms_cable.bad;
}

/* Make condition c read as want (true or false) on its lines. */
static void ms_cable_drive(const struct line_cond *c, int want, unsigned *bits)
{
	unsigned v = c->val;

	if (!c->line)
		return;
	if (!want)
		v ^= c->line & -c->line;	/* one line off its value breaks the AND */
	*bits = (*bits & ~c->line) | (v & c->line);
}

static unsigned ms_cable_lines(void)
{
	unsigned cp = (unsigned)ms_cable.prof.cp & MS_OUTPUTS, bits = 0;
	int st = ms_cable.ups;

	if (st == MS_UPS_PULLED || ms_cable.off || (sim.outputs & cp) != cp)
		return 0;
	ms_cable_drive(&ms_cable.prof.ol, st == MS_UPS_MAINS, &bits);
	ms_cable_drive(&ms_cable.prof.lb, st == MS_UPS_LOW, &bits);
	ms_cable_drive(&ms_cable.prof.rb, 0, &bits);
	ms_cable_drive(&ms_cable.prof.bypass, 0, &bits);
	return bits & MS_INPUTS;
}

static void ms_cable_signal(const char *how)
{
	ms_log("SHUTDOWN %s ups=%s", how, ms_ups_names[ms_cable.ups]);
	if (ms_cable.ups == MS_UPS_BATTERY || ms_cable.ups == MS_UPS_LOW)
		ms_cable.off = 1;
}

/* The state file was read (lock held): the cable decides the inputs. */
static void ms_cable_read(struct ms_lines *l)
{
	if (!ms_cable.on)
		return;
	int was = ms_cable.ups;

	ms_cable.ups = l->ups < 0 ? MS_UPS_MAINS : l->ups;
	if (ms_cable.ups == MS_UPS_MAINS && ms_cable.off) {
		ms_cable.off = 0;	/* mains back: the UPS starts again */
		ms_log("CABLE UPS on again");
	}
	/* a UPS that reads its shutdown input as a level obeys a signal still
	 * held when it goes on battery */
	if (was == MS_UPS_MAINS && (ms_cable.ups == MS_UPS_BATTERY || ms_cable.ups == MS_UPS_LOW) &&
	    !ms_cable.off && cable_sd_kind(ms_cable.prof.sd) == CABLE_SD_LINES &&
	    (sim.outputs & MS_OUTPUTS) == (unsigned)ms_cable.prof.sd) {
		char how[32];

		snprintf(how, sizeof(how), "held 0x%03x", sim.outputs & MS_OUTPUTS);
		ms_cable_signal(how);
	}
	l->inputs = ms_cable_lines();
}

/* The outputs changed from before (lock held); by_program: a TIOCM* write. */
static void ms_cable_outputs(int by_program, unsigned before)
{
	unsigned next = sim.outputs & MS_OUTPUTS, in;
	unsigned cp = (unsigned)ms_cable.prof.cp & MS_OUTPUTS;
	char how[32];

	if (!ms_cable.on)
		return;
	if (by_program) {
		switch (cable_sd_kind(ms_cable.prof.sd)) {
		case CABLE_SD_LINES:
			if (next == (unsigned)ms_cable.prof.sd &&
			    ms_cable.prog_outputs != (unsigned)ms_cable.prof.sd) {
				snprintf(how, sizeof(how), "lines 0x%03x", next);
				ms_cable_signal(how);
			}
			break;
		case CABLE_SD_DROP_ALL:
			if (next == 0 && cp && (ms_cable.prog_outputs & cp) == cp)
				ms_cable_signal("lines dropped");
			break;
		default:
			break;
		}
		ms_cable.prog_outputs = next;
	}
	(void)before;
	in = ms_cable_lines();
	if (in != sim.lines.inputs) {
		if (sim.have_content)
			ms_count_change(sim.lines.inputs, in, 0);
		sim.lines.inputs = in;
	}
}

/* A BREAK began (lock held). */
static void ms_cable_break(void)
{
	if (ms_cable.on && cable_sd_kind(ms_cable.prof.sd) == CABLE_SD_BREAK) {
		ms_cable_signal("break");
		ms_cable_outputs(0, sim.outputs);	/* a dark UPS clears the lines */
	}
}

/* errno a modem ioctl fails with now, or 0 (lock held, refreshed). */
static int ms_slot_of(int fd);

/* The device is gone now, or the current fd was opened before it vanished
 * (an unplugged adapter's fds never work again). */
static int ms_dead(void)
{
	int slot = ms_slot_of(ms_cur_fd);

	return sim.lines.gone || (slot >= 0 && sim.ptys[slot].gone_gen != sim.gone_count);
}

static int ms_fault(void)
{
	if (ms_dead())
		return EIO;
	return sim.lines.err;
}

/* ---- fd table (lock held) ------------------------------------------- */

static int ms_slot_of(int fd)
{
	if (fd < 0 || fd >= MS_MAX_FDS)
		return -1;
	return (int)sim.fake[fd] - 1;
}

static void ms_untrack(int fd)
{
	int slot = ms_slot_of(fd);

	if (slot < 0)
		return;
	sim.fake[fd] = 0;
	if (--sim.ptys[slot].refs == 0) {
		real.close(sim.ptys[slot].master);
		sim.ptys[slot].master = -1;
		if (sim.ptys[slot].lock_fd >= 0)
			real.close(sim.ptys[slot].lock_fd);
		sim.ptys[slot].lock_fd = -1;
	}
}

static void ms_track_dup(int oldfd, int newfd)
{
	int slot = ms_slot_of(oldfd);

	if (slot < 0 || newfd < 0)
		return;
	if (newfd >= MS_MAX_FDS)
		return;		/* cannot be tracked: it stays a plain pty */
	sim.fake[newfd] = (unsigned char)(slot + 1);
	sim.ptys[slot].refs++;
}

/* Is fd one of ours? Drops entries whose fd was closed behind our back. */
static int ms_is_fake(int fd)
{
	struct stat st;
	int slot, saved = errno, fake = 0;

	if (fd < 0 || fd >= MS_MAX_FDS)
		return 0;
	ms_ensure_init();
	pthread_mutex_lock(&sim.lock);
	slot = ms_slot_of(fd);
	if (slot >= 0) {
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
		    st.st_rdev == sim.ptys[slot].rdev)
			fake = 1;
		else
			ms_untrack(fd);
	}
	pthread_mutex_unlock(&sim.lock);
	errno = saved;
	return fake;
}

/* ---- open ----------------------------------------------------------- */

/* Is path one of the ':'-separated paths of list? */
static int ms_in_list(const char *list, const char *path)
{
	size_t len = strlen(path);
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ":");

		if (n == len && !strncmp(p, path, len))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

static int ms_is_port(const char *path)
{
	ms_ensure_init();
	if (!sim.have_port || !path)
		return 0;
	return sim.port_list ? ms_in_list(sim.port, path) : strcmp(path, sim.port) == 0;
}

static int ms_free_slot(void)
{
	int i;

	for (i = 0; i < MS_MAX_PTYS; i++)
		if (sim.ptys[i].master < 0)
			return i;
	return -1;
}

/* A fresh pty master, moved to a high fd, close-on-exec. -1 with errno. */
static int ms_new_master(char *slave, size_t len)
{
	int m, high;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, slave, len) != 0) {
		int e = errno;

		real.close(m);
		errno = e;
		return -1;
	}
	high = real.fcntl(m, F_DUPFD_CLOEXEC, MS_HIGH_FD);
	if (high >= 0) {
		real.close(m);
		return high;
	}
	real.fcntl(m, F_SETFD, FD_CLOEXEC);
	return m;
}

static int ms_open_port(const char *path, int flags)
{
	char slave[128];
	struct stat st;
	int slot, master, fd, e;

	pthread_mutex_lock(&sim.lock);
	if (ms_cable_bad(path)) {
		e = EINVAL;
		goto fail;
	}
	if (sim.bad_chip) {
		fprintf(stderr, "modemsim: %s=%s names no chip (ftdi 8250 pl2303 ch341 "
			"cp210x cdc-acm unknown): open %s fails\n", MODEMSIM_ENV_CHIP,
			sim.bad_chip_name, path);
		e = EINVAL;
		goto fail;
	}
	ms_refresh();
	/* the node as the next preload (umockdev's test bed) has it, or not */
	if (sim.lines.gone || (sim.port_list && access(path, F_OK) < 0)) {
		e = ENOENT;
		goto fail;
	}
	slot = ms_free_slot();
	if (slot < 0) {
		e = EMFILE;
		goto fail;
	}
	master = ms_new_master(slave, sizeof(slave));
	if (master < 0) {
		e = errno;
		goto fail;
	}
	fd = real.open(slave, flags & ~(O_CREAT | O_TRUNC | O_DIRECTORY), 0);
	if (fd < 0 || fd >= MS_MAX_FDS || fstat(fd, &st) < 0) {
		e = fd < 0 ? errno : EMFILE;
		if (fd >= 0)
			real.close(fd);
		real.close(master);
		goto fail;
	}
	sim.ptys[slot].master = master;
	sim.ptys[slot].refs = 1;
	sim.ptys[slot].lock_fd = -1;
	sim.ptys[slot].rdev = st.st_rdev;
	sim.ptys[slot].gone_gen = sim.gone_count;
	sim.fake[fd] = (unsigned char)(slot + 1);
	ms_log("OPEN %s", path);
	if (sim.chip_logged != getpid()) {	/* a forked child logs its own */
		sim.chip_logged = getpid();
		ms_log("CHIP %s", sim.chip->name);
	}
	{
		unsigned before = sim.outputs;

		sim.outputs |= sim.open_lines;	/* the tty layer raises them on open */
		ms_cable_outputs(0, before);
	}
	ms_write_outputs();
	pthread_mutex_unlock(&sim.lock);
	return fd;
fail:
	pthread_mutex_unlock(&sim.lock);
	errno = e;
	return -1;
}

static mode_t ms_mode_arg(int flags, va_list ap)
{
	if (flags & (O_CREAT | __O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ms_mode_arg(flags, ap);
	va_end(ap);
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ms_mode_arg(flags, ap);
	va_end(ap);
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ms_mode_arg(flags, ap);
	va_end(ap);
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ms_mode_arg(flags, ap);
	va_end(ap);
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.openat64(dirfd, path, flags, mode);
}

int __open_2(const char *path, int flags)
{
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.open_2(path, flags);
}

int __open64_2(const char *path, int flags)
{
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.open64_2(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.openat_2(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	if (ms_is_port(path))
		return ms_open_port(path, flags);
	return real.openat64_2(dirfd, path, flags);
}

/* ---- close and dup -------------------------------------------------- */

int close(int fd)
{
	int ret;

	ms_ensure_init();
	if (fd < 0 || fd >= MS_MAX_FDS)
		return real.close(fd);
	pthread_mutex_lock(&sim.lock);
	if (ms_slot_of(fd) >= 0) {
		ms_untrack(fd);
		ms_log("CLOSE");
	}
	ret = real.close(fd);
	pthread_mutex_unlock(&sim.lock);
	return ret;
}

/* Forget fake fds in [first, last] that a range close took away. */
static void ms_untrack_range(unsigned int first, unsigned int last)
{
	unsigned int fd;

	pthread_mutex_lock(&sim.lock);
	for (fd = first; fd < MS_MAX_FDS && fd <= last; fd++)
		if (sim.fake[fd]) {
			ms_untrack((int)fd);
			ms_log("CLOSE");
		}
	pthread_mutex_unlock(&sim.lock);
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	int ret;

	ms_ensure_init();
	if (!real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	ret = real.close_range(first, last, flags);
	if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		ms_untrack_range(first, last);
	return ret;
}

void closefrom(int lowfd)
{
	ms_ensure_init();
	if (real.closefrom)
		real.closefrom(lowfd);
	if (lowfd >= 0)
		ms_untrack_range((unsigned int)lowfd, UINT_MAX);
}

/* After a successful dup of oldfd onto newfd: newfd shares oldfd's pty. */
static int ms_after_dup(int oldfd, int newfd)
{
	if (newfd < 0 || newfd >= MS_MAX_FDS)
		return newfd;
	pthread_mutex_lock(&sim.lock);
	if (ms_slot_of(newfd) >= 0) {	/* dup2 over a fake fd closed it */
		ms_untrack(newfd);
		ms_log("CLOSE");
	}
	ms_track_dup(oldfd, newfd);
	pthread_mutex_unlock(&sim.lock);
	return newfd;
}

int dup(int oldfd)
{
	ms_ensure_init();
	return ms_after_dup(oldfd, real.dup(oldfd));
}

int dup2(int oldfd, int newfd)
{
	int ret;

	ms_ensure_init();
	pthread_mutex_lock(&sim.lock);	/* no open may take newfd meanwhile */
	ret = real.dup2(oldfd, newfd);
	if (ret >= 0 && oldfd != newfd)
		ms_after_dup(oldfd, ret);
	pthread_mutex_unlock(&sim.lock);
	return ret;
}

int dup3(int oldfd, int newfd, int flags)
{
	int ret;

	ms_ensure_init();
	pthread_mutex_lock(&sim.lock);
	ret = real.dup3(oldfd, newfd, flags);
	if (ret >= 0)
		ms_after_dup(oldfd, ret);
	pthread_mutex_unlock(&sim.lock);
	return ret;
}

static int ms_fcntl(int (*fn)(int, int, ...), int fd, int cmd, void *arg)
{
	int ret;

	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return fn(fd, cmd, arg);
	ret = fn(fd, cmd, arg);
	if (ret >= 0)
		ms_after_dup(fd, ret);
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	ms_ensure_init();
	return ms_fcntl(real.fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	ms_ensure_init();
	return ms_fcntl(real.fcntl64, fd, cmd, arg);
}

/* ---- modem ioctls on fake fds --------------------------------------- */

/* Lock, re-read, and fail with the injected errno if any (unlocks then). */
static int ms_begin(void)
{
	int e;

	pthread_mutex_lock(&sim.lock);
	ms_refresh();
	e = ms_fault();
	if (e) {
		pthread_mutex_unlock(&sim.lock);
		errno = e;
		return -1;
	}
	return 0;
}

static int ms_end(int ret)
{
	pthread_mutex_unlock(&sim.lock);
	return ret;
}

static int ms_tiocmget(int *bits)
{
	if (ms_begin() < 0)
		return -1;
	*bits = (int)(sim.lines.inputs | sim.outputs | sim.chip->tiocmget_always);
	if (sim.log_reads)
		ms_log("TIOCMGET 0x%03x", (unsigned)*bits);
	return ms_end(0);
}

static int ms_modem_write(unsigned long req, const int *bits)
{
	unsigned v = (unsigned)*bits;
	const char *name;

	unsigned before;

	if (ms_begin() < 0)
		return -1;
	before = sim.outputs;
	if (req == TIOCMSET) {
		name = "TIOCMSET";
		sim.outputs = v & MS_OUTPUTS;
	} else if (req == TIOCMBIS) {
		name = "TIOCMBIS";
		sim.outputs |= v & MS_OUTPUTS;
	} else {
		name = "TIOCMBIC";
		sim.outputs &= ~v & MS_OUTPUTS;
	}
	ms_log("%s 0x%03x", name, v);
	ms_cable_outputs(1, before);
	ms_write_outputs();
	return ms_end(0);
}

static int ms_icount(struct serial_icounter_struct *ic)
{
	if (sim.no_icount || !sim.chip->icount) {
		errno = ENOTTY;
		return -1;
	}
	if (ms_begin() < 0)
		return -1;
	*ic = sim.icount;
	return ms_end(0);
}

/* Did a counter of the lines in mask move from then to now? */
static int ms_counts_differ(unsigned mask, const struct serial_icounter_struct *then,
			    const struct serial_icounter_struct *now)
{
	return ((mask & TIOCM_CTS) && then->cts != now->cts) ||
	       ((mask & TIOCM_CD) && then->dcd != now->dcd) ||
	       ((mask & TIOCM_RNG) && then->rng != now->rng) ||
	       ((mask & TIOCM_DSR) && then->dsr != now->dsr);
}

/* One check of a TIOCMIWAIT (lock held, refreshed): is the wait over? */
static int ms_wait_over(unsigned mask, const struct serial_icounter_struct *entry)
{
	struct serial_icounter_struct old;

	mask &= sim.chip->wait_lines;
	if (sim.chip->wait != MS_WAIT_OLDCOUNT)
		return ms_counts_differ(mask, entry, &sim.icount);
	/* cdc-acm.c wait_serial_change: old = oldcount; oldcount = iocount */
	old = sim.acm_oldcount;
	sim.acm_oldcount = sim.icount;
	return ms_counts_differ(mask, &old, &sim.icount);
}

/* errno a TIOCMIWAIT ends with now, or 0 (lock held, refreshed). */
static int ms_wait_fault(void)
{
	int e = ms_fault();

	return e ? e : sim.lines.wait_err;
}

/* Sleep until the next multiple of period_ms of CLOCK_MONOTONIC: the
 * moment the next bulk-in packet would bring the status. EINTR as a wait. */
static int ms_wait_for_packet(long period_ms)
{
	const long long period = period_ms * 1000000LL;
	struct timespec now, until;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = ((long long)now.tv_sec * 1000000000LL + now.tv_nsec) / period * period + period;
	until.tv_sec = (time_t)(ns / 1000000000LL);
	until.tv_nsec = (long)(ns % 1000000000LL);
	if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
		errno = EINTR;
		return -1;
	}
	return 0;
}

/* Drain an inotify fd; its events only mean "read the file again". */
static void ms_drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int ms_miwait(unsigned mask)
{
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	struct serial_icounter_struct entry;
	sigset_t caller;
	int r, e, over = 0;

	/* umockdev's preload (stacked after us) saves and restores signal
	 * masks in one variable shared by all threads, so its wrappers that
	 * the wait calls may leave this thread with another thread's mask:
	 * the wait itself runs with the caller's, as the kernel's would. */
	pthread_sigmask(SIG_SETMASK, NULL, &caller);
	if (sim.no_miwait) {
		errno = EINVAL;
		return -1;
	}
	if (sim.chip->wait == MS_WAIT_NONE) {
		errno = ENOTTY;	/* usb-serial.c serial_ioctl: no tiocmiwait */
		return -1;
	}
	if (ms_begin() < 0)
		return -1;
	entry = sim.icount;
	e = ms_wait_fault();
	if (!e)
		over = ms_wait_over(mask, &entry);	/* cdc-acm may end at once */
	ms_end(0);
	/* One inotify fd per waiting thread, kept open: closing one costs the
	 * kernel several milliseconds, which would show up as line latency. */
	if (sim.have_state && ms_thread_inotify < 0) {
		ms_thread_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ms_thread_inotify >= 0 &&
		    inotify_add_watch(ms_thread_inotify, sim.state_dir,
				      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY) < 0) {
			real.close(ms_thread_inotify);
			ms_thread_inotify = -1;
		}
	}
	pfd.fd = ms_thread_inotify;
	while (!over && !e) {
		/* inotify says when to look; the timeout is only a safety net */
		pthread_sigmask(SIG_SETMASK, &caller, NULL);
		r = poll(&pfd, 1, pfd.fd >= 0 ? MODEMSIM_IDLE_POLL_MS : MODEMSIM_POLL_MS);
		if (r < 0 && errno == EINTR) {
			e = EINTR;
			break;
		}
		if (r > 0)
			ms_drain(pfd.fd);
		pthread_mutex_lock(&sim.lock);
		ms_refresh();
		e = ms_wait_fault();
		if (!e)
			over = ms_wait_over(mask, &entry);
		pthread_mutex_unlock(&sim.lock);
	}
	if (e) {
		errno = e;
		return -1;
	}
	if (sim.chip->latency_ms > 0)
		return ms_wait_for_packet(sim.chip->latency_ms);
	return 0;
}

/* TIOCGSERIAL: the chip's fixed answer; EIO on a vanished device (a
 * hung-up tty fails every ioctl). ERR does not apply: no transfer. */
static int ms_tiocgserial(struct serial_struct *ss)
{
	int dead;

	if (!sim.chip->serial) {
		errno = ENOTTY;	/* tty_io.c: no get_serial */
		return -1;
	}
	pthread_mutex_lock(&sim.lock);
	ms_refresh();
	dead = ms_dead();
	pthread_mutex_unlock(&sim.lock);
	if (dead) {
		errno = EIO;
		return -1;
	}
	*ss = *sim.chip->serial;
	return 0;
}

static void ms_set_break(int on)
{
	pthread_mutex_lock(&sim.lock);
	sim.in_break = on;
	ms_write_outputs();
	pthread_mutex_unlock(&sim.lock);
}

/* A BREAK of ms milliseconds, logged as event; EINTR if a signal comes. */
static int ms_break(const char *event, long arg, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	int ret = 0;

	if (ms_begin() < 0)
		return -1;
	ms_log("%s %ld", event, arg);
	sim.in_break = 1;
	ms_cable_break();
	ms_write_outputs();
	ms_end(0);
	if (!sim.fast_break && ms > 0 &&
	    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) == EINTR)
		ret = -1;
	ms_set_break(0);
	if (ret < 0)
		errno = EINTR;
	return ret;
}

static int ms_break_level(unsigned long req)
{
	if (ms_begin() < 0)
		return -1;
	sim.in_break = req == TIOCSBRK;
	ms_log("%s", req == TIOCSBRK ? "TIOCSBRK" : "TIOCCBRK");
	if (sim.in_break)
		ms_cable_break();
	ms_write_outputs();
	return ms_end(0);
}

static int ms_tcsbrk(int arg)
{
	if (arg == 0)
		return ms_break("TCSBRK", 0, 250);
	if (ms_begin() < 0)
		return -1;
	ms_log("TCSBRK %d", arg);	/* a drain: nothing is ever pending */
	return ms_end(0);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	ms_ensure_init();
	if (!ms_is_fake(fd))
		return real.ioctl(fd, req, arg);
	ms_cur_fd = fd;
	switch (req) {
	case TIOCMGET:
		return ms_tiocmget(arg);
	case TIOCMSET:
	case TIOCMBIS:
	case TIOCMBIC:
		return ms_modem_write(req, arg);
	case TIOCMIWAIT:
		return ms_miwait((unsigned)(uintptr_t)arg);
	case TIOCGICOUNT:
		return ms_icount(arg);
	case TIOCGSERIAL:
		return ms_tiocgserial(arg);
	case TCSBRK:
		return ms_tcsbrk((int)(intptr_t)arg);
	case TCSBRKP: {
		int n = (int)(intptr_t)arg;

		return ms_break("TCSBRKP", n, n > 0 ? n * 100L : 250);
	}
	case TIOCSBRK:
	case TIOCCBRK:
		return ms_break_level(req);
	default:
		return real.ioctl(fd, req, arg);
	}
}

int tcsendbreak(int fd, int duration)
{
	ms_ensure_init();
	if (!ms_is_fake(fd))
		return real.tcsendbreak(fd, duration);
	/* glibc's mapping: TCSBRK 0 (250 ms) or TCSBRKP in tenths, rounded up */
	return ms_break("TCSENDBREAK", duration,
			duration <= 0 ? 250 : (duration + 99L) / 100 * 100);
}

/*
 * Every open of the port makes its own pty, so flock on the pty would never
 * see another process. Lock a file shared by all processes of the test
 * instead, one open file description per pty, as a device node would be.
 */
int flock(int fd, int op)
{
	int slot, lfd;

	ms_ensure_init();
	if (!sim.shared_lock || !ms_is_fake(fd))
		return real.flock(fd, op);
	pthread_mutex_lock(&sim.lock);
	slot = ms_slot_of(fd);
	lfd = slot >= 0 ? sim.ptys[slot].lock_fd : -1;
	if (slot >= 0 && lfd < 0) {
		lfd = real.open(sim.lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lfd < 0) {
			pthread_mutex_unlock(&sim.lock);
			return -1;
		}
		sim.ptys[slot].lock_fd = lfd;
	}
	pthread_mutex_unlock(&sim.lock);
	if (lfd < 0)
		return real.flock(fd, op);
	return real.flock(lfd, op);	/* may block: not under the lock */
}

/* A vanished device fails termios calls too (only GONE, not ERR). */
static int ms_gone(int fd)
{
	int gone;

	if (!ms_is_fake(fd))
		return 0;
	pthread_mutex_lock(&sim.lock);
	ms_refresh();
	ms_cur_fd = fd;
	gone = ms_dead();
	pthread_mutex_unlock(&sim.lock);
	return gone;
}

int tcgetattr(int fd, struct termios *tio)
{
	ms_ensure_init();
	if (ms_gone(fd)) {
		errno = EIO;
		return -1;
	}
	return real.tcgetattr(fd, tio);
}

int tcsetattr(int fd, int when, const struct termios *tio)
{
	ms_ensure_init();
	if (ms_gone(fd)) {
		errno = EIO;
		return -1;
	}
	return real.tcsetattr(fd, when, tio);
}

/* ---- sysfs: the port's kernel driver -------------------------------- */

/* The driver link to answer for path, or NULL when path is not exactly the
 * sysfs driver link of a pty slave we handed out and still have open. */
static const char *ms_driver_link(const char *path)
{
	static const char prefix[] = "/sys/dev/char/";
	char exact[sizeof(MODEMSIM_SYSFS_DRIVER_FMT) + 24];
	const char *link = NULL;
	unsigned maj, min;
	int i;

	if (!path || strncmp(path, prefix, sizeof(prefix) - 1) != 0 ||
	    sscanf(path + sizeof(prefix) - 1, "%u:%u", &maj, &min) != 2)
		return NULL;
	/* printed back, so "+1:02", spaces or a trailing slash do not match */
	snprintf(exact, sizeof(exact), MODEMSIM_SYSFS_DRIVER_FMT, maj, min);
	if (strcmp(path, exact) != 0)
		return NULL;
	pthread_mutex_lock(&sim.lock);
	for (i = 0; i < MS_MAX_PTYS; i++)
		if (sim.ptys[i].master >= 0 && sim.ptys[i].rdev == makedev(maj, min))
			link = sim.chip->driver_link;
	pthread_mutex_unlock(&sim.lock);
	return link;
}

/* As readlink(2) answers: the target cut to len, no NUL, its length. */
static ssize_t ms_answer_link(const char *link, char *buf, size_t len)
{
	size_t n = strlen(link);

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, link, n);
	return (ssize_t)n;
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t len)
{
	const char *link;

	ms_ensure_init();
	link = ms_driver_link(path);
	if (link)
		return ms_answer_link(link, buf, len);
	return real.readlink(path, buf, len);
}

ssize_t readlinkat(int dirfd, const char *restrict path, char *restrict buf, size_t len)
{
	const char *link;

	ms_ensure_init();
	link = ms_driver_link(path);	/* absolute: dirfd does not matter */
	if (link)
		return ms_answer_link(link, buf, len);
	return real.readlinkat(dirfd, path, buf, len);
}

/* glibc's fortified entry points: the real one aborts on len > buflen. */
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen)
{
	const char *link;

	ms_ensure_init();
	link = ms_driver_link(path);
	if (link && len <= buflen)
		return ms_answer_link(link, buf, len);
	return real.readlink_chk(path, buf, len, buflen);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
			 size_t buflen)
{
	const char *link;

	ms_ensure_init();
	link = ms_driver_link(path);
	if (link && len <= buflen)
		return ms_answer_link(link, buf, len);
	return real.readlinkat_chk(dirfd, path, buf, len, buflen);
}
