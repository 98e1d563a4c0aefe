/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pulled cable is not a power failure. An RS-232 input with nothing
 * connected reads clear, and for most upstypes "every input clear" means
 * OB + LB, which makes upsmon shut the host down at once. What tells a
 * pulled cable from an outage is time: a real outage drops the on-line line
 * first and signals low battery later, when the battery runs down; a pulled
 * cable drops every line at the same moment; and a host that has just booted
 * has never seen the UPS alive.
 *
 * The dead-cable reading of a profile: by default every input line the
 * profile reads clear, where the profile maps that to OB + LB (upstypes 4-8,
 * 10, 13-17, 19, 21-23); or a reading the user gives. The driver suspects a
 * dead cable when the first reading after start is that reading, or when
 * the lines went from on line to that reading within window_ms. While
 * suspected it publishes stale data instead of OB + LB. At start-up the
 * suspicion lasts until a line comes alive; at run time for hold_ms, after
 * which the reading is believed (NUT's behaviour, later by hold_ms).
 *
 * Pure functions over plain structs; time in monotonic milliseconds.
 */
#ifndef DEADCABLE_H
#define DEADCABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cable_profile.h"

/* A cable comes apart in a few ms; a UPS signals low battery after its
 * battery has run for a while. 300 ms covers the separation of every pin
 * and a read or two of a polled port (linepoll 0.2 s), and is far shorter
 * than the time any UPS spends on battery before LB. */
#define DEADCABLE_DEFAULT_WINDOW_MS	300
/* LB on a contact-closure UPS leaves about 2 minutes of runtime (APC
 * Back-UPS, Tripp-Lite Lan 2.2 class). 30 s covers re-seating a connector
 * during rack work and still leaves most of that for the shutdown. */
#define DEADCABLE_DEFAULT_HOLD_MS	30000
#define DEADCABLE_LOG_EVERY_MS		(5 * 60 * 1000)	/* repeat the warning */

enum deadcable_mode {
	DEADCABLE_AUTO,		/* the profile's all-clear reading, if it means OB + LB */
	DEADCABLE_OFF,		/* NUT's behaviour exactly */
	DEADCABLE_READING,	/* the user's reading (cond) */
};

struct deadcable_config {
	enum deadcable_mode mode;
	struct line_cond cond;	/* DEADCABLE_READING: lines named, their dead values */
	uint32_t window_ms;
	uint32_t hold_ms;
};

enum deadcable_state {
	DEADCABLE_LIVE,		/* the lines say something: publish it */
	DEADCABLE_SUSPECT_START,/* first reading is dead: stale until a line is alive */
	DEADCABLE_SUSPECT_PULLED,/* on line -> dead within the window: stale for hold_ms */
	DEADCABLE_BELIEVED,	/* dead reading taken as the UPS's word */
};

struct deadcable {
	enum deadcable_state state;
	bool seen;		/* a reading has been fed */
	bool was_ol;		/* the last reading mapped to on line */
	bool left_ol;		/* a reading has stopped being on line ... */
	uint64_t ol_left_ms;	/* ... first at this time (since the last on-line one) */
	uint64_t since_ms;	/* when the current suspicion began */
};

void deadcable_config_defaults(struct deadcable_config *cfg);

/*
 * The dead-cable condition of profile p under cfg: true with *cond set when
 * detection applies (the reading maps to OB + LB), false when it does not
 * (mode off, or a profile where that reading is not critical).
 */
bool deadcable_condition(const struct deadcable_config *cfg, const struct cable_profile *p,
			 struct line_cond *cond);

/* What a pulled cable (every input clear) reads as under profile p:
 * "LB OB" (critical), "OB", "LB OL" or "OL", as ups.status says them. */
const char *deadcable_pulled_reads(const struct cable_profile *p, char *buf, size_t len);

/* What a pulled cable comes to under profile p with the default
 * configuration: held as a suspected pulled cable (stale, no shutdown),
 * unnoticed (it reads OL), or published as it reads (not critical).
 * reads gets deadcable_pulled_reads(). For -h and the cable wizard. */
enum deadcable_pulled {
	DEADCABLE_PULLED_CAUGHT,
	DEADCABLE_PULLED_UNNOTICED,
	DEADCABLE_PULLED_PUBLISHED,
};
enum deadcable_pulled deadcable_pulled_outcome(const struct cable_profile *p, char *reads,
					       size_t len);

void deadcable_init(struct deadcable *dc);

/* Feed one reading of the input lines; returns the new state. */
enum deadcable_state deadcable_note(struct deadcable *dc, const struct deadcable_config *cfg,
				   const struct cable_profile *p, unsigned bits, uint64_t now_ms);

/* The timer: a run-time suspicion that has lasted hold_ms becomes believed.
 * Returns true when the state changed. */
bool deadcable_tick(struct deadcable *dc, const struct deadcable_config *cfg, uint64_t now_ms);

/* When deadcable_tick() would change the state, or 0. */
uint64_t deadcable_deadline(const struct deadcable *dc, const struct deadcable_config *cfg);

static inline bool deadcable_suspected(const struct deadcable *dc)
{
	return dc->state == DEADCABLE_SUSPECT_START || dc->state == DEADCABLE_SUSPECT_PULLED;
}

/*
 * Parse a deadcable value: "auto", "off", or an input condition as for the
 * OL override ("-CTS+-DCD", "DSR+-CTS"): the lines named and the value each
 * reads with the cable pulled. 0, or -1 with err naming the value.
 */
int deadcable_parse(const char *value, struct deadcable_config *cfg, char *err, size_t errlen);

#endif
