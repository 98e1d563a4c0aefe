/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

		if (!s->value && !strcasecmp(s->key, "allow_killpower"))
			continue;	/* "0" or "1", below */
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

/* A name the configuration publishes: prefix + key, compared as one string,
 * without case (as the state tree). */
struct info_name {
	const char *prefix;
	const char *key;
};

static int info_name_cmp(const void *a, const void *b)
{
	const struct info_name *x = a, *y = b;
	const char *p = x->prefix, *q = y->prefix;
	bool in_xkey = false, in_ykey = false;

	for (;;) {
		int c, e;

		if (!*p && !in_xkey) {
			p = x->key;
			in_xkey = true;
		}
		if (!*q && !in_ykey) {
			q = y->key;
			in_ykey = true;
		}
		c = tolower((unsigned char)*p);
		e = tolower((unsigned char)*q);
		if (c != e || !c)
			return c - e;
		p++;
		q++;
	}
}

/* The names c publishes, sorted; *n of them. NULL when out of memory. */
static struct info_name *info_names(const struct driver_config *c, size_t *n)
{
	struct info_name *v = malloc((c->nparams + c->ndefaults + c->noverrides + 2) *
				     sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < c->nparams; i++)
		v[k++] = (struct info_name){
			c->params[i].value ? "driver.parameter." : "driver.flag.", c->params[i].key };
	for (i = 0; i < c->ndefaults; i++)
		v[k++] = (struct info_name){ "", c->defaults[i].key };
	for (i = 0; i < c->noverrides; i++)
		v[k++] = (struct info_name){ "", c->overrides[i].key };
	if (c->serial) {
		v[k++] = (struct info_name){ "", "ups.serial" };
		v[k++] = (struct info_name){ "", "device.serial" };
	}
	qsort(v, k, sizeof(*v), info_name_cmp);
	*n = k;
	return v;
}

/* The name as publish_info() spells it (driver.parameter.* cut like there). */
static char *info_name_text(const struct info_name *in)
{
	size_t len = strlen(in->prefix) + strlen(in->key);
	char *t;

	if (*in->prefix && len > ST_MAX_VALUE_LEN)
		len = ST_MAX_VALUE_LEN;
	t = malloc(len + 1);
	if (t)
		snprintf(t, len + 1, "%s%s", in->prefix, in->key);
	return t;
}

int publish_forget(struct driver *d, const struct driver_config *old,
		   struct publish_removed *gone)
{
	struct info_name *was, *now;
	size_t nwas, nnow, i, j = 0;
	int rc = -1;

	memset(gone, 0, sizeof(*gone));
	was = info_names(old, &nwas);
	now = info_names(&d->cfg, &nnow);
	if (!was || !now)
		goto out;
	gone->names = calloc(nwas ? nwas : 1, sizeof(*gone->names));
	if (!gone->names)
		goto out;
	/* both sorted: one walk finds what was and is no more */
	for (i = 0; i < nwas; i++) {
		char *name;

		if (i && !info_name_cmp(&was[i - 1], &was[i]))
			continue;
		while (j < nnow && info_name_cmp(&now[j], &was[i]) < 0)
			j++;
		if (j < nnow && !info_name_cmp(&now[j], &was[i]))
			continue;
		name = info_name_text(&was[i]);
		if (!name)
			goto out;
		if (state_remove(&d->st, name) == ST_CHANGED)
			gone->names[gone->n++] = name;
		else
			free(name);
	}
	rc = 0;
out:
	free(was);
	free(now);
	return rc;
}

void publish_forget_done(struct driver *d, struct publish_removed *gone)
{
	size_t i;

	for (i = 0; i < gone->n; i++) {
		if (!state_find(&d->st, gone->names[i])) {
			log_debug(&d->log, 1, "reload: %s is no longer set", gone->names[i]);
			if (d->srv_open)
				sock_broadcast_delinfo(&d->srv, gone->names[i]);
		}
		free(gone->names[i]);
	}
	free(gone->names);
	memset(gone, 0, sizeof(*gone));
}
