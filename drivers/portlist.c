/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial ports present, from usbport_list() and sysfs; nothing is opened.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portlist.h"
#include "usbport.h"

#define SYS_TTY	"/sys/class/tty"

/* Copy src into dst of len bytes, cut to fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Basename of the link at path, into buf; "" when it is not a link. */
static const char *link_base(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *slash;

	buf[0] = '\0';
	if (n <= 0)
		return buf;
	target[n] = '\0';
	slash = strrchr(target, '/');
	copy_str(buf, len, slash ? slash + 1 : target);
	return buf;
}

/* The serial core's UART type of a tty (sysfs "type"), or -1. */
static int uart_type(const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	int t = PORT_SERIAL_TYPE_NONE;

	snprintf(path, sizeof(path), SYS_TTY "/%s/type", name);
	f = fopen(path, "r");
	if (f == NULL)
		return t;
	if (fscanf(f, "%d", &t) != 1)
		t = PORT_SERIAL_TYPE_NONE;
	fclose(f);
	return t;
}

static bool listed(const struct portlist_entry *out, size_t n, const char *dev)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(out[i].dev, dev) == 0)
			return true;
	return false;
}

static size_t scan_usb(struct portlist_entry *out, size_t max, char *note, size_t notelen)
{
	struct usbport_adapter *list = NULL;
	size_t n = 0, i, k = 0;
	int rc = usbport_list(&list, &n);

	if (rc < 0) {
		snprintf(note, notelen, "USB adapters are not listed by identity: %s",
			 rc == -ENOSYS ? "built without libusb-1.0" : strerror(-rc));
		return 0;
	}
	for (i = 0; i < n && k < max; i++) {
		struct portlist_entry *e = &out[k];

		if (!list[i].tty[0])
			continue;
		memset(e, 0, sizeof(*e));
		snprintf(e->dev, sizeof(e->dev), "%s", list[i].tty);
		snprintf(e->port, sizeof(e->port), "%s", list[i].port);
		usbport_describe(&list[i], e->what, sizeof(e->what));
		e->caps = port_caps_for(list[i].driver, 0);
		k++;
	}
	usbport_list_free(list);
	return k;
}

size_t portlist_scan(struct portlist_entry *out, size_t max, char *note, size_t notelen)
{
	size_t n;
	DIR *d;
	struct dirent *de;

	if (notelen)
		note[0] = '\0';
	n = scan_usb(out, max, note, notelen);
	d = opendir(SYS_TTY);
	if (d == NULL)
		return n;
	while ((de = readdir(d)) != NULL && n < max) {
		char path[PATH_MAX], driver[64], dev[64] = "/dev/";
		int type;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYS_TTY "/%s/device/driver", de->d_name);
		if (!link_base(path, driver, sizeof(driver))[0])
			continue;	/* virtual consoles, ptys: no device */
		copy_str(dev + 5, sizeof(dev) - 5, de->d_name);
		type = uart_type(de->d_name);
		if (type == 0 || listed(out, n, dev))
			continue;	/* type 0: the serial core found no UART there */
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].dev, sizeof(out[n].dev), "%s", dev);
		snprintf(out[n].port, sizeof(out[n].port), "%s", dev);
		snprintf(out[n].what, sizeof(out[n].what), "%s%s", driver,
			 type > 0 ? " UART" : "");
		out[n].caps = port_caps_for(driver, type);
		n++;
	}
	closedir(d);
	return n;
}

const char *portlist_lines_text(unsigned lines, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < CABLE_NINPUTS; i++) {
		int w;

		if (!(lines & cable_inputs[i].bit) || used >= len)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? " " : "", cable_inputs[i].name);
		if (w > 0)
			used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}
