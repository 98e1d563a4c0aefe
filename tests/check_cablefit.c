/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cable wizard's reasoning (drivers/cablefit.c): which upstypes fit
 * hand-written observations, which line combinations are whose shutdown
 * signal, the order of cable-power trials, the smallest override. The
 * expected type sets are written from the profile table in genericups(8),
 * not computed by the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cablefit.h"
#include "check_main.h"

#define T(n)	(1u << (n))
#define DTR	ML_DTR
#define RTS	ML_RTS
#define CTS	ML_CTS
#define DCD	ML_DCD
#define RNG	ML_RNG
#define DSR	ML_DSR
#define ALLIN	ML_INPUTS

/* ---- shutdown signals ---------------------------------------------------- */

static const struct {
	unsigned prev, next;
	uint32_t types;
} sd_rows[] = {
	{ 0, RTS, T(0) | T(1) | T(6) | T(9) | T(14) | T(19) },
	{ DTR, RTS, T(0) | T(1) | T(6) | T(9) | T(14) | T(19) },
	{ 0, DTR | RTS, T(2) | T(3) | T(5) | T(21) },
	{ 0, DTR, T(7) | T(10) | T(12) | T(22) },
	/* SD=0 (4, 23): dropping every line after their cable power RTS */
	{ RTS, 0, T(4) | T(23) },
	{ DTR | RTS, 0, T(4) | T(23) },
	{ DTR, 0, 0 },
	{ 0, 0, 0 },
};

START_TEST(test_shutdown_types)
{
	uint32_t got = cf_shutdown_types(sd_rows[_i].prev, sd_rows[_i].next, CF_ALL_TYPES);
	char g[80], w[80];

	ck_assert_msg(got == sd_rows[_i].types, "prev 0x%x next 0x%x: got %s, want %s",
		      sd_rows[_i].prev, sd_rows[_i].next, cf_types_text(got, g, sizeof(g)),
		      cf_types_text(sd_rows[_i].types, w, sizeof(w)));
	/* among narrows */
	ck_assert_uint_eq(cf_shutdown_types(sd_rows[_i].prev, sd_rows[_i].next, T(1) | T(5)),
			  sd_rows[_i].types & (T(1) | T(5)));
}
END_TEST

/* ---- fitting ------------------------------------------------------------- */

#define MAXO 12
struct fit_row {
	const char *name;
	struct cf_obs obs[MAXO];
	size_t n;
	unsigned reported;
	uint32_t fitting, confirmed;
};

static const struct fit_row fit_rows[] = {
	{ "type 5 cable: DTR powers CTS (on line) and DCD (not low)",
	  { { CF_MAINS, 0, 0 }, { CF_MAINS, DTR, CTS | DCD }, { CF_MAINS, RTS, 0 },
	    { CF_BATTERY, DTR, DCD } }, 4, ALLIN,
	  T(5) | T(6) | T(8) | T(15) | T(17) | T(19),
	  T(5) | T(6) | T(8) | T(15) | T(17) | T(19) },
	/* 14 (OL=DCD, LB=-CTS) reads CTS+DCD as on line too, until battery */
	{ "type 5 cable, mains only: fits, not confirmed",
	  { { CF_MAINS, 0, 0 }, { CF_MAINS, DTR, CTS | DCD } }, 2, ALLIN,
	  T(5) | T(6) | T(8) | T(14) | T(15) | T(17) | T(19), 0 },
	{ "type 5 with low battery: DCD drops",
	  { { CF_MAINS, DTR, CTS | DCD }, { CF_BATTERY, DTR, DCD }, { CF_LOW, DTR, 0 },
	    { CF_MAINS, RTS, 0 }, { CF_MAINS, 0, 0 } }, 5, ALLIN,
	  T(5) | T(6) | T(8) | T(15) | T(17) | T(19),
	  T(5) | T(6) | T(8) | T(15) | T(17) | T(19) },
	{ "all clear on mains under every combination: the 940-0095-like group",
	  { { CF_MAINS, 0, 0 }, { CF_MAINS, DTR, 0 }, { CF_MAINS, RTS, 0 },
	    { CF_MAINS, DTR | RTS, 0 } }, 4, ALLIN,
	  T(0) | T(1) | T(2) | T(3) | T(9) | T(12) | T(20), 0 },
	{ "type 1: RNG set on battery with DTR",
	  { { CF_MAINS, 0, 0 }, { CF_MAINS, DTR, 0 }, { CF_MAINS, RTS, 0 },
	    { CF_MAINS, DTR | RTS, 0 }, { CF_BATTERY, 0, 0 }, { CF_BATTERY, DTR, RNG } }, 6, ALLIN,
	  T(1), T(1) },
	{ "type 11: DCD is not-low, CTS set is on battery",
	  { { CF_MAINS, 0, 0 }, { CF_MAINS, DTR, DCD }, { CF_BATTERY, DTR, CTS | DCD },
	    { CF_LOW, DTR, CTS } }, 4, ALLIN, T(11), T(11) },
	{ "type 23: four lines",
	  { { CF_MAINS, RTS, CTS | DCD | RNG | DSR }, { CF_BATTERY, RTS, DCD | RNG | DSR },
	    { CF_MAINS, DTR, 0 } }, 3, ALLIN, T(4) | T(7) | T(10) | T(21) | T(22) | T(23),
	  T(4) | T(7) | T(10) | T(21) | T(22) | T(23) },
	{ "type 9 needs no cable power",
	  { { CF_MAINS, 0, 0 }, { CF_BATTERY, 0, DCD }, { CF_LOW, 0, DCD | CTS } }, 3, ALLIN,
	  T(9), T(9) },
	{ "a pulled cable reads clear for every type",
	  { { CF_PULLED, DTR, 0 } }, 1, ALLIN, CF_ALL_TYPES, 0 },
	{ "a line set with the cable pulled fits nothing",
	  { { CF_PULLED, DTR, CTS } }, 1, ALLIN, 0, 0 },
	{ "a port that cannot read CTS (cdc-acm) judges no CTS condition",
	  { { CF_MAINS, DTR, DCD }, { CF_BATTERY, DTR, DCD } }, 2, DCD | RNG | DSR, 0, 0 },
};

START_TEST(test_fitting)
{
	const struct fit_row *r = &fit_rows[_i];
	uint32_t f, c;
	char g[80], w[80];

	if (r->reported != ALLIN)
		return;	/* checked in test_unreported */
	f = cf_fitting_types(r->obs, r->n, r->reported);
	c = cf_confirmed_types(r->obs, r->n, r->reported);
	ck_assert_msg(f == r->fitting, "%s: fitting %s, want %s", r->name,
		      cf_types_text(f, g, sizeof(g)), cf_types_text(r->fitting, w, sizeof(w)));
	ck_assert_msg(c == r->confirmed, "%s: confirmed %s, want %s", r->name,
		      cf_types_text(c, g, sizeof(g)), cf_types_text(r->confirmed, w, sizeof(w)));
}
END_TEST

START_TEST(test_unreported)
{
	/* a port that cannot read CTS (cdc-acm): no profile that reads CTS is
	 * an answer (the driver would refuse it there) */
	const struct fit_row *r = &fit_rows[sizeof(fit_rows) / sizeof(fit_rows[0]) - 1];
	uint32_t f = cf_fitting_types(r->obs, r->n, r->reported);
	struct cf_override ov;
	char why[128];

	/* they still fit (the UPS may be one: its shutdown signal counts) */
	ck_assert(f & T(5));
	ck_assert_uint_eq(cf_confirmed_types(r->obs, r->n, r->reported) & T(5), 0);
	ck_assert(!cf_usable(cable_profile_get(5), r->reported, why, sizeof(why)));
	ck_assert_str_eq(why, "reads CTS, which this port cannot report");
	ck_assert(cf_usable(cable_profile_get(1), r->reported, NULL, 0));
	/* with all lines reported the same readings contradict type 5 on mains */
	ck_assert(!(cf_fitting_types(r->obs, r->n, ALLIN) & T(5)));
	/* the override found reads only reported lines */
	{
		const struct cf_obs obs[] = {
			{ CF_MAINS, DTR, DSR }, { CF_BATTERY, DTR, 0 }, { CF_LOW, DTR, DCD },
		};

		ck_assert(cf_find_override(obs, 3, r->reported, &ov));
		ck_assert_uint_eq((ov.prof.ol.line | ov.prof.lb.line | ov.prof.rb.line |
				   ov.prof.bypass.line) & CTS, 0);
	}
}
END_TEST

START_TEST(test_reasons)
{
	const struct fit_row *r = &fit_rows[0];
	char buf[256];

	cf_type_reason(5, r->obs, r->n, ALLIN, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "fits: CP=DTR OL=CTS LB=-DCD") == buf, "%s", buf);
	ck_assert_msg(strstr(buf, "mains read CTS+DCD (OL)") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "battery read DCD (OB)") != NULL, "%s", buf);
	cf_type_reason(1, r->obs, r->n, ALLIN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "out: mains (OL) with DTR raised read CTS+DCD, which it maps to LB OL");
	cf_type_reason(4, r->obs, r->n, ALLIN, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "not powered (CP=RTS)") != NULL, "%s", buf);
	cf_type_reason(5, fit_rows[1].obs, fit_rows[1].n, ALLIN, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "possible:", 9) == 0, "%s", buf);
}
END_TEST

/* ---- the order of trials ------------------------------------------------- */

struct power_row {
	const char *name;
	struct cf_obs obs[MAXO];
	size_t n;
	enum cf_state st;
	uint32_t cands;
	unsigned prev, skip;
	enum cf_power_verdict verdict;
	unsigned outputs;
	uint32_t danger;
};

#define APC_GROUP	(T(0) | T(1) | T(2) | T(3) | T(12) | T(20))

static const struct power_row power_rows[] = {
	{ "start: none is safe and powers type 9", { { 0 } }, 0, CF_MAINS, CF_ALL_TYPES, 0, 0,
	  CF_POWER_SAFE, 0, 0 },
	{ "then DTR: the CP of most types, the shutdown of 7 10 12 22",
	  { { CF_MAINS, 0, 0 } }, 1, CF_MAINS, CF_ALL_TYPES, 0, 0,
	  CF_POWER_CONFIRM, DTR, T(7) | T(10) | T(12) | T(22) },
	{ "DTR declined: RTS or DTR+RTS next, fewest endangered among candidates",
	  { { CF_MAINS, 0, 0 } }, 1, CF_MAINS, T(2) | T(4) | T(5), 0, CF_COMBO_BIT(DTR),
	  CF_POWER_SAFE, RTS, 0 },
	{ "brand known (Tripp-Lite 5, 18): DTR is safe",
	  { { CF_MAINS, 0, 0 } }, 1, CF_MAINS, T(5) | T(18), 0, 0, CF_POWER_SAFE, DTR, 0 },
	{ "every candidate seen powered: done",
	  { { CF_MAINS, DTR | RTS, 0 } }, 1, CF_MAINS, CF_ALL_TYPES, 0, 0, CF_POWER_DONE, 0, 0 },
	{ "on battery the 940-0095-like group has no safe power: DTR endangers only 12",
	  { { CF_BATTERY, 0, 0 } }, 1, CF_BATTERY, APC_GROUP, 0, 0,
	  CF_POWER_BLOCKED, DTR, T(12) },
	{ "12 excluded by the user: DTR is safe on battery",
	  { { CF_BATTERY, 0, 0 } }, 1, CF_BATTERY, APC_GROUP & ~T(12), 0, 0,
	  CF_POWER_SAFE, DTR, 0 },
	/* none would drop 4's cable power (its shutdown), RTS is 9's: a tie on
	 * danger, RTS powers both (DTR+RTS would be safe: declined here) */
	{ "DTR, DTR+RTS declined, RTS held: every trial endangers one",
	  { { CF_MAINS, RTS, 0 } }, 1, CF_BATTERY, T(4) | T(9), RTS,
	  CF_COMBO_BIT(DTR) | CF_COMBO_BIT(DTR | RTS),
	  CF_POWER_BLOCKED, RTS, T(9) },
};

START_TEST(test_next_power)
{
	const struct power_row *r = &power_rows[_i];
	struct cf_power p = { 0 };
	enum cf_power_verdict v = cf_next_power(r->obs, r->n, r->st, r->cands, r->prev, r->skip, &p);
	char g[80], w[80];

	ck_assert_msg(v == r->verdict, "%s: verdict %d, want %d", r->name, v, r->verdict);
	if (v == CF_POWER_DONE)
		return;
	ck_assert_msg(p.outputs == r->outputs, "%s: outputs 0x%x, want 0x%x", r->name,
		      p.outputs, r->outputs);
	ck_assert_msg(p.danger == r->danger, "%s: danger %s, want %s", r->name,
		      cf_types_text(p.danger, g, sizeof(g)), cf_types_text(r->danger, w, sizeof(w)));
}
END_TEST

START_TEST(test_hold_power)
{
	uint32_t d = 1;

	/* the Tripp-Lite-like group keeps its DTR */
	ck_assert_uint_eq(cf_hold_power(T(5) | T(6) | T(8), DTR, DTR, &d), DTR);
	ck_assert_uint_eq(d, 0);
	/* after DTR+RTS (the shutdown of 2 and 3): none is the only safe hold */
	ck_assert_uint_eq(cf_hold_power(APC_GROUP | T(9), DTR | RTS, DTR | RTS, &d), 0);
	ck_assert_uint_eq(d, 0);
	/* 4 among the candidates and RTS held: dropping all is its shutdown,
	 * DTR is 7's: RTS (the shutdown of neither, their CP) is held */
	ck_assert_uint_eq(cf_hold_power(T(4) | T(7), RTS, 0, &d), RTS);
	ck_assert_uint_eq(d, 0);
	/* no safe combination: the least dangerous, with its danger */
	ck_assert_uint_eq(cf_hold_power(T(4) | T(7) | T(1) | T(5), RTS, 0, &d) != 0xffff, 1);
	ck_assert_uint_eq(__builtin_popcount(d), 1);
}
END_TEST

/* ---- overrides and the answer ------------------------------------------- */

START_TEST(test_override)
{
	/* a cable no upstype has: CP=DTR, OL=-DSR, LB=CTS */
	const struct cf_obs obs[] = {
		{ CF_MAINS, 0, 0 }, { CF_MAINS, DTR, 0 }, { CF_MAINS, RTS, 0 },
		{ CF_BATTERY, 0, 0 }, { CF_BATTERY, DTR, DSR }, { CF_LOW, DTR, DSR | CTS },
	};
	struct cf_result r;
	char buf[128];

	ck_assert_uint_eq(cf_confirmed_types(obs, 6, ALLIN), 0);
	cf_decide(obs, 6, ALLIN, CF_ALL_TYPES, &r);
	ck_assert_int_eq(r.kind, CF_RES_OVERRIDE);
	/* two fields at least: OL and LB on type 1 (CP=DTR), or CP and OL on 9 */
	ck_assert_uint_eq(__builtin_popcount(r.ov.fields), 2);
	ck_assert_int_eq(r.ov.base, 1);
	cf_override_lines(&r.ov, buf, sizeof(buf));
	ck_assert_str_eq(buf, "OL = -DSR\nLB = CTS\n");
	ck_assert(cf_fits(&r.ov.prof, obs, 6, ALLIN, NULL, 0));

	/* without the low-battery step one field does it */
	cf_decide(obs, 5, ALLIN, CF_ALL_TYPES, &r);
	ck_assert_int_eq(r.kind, CF_RES_OVERRIDE);
	cf_override_lines(&r.ov, buf, sizeof(buf));
	ck_assert_str_eq(buf, "OL = -DSR\n");
}
END_TEST

START_TEST(test_override_cp)
{
	/* type 5's lines on RTS power: CP=RTS alone is type 4; with RNG moving
	 * too no type explains it, and CP plus OL on type 1 ... the search
	 * prefers fewer fields and fewer unexplained lines */
	const struct cf_obs obs[] = {
		{ CF_MAINS, 0, 0 }, { CF_MAINS, DTR, 0 }, { CF_MAINS, RTS, CTS | DCD | DSR },
		{ CF_BATTERY, RTS, DCD | DSR },
	};
	struct cf_result r;
	char buf[128];

	cf_decide(obs, 4, ALLIN, CF_ALL_TYPES, &r);
	/* type 4 (and 7 10 21 22) fit, but leave DSR unexplained; 23 reads
	 * DSR but wants RNG set: so the types win over an override */
	ck_assert_int_eq(r.kind, CF_RES_TYPE);
	ck_assert_uint_eq(r.equivalent, T(4) | T(7) | T(10) | T(21) | T(22));
	ck_assert_int_eq(r.type, 4);
	cf_types_text(r.equivalent, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4 7 10 21 22");
}
END_TEST

START_TEST(test_decide_answers)
{
	const struct fit_row *f = &fit_rows[0];
	struct cf_result r;

	cf_decide(f->obs, f->n, ALLIN, T(6), &r);
	ck_assert_int_eq(r.kind, CF_RES_TYPE);
	ck_assert_int_eq(r.type, 6);
	ck_assert(!r.answers_ignored);
	/* an answer that contradicts the lines is overruled, and said so */
	cf_decide(f->obs, f->n, ALLIN, T(1), &r);
	ck_assert_int_eq(r.type, 5);
	ck_assert(r.answers_ignored);
	/* nothing exercised: undecided */
	cf_decide(fit_rows[3].obs, fit_rows[3].n, ALLIN, CF_ALL_TYPES, &r);
	ck_assert_int_eq(r.kind, CF_RES_UNDECIDED);
	ck_assert_uint_eq(r.possible, fit_rows[3].fitting);
}
END_TEST

START_TEST(test_state_names)
{
	enum cf_state s;

	ck_assert_int_eq(cf_state_parse("low", &s), 0);
	ck_assert_int_eq(s, CF_LOW);
	ck_assert_int_eq(cf_state_parse("Low", &s), -1);
	ck_assert_str_eq(cf_state_name(CF_PULLED), "pulled");
	ck_assert_int_eq(cf_combo_index(DTR | RTS), 3);
}
END_TEST

static Suite *cablefit_suite(void)
{
	Suite *s = suite_create("cablefit");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_shutdown_types, 0, sizeof(sd_rows) / sizeof(sd_rows[0]));
	tcase_add_loop_test(tc, test_fitting, 0, sizeof(fit_rows) / sizeof(fit_rows[0]));
	tcase_add_test(tc, test_unreported);
	tcase_add_test(tc, test_reasons);
	tcase_add_loop_test(tc, test_next_power, 0, sizeof(power_rows) / sizeof(power_rows[0]));
	tcase_add_test(tc, test_hold_power);
	tcase_add_test(tc, test_override);
	tcase_add_test(tc, test_override_cp);
	tcase_add_test(tc, test_decide_answers);
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(cablefit_suite());
}
