/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial ports present, for the cable wizard's first screen: USB
 * adapters from usbport_list() (identity and the most stable port = value)
 * and the other ttys with a kernel driver from sysfs (/sys/class/tty), each
 * with what its kernel driver reports (port_caps). Nothing is opened: opening
 * a serial port raises DTR and RTS, which is a shutdown signal for some UPSes.
 */
#ifndef PORTLIST_H
#define PORTLIST_H

#include <stddef.h>

#include "port_caps.h"

struct portlist_entry {
	char dev[64];		/* "/dev/ttyS0" */
	char port[256];		/* the port = value naming it most stably */
	char what[256];		/* "16550A UART" or the USB identity */
	struct port_caps caps;
};

/* Fill up to max entries, USB adapters first; returns how many. note gets a
 * line when the USB listing was not possible (built without libusb...). */
size_t portlist_scan(struct portlist_entry *out, size_t max, char *note, size_t notelen);

/* "CTS DCD RNG DSR" of the lines the port reads, "none". */
const char *portlist_lines_text(unsigned lines, char *buf, size_t len);

#endif
