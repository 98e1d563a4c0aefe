/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What each Linux tty driver reports about the modem input lines. Facts from
 * the mainline kernel source (spec nut-compat.md 11.1), file by file below.
 */
#include <stdio.h>
#include <string.h>

#include "port_caps.h"

#define ALL_IN	ML_INPUTS

struct family_desc {
	enum port_family family;
	const char *name;
	unsigned reported, wake_rise, wake_fall;
	bool miwait, counters;
};

static const struct family_desc families[] = {
	/* No knowledge: TIOCMIWAIT is tried, but no edge is trusted to end it
	 * and no counter is trusted, so every line the profile reads is also
	 * read on the short timer. */
	{ PORT_FAMILY_UNKNOWN, "unknown", ALL_IN, 0, 0, true, false },
	/* drivers/tty/serial/8250/8250_port.c serial8250_modem_status(): the
	 * MSR's TERI bit counts icount.rng on RI set -> clear only; serial_core.c
	 * uart_wait_modem_status() ends a TIOCMIWAIT only when a requested
	 * counter changed, so RI clear -> set never ends it. */
	{ PORT_FAMILY_8250, "8250", ALL_IN, ML_CTS | ML_DCD | ML_DSR, ALL_IN, true, true },
	/* drivers/usb/serial/ftdi_sio.c ftdi_process_packet(): status bytes of
	 * every bulk-in packet count all four lines, both edges. */
	{ PORT_FAMILY_FTDI, "ftdi", ALL_IN, ALL_IN, ALL_IN, true, true },
	/* drivers/usb/serial/pl2303.c pl2303_update_line_status(), ch341.c
	 * ch341_update_status(): both edges counted for the wait
	 * (usb_serial_generic_tiocmiwait); TIOCGICOUNT fails with ENOTTY
	 * (EINVAL before 5.13). */
	{ PORT_FAMILY_PL2303, "pl2303", ALL_IN, ALL_IN, ALL_IN, true, false },
	{ PORT_FAMILY_CH341, "ch341", ALL_IN, ALL_IN, ALL_IN, true, false },
	/* drivers/usb/serial/cp210x.c: no modem-status events: TIOCMIWAIT fails
	 * with ENOTTY; TIOCGICOUNT succeeds (5.9+) but the counters stay 0. */
	{ PORT_FAMILY_CP210X, "cp210x", ALL_IN, 0, 0, false, false },
	/* drivers/usb/class/cdc-acm.c: acm_tty_tiocmget() always reports CTS
	 * set (CDC has no CTS); wait_serial_change() checks DSR, DCD and RI;
	 * acm_process_notification() counts RI only while it is set. */
	{ PORT_FAMILY_CDC_ACM, "cdc-acm", ML_DCD | ML_DSR | ML_RNG,
	  ML_DCD | ML_DSR | ML_RNG, ML_DCD | ML_DSR, true, true },
	/* sim:FILE: inotify sees every rewrite of the file. */
	{ PORT_FAMILY_SIM, "sim", ALL_IN, ALL_IN, ALL_IN, true, false },
};

/* Kernel driver names (sysfs) and their family. */
static const struct {
	const char *driver;
	enum port_family family;
} driver_names[] = {
	{ "serial8250", PORT_FAMILY_8250 },	/* on-board ttyS* (platform, ISA) */
	{ "serial", PORT_FAMILY_8250 },		/* 8250_pci, 8250_pnp cards */
	{ "exar_serial", PORT_FAMILY_8250 },	/* 8250_exar */
	{ "dw-apb-uart", PORT_FAMILY_8250 },	/* 8250_dw */
	{ "of_serial", PORT_FAMILY_8250 },	/* 8250_of */
	{ "8250_lpss", PORT_FAMILY_8250 },
	{ "8250_mid", PORT_FAMILY_8250 },
	{ "ftdi_sio", PORT_FAMILY_FTDI },
	{ "pl2303", PORT_FAMILY_PL2303 },
	{ "ch341-uart", PORT_FAMILY_CH341 },
	{ "ch341", PORT_FAMILY_CH341 },
	{ "cp210x", PORT_FAMILY_CP210X },
	{ "cdc_acm", PORT_FAMILY_CDC_ACM },
};

/* The serial core's generic port device (6.5+: "port") hides the UART
 * driver's name; TIOCGSERIAL's type says whether it is an 8250 (types 1-30,
 * PORT_8250 .. PORT_16550A_FSL64 in include/uapi/linux/serial_core.h). */
#define SERIAL_TYPE_8250_FIRST	1
#define SERIAL_TYPE_8250_LAST	30

static struct port_caps caps_of(enum port_family f, const char *driver)
{
	struct port_caps c;
	size_t i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (families[i].family != f)
			continue;
		c.family = f;
		c.reported = families[i].reported;
		c.wake_rise = families[i].wake_rise;
		c.wake_fall = families[i].wake_fall;
		c.miwait = families[i].miwait;
		c.counters = families[i].counters;
	}
	snprintf(c.driver, sizeof(c.driver), "%s", driver ? driver : "");
	return c;
}

struct port_caps port_caps_for(const char *driver, int serial_type)
{
	size_t i;

	if (driver && *driver) {
		for (i = 0; i < sizeof(driver_names) / sizeof(driver_names[0]); i++)
			if (!strcmp(driver, driver_names[i].driver))
				return caps_of(driver_names[i].family, driver);
		if (!strcmp(driver, "port") && serial_type >= SERIAL_TYPE_8250_FIRST &&
		    serial_type <= SERIAL_TYPE_8250_LAST)
			return caps_of(PORT_FAMILY_8250, driver);
	}
	return caps_of(PORT_FAMILY_UNKNOWN, driver);
}

struct port_caps port_caps_sim(void)
{
	return caps_of(PORT_FAMILY_SIM, "sim");
}

const char *port_family_name(enum port_family f)
{
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i].family == f)
			return families[i].name;
	return "unknown";
}

unsigned profile_input_lines(const struct cable_profile *p)
{
	return (p->ol.line | p->lb.line | p->rb.line | p->bypass.line) & ML_INPUTS;
}

unsigned port_unseen_lines(const struct port_caps *c, unsigned needed,
			   unsigned bits, bool watching)
{
	unsigned lines = needed & ML_INPUTS;

	if (!watching)
		return lines;
	/* a line now clear can only rise, a line now set can only fall */
	return (lines & ~bits & ~c->wake_rise) | (lines & bits & ~c->wake_fall);
}

unsigned port_partly_unseen_lines(const struct port_caps *c, unsigned needed,
				  bool watching)
{
	return port_unseen_lines(c, needed, 0, watching) |
	       port_unseen_lines(c, needed, ML_INPUTS, watching);
}

static void append(char *buf, size_t len, size_t *used, const char *word)
{
	int n;

	if (*used >= len)
		return;
	n = snprintf(buf + *used, len - *used, "%s%s", *used ? " " : "", word);
	if (n > 0)
		*used += (size_t)n;
}

/* One word per line: "CTS", "RNG:rising", "RNG:falling", nothing. */
static void edge_words(unsigned rise, unsigned fall, char *buf, size_t len)
{
	char word[32];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < CABLE_NINPUTS; i++) {
		unsigned bit = cable_inputs[i].bit;
		bool r = rise & bit, f = fall & bit;

		if (!r && !f)
			continue;
		snprintf(word, sizeof(word), "%s%s", cable_inputs[i].name,
			 r && f ? "" : r ? ":rising" : ":falling");
		append(buf, len, &used, word);
	}
	if (!used)
		snprintf(buf, len, "none");
}

const char *port_events_text(const struct port_caps *c, char *buf, size_t len)
{
	if (!c->miwait)
		snprintf(buf, len, "none");
	else if (c->family == PORT_FAMILY_UNKNOWN)
		snprintf(buf, len, "not known");
	else
		edge_words(c->wake_rise, c->wake_fall, buf, len);
	return buf;
}

const char *port_polled_text(const struct port_caps *c, unsigned needed, bool watching,
			     char *buf, size_t len)
{
	/* the edges that do not wake the watcher: rising of a line read while
	 * clear, falling of one read while set */
	unsigned rise = port_unseen_lines(c, needed, 0, watching);
	unsigned fall = port_unseen_lines(c, needed, ML_INPUTS, watching);

	edge_words(rise, fall, buf, len);
	return buf;
}

int port_check_profile(const struct port_caps *c, const struct cable_profile *p,
		       const char *port, char *err, size_t errlen)
{
	unsigned missing = profile_input_lines(p) & ~c->reported;
	char avail[64];
	size_t i, used = 0;

	if (!missing)
		return 0;
	avail[0] = '\0';
	for (i = 0; i < CABLE_NINPUTS; i++)
		if (c->reported & cable_inputs[i].bit)
			append(avail, sizeof(avail), &used, cable_inputs[i].name);
	for (i = 0; i < CABLE_NINPUTS; i++) {
		if (!(missing & cable_inputs[i].bit))
			continue;
		snprintf(err, errlen, "port %s (kernel driver %s) cannot report %s: "
			 "it always reads as %s there, so this cable profile cannot work "
			 "through it; use a port that has %s (an on-board or PCI UART, an "
			 "FTDI, PL2303 or CH340 adapter), or override OL/LB/RB/BYPASS to "
			 "lines this port reports (%s)",
			 port, c->driver[0] ? c->driver : port_family_name(c->family),
			 cable_inputs[i].name,
			 c->family == PORT_FAMILY_CDC_ACM ? "set (USB CDC has no CTS)" :
			 "the same", cable_inputs[i].name, avail);
		break;
	}
	return -1;
}
