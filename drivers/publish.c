/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "publish.h"
#include "status.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define DRIVER_VERSION_INTERNAL "0.1"

void publish_set(struct driver *d, const char *name, const char *value)
{
	if (state_set(&d->st, name, value) == ST_CHANGED && d->srv_open)
		sock_broadcast_setinfo(&d->srv, name);
}

void publish_setf(struct driver *d, const char *name, const char *fmt, ...)
{
	char buf[ST_MAX_VALUE_LEN + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	publish_set(d, name, buf);
}

static void publish_flags(struct driver *d, const char *name, unsigned flags)
{
	if (state_set_flags(&d->st, name, flags) == ST_CHANGED && d->srv_open)
		sock_broadcast_setflags(&d->srv, name);
}

static void publish_cmd(struct driver *d, const char *cmd)
{
	if (state_add_cmd(&d->st, cmd) == ST_CHANGED && d->srv_open)
		sock_broadcast_addcmd(&d->srv, cmd);
}

void publish_stats(struct driver *d, uint64_t now)
{
	char flapping[32] = "";
	unsigned mask = flap_mask(&d->flap);
	int i;

	publish_setf(d, "driver.stats.onbattery.transfers", "%lu", d->db.transfers_ob);
	publish_setf(d, "driver.stats.onbattery.time", "%llu",
		 (unsigned long long)(debounce_ob_total_ms(&d->db, now) / 1000));
	publish_setf(d, "driver.stats.onbattery.current", "%llu",
		 (unsigned long long)(debounce_ob_current_ms(&d->db, now) / 1000));
	publish_setf(d, "driver.stats.glitches", "%lu", d->db.glitches);
	publish_setf(d, "driver.stats.pulses.missed", "%lu", d->missed_pulses);
	for (i = 0; i < FLAP_NLINES; i++) {
		if (mask & (1u << i)) {
			if (*flapping)
				strcat(flapping, " ");
			strcat(flapping, cable_inputs[i].name);
		}
	}
	publish_set(d, "driver.stats.flapping", *flapping ? flapping : "none");
	d->next_stats_ms = d->db.pub.ol ? 0 : now + STATS_PERIOD_MS;
}

void publish_status(struct driver *d, uint64_t now)
{
	char text[64];

	status_format(&d->db.pub, text, sizeof(text));
	if (state_set(&d->st, "ups.status", text) == ST_CHANGED) {
		log_debug(&d->log, 1, "ups.status: %s", text);
		if (d->srv_open)
			sock_broadcast_setinfo(&d->srv, "ups.status");
	}
	publish_stats(d, now);
}

void publish_info(struct driver *d)
{
	const struct driver_config *c = &d->cfg;
	char key[ST_MAX_VALUE_LEN + 1];
	size_t i;

	publish_set(d, "device.type", "ups");
	publish_set(d, "driver.name", DRIVER_NAME);
	publish_set(d, "driver.version", PACKAGE_VERSION);
	publish_set(d, "driver.version.internal", DRIVER_VERSION_INTERNAL);
	publish_setf(d, "driver.parameter.pollinterval", "%d", c->pollinterval);
	publish_set(d, "driver.parameter.synchronous",
		c->synchronous < 0 ? "auto" : c->synchronous ? "yes" : "no");
	for (i = 0; i < c->nparams; i++) {
		const struct setting *s = &c->params[i];

		if (s->value)
			snprintf(key, sizeof(key), "driver.parameter.%s", s->key);
		else
			snprintf(key, sizeof(key), "driver.flag.%s", s->key);
		publish_set(d, key, s->value ? s->value : "enabled");
	}
	publish_setf(d, "driver.debug", "%d", d->log.debug);
	publish_flags(d, "driver.debug", ST_FLAG_RW | ST_FLAG_NUMBER);
	if (!state_get(&d->st, "driver.flag.allow_killpower") ||
	    strcmp(state_get(&d->st, "driver.flag.allow_killpower"), "1"))
		publish_set(d, "driver.flag.allow_killpower", c->allow_killpower ? "1" : "0");
	publish_flags(d, "driver.flag.allow_killpower", ST_FLAG_RW | ST_FLAG_NUMBER);
	for (i = 0; i < c->ndefaults; i++)
		publish_set(d, c->defaults[i].key, c->defaults[i].value);
	publish_set(d, "ups.mfr", c->mfr);
	publish_set(d, "ups.model", c->model);
	publish_set(d, "device.mfr", c->mfr);
	publish_set(d, "device.model", c->model);
	if (c->serial) {
		publish_set(d, "ups.serial", c->serial);
		publish_set(d, "device.serial", c->serial);
	}
	for (i = 0; i < c->noverrides; i++) {
		if (state_set_immutable(&d->st, c->overrides[i].key, c->overrides[i].value) ==
		    ST_CHANGED && d->srv_open)
			sock_broadcast_setinfo(&d->srv, c->overrides[i].key);
	}
	publish_cmd(d, "driver.exit");
	publish_cmd(d, "driver.killpower");
	publish_cmd(d, "driver.reload");
	publish_cmd(d, "driver.reload-or-error");
	publish_cmd(d, "driver.reload-or-exit");
	publish_cmd(d, "shutdown.default");
}

void publish_stale(struct driver *d, bool stale)
{
	d->stale = stale;
	if (d->srv_open)
		sock_server_set_stale(&d->srv, stale);
	else
		d->srv.stale = stale;
}
