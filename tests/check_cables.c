/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cable profiles: the 384-row truth table (tests/truth-table.txt, written
 * from the spec, not from our code), the table fields, upstype parsing and
 * the override parser (spec nut-compat.md 1.2, 1.3, 2.5).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cable_profile.h"
#include "status.h"
#include "check_main.h"

#define TRUTH_ROWS	(CABLE_NTYPES * 16)

struct truth_row {
	int type;
	unsigned bits;
	char status[32];
};

/* Loaded once in main() before the runner forks; read-only afterwards. */
static struct truth_row truth[TRUTH_ROWS];
static int truth_count = -1;
static char truth_error[1200] = "truth table not loaded";

static FILE *truth_open(char *path, size_t pathlen)
{
	const char *env = getenv("TRUTH_TABLE");
	const char *srcdir = getenv("srcdir");
	FILE *f;

	snprintf(path, pathlen, "%s", env != NULL ? env : "tests/truth-table.txt");
	f = fopen(path, "r");
	if (f == NULL && env == NULL && srcdir != NULL) {
		snprintf(path, pathlen, "%s/tests/truth-table.txt", srcdir);
		f = fopen(path, "r");
	}
	return f;
}

static int truth_parse_line(const char *line, struct truth_row *row)
{
	int n = 0;

	if (sscanf(line, "%d %x \"%31[^\"]\"%n", &row->type, &row->bits, row->status, &n) != 3 ||
	    n == 0)
		return -1;
	return 0;
}

static void truth_load(void)
{
	char path[1024], line[256];
	int lineno = 0;
	FILE *f = truth_open(path, sizeof(path));

	if (f == NULL) {
		snprintf(truth_error, sizeof(truth_error), "%s: %s (set TRUTH_TABLE or srcdir)",
			 path, strerror(errno));
		return;
	}
	truth_count = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (truth_count == TRUTH_ROWS ||
		    truth_parse_line(line, &truth[truth_count]) < 0) {
			snprintf(truth_error, sizeof(truth_error), "%s:%d: bad or extra row",
				 path, lineno);
			truth_count = -1;
			break;
		}
		truth_count++;
	}
	fclose(f);
}

START_TEST(test_truth_row)
{
	char got[64];
	const struct cable_profile *p;
	struct ups_conditions c;

	ck_assert_msg(truth_count == TRUTH_ROWS, "%s (rows %d)", truth_error, truth_count);
	p = cable_profile_get(truth[_i].type);
	ck_assert_ptr_nonnull(p);
	c = status_from_lines(p, truth[_i].bits);
	status_format(&c, got, sizeof(got));
	ck_assert_msg(strcmp(got, truth[_i].status) == 0,
		      "type %d bits 0x%03x: got \"%s\", want \"%s\"",
		      truth[_i].type, truth[_i].bits, got, truth[_i].status);
}
END_TEST

/* Every (type, input combination) appears exactly once. */
START_TEST(test_truth_complete)
{
	static const unsigned combo_bits[4] = { ML_CTS, ML_DCD, ML_RNG, ML_DSR };
	int seen[CABLE_NTYPES][16] = { { 0 } };
	int i, k, combo;

	ck_assert_msg(truth_count == TRUTH_ROWS, "%s (rows %d)", truth_error, truth_count);
	for (i = 0; i < truth_count; i++) {
		ck_assert_int_ge(truth[i].type, 0);
		ck_assert_int_lt(truth[i].type, CABLE_NTYPES);
		ck_assert_uint_eq(truth[i].bits & ~(unsigned)ML_INPUTS, 0);
		combo = 0;
		for (k = 0; k < 4; k++)
			if (truth[i].bits & combo_bits[k])
				combo |= 1 << k;
		seen[truth[i].type][combo]++;
	}
	for (i = 0; i < CABLE_NTYPES; i++)
		for (k = 0; k < 16; k++)
			ck_assert_msg(seen[i][k] == 1, "type %d combo %d seen %d times",
				      i, k, seen[i][k]);
}
END_TEST

/* --- the profile table ------------------------------------------------- */

struct profile_case {
	int type;
	const char *mfr, *model, *desc;
	int cp;
	const char *ol, *lb, *rb, *bypass;	/* cable_cond_name() text */
	int sd;
};

static const struct profile_case profile_cases[] = {
	{ 0, "UPSONIC", "LAN Saver 600", "UPSONIC LAN Saver 600",
	  ML_DTR | ML_RTS, "-CTS", "DCD", "none", "none", ML_RTS },
	{ 1, "APC", "Back-UPS", "APC Back-UPS (940-0095A/C cable)",
	  ML_DTR, "-RNG", "DCD", "none", "none", ML_RTS },
	{ 2, "APC", "Back-UPS", "APC Back-UPS (940-0020B/C cable)",
	  ML_RTS, "-CTS", "DCD", "none", "none", ML_DTR | ML_RTS },
	{ 3, "PowerTech", "Comp1000", "PowerTech Comp1000 with DTR as cable power",
	  ML_DTR, "-CTS", "DCD", "none", "none", ML_DTR | ML_RTS },
	{ 4, "Generic", "Generic RUPS model", "Generic RUPS model",
	  ML_RTS, "CTS", "-DCD", "none", "none", 0 },
	{ 5, "TrippLite", "Internet Office Series",
	  "Tripp Lite UPS with Lan2.2 interface (black 73-0844 cable)",
	  ML_DTR, "CTS", "-DCD", "none", "none", ML_DTR | ML_RTS },
	{ 6, "Best", "Patriot", "Best Patriot (INT51 cable)",
	  ML_DTR, "CTS", "-DCD", "none", "none", ML_RTS },
	{ 7, "CyberPower", "Power99", "CyberPower Power99",
	  ML_RTS, "CTS", "-DCD", "none", "none", ML_DTR },
	{ 8, "Nitram", "Elite UPS", "Nitram Elite 500",
	  ML_DTR, "CTS", "-DCD", "none", "none", SD_UNSUPPORTED },
	{ 9, "APC", "Back-UPS", "APC Back-UPS (940-0023A cable)",
	  0, "-DCD", "CTS", "none", "none", ML_RTS },
	{ 10, "Victron", "Lite", "Victron Lite (crack cable)",
	  ML_RTS, "CTS", "-DCD", "none", "none", ML_DTR },
	{ 11, "Powerware", "3115", "Powerware 3115",
	  ML_DTR, "-CTS", "-DCD", "none", "none", ML_ST },
	{ 12, "APC", "Back-UPS Office", "APC Back-UPS Office (940-0119A cable)",
	  ML_RTS, "-CTS", "DCD", "none", "none", ML_DTR },
	{ 13, "RPT", "Repoteck", "Repoteck RPT-800A, RPT-162A",
	  ML_DTR | ML_RTS, "DCD", "-CTS", "none", "none", ML_ST },
	{ 14, "Online", "P250, P500, P750, P1250", "Online P-series",
	  ML_DTR, "DCD", "-CTS", "none", "none", ML_RTS },
	{ 15, "Powerware", "5119", "Powerware 5119",
	  ML_DTR, "CTS", "-DCD", "none", "none", ML_ST },
	{ 16, "Nitram", "Elite UPS", "Nitram Elite 2002",
	  ML_DTR | ML_RTS, "CTS", "-DCD", "none", "none", SD_UNSUPPORTED },
	{ 17, "PowerKinetics", "9001", "PowerKinetics 9001",
	  ML_DTR, "CTS", "-DCD", "none", "none", SD_UNSUPPORTED },
	{ 18, "TrippLite", "Omni 450LAN", "TrippLite UPS with Martin's cabling",
	  ML_DTR, "CTS", "DCD", "none", "none", SD_UNSUPPORTED },
	{ 19, "Fideltronik", "Ares Series", "Fideltronik Ares Series",
	  ML_DTR, "CTS", "-DCD", "none", "none", ML_RTS },
	{ 20, "Powerware", "5119 RM", "Powerware 5119 RM",
	  ML_DTR, "-CTS", "DCD", "none", "none", ML_ST },
	{ 21, "Generic", "Generic RUPS 2000", "Generic RUPS 2000 (Megatec M2501 cable)",
	  ML_RTS, "CTS", "-DCD", "none", "none", ML_DTR | ML_RTS },
	{ 22, "Gamatronic Electronic Industries", "Generic Alarm UPS",
	  "Gamatronic UPSs with alarm interface",
	  ML_RTS, "CTS", "-DCD", "none", "none", ML_DTR },
	{ 23, "Generic", "Generic FTTx Battery Backup",
	  "FTTx (Fiber to the x) battery backup with 4-wire telemetry interface",
	  ML_RTS, "CTS", "-DCD", "-RNG", "-DSR", 0 },
};

START_TEST(test_profile_fields)
{
	const struct profile_case *pc = &profile_cases[_i];
	const struct cable_profile *p = cable_profile_get(pc->type);
	char buf[64];

	ck_assert_int_eq(pc->type, _i);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->mfr, pc->mfr);
	ck_assert_str_eq(p->model, pc->model);
	ck_assert_str_eq(p->desc, pc->desc);
	ck_assert_int_eq(p->cp, pc->cp);
	ck_assert_str_eq(cable_cond_name(&p->ol, buf, sizeof(buf)), pc->ol);
	ck_assert_str_eq(cable_cond_name(&p->lb, buf, sizeof(buf)), pc->lb);
	ck_assert_str_eq(cable_cond_name(&p->rb, buf, sizeof(buf)), pc->rb);
	ck_assert_str_eq(cable_cond_name(&p->bypass, buf, sizeof(buf)), pc->bypass);
	ck_assert_int_eq(p->sd, pc->sd);
	/* only inputs in conditions, only outputs in CP/SD */
	ck_assert_uint_eq((p->ol.line | p->lb.line | p->rb.line | p->bypass.line) &
			  ~(unsigned)ML_INPUTS, 0);
	ck_assert_uint_eq((unsigned)p->cp & ~(unsigned)ML_OUTPUTS, 0);
}
END_TEST

START_TEST(test_profile_range)
{
	ck_assert_ptr_null(cable_profile_get(-1));
	ck_assert_ptr_null(cable_profile_get(CABLE_NTYPES));
	ck_assert_ptr_null(cable_profile_get(1000));
	ck_assert_ptr_nonnull(cable_profile_get(0));
	ck_assert_ptr_nonnull(cable_profile_get(CABLE_NTYPES - 1));
}
END_TEST

/* Spec 1.3: the shutdown class of every type. */
START_TEST(test_sd_class)
{
	static const int drop_all[] = { 4, 23 };
	static const int brk[] = { 11, 13, 15, 20 };
	static const int unsup[] = { 8, 16, 17, 18 };
	enum cable_sd_kind want[CABLE_NTYPES];
	size_t i;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++)
		want[t] = CABLE_SD_LINES;
	for (i = 0; i < sizeof(drop_all) / sizeof(drop_all[0]); i++)
		want[drop_all[i]] = CABLE_SD_DROP_ALL;
	for (i = 0; i < sizeof(brk) / sizeof(brk[0]); i++)
		want[brk[i]] = CABLE_SD_BREAK;
	for (i = 0; i < sizeof(unsup) / sizeof(unsup[0]); i++)
		want[unsup[i]] = CABLE_SD_UNSUPPORTED;
	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);

		ck_assert_msg(cable_sd_kind(p->sd) == want[t], "type %d: SD class %d, want %d",
			      t, cable_sd_kind(p->sd), want[t]);
		if (want[t] == CABLE_SD_LINES)
			ck_assert_uint_eq((unsigned)p->sd & ~(unsigned)(ML_DTR | ML_RTS), 0);
	}
	/* an override of DTR+ST is a mask, not a break */
	ck_assert_int_eq(cable_sd_kind(ML_DTR | ML_ST), CABLE_SD_LINES);
}
END_TEST

/* --- upstype ----------------------------------------------------------- */

struct upstype_case {
	const char *value;
	int type;	/* -1: error */
};

static const struct upstype_case upstype_cases[] = {
	{ "0", 0 }, { "4", 4 }, { "23", 23 }, { "07", 7 }, { "0023", 23 },
	{ "24", -1 }, { "abc", -1 }, { "4abc", -1 }, { "-1", -1 }, { "", -1 },
	{ " 4", -1 }, { "4 ", -1 }, { "+4", -1 }, { "99999999999999999999", -1 },
	{ "1000", -1 }, { "0x4", -1 },
};

START_TEST(test_upstype)
{
	const struct upstype_case *uc = &upstype_cases[_i];
	char err[128] = "";
	char quoted[64];
	int type = -42, rc;

	rc = cable_parse_upstype(uc->value, &type, err, sizeof(err));
	if (uc->type >= 0) {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(type, uc->type);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(type, -42);
	snprintf(quoted, sizeof(quoted), "'%s'", uc->value);
	ck_assert_msg(strstr(err, quoted) != NULL, "error \"%s\" does not name %s", err, quoted);
	ck_assert_ptr_nonnull(strstr(err, "0-23"));
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_upstype_null)
{
	char err[128] = "";
	int type = -42;

	ck_assert_int_eq(cable_parse_upstype(NULL, &type, err, sizeof(err)), -1);
	ck_assert_int_eq(type, -42);
	ck_assert_ptr_nonnull(strstr(err, "upstype"));
}
END_TEST

/* --- overrides (spec 2.5) ---------------------------------------------- */

struct output_case {
	const char *var, *value;
	int mask;		/* when ok */
	const char *err[3];	/* substrings the error must contain; NULL = ok */
};

static const struct output_case output_cases[] = {
	{ "CP", "DTR", ML_DTR, { NULL } },
	{ "CP", "DTR+RTS", ML_DTR | ML_RTS, { NULL } },
	{ "CP", "RTS,DTR", ML_DTR | ML_RTS, { NULL } },
	{ "CP", "DTR RTS", ML_DTR | ML_RTS, { NULL } },
	{ "CP", " RTS + DTR ", ML_DTR | ML_RTS, { NULL } },
	{ "CP", "none", 0, { NULL } },
	{ "CP", "NULL", 0, { NULL } },
	{ "SD", "-DTR", 0, { NULL } },			/* -DTR means not DTR */
	{ "SD", "RTS+-DTR", ML_RTS, { NULL } },
	{ "SD", "-RTS", 0, { NULL } },
	{ "SD", "ST", ML_ST, { NULL } },		/* BREAK */
	{ "SD", "DTR+ST", ML_DTR | ML_ST, { NULL } },	/* 0x00a, a mask */
	{ "SD", "DTR+DTR", ML_DTR, { NULL } },
	{ "SD", "DCD", 0, { "'DCD'", "input", "SD" } },
	{ "CP", "DTR+CTS", 0, { "'CTS'", "input", "CP" } },
	{ "SD", "-RNG", 0, { "'RNG'", "input", "SD" } },
	{ "SD", "DSR", 0, { "'DSR'", "input", NULL } },
	{ "SD", "foo", 0, { "'foo'", "SD", "DTR, RTS, ST" } },
	{ "CP", "DTR+XYZ", 0, { "'XYZ'", "CP", NULL } },
	{ "CP", "dtr", 0, { "'dtr'", "did you mean 'DTR'", NULL } },
	{ "CP", "NONE", 0, { "'NONE'", "did you mean 'none'", NULL } },
	{ "SD", "DTRRTS", 0, { "'DTRRTS'", NULL } },
	{ "SD", "-", 0, { "'-'", NULL } },
	{ "SD", "--DTR", 0, { "'--DTR'", NULL } },
	{ "SD", "", 0, { "SD", "empty", "none" } },
	{ "CP", " + , ", 0, { "CP", "empty", NULL } },
	{ "SD", NULL, 0, { "SD", "empty", NULL } },
	{ "SD", "none+DTR", 0, { "'none'", "SD", NULL } },
	{ "SD", "DTR+-DTR", 0, { "'DTR'", "both", NULL } },
};

START_TEST(test_output_override)
{
	const struct output_case *oc = &output_cases[_i];
	char err[256] = "";
	int mask = 0x5a5a, rc, k;

	rc = cable_parse_output(oc->var, oc->value, &mask, err, sizeof(err));
	if (oc->err[0] == NULL) {
		ck_assert_msg(rc == 0, "%s=%s: %s", oc->var, oc->value, err);
		ck_assert_int_eq(mask, oc->mask);
		return;
	}
	ck_assert_msg(rc == -1, "%s=%s accepted", oc->var, oc->value ? oc->value : "(null)");
	ck_assert_int_eq(mask, 0x5a5a);
	for (k = 0; k < 3 && oc->err[k] != NULL; k++)
		ck_assert_msg(strstr(err, oc->err[k]) != NULL, "%s=%s: \"%s\" lacks \"%s\"",
			      oc->var, oc->value ? oc->value : "(null)", err, oc->err[k]);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

struct input_case {
	const char *var, *value;
	unsigned line, val;
	const char *err[3];
};

static const struct input_case input_cases[] = {
	{ "LB", "DCD", ML_DCD, ML_DCD, { NULL } },		/* LB when DCD set */
	{ "LB", "-DCD", ML_DCD, 0, { NULL } },			/* - means clear */
	{ "LB", "DCD+RNG", ML_DCD | ML_RNG, ML_DCD | ML_RNG, { NULL } },	/* ANDed */
	{ "OL", "-CTS+DCD", ML_CTS | ML_DCD, ML_DCD, { NULL } },
	{ "OL", "DSR", ML_DSR, ML_DSR, { NULL } },
	{ "RB", "-RNG", ML_RNG, 0, { NULL } },
	{ "BYPASS", "-DSR,-CTS", ML_DSR | ML_CTS, 0, { NULL } },
	{ "OL", "none", 0, 0, { NULL } },
	{ "LB", "NULL", 0, 0, { NULL } },
	{ "OL", "CTX", 0, 0, { "'CTX'", "OL", "CTS, DCD, RNG, DSR" } },
	{ "OL", "DTR", 0, 0, { "'DTR'", "output", "OL" } },
	{ "LB", "-RTS", 0, 0, { "'RTS'", "output", "LB" } },
	{ "RB", "ST", 0, 0, { "'ST'", "output", "RB" } },
	{ "LB", "", 0, 0, { "LB", "empty", "none" } },
	{ "LB", "cts", 0, 0, { "'cts'", "did you mean 'CTS'", NULL } },
	{ "LB", "NONE", 0, 0, { "'NONE'", "none", NULL } },
	{ "LB", "DCD+foo", 0, 0, { "'foo'", "LB", NULL } },
	{ "OL", "CTS+-CTS", 0, 0, { "'CTS'", "both", NULL } },
	{ "OL", "NULL+CTS", 0, 0, { "'none'", "OL", NULL } },
};

START_TEST(test_input_override)
{
	const struct input_case *ic = &input_cases[_i];
	struct line_cond c = { 0xdead, 0xbeef };
	char err[256] = "";
	int rc, k;

	rc = cable_parse_input(ic->var, ic->value, &c, err, sizeof(err));
	if (ic->err[0] == NULL) {
		ck_assert_msg(rc == 0, "%s=%s: %s", ic->var, ic->value, err);
		ck_assert_uint_eq(c.line, ic->line);
		ck_assert_uint_eq(c.val, ic->val);
		return;
	}
	ck_assert_msg(rc == -1, "%s=%s accepted", ic->var, ic->value);
	ck_assert_uint_eq(c.line, 0xdead);
	ck_assert_uint_eq(c.val, 0xbeef);
	for (k = 0; k < 3 && ic->err[k] != NULL; k++)
		ck_assert_msg(strstr(err, ic->err[k]) != NULL, "%s=%s: \"%s\" lacks \"%s\"",
			      ic->var, ic->value, err, ic->err[k]);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* The three messages the brief spells out, checked whole. */
START_TEST(test_override_messages)
{
	struct line_cond c;
	char err[256];
	int mask;

	ck_assert_int_eq(cable_parse_input("OL", "CTX", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "override OL: unknown line 'CTX' (inputs are CTS, DCD, RNG, DSR; "
			 "prefix '-' for clear; 'none' disables)");
	ck_assert_int_eq(cable_parse_output("SD", "DCD", &mask, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "override SD: 'DCD' is an input, not allowed in SD (outputs are "
			 "DTR, RTS, ST; prefix '-' for clear; 'none' for no lines)");
	ck_assert_int_eq(cable_parse_input("LB", "", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "override LB: empty value (use 'none' to disable it)");
}
END_TEST

/* Overridden conditions drive the status as NUT's would. */
START_TEST(test_override_semantics)
{
	struct cable_profile p = *cable_profile_get(4);
	struct ups_conditions s;
	char err[128];

	ck_assert_int_eq(cable_parse_input("LB", "DCD+RNG", &p.lb, err, sizeof(err)), 0);
	s = status_from_lines(&p, ML_CTS | ML_DCD);
	ck_assert(!s.lb);
	s = status_from_lines(&p, ML_CTS | ML_DCD | ML_RNG);
	ck_assert(s.lb);
	ck_assert_int_eq(cable_parse_input("OL", "none", &p.ol, err, sizeof(err)), 0);
	ck_assert(status_from_lines(&p, 0).ol);
	ck_assert(status_from_lines(&p, ML_INPUTS).ol);
	ck_assert_int_eq(cable_parse_input("LB", "none", &p.lb, err, sizeof(err)), 0);
	ck_assert(!status_from_lines(&p, 0).lb);
	ck_assert(!status_from_lines(&p, ML_INPUTS).lb);
}
END_TEST

/* --- names -------------------------------------------------------------- */

START_TEST(test_names)
{
	struct line_cond c = { ML_DCD | ML_RNG, ML_DCD };
	struct line_cond none = { 0, 0 };
	char buf[64], tiny[4];

	ck_assert_str_eq(cable_mask_name(ML_DTR | ML_RTS, buf, sizeof(buf)), "DTR+RTS");
	ck_assert_str_eq(cable_mask_name(ML_DTR | ML_ST, buf, sizeof(buf)), "DTR+ST");
	ck_assert_str_eq(cable_mask_name(0, buf, sizeof(buf)), "none");
	ck_assert_str_eq(cable_cond_name(&c, buf, sizeof(buf)), "DCD+-RNG");
	ck_assert_str_eq(cable_cond_name(&none, buf, sizeof(buf)), "none");
	cable_mask_name(ML_DTR | ML_RTS, tiny, sizeof(tiny));
	ck_assert_str_eq(tiny, "DTR");
}
END_TEST

/* Names round-trip through the parser. */
START_TEST(test_names_roundtrip)
{
	unsigned combo = (unsigned)_i;
	static const unsigned in[4] = { ML_CTS, ML_DCD, ML_RNG, ML_DSR };
	struct line_cond c = { 0, 0 }, back;
	char buf[64], err[128];
	int k;

	for (k = 0; k < 4; k++) {	/* two bits per line: used, set */
		if (combo & (1u << (2 * k))) {
			c.line |= in[k];
			if (combo & (2u << (2 * k)))
				c.val |= in[k];
		}
	}
	cable_cond_name(&c, buf, sizeof(buf));
	ck_assert_msg(cable_parse_input("OL", buf, &back, err, sizeof(err)) == 0, "%s: %s",
		      buf, err);
	ck_assert_uint_eq(back.line, c.line);
	ck_assert_uint_eq(back.val, c.val);
}
END_TEST

#define NCASES(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *cables_suite(void)
{
	Suite *s = suite_create("cables");
	TCase *tc;

	tc = tcase_create("truth-table");
	tcase_add_loop_test(tc, test_truth_row, 0, TRUTH_ROWS);
	tcase_add_test(tc, test_truth_complete);
	suite_add_tcase(s, tc);

	tc = tcase_create("profiles");
	tcase_add_loop_test(tc, test_profile_fields, 0, NCASES(profile_cases));
	tcase_add_test(tc, test_profile_range);
	tcase_add_test(tc, test_sd_class);
	suite_add_tcase(s, tc);

	tc = tcase_create("upstype");
	tcase_add_loop_test(tc, test_upstype, 0, NCASES(upstype_cases));
	tcase_add_test(tc, test_upstype_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("overrides");
	tcase_add_loop_test(tc, test_output_override, 0, NCASES(output_cases));
	tcase_add_loop_test(tc, test_input_override, 0, NCASES(input_cases));
	tcase_add_test(tc, test_override_messages);
	tcase_add_test(tc, test_override_semantics);
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_names_roundtrip, 0, 256);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	truth_load();
	return check_main(cables_suite());
}
