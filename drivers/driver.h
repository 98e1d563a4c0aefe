/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The genericups driver's life cycle: options and config, the port, the
 * state tree and socket, the one poll loop, reload and shutdown. All mutable
 * state lives in one struct driver, passed down explicitly to driver.c and
 * its helpers: lines.c (the port), publish.c (the state tree), shutdown.c
 * (killpower, -k) and control.c (-c, the PID file, an old instance).
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "deadcable.h"
#include "debounce.h"
#include "line_source.h"
#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "sockserver.h"
#include "state.h"
#include "upsconf.h"
#include "usbport.h"

#define DRIVER_NAME	"genericups"

#define REOPEN_MIN_MS	1000
#define REOPEN_MAX_MS	30000
#define SAFETY_READ_MS	60000	/* event mode: re-read now and then anyway */
#define FOLLOWUP_READ_MS 20	/* event mode: read again this soon after a change */
#define STATS_PERIOD_MS	10000	/* refresh driver.stats.onbattery.* while on battery */
#define USB_RETRY_MS	100	/* usb: port: after an arrival, look for its tty this often */
#define USB_SETTLE_MS	5000	/* ... for this long, then as below */
#define USB_ABSENT_MS	500	/* usb: port: then look again this often, no backoff
				 * (hotplug may be silent: PrivateNetwork=, no udev) */

enum driver_exit {
	DRV_RUN = 0,
	DRV_EXIT_OK,		/* clean exit, status 0 */
	DRV_EXIT_FAIL,		/* status 1 */
	DRV_EXIT_RELOAD,	/* reload-or-exit with a change that needs a restart */
};

struct driver {
	struct logger log;
	struct options opt;
	struct upsconf conf;
	bool have_conf;
	struct driver_config cfg;
	char statepath[PATH_MAX];
	char altpidpath[PATH_MAX];
	char confpath[PATH_MAX];
	char sockpath[108];
	char pidpath[PATH_MAX];
	bool pidfile_written;
	struct pidfile_id pidfile_id;	/* only the file we wrote is removed */

	struct line_source src;
	bool port_open;
	int watch_fd;			/* -1: read every pollinterval */
	unsigned bits;			/* last line bits read */
	bool have_read;			/* a read has succeeded since start */
	bool stale;
	uint64_t next_read_ms;		/* polling, safety read, or reopen */
	uint32_t reopen_backoff_ms;
	struct line_counts counts;
	/* per input (cable_inputs order): an edge counted before the read of
	 * the levels saw it (the two ioctls are not one atomic read) */
	uint8_t counted_ahead[CABLE_NINPUTS];
	bool have_counts;
	unsigned long missed_pulses;
	enum port_family logged_family;	/* what the port log line last said */
	bool port_logged;

	/* port = usb:...: the adapter it names, and hotplug (usbport.c) */
	bool usb;
	struct usbport_id usb_id;
	struct usbport_adapter usb_dev;	/* resolved last; tty "" before */
	struct usbport_watch *usb_watch;	/* NULL: no hotplug notification */
	uint64_t usb_fast_until;	/* after an arrival: retry every USB_RETRY_MS */
	unsigned usb_replugs;		/* reopened on another adapter or tty */
	char usb_last_err[256];		/* the reopen error said last ("" none) */

	struct deadcable dc;		/* pulled-cable detector */
	uint64_t next_deadcable_log_ms;
	struct ups_conditions last_ol_raw;	/* the last reading that was on line */
	bool have_last_ol;

	struct debounce db;
	struct flap_detector flap;
	uint64_t next_stats_ms;

	struct state_tree st;
	struct sock_server srv;
	bool srv_open;
	int sig_fd;

	void *sd_lib;			/* libsystemd, when run by systemd */
	int (*sd_notify)(int unset_environment, const char *state);
	int (*sd_watchdog_enabled)(int unset_environment, uint64_t *usec);
	uint64_t watchdog_ms;		/* systemd WATCHDOG=1 period, 0 when off */
	uint64_t next_watchdog_ms;

	bool shutting_down;		/* killpower: SD lines held until shutdown_end_ms */
	uint64_t shutdown_end_ms;

	enum driver_exit exit;
	int base_debug;			/* -D / debug_min, what SET driver.debug -1 returns to */
};

int driver_main(int argc, char **argv);

#endif
