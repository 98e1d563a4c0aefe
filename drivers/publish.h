/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's side of the state tree: set a variable, and when the socket
 * is open and the value changed, tell the clients. Also the fixed driver.*,
 * ups.* and device.* info, ups.status and driver.stats.*.
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

void publish_set(struct driver *d, const char *name, const char *value);
void publish_setf(struct driver *d, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Names, versions, parameters, defaults, overrides and commands. */
void publish_info(struct driver *d);
/* ups.status from the debounced conditions, then the stats. */
void publish_status(struct driver *d, uint64_t now);
/* driver.stats.*; schedules the next refresh while on battery. */
void publish_stats(struct driver *d, uint64_t now);
/* DATASTALE / DATAOK to the clients, or remembered until the socket opens. */
void publish_stale(struct driver *d, bool stale);

/* Names a reload took out of the state tree (see publish_forget). */
struct publish_removed {
	char **names;
	size_t n;
};

/*
 * A reload, before publish_info() with the new d->cfg: take out of the tree
 * (overrides too) what old published under names of its own and d->cfg does
 * not: driver.parameter.*, driver.flag.*, default.* and override.* variables,
 * ups.serial. The clients are not told yet: what the driver publishes again
 * is a SETINFO, not a DELINFO then a SETINFO. 0, or -1 out of memory.
 */
int publish_forget(struct driver *d, const struct driver_config *old,
		   struct publish_removed *gone);
/* After everything is published again: DELINFO for what stayed absent. */
void publish_forget_done(struct driver *d, struct publish_removed *gone);

#endif
