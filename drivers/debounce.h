/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Glitch immunity: per-signal confirmation delays between the raw
 * conditions read from the lines and the conditions published as
 * ups.status, plus the counters and the flap detector. Pure functions over
 * plain structs; time is passed in as monotonic milliseconds.
 *
 * Rules:
 *  - a raw change is published once it has held for its delay:
 *    DB_OB for OL->OB, DB_OL for OB->OL, DB_LB, DB_RB, DB_BYPASS for both
 *    directions of those conditions; a change that reverts earlier is
 *    counted as a filtered glitch;
 *  - entering the critical state (LB and OB both published, which makes
 *    upsmon shut the host down) also requires the raw OB and raw LB to have
 *    both held, together, for the DB_LB delay; until then both keep their
 *    previously published values (OB alone may still be published first,
 *    e.g. "OL" -> "OB" -> "LB OB" when OB and LB arrive together);
 *  - delay 0 publishes at once (NUT's behaviour).
 * debounce_update() first publishes what was due by now under the previous
 * raw conditions, then applies the new ones, so a late call loses nothing.
 */
#ifndef DEBOUNCE_H
#define DEBOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

enum db_signal { DB_OB, DB_OL, DB_LB, DB_RB, DB_BYPASS, DB_NSIG };

/* Defaults, in ms (justified in the man page). */
#define DB_DEFAULT_OB_MS	1000
#define DB_DEFAULT_OL_MS	500
#define DB_DEFAULT_LB_MS	1500
#define DB_DEFAULT_RB_MS	1000
#define DB_DEFAULT_BYPASS_MS	500

struct debounce_config {
	uint32_t delay_ms[DB_NSIG];
};

struct debounce {
	struct ups_conditions raw;	/* last raw conditions seen */
	struct ups_conditions pub;	/* conditions published */
	uint64_t raw_since[4];		/* when raw ol, lb, rb, bypass last changed */
	/* counters, kept across reloads by the driver */
	unsigned long transfers_ob;	/* published OL -> OB */
	unsigned long glitches;		/* raw changes that reverted before their delay */
	uint64_t ob_total_ms;		/* time published OB, finished periods */
	uint64_t ob_since_ms;		/* when the current OB period began (valid if !pub.ol) */
};

void debounce_config_defaults(struct debounce_config *cfg);

/* First read: publishes raw at once, except that a critical first read (LB
 * and OB) publishes OB alone and lets LB confirm for DB_LB (if nonzero).
 * Zeroes the counters; starting on battery counts no transfer. */
void debounce_init(struct debounce *db, const struct debounce_config *cfg,
		   const struct ups_conditions *raw, uint64_t now_ms);

/* New raw conditions (or the same, on a timer): returns true when pub changed. */
bool debounce_update(struct debounce *db, const struct debounce_config *cfg,
		     const struct ups_conditions *raw, uint64_t now_ms);

/* Monotonic ms at which debounce_update(db, cfg, &db->raw, t) would publish a
 * pending change, or 0 when nothing is pending. */
uint64_t debounce_next_deadline(const struct debounce *db, const struct debounce_config *cfg);

/* Time on battery so far: finished periods plus the current one. */
uint64_t debounce_ob_total_ms(const struct debounce *db, uint64_t now_ms);
/* Length of the current OB period, 0 when on line. */
uint64_t debounce_ob_current_ms(const struct debounce *db, uint64_t now_ms);

/* Flap detector: N changes of one input line within T ms. */
enum flap_line { FLAP_CTS, FLAP_DCD, FLAP_RNG, FLAP_DSR, FLAP_NLINES };
#define FLAP_MAX_COUNT 32
#define FLAP_DEFAULT_COUNT 10
#define FLAP_DEFAULT_WINDOW_MS 60000

struct flap_config {
	unsigned count;		/* N, 2..FLAP_MAX_COUNT */
	uint32_t window_ms;	/* T */
};

struct flap_detector {
	uint64_t ts[FLAP_NLINES][FLAP_MAX_COUNT];	/* ring of change times */
	unsigned head[FLAP_NLINES], fill[FLAP_NLINES];
	bool flapping[FLAP_NLINES];
};

void flap_init(struct flap_detector *fd);
/*
 * Record the input lines that changed between old_bits and new_bits at now.
 * Returns a mask of (1 << flap_line) for lines that just became flapping
 * (to be logged once): count changes with the first at most window_ms before
 * the last. A line stops flapping after window_ms without a change (checked
 * here and in flap_expire()). count is clamped to 2..FLAP_MAX_COUNT.
 */
unsigned flap_note(struct flap_detector *fd, const struct flap_config *cfg,
		   unsigned old_bits, unsigned new_bits, uint64_t now_ms);
void flap_expire(struct flap_detector *fd, const struct flap_config *cfg, uint64_t now_ms);
/* Mask of lines flapping now. */
unsigned flap_mask(const struct flap_detector *fd);

#endif
