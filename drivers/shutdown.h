/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shutting the UPS down through the cable: the profile's SD lines held for
 * sdtime, or a BREAK. The running driver (INSTCMD driver.killpower and
 * shutdown.default) raises the lines and holds them as a timer of its loop,
 * then exits; -k first asks a running driver to do it, and does it itself
 * when none runs or the running one does not answer in time.
 */
#ifndef SHUTDOWN_H
#define SHUTDOWN_H

#include "driver.h"

/* -k: raise the shutdown lines (or send the BREAK) on the open port and
 * hold them for sdtime, blocking. 0 or -1. */
int shutdown_ups(struct driver *d);
/* In the loop: raise the lines now and arm d->shutdown_end_ms; why names
 * the request in the log. 0 or -1 (nothing was written). */
int shutdown_begin(struct driver *d, const char *why, uint64_t now);
/* d->shutdown_end_ms reached: the driver exits, lines left as written. */
void shutdown_hold_end(struct driver *d);
/* The -k mode: the process exit status. */
int shutdown_run_kill(struct driver *d);

#endif
