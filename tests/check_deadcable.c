/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dead-cable detection: which profiles it covers (spec nut-compat.md 11.3,
 * written out here independently of the code), and the sequences that
 * tell a pulled cable from an outage.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cable_profile.h"
#include "deadcable.h"
#include "check_main.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* spec 11.3: what every input clear reads, per upstype */
static const char *const pulled_reads[CABLE_NTYPES] = {
	"OL", "OL", "OL", "OL", "LB OB", "LB OB", "LB OB", "LB OB", "LB OB", "OL",
	"LB OB", "LB OL", "OL", "LB OB", "LB OB", "LB OB", "LB OB", "LB OB", "OB",
	"LB OB", "OL", "LB OB", "LB OB", "LB OB",
};

START_TEST(test_profile_table)
{
	const struct cable_profile *p = cable_profile_get(_i);
	struct deadcable_config cfg;
	struct line_cond c = { 0, 0 };
	char buf[16];
	bool covered = !strcmp(pulled_reads[_i], "LB OB");

	deadcable_config_defaults(&cfg);
	ck_assert_str_eq(deadcable_pulled_reads(p, buf, sizeof(buf)), pulled_reads[_i]);
	ck_assert_int_eq(deadcable_condition(&cfg, p, &c), covered);
	if (covered) {
		ck_assert_uint_eq(c.val, 0);
		ck_assert_uint_eq(c.line, (p->ol.line | p->lb.line | p->rb.line | p->bypass.line));
	}
	cfg.mode = DEADCABLE_OFF;
	ck_assert(!deadcable_condition(&cfg, p, &c));
	/* the outcome -h and upscable print follows the same table */
	ck_assert_int_eq(deadcable_pulled_outcome(p, buf, sizeof(buf)),
			 covered ? DEADCABLE_PULLED_CAUGHT :
			 !strcmp(pulled_reads[_i], "OL") ? DEADCABLE_PULLED_UNNOTICED :
			 DEADCABLE_PULLED_PUBLISHED);
	ck_assert_str_eq(buf, pulled_reads[_i]);
}
END_TEST

/* ---- sequences, upstype 5: OL = CTS set, LB = DCD clear ------------------- */

#define ONLINE	(ML_CTS | ML_DCD)
#define ONBATT	(ML_DCD)
#define DEAD	0u
#define LOWOL	(ML_CTS)	/* OL + LB: CTS set, DCD clear */

struct step {
	uint64_t t;
	unsigned bits;			/* ~0u: only a tick */
	enum deadcable_state want;
};

static const struct {
	const char *name;
	struct step steps[8];
} seq_cases[] = {
	{ "boot with the cable pulled: suspected until a line lives, never expires",
	  { { 0, DEAD, DEADCABLE_SUSPECT_START }, { 3600000, ~0u, DEADCABLE_SUSPECT_START },
	    { 3600001, DEAD, DEADCABLE_SUSPECT_START }, { 3600500, ONLINE, DEADCABLE_LIVE },
	    { 0, 0, 0 } } },
	{ "cable pulled from on line: suspected for the hold, then believed",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, DEAD, DEADCABLE_SUSPECT_PULLED },
	    { 1000 + 29999, ~0u, DEADCABLE_SUSPECT_PULLED },
	    { 1000 + 29999, DEAD, DEADCABLE_SUSPECT_PULLED },
	    { 1000 + 30000, ~0u, DEADCABLE_BELIEVED }, { 40000, DEAD, DEADCABLE_BELIEVED },
	    { 50000, ONLINE, DEADCABLE_LIVE }, { 0, 0, 0 } } },
	{ "cable pulled for 10 s and plugged back in",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 5000, DEAD, DEADCABLE_SUSPECT_PULLED },
	    { 15000, ONLINE, DEADCABLE_LIVE }, { 60000, ~0u, DEADCABLE_LIVE }, { 0, 0, 0 } } },
	{ "pins separating: on line, on battery 20 ms, then all clear",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, ONBATT, DEADCABLE_LIVE },
	    { 1020, DEAD, DEADCABLE_SUSPECT_PULLED }, { 0, 0, 0 } } },
	{ "OB and LB within the window (300 ms) count as a dead cable",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, ONBATT, DEADCABLE_LIVE },
	    { 1300, DEAD, DEADCABLE_SUSPECT_PULLED }, { 0, 0, 0 } } },
	{ "a real outage: on battery for 5 s, then low battery",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, ONBATT, DEADCABLE_LIVE },
	    { 6000, DEAD, DEADCABLE_BELIEVED }, { 100000, ~0u, DEADCABLE_BELIEVED },
	    { 0, 0, 0 } } },
	{ "just over the window is an outage",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, ONBATT, DEADCABLE_LIVE },
	    { 1301, DEAD, DEADCABLE_BELIEVED }, { 0, 0, 0 } } },
	{ "the on-battery reading repeated does not move the start of the outage",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 1000, ONBATT, DEADCABLE_LIVE },
	    { 1200, ONBATT, DEADCABLE_LIVE }, { 1400, DEAD, DEADCABLE_BELIEVED }, { 0, 0, 0 } } },
	{ "booted on battery: no evidence of a live cable before",
	  { { 0, ONBATT, DEADCABLE_LIVE }, { 100, DEAD, DEADCABLE_BELIEVED }, { 0, 0, 0 } } },
	{ "on line with low battery (OL LB) then all clear is a pull",
	  { { 0, LOWOL, DEADCABLE_LIVE }, { 100, DEAD, DEADCABLE_SUSPECT_PULLED }, { 0, 0, 0 } } },
	{ "a second pull after plugging back in is suspected again",
	  { { 0, ONLINE, DEADCABLE_LIVE }, { 100, DEAD, DEADCABLE_SUSPECT_PULLED },
	    { 200, ONLINE, DEADCABLE_LIVE }, { 90000, DEAD, DEADCABLE_SUSPECT_PULLED },
	    { 119999, ~0u, DEADCABLE_SUSPECT_PULLED }, { 120000, ~0u, DEADCABLE_BELIEVED },
	    { 0, 0, 0 } } },
};

START_TEST(test_sequence)
{
	const struct cable_profile *p = cable_profile_get(5);
	struct deadcable_config cfg;
	struct deadcable dc;
	size_t i;

	deadcable_config_defaults(&cfg);
	deadcable_init(&dc);
	for (i = 0; i < NCASES(seq_cases[_i].steps); i++) {
		const struct step *s = &seq_cases[_i].steps[i];

		if (i > 0 && !s->t && !s->bits && !s->want)
			break;
		if (s->bits == ~0u)
			deadcable_tick(&dc, &cfg, s->t);
		else
			deadcable_note(&dc, &cfg, p, s->bits, s->t);
		ck_assert_msg(dc.state == s->want, "%s: step %zu: state %d, want %d",
			      seq_cases[_i].name, i, dc.state, s->want);
	}
}
END_TEST

START_TEST(test_off_is_nut)
{
	const struct cable_profile *p = cable_profile_get(5);
	struct deadcable_config cfg;
	struct deadcable dc;

	deadcable_config_defaults(&cfg);
	cfg.mode = DEADCABLE_OFF;
	deadcable_init(&dc);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, DEAD, 0), DEADCABLE_LIVE);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, ONLINE, 10), DEADCABLE_LIVE);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, DEAD, 20), DEADCABLE_LIVE);
	ck_assert_uint_eq(deadcable_deadline(&dc, &cfg), 0);
}
END_TEST

START_TEST(test_uncovered_profile)
{
	const struct cable_profile *p = cable_profile_get(1);	/* all clear = OL */
	struct deadcable_config cfg;
	struct deadcable dc;

	deadcable_config_defaults(&cfg);
	deadcable_init(&dc);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, DEAD, 0), DEADCABLE_LIVE);
}
END_TEST

START_TEST(test_deadline)
{
	const struct cable_profile *p = cable_profile_get(5);
	struct deadcable_config cfg;
	struct deadcable dc;

	deadcable_config_defaults(&cfg);
	cfg.hold_ms = 12000;
	deadcable_init(&dc);
	deadcable_note(&dc, &cfg, p, DEAD, 5);
	ck_assert_uint_eq(deadcable_deadline(&dc, &cfg), 0);	/* start: never */
	deadcable_note(&dc, &cfg, p, ONLINE, 10);
	deadcable_note(&dc, &cfg, p, DEAD, 1000);
	ck_assert_uint_eq(deadcable_deadline(&dc, &cfg), 13000);
	ck_assert(!deadcable_tick(&dc, &cfg, 12999));
	ck_assert(deadcable_tick(&dc, &cfg, 13000));
	ck_assert(!deadcable_tick(&dc, &cfg, 13001));
	ck_assert_uint_eq(deadcable_deadline(&dc, &cfg), 0);
}
END_TEST

/* A cable whose inputs are pulled up from cable power reads DSR set when
 * pulled: the user says so, and all-clear is no longer the dead reading. */
START_TEST(test_user_reading)
{
	const struct cable_profile *p = cable_profile_get(5);
	struct deadcable_config cfg;
	struct deadcable dc;
	struct line_cond c;
	char err[256];

	deadcable_config_defaults(&cfg);
	ck_assert_int_eq(deadcable_parse("-CTS+-DCD+DSR", &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.mode, DEADCABLE_READING);
	ck_assert(deadcable_condition(&cfg, p, &c));
	ck_assert_uint_eq(c.line, ML_CTS | ML_DCD | ML_DSR);
	ck_assert_uint_eq(c.val, ML_DSR);
	deadcable_init(&dc);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, ML_DSR, 0), DEADCABLE_SUSPECT_START);
	deadcable_init(&dc);
	ck_assert_int_eq(deadcable_note(&dc, &cfg, p, DEAD, 0), DEADCABLE_LIVE);
	/* a reading that the profile maps to on line cannot be a dead cable */
	ck_assert_int_eq(deadcable_parse("CTS", &cfg, err, sizeof(err)), 0);
	ck_assert(!deadcable_condition(&cfg, p, &c));
}
END_TEST

static const struct {
	const char *value;
	int rc;
	enum deadcable_mode mode;
	const char *err;
} parse_cases[] = {
	{ "auto", 0, DEADCABLE_AUTO, NULL },
	{ "AUTO", 0, DEADCABLE_AUTO, NULL },
	{ "off", 0, DEADCABLE_OFF, NULL },
	{ "-CTS+-DCD", 0, DEADCABLE_READING, NULL },
	{ "none", -1, DEADCABLE_AUTO, "use 'off'" },
	{ "DTR", -1, DEADCABLE_AUTO, "DTR" },
	{ "yes", -1, DEADCABLE_AUTO, "'yes'" },
	{ "", -1, DEADCABLE_AUTO, "deadcable" },
};

START_TEST(test_parse)
{
	struct deadcable_config cfg;
	char err[256] = "";
	int rc;

	deadcable_config_defaults(&cfg);
	rc = deadcable_parse(parse_cases[_i].value, &cfg, err, sizeof(err));
	ck_assert_int_eq(rc, parse_cases[_i].rc);
	if (rc == 0)
		ck_assert_int_eq(cfg.mode, parse_cases[_i].mode);
	else
		ck_assert_msg(strstr(err, parse_cases[_i].err), "'%s': error '%s' lacks '%s'",
			      parse_cases[_i].value, err, parse_cases[_i].err);
}
END_TEST

static Suite *deadcable_suite(void)
{
	Suite *s = suite_create("deadcable");
	TCase *tc = tcase_create("profiles");

	tcase_add_loop_test(tc, test_profile_table, 0, CABLE_NTYPES);
	tcase_add_test(tc, test_uncovered_profile);
	suite_add_tcase(s, tc);
	tc = tcase_create("sequences");
	tcase_add_loop_test(tc, test_sequence, 0, NCASES(seq_cases));
	tcase_add_test(tc, test_off_is_nut);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_user_reading);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, NCASES(parse_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(deadcable_suite());
}
