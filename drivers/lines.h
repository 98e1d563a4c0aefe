/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The port as the driver uses it: open it with the cable-power lines set,
 * read the lines on change, timer or reopen, turn them into debounced
 * status, and back off while the port is gone.
 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* Open, lock and write the cable-power lines. 0, or -1 with err. */
int lines_open(struct driver *d, char *err, size_t errlen);
void lines_close(struct driver *d);
/* Ask the port for change notification, or fall back to the timer. */
void lines_watch_begin(struct driver *d);
/* The watch fd is readable: read a change, or handle a stopped watcher. */
void lines_watch_event(struct driver *d, uint64_t now);
/* ms until the next timed read: pollinterval (pollonly, no watcher), linepoll
 * (lines or edges the port does not report), else the safety read. */
uint64_t lines_next_read_delay(const struct driver *d);
/* Publish driver.port.* and log what the port reports (at start, and when
 * a reopened port is another kind). */
void lines_publish_port(struct driver *d);

/* Read the lines now (reopening the port if needed) and apply them. */
void lines_read(struct driver *d, const char *why, uint64_t now);
/* A read failed with -errno rc: go stale, close, retry later. */
void lines_read_failed(struct driver *d, int rc, uint64_t now);
/* Line bits -> debounced status, flap warnings, missed pulses, publish. */
void lines_apply(struct driver *d, unsigned bits, uint64_t now);

/* DATASTALE / DATAOK from the port's state and the dead-cable detector. */
void lines_publish_data_state(struct driver *d);
/* The dead-cable hold and reminder timer: when, and what to do then. */
uint64_t lines_deadcable_deadline(const struct driver *d);
void lines_deadcable_timer(struct driver *d, uint64_t now);

/* ignorelb: 1 battery low, 0 not low, -1 no charge or runtime pair set. */
int lines_ignorelb_low(const struct driver *d);

/* port = usb:...: find the tty the identity names now, for the line source.
 * 0, or -1 with err listing the adapters present. */
int lines_usb_resolve(struct driver *d, char *err, size_t errlen);
/* Follow the adapter's hotplug (after any fork: libusb runs a thread). */
void lines_usb_watch(struct driver *d);
/* libusb reported: an unplug goes stale at once; an arrival reopens now. */
void lines_usb_event(struct driver *d, unsigned events, uint64_t now);

void lines_log(struct driver *d, unsigned bits, const char *why);
/* At debug 2: what is waiting for its confirmation delay. */
void lines_log_pending(struct driver *d, uint64_t now);

#endif
