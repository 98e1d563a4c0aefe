/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "check_main.h"

static struct state_tree st;

static void setup(void)
{
	state_init(&st);
}

static void teardown(void)
{
	state_free(&st);
}

START_TEST(test_order_case_insensitive)
{
	static const char *const in[] = {
		"ups.status", "driver.name", "device.mfr", "UPS.mfr", "battery.charge",
		"driver.parameter.port", "Driver.Version", "ups.model", "device.type",
	};
	static const char *const want[] = {
		"battery.charge", "device.mfr", "device.type", "driver.name",
		"driver.parameter.port", "Driver.Version", "UPS.mfr", "ups.model", "ups.status",
	};
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_int_eq(state_set(&st, in[i], "x"), ST_CHANGED);
	ck_assert_uint_eq(st.nvars, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < st.nvars; i++)
		ck_assert_str_eq(st.vars[i].name, want[i]);
	/* lookups ignore case and keep the first spelling */
	ck_assert_ptr_nonnull(state_find(&st, "ups.MFR"));
	ck_assert_str_eq(state_find(&st, "ups.MFR")->name, "UPS.mfr");
	ck_assert_ptr_null(state_find(&st, "ups.mfrx"));
	ck_assert_ptr_null(state_get(&st, "nosuch"));
}
END_TEST

static const struct change_case {
	const char *first, *second;
	enum st_change rc;
	const char *stored;
} change_cases[] = {
	{ "OL", "OL", ST_UNCHANGED, "OL" },
	{ "OL", "ol", ST_UNCHANGED, "OL" },	/* NUT compares ignoring case */
	{ "OL", "OB", ST_CHANGED, "OB" },
	{ "OL", "OL LB", ST_CHANGED, "OL LB" },
	{ "", "x", ST_CHANGED, "x" },
	{ "x", "", ST_CHANGED, "" },
};

START_TEST(test_change_detection)
{
	const struct change_case *tc = &change_cases[_i];

	ck_assert_int_eq(state_set(&st, "ups.status", tc->first), ST_CHANGED);
	ck_assert_int_eq(state_set(&st, "ups.status", tc->second), tc->rc);
	ck_assert_str_eq(state_get(&st, "ups.status"), tc->stored);
	ck_assert_uint_eq(st.nvars, 1);
}
END_TEST

START_TEST(test_value_cap)
{
	char big[600];
	const char *v;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(state_set(&st, "ups.serial", big), ST_CHANGED);
	v = state_get(&st, "ups.serial");
	ck_assert_uint_eq(strlen(v), ST_MAX_VALUE_LEN);
	/* the same long value again compares equal after truncation */
	ck_assert_int_eq(state_set(&st, "ups.serial", big), ST_UNCHANGED);
	big[ST_MAX_VALUE_LEN] = 'b';	/* a difference past the cap is no change */
	ck_assert_int_eq(state_set(&st, "ups.serial", big), ST_UNCHANGED);
	big[ST_MAX_VALUE_LEN - 1] = 'b';
	ck_assert_int_eq(state_set(&st, "ups.serial", big), ST_CHANGED);
}
END_TEST

START_TEST(test_raw_value)
{
	ck_assert_int_eq(state_set(&st, "ups.serial", "ab\"c\\d#e"), ST_CHANGED);
	ck_assert_str_eq(state_get(&st, "ups.serial"), "ab\"c\\d#e");
}
END_TEST

START_TEST(test_immutable)
{
	const struct st_var *v;

	ck_assert_int_eq(state_set_immutable(&st, "ups.mfr", "Over ride"), ST_CHANGED);
	ck_assert_int_eq(state_set(&st, "ups.mfr", "Generic"), ST_UNCHANGED);
	ck_assert_str_eq(state_get(&st, "ups.mfr"), "Over ride");
	ck_assert_int_eq(state_delete(&st, "ups.mfr"), ST_UNCHANGED);
	ck_assert_ptr_nonnull(state_find(&st, "ups.mfr"));
	/* flags can be added, but immutability stays */
	ck_assert_int_eq(state_set_flags(&st, "ups.mfr", ST_FLAG_STRING), ST_CHANGED);
	v = state_find(&st, "ups.mfr");
	ck_assert_uint_eq(v->flags, ST_FLAG_STRING | ST_FLAG_IMMUTABLE);
	ck_assert_int_eq(state_set_flags(&st, "ups.mfr", 0), ST_CHANGED);
	ck_assert_uint_eq(state_find(&st, "ups.mfr")->flags, ST_FLAG_IMMUTABLE);
	/* an existing var made immutable: a change even with the same value */
	ck_assert_int_eq(state_set(&st, "ups.model", "M"), ST_CHANGED);
	ck_assert_int_eq(state_set_immutable(&st, "ups.model", "M"), ST_CHANGED);
	ck_assert_int_eq(state_set_immutable(&st, "ups.model", "M"), ST_UNCHANGED);
	ck_assert_int_eq(state_set(&st, "ups.model", "N"), ST_UNCHANGED);
	ck_assert_str_eq(state_get(&st, "ups.model"), "M");
	/* only state_remove takes an override away; the name is free again */
	ck_assert_int_eq(state_remove(&st, "UPS.MFR"), ST_CHANGED);
	ck_assert_ptr_null(state_find(&st, "ups.mfr"));
	ck_assert_int_eq(state_remove(&st, "ups.mfr"), ST_UNCHANGED);
	ck_assert_int_eq(state_set(&st, "ups.mfr", "Generic"), ST_CHANGED);
	ck_assert_uint_eq(state_find(&st, "ups.mfr")->flags, 0);
	ck_assert_int_eq(state_remove(&st, "ups.mfr"), ST_CHANGED);
}
END_TEST

START_TEST(test_delete)
{
	ck_assert_int_eq(state_set(&st, "a", "1"), ST_CHANGED);
	ck_assert_int_eq(state_set(&st, "b", "2"), ST_CHANGED);
	ck_assert_int_eq(state_set(&st, "c", "3"), ST_CHANGED);
	ck_assert_int_eq(state_delete(&st, "B"), ST_CHANGED);
	ck_assert_int_eq(state_delete(&st, "b"), ST_UNCHANGED);
	ck_assert_int_eq(state_delete(&st, "nosuch"), ST_UNCHANGED);
	ck_assert_uint_eq(st.nvars, 2);
	ck_assert_str_eq(st.vars[0].name, "a");
	ck_assert_str_eq(st.vars[1].name, "c");
	ck_assert_int_eq(state_set(&st, "b", "again"), ST_CHANGED);
	ck_assert_str_eq(st.vars[1].value, "again");
}
END_TEST

START_TEST(test_flags_aux)
{
	ck_assert_int_eq(state_set_flags(&st, "nosuch", ST_FLAG_RW), ST_UNCHANGED);
	ck_assert_int_eq(state_set_aux(&st, "nosuch", 3), ST_UNCHANGED);
	ck_assert_int_eq(state_set(&st, "ups.id", "x"), ST_CHANGED);
	ck_assert_int_eq(state_set_flags(&st, "ups.id", ST_FLAG_RW | ST_FLAG_STRING), ST_CHANGED);
	ck_assert_int_eq(state_set_flags(&st, "ups.id", ST_FLAG_RW | ST_FLAG_STRING), ST_UNCHANGED);
	ck_assert_int_eq(state_set_aux(&st, "ups.id", 32), ST_CHANGED);
	ck_assert_int_eq(state_set_aux(&st, "ups.id", 32), ST_UNCHANGED);
	ck_assert_int_eq(state_find(&st, "ups.id")->aux, 32);
	/* a value change keeps flags and aux */
	ck_assert_int_eq(state_set(&st, "ups.id", "y"), ST_CHANGED);
	ck_assert_uint_eq(state_find(&st, "ups.id")->flags, ST_FLAG_RW | ST_FLAG_STRING);
}
END_TEST

static const struct words_case {
	unsigned flags;
	const char *words;
} words_cases[] = {
	{ 0, "" },
	{ ST_FLAG_IMMUTABLE, "" },
	{ ST_FLAG_RW, "RW" },
	{ ST_FLAG_STRING, "STRING" },
	{ ST_FLAG_NUMBER, "NUMBER" },
	{ ST_FLAG_RW | ST_FLAG_NUMBER, "RW NUMBER" },
	{ ST_FLAG_NUMBER | ST_FLAG_STRING | ST_FLAG_RW, "RW STRING NUMBER" },
	{ ST_FLAG_RW | ST_FLAG_IMMUTABLE | ST_FLAG_STRING, "RW STRING" },
};

START_TEST(test_flags_words)
{
	const struct words_case *tc = &words_cases[_i];
	char buf[64];

	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(state_flags_words(tc->flags, buf, sizeof(buf)), strlen(tc->words));
	ck_assert_str_eq(buf, tc->words);
}
END_TEST

START_TEST(test_flags_words_short_buffer)
{
	char buf[5];

	/* like snprintf: the full length, and what fits stays terminated */
	ck_assert_uint_eq(state_flags_words(ST_FLAG_RW | ST_FLAG_STRING, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "RW");
	ck_assert_uint_eq(state_flags_words(ST_FLAG_RW, NULL, 0), 2);
}
END_TEST

START_TEST(test_cmds)
{
	static const char *const in[] = {
		"shutdown.default", "driver.reload-or-exit", "driver.killpower",
		"Driver.Reload", "driver.reload-or-error",
	};
	static const char *const want[] = {
		"driver.killpower", "Driver.Reload", "driver.reload-or-error",
		"driver.reload-or-exit", "shutdown.default",
	};
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_int_eq(state_add_cmd(&st, in[i]), ST_CHANGED);
	ck_assert_int_eq(state_add_cmd(&st, "DRIVER.KILLPOWER"), ST_UNCHANGED);
	ck_assert_uint_eq(st.ncmds, 5);
	for (i = 0; i < st.ncmds; i++)
		ck_assert_str_eq(st.cmds[i], want[i]);
	ck_assert(state_has_cmd(&st, "driver.RELOAD"));
	ck_assert(!state_has_cmd(&st, "driver.reload-or"));
	ck_assert_int_eq(state_del_cmd(&st, "driver.reload"), ST_CHANGED);
	ck_assert_int_eq(state_del_cmd(&st, "driver.reload"), ST_UNCHANGED);
	ck_assert(!state_has_cmd(&st, "driver.reload"));
	ck_assert_uint_eq(st.ncmds, 4);
	ck_assert_str_eq(st.cmds[1], "driver.reload-or-error");
}
END_TEST

START_TEST(test_many_sorted)
{
	char name[32];
	int i;

	/* insert in a scrambled order, expect sorted output */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "v.%04d", (i * 7919) % 1000);
		ck_assert_int_eq(state_set(&st, name, "1"), ST_CHANGED);
	}
	ck_assert_uint_eq(st.nvars, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "v.%04d", i);
		ck_assert_str_eq(st.vars[i].name, name);
	}
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_case_insensitive);
	tcase_add_loop_test(tc, test_change_detection, 0,
			    sizeof(change_cases) / sizeof(change_cases[0]));
	tcase_add_test(tc, test_value_cap);
	tcase_add_test(tc, test_raw_value);
	tcase_add_test(tc, test_immutable);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_flags_aux);
	tcase_add_loop_test(tc, test_flags_words, 0, sizeof(words_cases) / sizeof(words_cases[0]));
	tcase_add_test(tc, test_flags_words_short_buffer);
	tcase_add_test(tc, test_cmds);
	tcase_add_test(tc, test_many_sorted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(state_suite());
}
