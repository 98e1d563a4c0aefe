/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USB-serial adapters named by identity instead of by tty node:
 *
 *   port = usb:VID:PID[,serial=SERIAL][,path=BUS-PORT[.PORT...]][,if=N]
 *
 * e.g. "usb:0403:6001,serial=A10KZP45" or "usb:1a86:7523,path=1-1.2". The
 * identity is resolved to the tty node (/dev/ttyUSB3) with libusb-1.0
 * (enumeration, descriptors, port numbers) and sysfs (serial number, the
 * interfaces' kernel drivers and tty children), at start and at every
 * reopen; a watch follows hotplug through libusb's own fds, which the
 * driver's one poll loop polls. Nothing here opens /dev/bus/usb: all of it
 * works unprivileged.
 *
 * This header is the module's whole public face; the listing API
 * (usbport_list) is also used outside the driver (the cable wizard) and
 * stays stable.
 */
#ifndef USBPORT_H
#define USBPORT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBPORT_PREFIX	"usb:"
#define USBPORT_SERIAL_MAX	128
#define USBPORT_PATH_MAX	32	/* "1-1.2.3.4.5.6.7" and more */

/* What a port = usb:... value names; empty or -1 fields match any. */
struct usbport_id {
	uint16_t vid, pid;
	char serial[USBPORT_SERIAL_MAX];	/* "": any serial number, or none */
	char path[USBPORT_PATH_MAX];		/* "": any USB port */
	int iface;				/* bInterfaceNumber, -1: any */
};

/* One tty of a USB adapter, as found on the system. */
struct usbport_adapter {
	uint16_t vid, pid;
	char serial[USBPORT_SERIAL_MAX];	/* sysfs serial, "" when it has none */
	char path[USBPORT_PATH_MAX];		/* USB port path, as sysfs names it */
	int iface;				/* bInterfaceNumber of the tty */
	bool multi;				/* the device has more than one tty */
	char driver[32];			/* kernel driver: ftdi_sio, ch341 ... */
	char tty[64];				/* "/dev/ttyUSB0" */
	char product[64];			/* sysfs product string, "" if none */
	char port[224];				/* the port = value naming it most stably */
};

/* True when port names an adapter by identity (starts with "usb:"). */
bool usbport_is_usb(const char *port);

/* Parse a usb: port value. Pure. 0, or -1 with err naming the value. */
int usbport_parse(const char *port, struct usbport_id *id, char *err, size_t errlen);

/* Does the adapter fit the identity? Pure. */
bool usbport_match(const struct usbport_id *id, const struct usbport_adapter *a);

/* "0403:6001 serial=A10KZP45 path=1-2 if=0 (ftdi_sio)": for messages and
 * driver.port.usb. Pure. */
void usbport_describe(const struct usbport_adapter *a, char *buf, size_t len);

/* Fill each adapter's port string: serial=... when that serial number is
 * unique among the listed adapters of that vid:pid, else path=...; if=N
 * when the device has several ttys. Pure. */
void usbport_name_all(struct usbport_adapter *list, size_t n);

/* Every tty of a USB device present now, sorted by USB port path and
 * interface, with port strings filled. 0, or a negative errno (-ENOSYS:
 * built without libusb-1.0; -EIO: libusb cannot be initialised). The
 * caller frees *out with usbport_list_free; n may be 0 (and *out NULL). */
int usbport_list(struct usbport_adapter **out, size_t *n);
void usbport_list_free(struct usbport_adapter *list);

/* Exactly one listed adapter fitting id, into *found. 0, or -1 with err
 * naming port and listing the adapters present with their identities. */
int usbport_resolve(const struct usbport_id *id, const char *port,
		    struct usbport_adapter *found, char *err, size_t errlen);

/* ---- hotplug ---------------------------------------------------------- */

enum usbport_event {
	USBPORT_EV_LEFT = 1,		/* the bound adapter was unplugged */
	USBPORT_EV_ARRIVED = 2,		/* a device fitting the identity arrived */
};

struct usbport_watch;

/* Follow arrivals and departures of devices fitting id. 0, or -1 with err
 * (no libusb, or no hotplug support: the caller then relies on reads
 * failing and reopening). */
int usbport_watch_open(struct usbport_watch **w, const struct usbport_id *id,
		       char *err, size_t errlen);
void usbport_watch_close(struct usbport_watch *w);
/* The adapter now in use: its departure is reported as USBPORT_EV_LEFT. */
void usbport_watch_bind(struct usbport_watch *w, const struct usbport_adapter *a);
/* libusb's fds to poll (at most max written); the number of them. */
size_t usbport_watch_pollfds(struct usbport_watch *w, struct pollfd *pfd, size_t max);
/* Some of those fds are ready (revents as poll left them): let libusb
 * handle its events without blocking. USBPORT_EV_* bits seen, or 0. */
unsigned usbport_watch_handle(struct usbport_watch *w, const struct pollfd *pfd, size_t n);

#endif
