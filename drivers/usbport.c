/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * USB-serial adapters named by identity: the usb: port parser, the listing
 * of adapters (libusb-1.0 for enumeration, descriptors and port numbers;
 * sysfs for the serial number, interfaces, kernel drivers and ttys) and the
 * hotplug watch. See usbport.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBUSB
#include <libusb.h>
#endif

#include "usbport.h"

#define SYSFS_USB	"/sys/bus/usb/devices"
#define USB_MAX_DEPTH	7	/* USB 2.0: at most 7 tiers below the root hub */

bool usbport_is_usb(const char *port)
{
	return port && strncmp(port, USBPORT_PREFIX, strlen(USBPORT_PREFIX)) == 0;
}

/* ---- the parser (pure) ------------------------------------------------ */

/* 1 to 4 hex digits ending at stop. */
static int parse_hex16(const char *s, size_t len, uint16_t *out)
{
	unsigned v = 0;
	size_t i;

	if (len < 1 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
					tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*out = (uint16_t)v;
	return 0;
}

/* A decimal number 0..max without leading zeros (but "0"), whole of s[0..len). */
static int parse_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (len < 1 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "BUS-PORT[.PORT...]" as sysfs names a USB device: bus 1-255, ports 1-255. */
static int parse_path(const char *s, size_t len)
{
	const char *end = s + len, *p = s, *q;
	unsigned v, depth = 0;

	q = memchr(p, '-', len);
	if (!q || parse_dec(p, (size_t)(q - p), 255, &v) < 0 || v == 0)
		return -1;
	p = q + 1;
	for (;;) {
		q = p;
		while (q < end && *q != '.')
			q++;
		if (parse_dec(p, (size_t)(q - p), 255, &v) < 0 || v == 0)
			return -1;
		if (++depth > USB_MAX_DEPTH)
			return -1;
		if (q == end)
			return 0;
		p = q + 1;
	}
}

static int parse_option(const char *port, const char *opt, size_t len, struct usbport_id *id,
			unsigned *seen, char *err, size_t errlen)
{
	const char *eq = memchr(opt, '=', len);
	size_t klen = eq ? (size_t)(eq - opt) : len, vlen = eq ? len - klen - 1 : 0;
	const char *v = eq ? eq + 1 : NULL;
	unsigned n, bit;

	if (!eq || !vlen) {
		snprintf(err, errlen, "port '%s': '%.*s' is not KEY=VALUE (serial=, path= or if=)",
			 port, (int)len, opt);
		return -1;
	}
	if (klen == 6 && !strncmp(opt, "serial", 6)) {
		bit = 1;
		if (vlen >= sizeof(id->serial)) {
			snprintf(err, errlen, "port '%s': serial number longer than %zu characters",
				 port, sizeof(id->serial) - 1);
			return -1;
		}
		memcpy(id->serial, v, vlen);
		id->serial[vlen] = '\0';
	} else if (klen == 4 && !strncmp(opt, "path", 4)) {
		bit = 2;
		if (vlen >= sizeof(id->path) || parse_path(v, vlen) < 0) {
			snprintf(err, errlen, "port '%s': path '%.*s' is not a USB port path "
				 "BUS-PORT[.PORT...] as in /sys/bus/usb/devices (e.g. 1-1.2)",
				 port, (int)vlen, v);
			return -1;
		}
		memcpy(id->path, v, vlen);
		id->path[vlen] = '\0';
	} else if (klen == 2 && !strncmp(opt, "if", 2)) {
		bit = 4;
		if (parse_dec(v, vlen, 255, &n) < 0) {
			snprintf(err, errlen, "port '%s': if '%.*s' is not an interface number "
				 "(0-255)", port, (int)vlen, v);
			return -1;
		}
		id->iface = (int)n;
	} else {
		snprintf(err, errlen, "port '%s': unknown key '%.*s' (serial=, path= or if=)",
			 port, (int)klen, opt);
		return -1;
	}
	if (*seen & bit) {
		snprintf(err, errlen, "port '%s': '%.*s' given twice", port, (int)klen, opt);
		return -1;
	}
	*seen |= bit;
	return 0;
}

int usbport_parse(const char *port, struct usbport_id *id, char *err, size_t errlen)
{
	const char *p, *colon, *end;
	unsigned seen = 0;

	memset(id, 0, sizeof(*id));
	id->iface = -1;
	if (!usbport_is_usb(port)) {
		snprintf(err, errlen, "port '%s' does not start with '%s'", port ? port : "",
			 USBPORT_PREFIX);
		return -1;
	}
	p = port + strlen(USBPORT_PREFIX);
	colon = strchr(p, ':');
	end = colon ? colon + 1 + strcspn(colon + 1, ",") : NULL;
	if (!colon || parse_hex16(p, (size_t)(colon - p), &id->vid) < 0 ||
	    parse_hex16(colon + 1, (size_t)(end - colon - 1), &id->pid) < 0) {
		snprintf(err, errlen, "port '%s': expected usb:VID:PID with hexadecimal IDs "
			 "(e.g. usb:0403:6001), then ,serial=... ,path=... ,if=...", port);
		return -1;
	}
	for (p = end; *p; p = end) {
		size_t len;

		p++;	/* the comma */
		len = strcspn(p, ",");
		end = p + len;
		if (parse_option(port, p, len, id, &seen, err, errlen) < 0)
			return -1;
	}
	for (p = id->serial; *p; p++) {
		if (!isprint((unsigned char)*p)) {
			snprintf(err, errlen, "port '%s': serial number with a control character",
				 port);
			return -1;
		}
	}
	return 0;
}

bool usbport_match(const struct usbport_id *id, const struct usbport_adapter *a)
{
	if (id->vid != a->vid || id->pid != a->pid)
		return false;
	if (id->serial[0] && strcmp(id->serial, a->serial))
		return false;
	if (id->path[0] && strcmp(id->path, a->path))
		return false;
	return id->iface < 0 || id->iface == a->iface;
}

void usbport_describe(const struct usbport_adapter *a, char *buf, size_t len)
{
	char iface[16] = "";

	if (a->multi)
		snprintf(iface, sizeof(iface), " if=%d", a->iface);
	snprintf(buf, len, "%04x:%04x %s%s path=%s%s (%s%s%s) at %s", a->vid, a->pid,
		 a->serial[0] ? "serial=" : "no serial number", a->serial, a->path, iface,
		 a->driver[0] ? a->driver : "no driver", a->product[0] ? ", " : "", a->product,
		 a->tty[0] ? a->tty : "no tty");
}

/* Another device (another path) of the same vid:pid with the same serial? */
static bool serial_shared(const struct usbport_adapter *list, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (i != k && list[i].vid == list[k].vid && list[i].pid == list[k].pid &&
		    !strcmp(list[i].serial, list[k].serial) && strcmp(list[i].path, list[k].path))
			return true;
	return false;
}

void usbport_name_all(struct usbport_adapter *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct usbport_adapter *a = &list[i];
		char iface[16] = "";
		bool by_serial = a->serial[0] && !strchr(a->serial, ',') &&
				 !serial_shared(list, n, i);

		if (a->multi)
			snprintf(iface, sizeof(iface), ",if=%d", a->iface);
		snprintf(a->port, sizeof(a->port), "usb:%04x:%04x,%s=%s%s", a->vid, a->pid,
			 by_serial ? "serial" : "path", by_serial ? a->serial : a->path, iface);
	}
}

/* ---- sysfs ------------------------------------------------------------ */

/* snprintf into a path buffer; -1 when it does not fit (the entry is skipped). */
static int __attribute__((format(printf, 3, 4))) fmt_path(char *buf, size_t len,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The first line of a sysfs attribute, "" when it cannot be read. */
static void read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (fmt_path(path, sizeof(path), "%s/%s", dir, name) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* The last component of the link dir/name ("ftdi_sio"), "" if none. */
static void read_link_base(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	if (fmt_path(path, sizeof(path), "%s/%s", dir, name) < 0)
		return;
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	if (fmt_path(buf, len, "%s", base ? base + 1 : link) < 0)
		buf[0] = '\0';
}

struct list_buf {
	struct usbport_adapter *v;
	size_t n, cap;
};

static int list_push(struct list_buf *lb, const struct usbport_adapter *a)
{
	if (lb->n == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 8;
		struct usbport_adapter *nv = realloc(lb->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		lb->v = nv;
		lb->cap = cap;
	}
	lb->v[lb->n++] = *a;
	return 0;
}

/* Every tty name in dir (the "tty" class folder of a port or interface). */
static int add_ttys(struct list_buf *lb, const char *dir, struct usbport_adapter *a)
{
	struct dirent *e;
	DIR *dd = opendir(dir);
	int rc = 0;

	if (!dd)
		return 0;
	while (rc == 0 && (e = readdir(dd)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (fmt_path(a->tty, sizeof(a->tty), "/dev/%s", e->d_name) == 0)
			rc = list_push(lb, a);
	}
	closedir(dd);
	return rc;
}

/* An interface folder: usb-serial ports (ifdir/ttyUSB0/tty/ttyUSB0) and
 * class ttys (cdc-acm: ifdir/tty/ttyACM0). */
static int scan_interface(struct list_buf *lb, const char *ifdir, struct usbport_adapter *a)
{
	char num[16], sub[PATH_MAX];
	struct dirent *e;
	DIR *dd;
	int rc = 0;

	read_attr(ifdir, "bInterfaceNumber", num, sizeof(num));
	a->iface = (int)strtol(num, NULL, 16);
	read_link_base(ifdir, "driver", a->driver, sizeof(a->driver));
	dd = opendir(ifdir);
	if (!dd)
		return 0;
	while (rc == 0 && (e = readdir(dd)) != NULL) {
		if (strncmp(e->d_name, "tty", 3))
			continue;
		if (!strcmp(e->d_name, "tty") ? fmt_path(sub, sizeof(sub), "%s/tty", ifdir) :
		    fmt_path(sub, sizeof(sub), "%s/%s/tty", ifdir, e->d_name))
			continue;
		rc = add_ttys(lb, sub, a);
	}
	closedir(dd);
	return rc;
}

/* The ttys of the USB device at path (sysfs name "1-1.2"). */
static int scan_device(struct list_buf *lb, const char *path, uint16_t vid, uint16_t pid)
{
	struct usbport_adapter a;
	char dir[PATH_MAX], ifdir[PATH_MAX];
	size_t plen = strlen(path), first = lb->n, i;
	struct dirent *e;
	DIR *dd;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	a.vid = vid;
	a.pid = pid;
	snprintf(a.path, sizeof(a.path), "%s", path);
	if (fmt_path(dir, sizeof(dir), "%s/%s", SYSFS_USB, path) < 0)
		return 0;
	/* the sysfs attribute: string descriptors would need libusb_open, i.e. root */
	read_attr(dir, "serial", a.serial, sizeof(a.serial));
	read_attr(dir, "product", a.product, sizeof(a.product));
	dd = opendir(dir);
	if (!dd)
		return 0;
	while (rc == 0 && (e = readdir(dd)) != NULL) {
		if (strncmp(e->d_name, path, plen) || e->d_name[plen] != ':')
			continue;
		if (fmt_path(ifdir, sizeof(ifdir), "%s/%s", dir, e->d_name) < 0)
			continue;
		rc = scan_interface(lb, ifdir, &a);
	}
	closedir(dd);
	for (i = first; i < lb->n; i++)
		lb->v[i].multi = lb->n - first > 1;
	return rc;
}

static int adapter_cmp(const void *pa, const void *pb)
{
	const struct usbport_adapter *a = pa, *b = pb;
	int c = strverscmp(a->path, b->path);

	if (c)
		return c;
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	return strverscmp(a->tty, b->tty);
}

#ifdef HAVE_LIBUSB
/* "1-1.2" from the bus and port numbers; -1 for a root hub. */
static int device_path(libusb_device *dev, char *buf, size_t len)
{
	uint8_t ports[USB_MAX_DEPTH + 1];
	int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports)), i;
	size_t off;

	if (n <= 0)
		return -1;
	off = (size_t)snprintf(buf, len, "%u-%u", libusb_get_bus_number(dev), ports[0]);
	for (i = 1; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, ".%u", ports[i]);
	return off < len ? 0 : -1;
}

int usbport_list(struct usbport_adapter **out, size_t *n)
{
	struct list_buf lb = { NULL, 0, 0 };
	libusb_context *ctx;
	libusb_device **devs;
	ssize_t cnt, i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (libusb_init(&ctx) < 0)
		return -EIO;
	cnt = libusb_get_device_list(ctx, &devs);
	if (cnt < 0) {
		libusb_exit(ctx);
		return -EIO;
	}
	for (i = 0; i < cnt && rc == 0; i++) {
		struct libusb_device_descriptor dd;
		char path[USBPORT_PATH_MAX];

		if (libusb_get_device_descriptor(devs[i], &dd) < 0 ||
		    dd.bDeviceClass == LIBUSB_CLASS_HUB ||
		    device_path(devs[i], path, sizeof(path)) < 0)
			continue;
		rc = scan_device(&lb, path, dd.idVendor, dd.idProduct);
	}
	libusb_free_device_list(devs, 1);
	libusb_exit(ctx);
	if (rc < 0) {
		free(lb.v);
		return rc;
	}
	if (lb.n)
		qsort(lb.v, lb.n, sizeof(*lb.v), adapter_cmp);
	usbport_name_all(lb.v, lb.n);
	*out = lb.v;
	*n = lb.n;
	return 0;
}
#else
int usbport_list(struct usbport_adapter **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	(void)scan_device;
	(void)adapter_cmp;
	return -ENOSYS;
}
#endif

void usbport_list_free(struct usbport_adapter *list)
{
	free(list);
}

/* ", found: A; B" or ", found no USB serial adapter" appended to err. */
static void append_found(char *err, size_t errlen, const struct usbport_adapter *list,
			 size_t n, const struct usbport_id *id, bool only_matching)
{
	size_t off = strlen(err), i, shown = 0;
	char desc[512];

	for (i = 0; i < n && off < errlen; i++) {
		if (only_matching && !usbport_match(id, &list[i]))
			continue;
		usbport_describe(&list[i], desc, sizeof(desc));
		off += (size_t)snprintf(err + off, errlen - off, "%s%s [port = %s]",
					shown++ ? "; " : ": ", desc, list[i].port);
	}
	if (!shown && off < errlen)
		snprintf(err + off, errlen - off, ": none");
}

int usbport_resolve(const struct usbport_id *id, const char *port,
		    struct usbport_adapter *found, char *err, size_t errlen)
{
	struct usbport_adapter *list;
	size_t n, i, hits = 0;
	int rc = usbport_list(&list, &n);

	if (rc < 0) {
		snprintf(err, errlen, "port '%s': cannot list USB adapters: %s", port,
			 rc == -ENOSYS ? "genericups was built without libusb-1.0" :
			 "libusb-1.0 cannot be initialised");
		return -1;
	}
	bool one_device = true;	/* every fit is a tty of the same adapter */

	for (i = 0; i < n; i++) {
		if (usbport_match(id, &list[i])) {
			if (!hits++)
				*found = list[i];
			else if (strcmp(list[i].path, found->path))
				one_device = false;
		}
	}
	if (hits == 1) {
		usbport_list_free(list);
		return 0;
	}
	if (hits == 0)
		snprintf(err, errlen, "port '%s': no USB serial adapter fits; adapters present",
			 port);
	else if (one_device)
		snprintf(err, errlen, "port '%s': %zu interfaces of one adapter fit (add if= to "
			 "pick one)", port, hits);
	else
		snprintf(err, errlen, "port '%s': %zu adapters fit (add serial= or path= to tell "
			 "them apart)", port, hits);
	append_found(err, errlen, list, n, id, hits > 1);
	usbport_list_free(list);
	return -1;
}

/* ---- hotplug ---------------------------------------------------------- */

#ifdef HAVE_LIBUSB
struct usbport_watch {
	libusb_context *ctx;
	libusb_hotplug_callback_handle cb;
	struct usbport_id id;
	char bound_path[USBPORT_PATH_MAX];	/* "" when nothing is bound */
	unsigned events;
	struct pollfd *fds;
	size_t nfds;
	bool fds_dirty;
};

static int LIBUSB_CALL hotplug_cb(libusb_context *ctx, libusb_device *dev,
				  libusb_hotplug_event ev, void *user)
{
	struct usbport_watch *w = user;
	char path[USBPORT_PATH_MAX];

	(void)ctx;
	if (device_path(dev, path, sizeof(path)) < 0)
		return 0;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
		if (w->bound_path[0] && !strcmp(path, w->bound_path))
			w->events |= USBPORT_EV_LEFT;
	} else if (!w->id.path[0] || !strcmp(path, w->id.path)) {
		/* the serial number is checked by resolving: the tty may come later */
		w->events |= USBPORT_EV_ARRIVED;
	}
	return 0;
}

static void LIBUSB_CALL fd_added(int fd, short events, void *user)
{
	(void)fd;
	(void)events;
	((struct usbport_watch *)user)->fds_dirty = true;
}

static void LIBUSB_CALL fd_removed(int fd, void *user)
{
	(void)fd;
	((struct usbport_watch *)user)->fds_dirty = true;
}

int usbport_watch_open(struct usbport_watch **wp, const struct usbport_id *id,
		       char *err, size_t errlen)
{
	struct usbport_watch *w = calloc(1, sizeof(*w));
	int rc;

	*wp = NULL;
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->id = *id;
	w->fds_dirty = true;
	if (libusb_init(&w->ctx) < 0) {
		snprintf(err, errlen, "libusb-1.0 cannot be initialised");
		free(w);
		return -1;
	}
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		snprintf(err, errlen, "libusb-1.0 reports no hotplug support here");
		libusb_exit(w->ctx);
		free(w);
		return -1;
	}
	rc = libusb_hotplug_register_callback(w->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
					      LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0, id->vid,
					      id->pid, LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, w,
					      &w->cb);
	if (rc != LIBUSB_SUCCESS) {
		snprintf(err, errlen, "libusb hotplug registration failed: %s",
			 libusb_strerror(rc));
		libusb_exit(w->ctx);
		free(w);
		return -1;
	}
	libusb_set_pollfd_notifiers(w->ctx, fd_added, fd_removed, w);
	*wp = w;
	return 0;
}

void usbport_watch_close(struct usbport_watch *w)
{
	if (!w)
		return;
	libusb_set_pollfd_notifiers(w->ctx, NULL, NULL, NULL);
	libusb_hotplug_deregister_callback(w->ctx, w->cb);
	libusb_exit(w->ctx);
	free(w->fds);
	free(w);
}

void usbport_watch_bind(struct usbport_watch *w, const struct usbport_adapter *a)
{
	if (w)
		snprintf(w->bound_path, sizeof(w->bound_path), "%s", a ? a->path : "");
}

static void refresh_fds(struct usbport_watch *w)
{
	const struct libusb_pollfd **lp = libusb_get_pollfds(w->ctx);
	size_t n = 0, i;

	while (lp && lp[n])
		n++;
	free(w->fds);
	w->fds = n ? calloc(n, sizeof(*w->fds)) : NULL;
	w->nfds = w->fds ? n : 0;
	for (i = 0; i < w->nfds; i++)
		w->fds[i] = (struct pollfd){ .fd = lp[i]->fd, .events = lp[i]->events };
	libusb_free_pollfds(lp);
	w->fds_dirty = false;
}

size_t usbport_watch_pollfds(struct usbport_watch *w, struct pollfd *pfd, size_t max)
{
	size_t i;

	if (!w)
		return 0;
	if (w->fds_dirty)
		refresh_fds(w);
	for (i = 0; i < w->nfds && i < max; i++)
		pfd[i] = w->fds[i];
	return i;
}

unsigned usbport_watch_handle(struct usbport_watch *w, const struct pollfd *pfd, size_t n)
{
	struct timeval zero = { 0, 0 };
	unsigned ev;
	size_t i;

	if (!w)
		return 0;
	for (i = 0; i < n; i++)
		if (pfd[i].revents)
			break;
	if (i == n)
		return 0;
	libusb_handle_events_timeout_completed(w->ctx, &zero, NULL);
	ev = w->events;
	w->events = 0;
	return ev;
}
#else
int usbport_watch_open(struct usbport_watch **w, const struct usbport_id *id,
		       char *err, size_t errlen)
{
	(void)id;
	*w = NULL;
	snprintf(err, errlen, "genericups was built without libusb-1.0");
	return -1;
}

void usbport_watch_close(struct usbport_watch *w)
{
	(void)w;
}

void usbport_watch_bind(struct usbport_watch *w, const struct usbport_adapter *a)
{
	(void)w;
	(void)a;
}

size_t usbport_watch_pollfds(struct usbport_watch *w, struct pollfd *pfd, size_t max)
{
	(void)w;
	(void)pfd;
	(void)max;
	return 0;
}

unsigned usbport_watch_handle(struct usbport_watch *w, const struct pollfd *pfd, size_t n)
{
	(void)w;
	(void)pfd;
	(void)n;
	return 0;
}
#endif
