/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Talking to another instance of the driver for the same UPS: the -c
 * command client, taking over from an old instance at start, and the PID
 * file through which both find it when its socket does not answer.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include "driver.h"

#define TAKEOVER_WAIT_MS 10000	/* how long a new instance waits for the old one */

/* Write d->pidpath (never through a symlink); remembered for cleanup. */
void control_write_pidfile(struct driver *d);
/* Remove the PID file if it still is the one we wrote. */
void control_remove_pidfile(struct driver *d);

/* Ask an instance already serving this UPS to exit, wait (bounded) until it
 * has and the port lock is free, and open the port; exits 1 on failure. */
void control_take_over_port(struct driver *d);
/* The -c mode (reload, reload-or-exit, reload-or-error, exit): exit status. */
int control_run_command(struct driver *d);

#endif
