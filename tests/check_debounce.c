/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debounce, counters and flap detector (rules in drivers/debounce.h), as
 * table-driven scenarios: each step feeds raw conditions at a time and
 * states the published status and the next deadline expected after it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debounce.h"
#include "check_main.h"

#define MAX_STEPS	12
#define TIMER		NULL	/* step with no new raw: a timer wake-up */

struct step {
	uint64_t t;
	const char *raw;	/* status words, or TIMER */
	const char *pub;	/* expected published status */
	uint64_t deadline;	/* expected debounce_next_deadline(), 0 = none */
};

struct scenario {
	const char *name;
	bool zero_delays;	/* all delays 0, else the defaults */
	struct step steps[MAX_STEPS];	/* steps[0] is debounce_init */
	unsigned long transfers_ob, glitches;
	uint64_t ob_total_ms;	/* at the last step's time */
};

static const struct scenario scenarios[] = {
	{ "OB published at once with default delays", false, {
		{ 0, "OL", "OL", 0 },
		{ 1000, "OB", "OB", 0 },
	  }, 1, 0, 0 },
	{ "OB->OL held 500 ms", false, {
		{ 0, "OL", "OL", 0 },
		{ 100, "OB", "OB", 0 },
		{ 2000, "OL", "OB", 2500 },
		{ 2499, TIMER, "OB", 2500 },
		{ 2500, TIMER, "OL", 0 },
	  }, 1, 0, 2400 },
	{ "short OL while OB filtered", false, {
		{ 0, "OB", "OB", 0 },
		{ 1000, "OL", "OB", 1500 },
		{ 1200, "OB", "OB", 0 },
		{ 5000, TIMER, "OB", 0 },
	  }, 0, 1, 5000 },
	{ "300 ms LB pulse while OB filtered", false, {
		{ 0, "OB", "OB", 0 },
		{ 1000, "LB OB", "OB", 2500 },
		{ 1300, "OB", "OB", 0 },
		{ 2500, TIMER, "OB", 0 },
		{ 3000, "LB OB", "OB", 4500 },
		{ 3300, "OB", "OB", 0 },
	  }, 0, 2, 3300 },
	{ "300 ms OB+LB pulse from OL: LB never published", false, {
		{ 0, "OL", "OL", 0 },
		{ 1000, "LB OB", "OB", 2500 },
		{ 1300, "OL", "OB", 1800 },
		{ 1799, TIMER, "OB", 1800 },
		{ 1800, TIMER, "OL", 0 },
		{ 2500, TIMER, "OL", 0 },
	  }, 1, 1, 800 },
	{ "sustained OB then LB: LB OB after 1500 ms", false, {
		{ 0, "OL", "OL", 0 },
		{ 1000, "OB", "OB", 0 },
		{ 5000, "LB OB", "OB", 6500 },
		{ 6499, TIMER, "OB", 6500 },
		{ 6500, TIMER, "LB OB", 0 },
	  }, 1, 0, 5500 },
	{ "OB and LB together: OB first, LB OB after 1500 ms", false, {
		{ 0, "OL", "OL", 0 },
		{ 1000, "LB OB", "OB", 2500 },
		{ 2500, TIMER, "LB OB", 0 },
	  }, 1, 0, 1500 },
	{ "LB OL then OB: stays LB OL until both held 1500 ms", false, {
		{ 0, "LB OL", "LB OL", 0 },
		{ 1000, "LB OB", "LB OL", 2500 },
		{ 2000, TIMER, "LB OL", 2500 },
		{ 2499, "LB OB", "LB OL", 2500 },
		{ 2500, TIMER, "LB OB", 0 },
	  }, 1, 0, 0 },
	{ "LB OL then short OB: no critical publish", false, {
		{ 0, "LB OL", "LB OL", 0 },
		{ 1000, "LB OB", "LB OL", 2500 },
		{ 1300, "LB OL", "LB OL", 0 },
		{ 3000, TIMER, "LB OL", 0 },
	  }, 0, 1, 0 },
	{ "LB confirms after power is back: no critical publish", false, {
		{ 0, "OB", "OB", 0 },
		{ 1000, "LB OB", "OB", 2500 },
		{ 2400, "LB OL", "OB", 2900 },
		{ 2500, TIMER, "OB", 2900 },
		{ 2900, TIMER, "LB OL", 0 },
	  }, 0, 0, 2900 },
	{ "all delays 0: every change at once", true, {
		{ 0, "OL", "OL", 0 },
		{ 10, "OB", "OB", 0 },
		{ 20, "LB OB", "LB OB", 0 },
		{ 30, "LB OL", "LB OL", 0 },
		{ 40, "OL RB", "OL RB", 0 },
		{ 50, "OB BYPASS", "OB BYPASS", 0 },
		{ 60, "LB OB RB BYPASS", "LB OB RB BYPASS", 0 },
		{ 70, "OL", "OL", 0 },
	  }, 2, 0, 40 },
	{ "critical first read: OB, then LB OB after 1500 ms", false, {
		{ 0, "LB OB", "OB", 1500 },
		{ 1499, TIMER, "OB", 1500 },
		{ 1500, TIMER, "LB OB", 0 },
	  }, 0, 0, 1500 },
	{ "critical first read, delays 0: LB OB at once", true, {
		{ 0, "LB OB", "LB OB", 0 },
	  }, 0, 0, 0 },
	{ "critical first read that clears", false, {
		{ 0, "LB OB", "OB", 1500 },
		{ 700, "OB", "OB", 0 },
	  }, 0, 1, 700 },
	{ "RB and BYPASS delays", false, {
		{ 0, "OL", "OL", 0 },
		{ 100, "OL RB", "OL", 1100 },
		{ 200, "OL RB BYPASS", "OL", 700 },
		{ 700, TIMER, "OL BYPASS", 1100 },
		{ 1100, TIMER, "OL RB BYPASS", 0 },
		{ 1200, "OL", "OL RB BYPASS", 1700 },
		{ 1700, TIMER, "OL RB", 2200 },
		{ 2200, TIMER, "OL", 0 },
	  }, 0, 0, 0 },
	{ "late wake-up: a change that held is published, then its revert waits", false, {
		{ 0, "OL", "OL", 0 },
		{ 100, "LB OL", "OL", 1600 },
		{ 2000, "OL", "LB OL", 3500 },
		{ 3500, TIMER, "OL", 0 },
	  }, 0, 0, 0 },
	{ "several OB periods", false, {
		{ 0, "OL", "OL", 0 },
		{ 1000, "OB", "OB", 0 },
		{ 3000, "OL", "OB", 3500 },
		{ 3500, TIMER, "OL", 0 },
		{ 5000, "OB", "OB", 0 },
		{ 6000, TIMER, "OB", 0 },
	  }, 2, 0, 3500 },
};

static struct ups_conditions parse_status(const char *s)
{
	struct ups_conditions c = { .ol = true };
	char buf[64], *w, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "OL") == 0)
			c.ol = true;
		else if (strcmp(w, "OB") == 0)
			c.ol = false;
		else if (strcmp(w, "LB") == 0)
			c.lb = true;
		else if (strcmp(w, "RB") == 0)
			c.rb = true;
		else if (strcmp(w, "BYPASS") == 0)
			c.bypass = true;
		else
			ck_abort_msg("bad word '%s' in scenario", w);
	}
	return c;
}

static void scenario_config(const struct scenario *sc, struct debounce_config *cfg)
{
	debounce_config_defaults(cfg);
	/* the scenarios isolate the other delays; test_ob_default covers obconfirm */
	cfg->delay_ms[DB_OB] = 0;
	if (sc->zero_delays)
		memset(cfg, 0, sizeof(*cfg));
}

static void check_step(const struct scenario *sc, int i, const struct debounce *db,
		       const struct debounce_config *cfg)
{
	const struct step *st = &sc->steps[i];
	char got[64];

	status_format(&db->pub, got, sizeof(got));
	ck_assert_msg(strcmp(got, st->pub) == 0, "%s, step %d (t=%llu): published \"%s\", want \"%s\"",
		      sc->name, i, (unsigned long long)st->t, got, st->pub);
	ck_assert_msg(debounce_next_deadline(db, cfg) == st->deadline,
		      "%s, step %d (t=%llu): deadline %llu, want %llu", sc->name, i,
		      (unsigned long long)st->t,
		      (unsigned long long)debounce_next_deadline(db, cfg),
		      (unsigned long long)st->deadline);
}

START_TEST(test_scenario)
{
	const struct scenario *sc = &scenarios[_i];
	struct debounce_config cfg;
	struct debounce db;
	struct ups_conditions raw, before;
	uint64_t last = 0;
	int i;

	scenario_config(sc, &cfg);
	raw = parse_status(sc->steps[0].raw);
	debounce_init(&db, &cfg, &raw, sc->steps[0].t);
	check_step(sc, 0, &db, &cfg);
	for (i = 1; i < MAX_STEPS && sc->steps[i].pub != NULL; i++) {
		const struct step *st = &sc->steps[i];
		bool changed;

		raw = st->raw != TIMER ? parse_status(st->raw) : db.raw;
		before = db.pub;
		changed = debounce_update(&db, &cfg, &raw, st->t);
		ck_assert_msg(changed == !status_equal(&before, &db.pub),
			      "%s, step %d: return value %d disagrees", sc->name, i, changed);
		check_step(sc, i, &db, &cfg);
		last = st->t;
	}
	ck_assert_msg(db.transfers_ob == sc->transfers_ob, "%s: transfers_ob %lu, want %lu",
		      sc->name, db.transfers_ob, sc->transfers_ob);
	ck_assert_msg(db.glitches == sc->glitches, "%s: glitches %lu, want %lu",
		      sc->name, db.glitches, sc->glitches);
	ck_assert_msg(debounce_ob_total_ms(&db, last) == sc->ob_total_ms,
		      "%s: on battery %llu ms, want %llu", sc->name,
		      (unsigned long long)debounce_ob_total_ms(&db, last),
		      (unsigned long long)sc->ob_total_ms);
}
END_TEST

/* A deadline is exact: one ms before it nothing changes, at it pub does. */
START_TEST(test_deadline_exact)
{
	const struct scenario *sc = &scenarios[_i];
	struct debounce_config cfg;
	struct debounce db, probe;
	struct ups_conditions raw;
	uint64_t dl;
	int i;

	scenario_config(sc, &cfg);
	raw = parse_status(sc->steps[0].raw);
	debounce_init(&db, &cfg, &raw, sc->steps[0].t);
	for (i = 0; i < MAX_STEPS && sc->steps[i].pub != NULL; i++) {
		if (i > 0) {
			raw = sc->steps[i].raw != TIMER ? parse_status(sc->steps[i].raw) : db.raw;
			debounce_update(&db, &cfg, &raw, sc->steps[i].t);
		}
		dl = debounce_next_deadline(&db, &cfg);
		if (dl == 0)
			continue;
		ck_assert_uint_gt(dl, sc->steps[i].t);
		probe = db;
		ck_assert_msg(!debounce_update(&probe, &cfg, &probe.raw, dl - 1),
			      "%s step %d: changed before deadline %llu", sc->name, i,
			      (unsigned long long)dl);
		ck_assert_msg(debounce_update(&probe, &cfg, &probe.raw, dl),
			      "%s step %d: no change at deadline %llu", sc->name, i,
			      (unsigned long long)dl);
	}
}
END_TEST

START_TEST(test_defaults)
{
	struct debounce_config cfg;

	memset(&cfg, 0xff, sizeof(cfg));
	debounce_config_defaults(&cfg);
	ck_assert_uint_eq(cfg.delay_ms[DB_OB], 1000);
	ck_assert_uint_eq(cfg.delay_ms[DB_OL], 500);
	ck_assert_uint_eq(cfg.delay_ms[DB_LB], 1500);
	ck_assert_uint_eq(cfg.delay_ms[DB_RB], 1000);
	ck_assert_uint_eq(cfg.delay_ms[DB_BYPASS], 500);
}
END_TEST

/* A longer OB delay also filters short outages. */
START_TEST(test_ob_delay)
{
	struct debounce_config cfg;
	struct debounce db;
	struct ups_conditions ol = { .ol = true }, ob = { .ol = false };

	debounce_config_defaults(&cfg);
	cfg.delay_ms[DB_OB] = 200;
	debounce_init(&db, &cfg, &ol, 0);
	ck_assert(!debounce_update(&db, &cfg, &ob, 1000));
	ck_assert_uint_eq(debounce_next_deadline(&db, &cfg), 1200);
	ck_assert(!debounce_update(&db, &cfg, &ol, 1100));
	ck_assert_uint_eq(db.glitches, 1);
	ck_assert(!debounce_update(&db, &cfg, &ob, 2000));
	ck_assert(debounce_update(&db, &cfg, &ob, 2200));
	ck_assert(!db.pub.ol);
	ck_assert_uint_eq(db.transfers_ob, 1);
}
END_TEST

/* The default obconfirm (1 s): an on-battery pulse shorter than 1 s is a
 * glitch, never published; a longer one is published after 1 s. */
START_TEST(test_ob_default)
{
	struct debounce_config cfg;
	struct debounce db;
	struct ups_conditions ol = { .ol = true }, ob = { .ol = false };

	debounce_config_defaults(&cfg);
	debounce_init(&db, &cfg, &ol, 0);
	ck_assert(!debounce_update(&db, &cfg, &ob, 1000));
	ck_assert_uint_eq(debounce_next_deadline(&db, &cfg), 2000);
	ck_assert(!debounce_update(&db, &cfg, &ob, 1999));
	ck_assert(!debounce_update(&db, &cfg, &ol, 1999));	/* a 999 ms pulse */
	ck_assert(db.pub.ol);
	ck_assert_uint_eq(db.glitches, 1);
	ck_assert_uint_eq(db.transfers_ob, 0);
	ck_assert(!debounce_update(&db, &cfg, &ob, 3000));
	ck_assert(debounce_update(&db, &cfg, &ob, 4000));	/* held 1 s */
	ck_assert(!db.pub.ol);
	ck_assert_uint_eq(db.transfers_ob, 1);
}
END_TEST

START_TEST(test_ob_counters)
{
	struct debounce_config cfg;
	struct debounce db;
	struct ups_conditions ol = { .ol = true }, ob = { .ol = false };

	debounce_config_defaults(&cfg);
	cfg.delay_ms[DB_OB] = 0;
	debounce_init(&db, &cfg, &ol, 0);
	ck_assert_uint_eq(debounce_ob_current_ms(&db, 100), 0);
	ck_assert_uint_eq(debounce_ob_total_ms(&db, 100), 0);
	debounce_update(&db, &cfg, &ob, 1000);
	ck_assert_uint_eq(debounce_ob_current_ms(&db, 1250), 250);
	ck_assert_uint_eq(debounce_ob_total_ms(&db, 1250), 250);
	debounce_update(&db, &cfg, &ol, 2000);		/* still OB until 2500 */
	ck_assert_uint_eq(debounce_ob_current_ms(&db, 2400), 1400);
	debounce_update(&db, &cfg, &ol, 2500);
	ck_assert_uint_eq(debounce_ob_current_ms(&db, 3000), 0);
	ck_assert_uint_eq(debounce_ob_total_ms(&db, 3000), 1500);
	debounce_update(&db, &cfg, &ob, 4000);
	ck_assert_uint_eq(debounce_ob_total_ms(&db, 4100), 1600);
	ck_assert_uint_eq(db.transfers_ob, 2);
	ck_assert_uint_eq(db.glitches, 0);

	/* starting on battery: no transfer counted, time counted */
	debounce_init(&db, &cfg, &ob, 10000);
	ck_assert_uint_eq(db.transfers_ob, 0);
	ck_assert_uint_eq(debounce_ob_current_ms(&db, 10300), 300);
}
END_TEST

/* --- flap detector ------------------------------------------------------ */

#define FLAP_STEPS	12
#define EXPIRE		0xffffffffu	/* step that calls flap_expire() */

struct flap_step {
	uint64_t t;
	unsigned bits;		/* new line bits, or EXPIRE */
	unsigned started;	/* expected flap_note() result */
	unsigned mask;		/* expected flap_mask() after */
};

struct flap_scenario {
	const char *name;
	unsigned count;
	uint32_t window_ms;
	struct flap_step steps[FLAP_STEPS];
};

#define F_CTS	(1u << FLAP_CTS)
#define F_DCD	(1u << FLAP_DCD)
#define F_RNG	(1u << FLAP_RNG)
#define F_DSR	(1u << FLAP_DSR)

static const struct flap_scenario flap_scenarios[] = {
	{ "3 in 1 s, reported once, expiring", 3, 1000, {
		{ 0, ML_CTS, 0, 0 },
		{ 100, 0, 0, 0 },
		{ 200, ML_CTS, F_CTS, F_CTS },
		{ 300, 0, 0, F_CTS },
		{ 1299, EXPIRE, 0, F_CTS },
		{ 1300, EXPIRE, 0, 0 },
		{ 2000, ML_CTS, 0, 0 },
		{ 2100, 0, 0, 0 },
		{ 2200, ML_CTS, F_CTS, F_CTS },
	} },
	{ "slow changes never flap", 3, 1000, {
		{ 0, ML_DCD, 0, 0 },
		{ 600, 0, 0, 0 },
		{ 1200, ML_DCD, 0, 0 },
		{ 1800, 0, 0, 0 },
		{ 2400, ML_DCD, 0, 0 },
	} },
	{ "window boundary: N changes spanning exactly T flap", 3, 1000, {
		{ 0, ML_DSR, 0, 0 },
		{ 500, 0, 0, 0 },
		{ 1000, ML_DSR, F_DSR, F_DSR },
	} },
	{ "lines are independent; outputs ignored", 2, 1000, {
		{ 0, ML_CTS | ML_DTR, 0, 0 },
		{ 100, ML_CTS | ML_DCD, 0, 0 },
		{ 200, ML_CTS | ML_RTS, F_DCD, F_DCD },
		{ 300, ML_RNG | ML_DSR, F_CTS, F_DCD | F_CTS },
		{ 400, 0, F_RNG | F_DSR, F_CTS | F_DCD | F_RNG | F_DSR },
		{ 1250, EXPIRE, 0, F_CTS | F_RNG | F_DSR },
		{ 1400, EXPIRE, 0, 0 },
	} },
	{ "quiet flapping line expires inside flap_note", 2, 1000, {
		{ 0, ML_RNG, 0, 0 },
		{ 100, 0, F_RNG, F_RNG },
		{ 1100, ML_CTS, 0, 0 },
		{ 1200, ML_CTS | ML_RNG, 0, 0 },
		{ 1300, ML_CTS, F_RNG, F_RNG },
	} },
	{ "count below 2 acts as 2", 0, 1000, {
		{ 0, ML_CTS, 0, 0 },
		{ 10, 0, F_CTS, F_CTS },
	} },
};

START_TEST(test_flap)
{
	const struct flap_scenario *fs = &flap_scenarios[_i];
	struct flap_config cfg = { fs->count, fs->window_ms };
	struct flap_detector fd;
	unsigned bits = 0, started;
	int i;

	flap_init(&fd);
	ck_assert_uint_eq(flap_mask(&fd), 0);
	for (i = 0; i < FLAP_STEPS && (i == 0 || fs->steps[i].t != 0); i++) {
		const struct flap_step *st = &fs->steps[i];

		if (st->bits == EXPIRE) {
			flap_expire(&fd, &cfg, st->t);
			started = 0;
		} else {
			started = flap_note(&fd, &cfg, bits, st->bits, st->t);
			bits = st->bits;
		}
		ck_assert_msg(started == st->started, "%s, step %d: started 0x%x, want 0x%x",
			      fs->name, i, started, st->started);
		ck_assert_msg(flap_mask(&fd) == st->mask, "%s, step %d: mask 0x%x, want 0x%x",
			      fs->name, i, flap_mask(&fd), st->mask);
	}
}
END_TEST

/* The ring holds FLAP_MAX_COUNT changes; a count above it is clamped. */
START_TEST(test_flap_max)
{
	struct flap_config cfg = { FLAP_MAX_COUNT + 8, 100000 };
	struct flap_detector fd;
	unsigned bits = 0, started = 0;
	int i;

	flap_init(&fd);
	for (i = 1; i <= FLAP_MAX_COUNT; i++) {
		started = flap_note(&fd, &cfg, bits, bits ^ ML_CTS, (uint64_t)i * 10);
		bits ^= ML_CTS;
		if (i < FLAP_MAX_COUNT)
			ck_assert_uint_eq(started, 0);
	}
	ck_assert_uint_eq(started, F_CTS);
	/* many more changes wrap the ring without a second report */
	for (; i <= 3 * FLAP_MAX_COUNT; i++) {
		ck_assert_uint_eq(flap_note(&fd, &cfg, bits, bits ^ ML_CTS, (uint64_t)i * 10), 0);
		bits ^= ML_CTS;
	}
	ck_assert_uint_eq(flap_mask(&fd), F_CTS);
}
END_TEST

#define NCASES(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *debounce_suite(void)
{
	Suite *s = suite_create("debounce");
	TCase *tc;

	tc = tcase_create("debounce");
	tcase_add_loop_test(tc, test_scenario, 0, NCASES(scenarios));
	tcase_add_loop_test(tc, test_deadline_exact, 0, NCASES(scenarios));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_ob_delay);
	tcase_add_test(tc, test_ob_counters);
	tcase_add_test(tc, test_ob_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("flap");
	tcase_add_loop_test(tc, test_flap, 0, NCASES(flap_scenarios));
	tcase_add_test(tc, test_flap_max);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(debounce_suite());
}
