/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "publish.h"
#include "status.h"

/* Open, lock and write the cable-power lines. */
int lines_open(struct driver *d, char *err, size_t errlen)
{
	int rc;

	if (d->usb && lines_usb_resolve(d, err, errlen) < 0)
		return -1;
	if (d->src.ops->open(&d->src, err, errlen) < 0)
		return -1;
	/* refuse before any line is written */
	if (port_check_profile(&d->src.caps, &d->cfg.profile, d->cfg.port, err, errlen) < 0) {
		d->src.ops->close(&d->src);
		return -1;
	}
	rc = d->src.ops->set(&d->src, (unsigned)d->cfg.profile.cp);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot set the cable power lines (TIOCMSET 0x%03x): %s",
			 d->cfg.port, (unsigned)d->cfg.profile.cp, strerror(-rc));
		d->src.ops->close(&d->src);
		return -1;
	}
	d->port_open = true;
	/* counters that never move (cp210x) would hide missed pulses */
	d->have_counts = d->src.caps.counters &&
			 d->src.ops->counts(&d->src, &d->counts) == 0;
	memset(d->counted_ahead, 0, sizeof(d->counted_ahead));
	return 0;
}

void lines_close(struct driver *d)
{
	if (!d->port_open)
		return;
	d->src.ops->close(&d->src);
	d->port_open = false;
	d->watch_fd = -1;
}

/* The lines the profile reads whose next change the port would not report. */
static unsigned lines_unseen(const struct driver *d)
{
	return port_unseen_lines(&d->src.caps, profile_input_lines(&d->cfg.profile),
				 d->bits, d->watch_fd >= 0);
}

uint64_t lines_next_read_delay(const struct driver *d)
{
	if (d->cfg.pollonly)
		return (uint64_t)d->cfg.pollinterval * 1000;
	if (lines_unseen(d))
		return d->cfg.linepoll_ms;
	return d->watch_fd < 0 ? (uint64_t)d->cfg.pollinterval * 1000 : SAFETY_READ_MS;
}

/* driver.port.*: what the port reports and what is read on the timer. */
void lines_publish_port(struct driver *d)
{
	const struct port_caps *c = &d->src.caps;
	unsigned needed = profile_input_lines(&d->cfg.profile);
	char events[96], polled[96];

	port_events_text(c, events, sizeof(events));
	if (d->cfg.pollonly)
		snprintf(polled, sizeof(polled), "all (pollonly, every %d s)", d->cfg.pollinterval);
	else	/* a dump (-d) starts no watcher: show what the running driver's does */
		port_polled_text(c, needed, d->watch_fd >= 0 || (d->opt.dump_count >= 0 && c->miwait),
				 polled, sizeof(polled));
	publish_set(d, "driver.port.driver", c->driver[0] ? c->driver : "unknown");
	publish_set(d, "driver.port.type", port_family_name(c->family));
	publish_set(d, "driver.port.events", events);
	publish_set(d, "driver.port.counters", d->have_counts ? "yes" : "no");
	publish_set(d, "driver.port.polled", polled);
	if (d->usb && d->usb_dev.tty[0]) {
		const struct usbport_adapter *a = &d->usb_dev;

		publish_set(d, "driver.port.node", a->tty);
		publish_setf(d, "driver.port.usb.id", "%04x:%04x", a->vid, a->pid);
		publish_set(d, "driver.port.usb.serial", a->serial);
		publish_set(d, "driver.port.usb.path", a->path);
		publish_setf(d, "driver.port.usb.interface", "%d", a->iface);
		publish_set(d, "driver.port.usb.driver", a->driver[0] ? a->driver : "unknown");
		publish_setf(d, "driver.port.usb.replugs", "%u", d->usb_replugs);
	}
	if (c->family != d->logged_family || !d->port_logged) {
		log_msg(&d->log, LOG_INFO, "port %s: kernel driver %s (%s): line changes reported: "
			"%s; counters: %s; read every %u ms: %s", d->cfg.port,
			c->driver[0] ? c->driver : "unknown", port_family_name(c->family), events,
			d->have_counts ? "yes" : "no", d->cfg.linepoll_ms, polled);
		d->logged_family = c->family;
		d->port_logged = true;
	}
}

void lines_watch_begin(struct driver *d)
{
	d->watch_fd = -1;
	if (!d->cfg.pollonly) {
		d->watch_fd = d->src.ops->watch_start(&d->src);
		/* a port known to have no events (cp210x) is said by the port line */
		if (d->watch_fd < 0 && d->src.caps.miwait)
			log_msg(&d->log, LOG_NOTICE, "port %s cannot report line changes; "
				"reading the lines every %u ms", d->cfg.port, d->cfg.linepoll_ms);
		else
			log_debug(&d->log, 1, "waiting for line changes on %s (%s port)",
				  d->cfg.port, d->src.ops->kind);
	}
	lines_publish_port(d);
}

static void count_missed_pulses(struct driver *d, unsigned old_bits, unsigned new_bits)
{
	struct line_counts c;
	/* in cable_inputs order */
	static const size_t off[CABLE_NINPUTS] = {
		offsetof(struct line_counts, cts), offsetof(struct line_counts, dcd),
		offsetof(struct line_counts, rng), offsetof(struct line_counts, dsr),
	};
	size_t i;

	if (!d->have_counts || d->src.ops->counts(&d->src, &c) < 0)
		return;
	for (i = 0; i < CABLE_NINPUTS; i++) {
		uint32_t was = *(const uint32_t *)((const char *)&d->counts + off[i]);
		uint32_t is = *(const uint32_t *)((const char *)&c + off[i]);
		unsigned bit = cable_inputs[i].bit;
		uint32_t seen = ((old_bits ^ new_bits) & bit) ? 1 : 0;
		uint32_t delta = is - was, avail;
		bool both_edges = (d->src.caps.wake_rise & d->src.caps.wake_fall & bit) != 0;

		if (!both_edges) {
			/* one counted edge per pulse (8250 and cdc-acm RI) */
			if (delta > seen) {
				d->missed_pulses += (delta - seen + 1) / 2;
				log_msg(&d->log, LOG_NOTICE, "line %s changed %u time(s) between "
					"two reads", cable_inputs[i].name, delta);
			}
			continue;
		}
		/* Counted edges the levels do not explain. The counters may be read
		 * just after an edge the levels were read just before: an odd one
		 * waits for the next read to see its level change. */
		avail = d->counted_ahead[i] + delta;
		avail = avail > seen ? avail - seen : 0;
		if (avail >= 2) {
			d->missed_pulses += avail / 2;
			log_msg(&d->log, LOG_NOTICE, "line %s changed %u time(s) between two reads",
				cable_inputs[i].name, delta);
		}
		d->counted_ahead[i] = (uint8_t)(avail % 2);
	}
	d->counts = c;
}

static void schedule_reopen(struct driver *d, uint64_t now)
{
	/* an adapter just arrived: its tty appears within moments, no backoff */
	if (d->usb && now < d->usb_fast_until) {
		d->next_read_ms = now + USB_RETRY_MS;
		return;
	}
	/* resolving is cheap (sysfs), and hotplug may never say the adapter
	 * is back (a private network namespace, no udev); its tty may also
	 * linger a moment after the hangup, so an open that fails is no
	 * reason to wait longer either */
	if (d->usb) {
		d->next_read_ms = now + USB_ABSENT_MS;
		return;
	}
	d->next_read_ms = now + d->reopen_backoff_ms;
	log_msg(&d->log, LOG_NOTICE, "retrying port %s in %u ms", d->cfg.port,
		d->reopen_backoff_ms);
	d->reopen_backoff_ms = d->reopen_backoff_ms * 2 > REOPEN_MAX_MS ?
			       REOPEN_MAX_MS : d->reopen_backoff_ms * 2;
}

static void port_lost(struct driver *d, uint64_t now)
{
	publish_stale(d, true);
	lines_close(d);
	schedule_reopen(d, now);
}

void lines_read_failed(struct driver *d, int rc, uint64_t now)
{
	if (!d->stale)
		log_msg(&d->log, LOG_WARNING, "communications with UPS lost: reading the lines "
			"of %s failed: %s", d->cfg.port, strerror(-rc));
	port_lost(d, now);
}

/* The watcher woke the loop: a change, or the watcher stopped on an error.
 * A stopped watcher is never silent: the adapter is gone (reopen), or the
 * lines are read on the timer from now on. */
void lines_watch_event(struct driver *d, uint64_t now)
{
	int why;

	d->src.ops->watch_ack(&d->src);
	why = __atomic_load_n(&d->src.thread_errno, __ATOMIC_SEQ_CST);
	if (why == EIO || why == ENODEV || why == ENXIO || why == ESHUTDOWN) {
		log_msg(&d->log, LOG_WARNING, "communications with UPS lost: waiting for line "
			"changes on %s failed (TIOCMIWAIT: %s): adapter unplugged?; reopening "
			"the port", d->cfg.port, strerror(why));
		port_lost(d, now);
		return;
	}
	if (why) {
		if (why == ENOTTY || why == EINVAL)
			log_msg(&d->log, LOG_NOTICE, "port %s does not support waiting for line "
				"changes (TIOCMIWAIT: %s); reading the lines every %u ms",
				d->cfg.port, strerror(why), d->cfg.linepoll_ms);
		else
			log_msg(&d->log, LOG_WARNING, "waiting for line changes on %s stopped "
				"(TIOCMIWAIT: %s); reading the lines every %u ms instead",
				d->cfg.port, strerror(why), d->cfg.linepoll_ms);
		d->src.ops->watch_stop(&d->src);
		d->watch_fd = -1;
		lines_publish_port(d);
	}
	lines_read(d, why ? "watcher stopped" : "change", now);
	/* A change right after the watcher woke us, before it waits again,
	 * would go unseen until the next one: TIOCMIWAIT compares with the
	 * lines as they are when it is entered. */
	if (d->port_open && d->watch_fd >= 0 && d->next_read_ms > now + FOLLOWUP_READ_MS)
		d->next_read_ms = now + FOLLOWUP_READ_MS;
}

int lines_usb_resolve(struct driver *d, char *err, size_t errlen)
{
	struct usbport_adapter a;
	char desc[512];
	bool first = !d->usb_dev.tty[0];

	if (usbport_resolve(&d->usb_id, d->cfg.port, &a, err, errlen) < 0)
		return -1;
	if ((size_t)snprintf(d->src.path, sizeof(d->src.path), "%s", a.tty) >= sizeof(d->src.path)) {
		snprintf(err, errlen, "port '%s': tty path %s too long", d->cfg.port, a.tty);
		return -1;
	}
	if (first || strcmp(a.tty, d->usb_dev.tty) || strcmp(a.path, d->usb_dev.path)) {
		usbport_describe(&a, desc, sizeof(desc));
		log_msg(&d->log, LOG_NOTICE, "port %s: adapter %s", d->cfg.port, desc);
		if (!first)
			d->usb_replugs++;
		/* vid:pid alone fits any such adapter: the UPS may not be the same one */
		if (!first && !d->usb_id.serial[0] && !d->usb_id.path[0] &&
		    (strcmp(a.serial, d->usb_dev.serial) || (!a.serial[0] && strcmp(a.path, d->usb_dev.path))))
			log_msg(&d->log, LOG_WARNING, "port %s: now bound to another adapter "
				"(was path=%s%s%s, now path=%s%s%s): if this is not the same UPS, "
				"name it with serial= or path=", d->cfg.port, d->usb_dev.path,
				d->usb_dev.serial[0] ? " serial=" : "", d->usb_dev.serial, a.path,
				a.serial[0] ? " serial=" : "", a.serial);
	}
	d->usb_dev = a;
	usbport_watch_bind(d->usb_watch, &a);
	return 0;
}

void lines_usb_watch(struct driver *d)
{
	const char *env = getenv("GENERICUPS_USB_HOTPLUG");
	char err[256];

	if (!d->usb || d->usb_watch)
		return;
	if (env && !strcmp(env, "off"))
		snprintf(err, sizeof(err), "GENERICUPS_USB_HOTPLUG=off");
	else if (usbport_watch_open(&d->usb_watch, &d->usb_id, err, sizeof(err)) == 0)
		err[0] = '\0';
	if (err[0]) {
		log_msg(&d->log, LOG_NOTICE, "port %s: not following hotplug (%s): an unplugged "
			"adapter is noticed when waiting for or reading its lines fails, and "
			"looked for every %u ms while it is absent", d->cfg.port, err, USB_ABSENT_MS);
		return;
	}
	if (d->usb_dev.tty[0])
		usbport_watch_bind(d->usb_watch, &d->usb_dev);
	log_debug(&d->log, 1, "port %s: following hotplug through libusb", d->cfg.port);
}

void lines_usb_event(struct driver *d, unsigned events, uint64_t now)
{
	if ((events & USBPORT_EV_LEFT) && d->port_open) {
		log_msg(&d->log, LOG_WARNING, "communications with UPS lost: adapter %04x:%04x "
			"at USB port %s (%s) unplugged", d->usb_dev.vid, d->usb_dev.pid,
			d->usb_dev.path, d->usb_dev.tty);
		d->usb_fast_until = 0;
		port_lost(d, now);
	}
	if ((events & USBPORT_EV_ARRIVED) && !d->port_open) {
		log_msg(&d->log, LOG_NOTICE, "port %s: a fitting USB device arrived; reopening",
			d->cfg.port);
		d->usb_fast_until = now + USB_SETTLE_MS;
		d->reopen_backoff_ms = REOPEN_MIN_MS;
		d->next_read_ms = now;
	}
}

void lines_log(struct driver *d, unsigned bits, const char *why)
{
	log_debug(&d->log, 3, "lines (%s): CTS=%d DCD=%d RNG=%d DSR=%d DTR=%d RTS=%d", why,
		  !!(bits & ML_CTS), !!(bits & ML_DCD), !!(bits & ML_RNG), !!(bits & ML_DSR),
		  !!(bits & ML_DTR), !!(bits & ML_RTS));
}

void lines_log_pending(struct driver *d, uint64_t now)
{
	uint64_t dl = debounce_next_deadline(&d->db, &d->cfg.db);
	char raw[64], pub[64];

	if (!dl || d->log.debug < 2)
		return;
	status_format(&d->db.raw, raw, sizeof(raw));
	status_format(&d->db.pub, pub, sizeof(pub));
	log_debug(&d->log, 2, "pending: lines say \"%s\", published \"%s\"; confirming "
		  "for %llu ms more", raw, pub, (unsigned long long)(dl > now ? dl - now : 0));
}

/* ignorelb (NUT's meaning): LB comes from battery.charge < battery.charge.low
 * or battery.runtime < battery.runtime.low, not from the line. -1: no pair set. */
int lines_ignorelb_low(const struct driver *d)
{
	static const char *const pairs[][2] = {
		{ "battery.charge", "battery.charge.low" },
		{ "battery.runtime", "battery.runtime.low" },
	};
	int found = -1;
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = state_get(&d->st, pairs[i][0]);
		const char *low = state_get(&d->st, pairs[i][1]);

		if (!v || !low)
			continue;
		if (strtod(v, NULL) < strtod(low, NULL))
			return 1;
		found = 0;
	}
	return found;
}

/* DATASTALE while the port is lost or the cable looks pulled. */
void lines_publish_data_state(struct driver *d)
{
	bool stale = d->stale || deadcable_suspected(&d->dc);

	if (d->srv_open)
		sock_server_set_stale(&d->srv, stale);
	else
		d->srv.stale = stale;
}

static const char *profile_lines_text(const struct driver *d, char *buf, size_t len)
{
	struct line_cond c = { profile_input_lines(&d->cfg.profile), 0 };

	deadcable_condition(&d->cfg.deadcable, &d->cfg.profile, &c);
	return cable_mask_name(c.line, buf, len);
}

/* Log what the dead-cable detector decided, once per change of mind, and
 * again every DEADCABLE_LOG_EVERY_MS while the suspicion lasts. */
static void deadcable_report(struct driver *d, enum deadcable_state was, uint64_t now)
{
	enum deadcable_state is = d->dc.state;
	char lines[48];

	profile_lines_text(d, lines, sizeof(lines));
	if (is == was) {
		if (deadcable_suspected(&d->dc) && now >= d->next_deadcable_log_ms) {
			log_msg(&d->log, LOG_WARNING, "port %s: the cable still looks disconnected "
				"or unpowered (%s clear for %llu s); data is stale", d->cfg.port,
				lines, (unsigned long long)((now - d->dc.since_ms) / 1000));
			d->next_deadcable_log_ms = now + DEADCABLE_LOG_EVERY_MS;
		}
		return;
	}
	if (is == DEADCABLE_SUSPECT_START || is == DEADCABLE_SUSPECT_PULLED) {
		log_msg(&d->log, LOG_WARNING, "port %s: %s: the cable looks disconnected or the "
			"UPS's interface unpowered; publishing stale data instead of \"LB OB\" %s",
			d->cfg.port, is == DEADCABLE_SUSPECT_START ?
			"every input line the profile reads is clear at start-up" :
			"every input line the profile reads went clear at once",
			is == DEADCABLE_SUSPECT_START ? "until a line comes alive" :
			"for up to deadcablehold");
		log_msg(&d->log, LOG_WARNING, "port %s: lines %s; check the cable and the UPS "
			"(deadcable=off turns this detection off)", d->cfg.port, lines);
		d->next_deadcable_log_ms = now + DEADCABLE_LOG_EVERY_MS;
	} else if (is == DEADCABLE_BELIEVED && was == DEADCABLE_SUSPECT_PULLED) {
		log_msg(&d->log, LOG_WARNING, "port %s: %s still clear after %u ms (deadcablehold): "
			"believing the lines", d->cfg.port, lines, d->cfg.deadcable.hold_ms);
	} else if (is == DEADCABLE_LIVE && (was == DEADCABLE_SUSPECT_START ||
					    was == DEADCABLE_SUSPECT_PULLED)) {
		log_msg(&d->log, LOG_NOTICE, "port %s: input lines alive again: the cable is "
			"connected", d->cfg.port);
	}
	lines_publish_data_state(d);
}

/* A pull seen within the window may have let an intermediate on-battery
 * reading start its confirmation: go back to the last on-line reading. */
static void deadcable_restore_ol(struct driver *d, uint64_t now)
{
	if (d->have_read && d->have_last_ol &&
	    debounce_update(&d->db, &d->cfg.db, &d->last_ol_raw, now))
		publish_status(d, now);
}

void lines_apply(struct driver *d, unsigned bits, uint64_t now)
{
	struct ups_conditions raw = status_from_lines(&d->cfg.profile, bits);
	enum deadcable_state was = d->dc.state;
	unsigned flapping;
	int i;

	if (d->cfg.ignorelb)
		raw.lb = lines_ignorelb_low(d) == 1;
	deadcable_note(&d->dc, &d->cfg.deadcable, &d->cfg.profile, bits, now);
	if (d->dc.state == DEADCABLE_SUSPECT_PULLED && was != DEADCABLE_SUSPECT_PULLED)
		deadcable_restore_ol(d, now);
	deadcable_report(d, was, now);
	if (deadcable_suspected(&d->dc)) {
		if (d->have_read)
			count_missed_pulses(d, d->bits, bits);
		d->bits = bits;
		return;
	}
	if (raw.ol) {
		d->last_ol_raw = raw;
		d->have_last_ol = true;
	}
	if (!d->have_read) {
		debounce_init(&d->db, &d->cfg.db, &raw, now);
		d->have_read = true;
		d->bits = bits;
		publish_status(d, now);
		lines_log_pending(d, now);
		return;
	}
	flapping = flap_note(&d->flap, &d->cfg.flap, d->bits, bits, now);
	for (i = 0; i < FLAP_NLINES; i++)
		if (flapping & (1u << i))
			log_msg(&d->log, LOG_WARNING, "line %s of %s changed %u times within %u s: "
				"check the cable and its shield, or a UPS self-test in progress",
				cable_inputs[i].name, d->cfg.port, d->cfg.flap.count,
				d->cfg.flap.window_ms / 1000);
	count_missed_pulses(d, d->bits, bits);	/* also when the level came back */
	d->bits = bits;
	if (debounce_update(&d->db, &d->cfg.db, &raw, now))
		publish_status(d, now);
	else
		publish_stats(d, now);	/* glitches, pulses, flapping; sends only changes */
	lines_log_pending(d, now);
}

uint64_t lines_deadcable_deadline(const struct driver *d)
{
	uint64_t dl = deadcable_deadline(&d->dc, &d->cfg.deadcable);

	if (deadcable_suspected(&d->dc) && (!dl || d->next_deadcable_log_ms < dl))
		dl = d->next_deadcable_log_ms;
	return dl;
}

void lines_deadcable_timer(struct driver *d, uint64_t now)
{
	enum deadcable_state was = d->dc.state;

	if (deadcable_tick(&d->dc, &d->cfg.deadcable, now)) {
		deadcable_report(d, was, now);
		lines_apply(d, d->bits, now);	/* the lines are believed now */
	} else {
		deadcable_report(d, was, now);	/* the periodic reminder */
	}
}

/* Say why a reopen failed; a usb: port, looked for every USB_ABSENT_MS,
 * says each different reason once, not twice a second. */
static void lines_reopen_failed(struct driver *d, const char *err, uint64_t now)
{
	if (!d->usb) {
		log_msg(&d->log, LOG_WARNING, "%s", err);
	} else if (now < d->usb_fast_until || !strcmp(err, d->usb_last_err)) {
		log_debug(&d->log, 2, "%s", err);
	} else {
		log_msg(&d->log, LOG_WARNING, "%s; trying again every %u ms", err, USB_ABSENT_MS);
		snprintf(d->usb_last_err, sizeof(d->usb_last_err), "%s", err);
	}
	schedule_reopen(d, now);
}

void lines_read(struct driver *d, const char *why, uint64_t now)
{
	char err[256];
	unsigned bits;
	int rc;

	if (!d->port_open) {
		if (lines_open(d, err, sizeof(err)) < 0) {
			lines_reopen_failed(d, err, now);
			return;
		}
		d->usb_last_err[0] = '\0';
		log_msg(&d->log, LOG_NOTICE, "port %s opened again", d->cfg.port);
		lines_watch_begin(d);
	}
	rc = d->src.ops->get(&d->src, &bits);
	if (rc < 0) {
		lines_read_failed(d, rc, now);
		return;
	}
	lines_log(d, bits, why);
	d->reopen_backoff_ms = REOPEN_MIN_MS;
	lines_apply(d, bits, now);
	if (d->stale) {
		log_msg(&d->log, LOG_NOTICE, "communications with UPS re-established");
		d->stale = false;
		lines_publish_data_state(d);
	}
	d->next_read_ms = now + lines_next_read_delay(d);
}
