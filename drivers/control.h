/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Talking to another instance of the driver for the same UPS: the -c
 * command client, taking over from an old instance at start, and the PID
 * file through which both find it when its socket does not answer.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include "driver.h"

/* Write d->pidpath; remembered in d->pidfile_written for cleanup. */
void pidfile_write(struct driver *d);

/* Ask an instance already serving this UPS to exit, and wait for it. */
void control_stop_old_instance(struct driver *d);
/* The -c mode (reload, reload-or-exit, reload-or-error, exit): exit status. */
int control_run_command(struct driver *d);

#endif
