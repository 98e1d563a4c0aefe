/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the kernel driver behind a serial port reports about the modem input
 * lines: which lines TIOCMGET reads truly, which edges end a TIOCMIWAIT,
 * whether the TIOCGICOUNT counters can be trusted. Linux tty drivers differ
 * (spec nut-compat.md 11.1); the facts per driver are in port_caps.c with
 * the kernel source they come from. Pure data and pure functions; the serial
 * line source does the I/O (sysfs, TIOCGSERIAL) and asks here.
 */
#ifndef PORT_CAPS_H
#define PORT_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "cable_profile.h"

enum port_family {
	PORT_FAMILY_UNKNOWN,	/* a driver we know nothing of: assume nothing */
	PORT_FAMILY_8250,	/* 8250/16550 UARTs: RI counts trailing edges only */
	PORT_FAMILY_FTDI,
	PORT_FAMILY_PL2303,
	PORT_FAMILY_CH341,
	PORT_FAMILY_CP210X,	/* no TIOCMIWAIT, counters frozen */
	PORT_FAMILY_CDC_ACM,	/* no CTS at all; RI rising edge only */
	PORT_FAMILY_SIM,	/* port = sim:FILE, every change seen */
};

struct port_caps {
	enum port_family family;
	char driver[64];	/* kernel driver name, "" when not found */
	unsigned reported;	/* input lines TIOCMGET reads truly */
	unsigned wake_rise;	/* lines whose clear -> set ends a TIOCMIWAIT */
	unsigned wake_fall;	/* lines whose set -> clear ends a TIOCMIWAIT */
	bool miwait;		/* TIOCMIWAIT is implemented */
	bool counters;		/* TIOCGICOUNT works and its counters move */
};

/* No TIOCGSERIAL answer (the ioctl failed). */
#define PORT_SERIAL_TYPE_NONE	(-1)

/*
 * The capabilities of a port whose kernel driver is named driver (the
 * basename of /sys/dev/char/MAJ:MIN/device/driver; NULL or "" if unknown)
 * and whose TIOCGSERIAL type is serial_type (PORT_SERIAL_TYPE_NONE when
 * the ioctl failed). The TIOCGSERIAL type tells an 8250 UART behind the
 * serial core's generic "port" device from other UARTs.
 */
struct port_caps port_caps_for(const char *driver, int serial_type);

/* The capabilities of a sim:FILE port (inotify sees every change). */
struct port_caps port_caps_sim(void);

/* Short name of a family: "8250", "ftdi", ..., "unknown", "sim". */
const char *port_family_name(enum port_family f);

/* The input lines a profile reads (OL, LB, RB, BYPASS conditions). */
unsigned profile_input_lines(const struct cable_profile *p);

/*
 * Input lines among needed whose next change, from the levels in bits,
 * would not wake the driver: they must be read on a timer. watching is
 * false when no TIOCMIWAIT watcher runs (then every needed line is).
 */
unsigned port_unseen_lines(const struct port_caps *c, unsigned needed,
			   unsigned bits, bool watching);

/* As above for either level: the lines one of whose edges is not reported. */
unsigned port_partly_unseen_lines(const struct port_caps *c, unsigned needed,
				  bool watching);

/*
 * "CTS DCD DSR RNG:falling"-style text of the lines and edges that wake a
 * TIOCMIWAIT ("none" when none do). For logs and driver.port.events.
 */
const char *port_events_text(const struct port_caps *c, char *buf, size_t len);

/*
 * "RNG:rising"-style text of the lines of needed that are read on a timer
 * ("none" when none are). For logs and driver.port.polled.
 */
const char *port_polled_text(const struct port_caps *c, unsigned needed, bool watching,
			     char *buf, size_t len);

/*
 * Refuse a profile that reads a line the port cannot report at all (CTS
 * through cdc-acm). 0, or -1 with err naming the line, the driver and what
 * to use instead.
 */
int port_check_profile(const struct port_caps *c, const struct cable_profile *p,
		       const char *port, char *err, size_t errlen);

#endif
