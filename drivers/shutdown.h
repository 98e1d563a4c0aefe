/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shutting the UPS down through the cable: the profile's SD lines held for
 * sdtime, or a BREAK. Used by INSTCMD driver.killpower and shutdown.default,
 * and by -k, which first asks a running driver to do it.
 */
#ifndef SHUTDOWN_H
#define SHUTDOWN_H

#include "driver.h"

/* Raise the shutdown lines or send the BREAK on the open port. 0 or -1. */
int shutdown_ups(struct driver *d);
/* The -k mode: the process exit status. */
int shutdown_run_kill(struct driver *d);

#endif
