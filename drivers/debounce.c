/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Glitch immunity between the raw line conditions and ups.status, the
 * on-battery counters and the flap detector (rules in debounce.h).
 *
 * Publishing is computed by one pure function, debounce_target(): each
 * signal whose raw value differs from the published one and has held for
 * its delay takes the raw value; if the result would enter the critical
 * state (LB and OB) from outside it, the raw OB and LB must also have held
 * together for DB_LB, or OL and LB both keep their published values. So OB
 * alone can be published before LB confirms, but "LB OL" never becomes
 * "LB OB" before OB has held for DB_LB. debounce_next_deadline() asks the
 * same function at each candidate time, so the two can never disagree.
 */
#include <string.h>

#include "debounce.h"

enum { SIG_OL, SIG_LB, SIG_RB, SIG_BYPASS, SIG_N };

static bool cond_get(const struct ups_conditions *c, int sig)
{
	switch (sig) {
	case SIG_OL:
		return c->ol;
	case SIG_LB:
		return c->lb;
	case SIG_RB:
		return c->rb;
	default:
		return c->bypass;
	}
}

static void cond_set(struct ups_conditions *c, int sig, bool v)
{
	switch (sig) {
	case SIG_OL:
		c->ol = v;
		break;
	case SIG_LB:
		c->lb = v;
		break;
	case SIG_RB:
		c->rb = v;
		break;
	default:
		c->bypass = v;
		break;
	}
}

static bool is_critical(const struct ups_conditions *c)
{
	return !c->ol && c->lb;
}

/* Delay for a change of sig towards the value v. */
static uint64_t sig_delay(const struct debounce_config *cfg, int sig, bool v)
{
	switch (sig) {
	case SIG_OL:
		return cfg->delay_ms[v ? DB_OL : DB_OB];
	case SIG_LB:
		return cfg->delay_ms[DB_LB];
	case SIG_RB:
		return cfg->delay_ms[DB_RB];
	default:
		return cfg->delay_ms[DB_BYPASS];
	}
}

static bool pending(const struct debounce *db, int sig)
{
	return cond_get(&db->raw, sig) != cond_get(&db->pub, sig);
}

/* When the pending change of sig has held for its delay. */
static uint64_t sig_due(const struct debounce *db, const struct debounce_config *cfg,
			int sig)
{
	return db->raw_since[sig] + sig_delay(cfg, sig, cond_get(&db->raw, sig));
}

/* When raw OB and raw LB will have held together for DB_LB. */
static uint64_t critical_due(const struct debounce *db, const struct debounce_config *cfg)
{
	uint64_t since = db->raw_since[SIG_OL];

	if (db->raw_since[SIG_LB] > since)
		since = db->raw_since[SIG_LB];
	return since + cfg->delay_ms[DB_LB];
}

/* The conditions that should be published at now, given raw and pub. */
static struct ups_conditions debounce_target(const struct debounce *db,
					     const struct debounce_config *cfg,
					     uint64_t now)
{
	struct ups_conditions t = db->pub;
	int sig;

	for (sig = 0; sig < SIG_N; sig++)
		if (pending(db, sig) && now >= sig_due(db, cfg, sig))
			cond_set(&t, sig, cond_get(&db->raw, sig));
	if (is_critical(&t) && !is_critical(&db->pub) &&
	    !(is_critical(&db->raw) && now >= critical_due(db, cfg))) {
		t.ol = db->pub.ol;
		t.lb = db->pub.lb;
	}
	return t;
}

/* Publish t at now, keeping the on-battery counters. */
static void publish(struct debounce *db, const struct ups_conditions *t, uint64_t now)
{
	if (db->pub.ol && !t->ol) {
		db->transfers_ob++;
		db->ob_since_ms = now;
	} else if (!db->pub.ol && t->ol) {
		db->ob_total_ms += now - db->ob_since_ms;
	}
	db->pub = *t;
}

void debounce_config_defaults(struct debounce_config *cfg)
{
	cfg->delay_ms[DB_OB] = DB_DEFAULT_OB_MS;
	cfg->delay_ms[DB_OL] = DB_DEFAULT_OL_MS;
	cfg->delay_ms[DB_LB] = DB_DEFAULT_LB_MS;
	cfg->delay_ms[DB_RB] = DB_DEFAULT_RB_MS;
	cfg->delay_ms[DB_BYPASS] = DB_DEFAULT_BYPASS_MS;
}

void debounce_init(struct debounce *db, const struct debounce_config *cfg,
		   const struct ups_conditions *raw, uint64_t now_ms)
{
	int sig;

	memset(db, 0, sizeof(*db));
	db->raw = *raw;
	db->pub = *raw;
	if (is_critical(raw) && cfg->delay_ms[DB_LB] > 0)
		db->pub.lb = false;	/* LB confirms like any other change */
	for (sig = 0; sig < SIG_N; sig++)
		db->raw_since[sig] = now_ms;
	if (!db->pub.ol)
		db->ob_since_ms = now_ms;
}

bool debounce_update(struct debounce *db, const struct debounce_config *cfg,
		     const struct ups_conditions *raw, uint64_t now_ms)
{
	struct ups_conditions before = db->pub, t;
	int sig;

	/* What was due by now under the old raw conditions comes first. */
	t = debounce_target(db, cfg, now_ms);
	publish(db, &t, now_ms);

	for (sig = 0; sig < SIG_N; sig++) {
		bool v = cond_get(raw, sig);

		if (v == cond_get(&db->raw, sig))
			continue;
		if (pending(db, sig) && v == cond_get(&db->pub, sig))
			db->glitches++;	/* reverted before it was published */
		cond_set(&db->raw, sig, v);
		db->raw_since[sig] = now_ms;
	}

	t = debounce_target(db, cfg, now_ms);
	publish(db, &t, now_ms);
	return !status_equal(&before, &db->pub);
}

uint64_t debounce_next_deadline(const struct debounce *db, const struct debounce_config *cfg)
{
	uint64_t cand[SIG_N + 1], best = 0;
	struct ups_conditions t;
	bool found = false;
	int sig, n = 0, i;

	for (sig = 0; sig < SIG_N; sig++)
		if (pending(db, sig))
			cand[n++] = sig_due(db, cfg, sig);
	if (n == 0)
		return 0;
	cand[n++] = critical_due(db, cfg);

	/* The earliest candidate at which the published conditions change. */
	for (i = 0; i < n; i++) {
		if (found && cand[i] >= best)
			continue;
		t = debounce_target(db, cfg, cand[i]);
		if (!status_equal(&t, &db->pub)) {
			best = cand[i];
			found = true;
		}
	}
	return best;
}

uint64_t debounce_ob_current_ms(const struct debounce *db, uint64_t now_ms)
{
	if (db->pub.ol || now_ms < db->ob_since_ms)
		return 0;
	return now_ms - db->ob_since_ms;
}

uint64_t debounce_ob_total_ms(const struct debounce *db, uint64_t now_ms)
{
	return db->ob_total_ms + debounce_ob_current_ms(db, now_ms);
}

/* --- flap detector ------------------------------------------------------ */

/* enum flap_line follows cable_inputs[] */
_Static_assert(FLAP_NLINES == CABLE_NINPUTS, "flap lines are the cable inputs");

static unsigned flap_count(const struct flap_config *cfg)
{
	if (cfg->count < 2)
		return 2;
	if (cfg->count > FLAP_MAX_COUNT)
		return FLAP_MAX_COUNT;
	return cfg->count;
}

/* The k-th most recent change of line l (k = 1 is the latest). */
static uint64_t flap_recent(const struct flap_detector *fd, int l, unsigned k)
{
	return fd->ts[l][(fd->head[l] + FLAP_MAX_COUNT - k) % FLAP_MAX_COUNT];
}

void flap_init(struct flap_detector *fd)
{
	memset(fd, 0, sizeof(*fd));
}

void flap_expire(struct flap_detector *fd, const struct flap_config *cfg, uint64_t now_ms)
{
	int l;

	for (l = 0; l < FLAP_NLINES; l++)
		if (fd->flapping[l] && fd->fill[l] > 0 &&
		    now_ms >= flap_recent(fd, l, 1) + cfg->window_ms)
			fd->flapping[l] = false;
}

unsigned flap_note(struct flap_detector *fd, const struct flap_config *cfg,
		   unsigned old_bits, unsigned new_bits, uint64_t now_ms)
{
	unsigned n = flap_count(cfg), started = 0;
	int l;

	flap_expire(fd, cfg, now_ms);
	for (l = 0; l < FLAP_NLINES; l++) {
		if (!((old_bits ^ new_bits) & cable_inputs[l].bit))
			continue;
		fd->ts[l][fd->head[l]] = now_ms;
		fd->head[l] = (fd->head[l] + 1) % FLAP_MAX_COUNT;
		if (fd->fill[l] < FLAP_MAX_COUNT)
			fd->fill[l]++;
		/* N changes within T: the N-th latest is at most T old. */
		if (!fd->flapping[l] && fd->fill[l] >= n &&
		    now_ms - flap_recent(fd, l, n) <= cfg->window_ms) {
			fd->flapping[l] = true;
			started |= 1u << l;
		}
	}
	return started;
}

unsigned flap_mask(const struct flap_detector *fd)
{
	unsigned mask = 0;
	int l;

	for (l = 0; l < FLAP_NLINES; l++)
		if (fd->flapping[l])
			mask |= 1u << l;
	return mask;
}
