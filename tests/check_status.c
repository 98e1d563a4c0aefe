/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line bits -> conditions -> status words (spec nut-compat.md 2.4).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "check_main.h"

#define C(l, v)	{ (l), (v) }

struct map_case {
	const char *what;
	struct line_cond ol, lb, rb, bypass;
	unsigned bits;
	const char *status;
};

static const struct map_case map_cases[] = {
	/* type 4 as in the spec's verified example */
	{ "t4 CTS", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(0, 0), C(0, 0), 0x020, "LB OL" },
	{ "t4 CTS+DCD", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(0, 0), C(0, 0), 0x060, "OL" },
	{ "t4 DCD", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(0, 0), C(0, 0), 0x040, "OB" },
	{ "t4 none", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(0, 0), C(0, 0), 0x000, "LB OB" },
	/* disabled OL: always on line, whatever the bits */
	{ "OL off 0", C(0, 0), C(0, 0), C(0, 0), C(0, 0), 0x000, "OL" },
	{ "OL off all", C(0, 0), C(0, 0), C(0, 0), C(0, 0), ML_INPUTS, "OL" },
	/* disabled LB/RB/BYPASS: never, even where (bits & 0) == 0 */
	{ "LB off", C(ML_CTS, ML_CTS), C(0, 0), C(0, 0), C(0, 0), 0x000, "OB" },
	{ "all on", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(ML_RNG, 0), C(ML_DSR, 0), 0x000,
	  "LB OB RB BYPASS" },
	{ "RB only", C(ML_CTS, ML_CTS), C(ML_DCD, ML_DCD), C(ML_RNG, ML_RNG), C(0, 0),
	  ML_CTS | ML_RNG, "OL RB" },
	{ "BYPASS only", C(ML_CTS, ML_CTS), C(ML_DCD, ML_DCD), C(0, 0), C(ML_DSR, ML_DSR),
	  ML_DSR, "OB BYPASS" },
	{ "LB BYPASS", C(ML_CTS, ML_CTS), C(ML_DCD, ML_DCD), C(0, 0), C(ML_DSR, ML_DSR),
	  ML_DSR | ML_DCD | ML_CTS, "LB OL BYPASS" },
	/* several lines ANDed: both must match */
	{ "AND half", C(ML_CTS, ML_CTS), C(ML_DCD | ML_RNG, ML_DCD | ML_RNG), C(0, 0), C(0, 0),
	  ML_CTS | ML_DCD, "OL" },
	{ "AND both", C(ML_CTS, ML_CTS), C(ML_DCD | ML_RNG, ML_DCD | ML_RNG), C(0, 0), C(0, 0),
	  ML_CTS | ML_DCD | ML_RNG, "LB OL" },
	{ "AND mixed", C(ML_CTS | ML_DCD, ML_DCD), C(0, 0), C(0, 0), C(0, 0), ML_DCD, "OL" },
	{ "AND mixed no", C(ML_CTS | ML_DCD, ML_DCD), C(0, 0), C(0, 0), C(0, 0),
	  ML_DCD | ML_CTS, "OB" },
	/* output bits read back by TIOCMGET do not matter */
	{ "outputs", C(ML_CTS, ML_CTS), C(ML_DCD, 0), C(0, 0), C(0, 0),
	  ML_CTS | ML_DCD | ML_DTR | ML_RTS | ML_LE, "OL" },
};

START_TEST(test_map)
{
	const struct map_case *mc = &map_cases[_i];
	struct cable_profile p = {
		.mfr = "m", .model = "m", .desc = "d",
		.ol = mc->ol, .lb = mc->lb, .rb = mc->rb, .bypass = mc->bypass,
	};
	struct ups_conditions c = status_from_lines(&p, mc->bits);
	char buf[64];
	size_t n = status_format(&c, buf, sizeof(buf));

	ck_assert_msg(strcmp(buf, mc->status) == 0, "%s: got \"%s\", want \"%s\"",
		      mc->what, buf, mc->status);
	ck_assert_uint_eq(n, strlen(mc->status));
}
END_TEST

/* Every one of the 16 condition sets formats in NUT's word order. */
START_TEST(test_format_order)
{
	static const char *const want[16] = {
		"OB", "OL", "LB OB", "LB OL", "OB RB", "OL RB", "LB OB RB", "LB OL RB",
		"OB BYPASS", "OL BYPASS", "LB OB BYPASS", "LB OL BYPASS",
		"OB RB BYPASS", "OL RB BYPASS", "LB OB RB BYPASS", "LB OL RB BYPASS",
	};
	struct ups_conditions c = {
		.ol = _i & 1, .lb = (_i >> 1) & 1, .rb = (_i >> 2) & 1, .bypass = (_i >> 3) & 1,
	};
	char buf[64];

	ck_assert_uint_eq(status_format(&c, buf, sizeof(buf)), strlen(want[_i]));
	ck_assert_str_eq(buf, want[_i]);
}
END_TEST

START_TEST(test_format_truncation)
{
	struct ups_conditions c = { .ol = false, .lb = true, .rb = true, .bypass = true };
	char small[6];

	ck_assert_uint_eq(status_format(&c, small, sizeof(small)), strlen("LB OB RB BYPASS"));
	ck_assert_str_eq(small, "LB OB");
	ck_assert_uint_eq(status_format(&c, NULL, 0), strlen("LB OB RB BYPASS"));
}
END_TEST

START_TEST(test_equal)
{
	struct ups_conditions a = { .ol = true }, b = a;

	ck_assert(status_equal(&a, &b));
	b.lb = true;
	ck_assert(!status_equal(&a, &b));
	b = a;
	b.ol = false;
	ck_assert(!status_equal(&a, &b));
	b = a;
	b.rb = true;
	ck_assert(!status_equal(&a, &b));
	b = a;
	b.bypass = true;
	ck_assert(!status_equal(&a, &b));
}
END_TEST

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");

	tcase_add_loop_test(tc, test_map, 0, (int)(sizeof(map_cases) / sizeof(map_cases[0])));
	tcase_add_loop_test(tc, test_format_order, 0, 16);
	tcase_add_test(tc, test_format_truncation);
	tcase_add_test(tc, test_equal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(status_suite());
}
