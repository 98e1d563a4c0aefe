/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A line source gives the modem-control input lines (CTS DCD RNG DSR), takes
 * the output lines (DTR RTS, BREAK), and tells the main loop through one fd
 * when the inputs may have changed. Two implementations, chosen by port:
 * a serial device (line_serial.c) and "sim:PATH", a text file watched with
 * inotify (line_sim.c).
 */
#ifndef LINE_SOURCE_H
#define LINE_SOURCE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "port_caps.h"

#define SIM_PREFIX "sim:"

struct line_counts {
	uint32_t cts, dsr, rng, dcd;	/* transitions counted by the port */
};

struct line_source;

struct line_source_ops {
	const char *kind;
	/* Open, lock, prepare; write no lines. 0 or -1 with err naming the port. */
	int (*open)(struct line_source *ls, char *err, size_t errlen);
	void (*close)(struct line_source *ls);
	/* Current line bits (ML_* values). 0 or -errno. */
	int (*get)(struct line_source *ls, unsigned *bits);
	/* Write the output lines as an exact mask. 0 or -errno. */
	int (*set)(struct line_source *ls, unsigned mask);
	/* Send a BREAK of about ms milliseconds (blocks). 0 or -errno. */
	int (*send_break)(struct line_source *ls, unsigned ms);
	/* Start (on) or end a BREAK without blocking, for a loop's timer. */
	int (*set_break)(struct line_source *ls, bool on);
	/* Transition counters; -ENOTSUP where the port has none. */
	int (*counts)(struct line_source *ls, struct line_counts *c);
	/* Start change notification: returns an fd that becomes readable when
	 * the inputs may have changed, or -1 when the port cannot notify (the
	 * caller then reads on a timer). When the watcher stops on an error,
	 * the fd becomes readable and thread_errno says why. */
	int (*watch_start)(struct line_source *ls);
	/* Consume the readiness of the watch fd. */
	void (*watch_ack)(struct line_source *ls);
	void (*watch_stop)(struct line_source *ls);
};

struct line_source {
	const struct line_source_ops *ops;
	const struct logger *log;
	char path[PATH_MAX];	/* device, or the file of a sim: port */
	bool nolock;
	struct port_caps caps;	/* what the port reports; set by open */
	int fd;			/* device fd, or inotify fd for sim */
	/* serial watcher thread (TIOCMIWAIT) */
	int wake_fd;		/* eventfd the thread writes, the loop polls */
	pthread_t thread;
	bool thread_running;
	int thread_stop;	/* atomic */
	int thread_errno;	/* atomic: why the thread stopped, 0 if asked */
	/* sim */
	int dir_wd;
	char out_path[PATH_MAX];
	unsigned outputs;	/* last written DTR/RTS */
};

/* Pick the implementation for port ("sim:PATH" or a device path). */
void line_source_init(struct line_source *ls, const char *port,
		      const struct logger *lg);
bool line_source_is_sim(const char *port);
/* The close of both implementations: stop watching, close the fd. */
void line_source_close(struct line_source *ls);

/* Parse "CTS=1 DCD=0 RNG=0 DSR=0" style text into ML_* input bits.
 * Unknown words are errors naming them. 0 or -1. */
int line_text_parse(const char *text, unsigned *bits, char *err, size_t errlen);

#endif
