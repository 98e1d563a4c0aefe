/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port capabilities: kernel driver name -> what the port reports, which
 * lines and edges must be read on a timer, and which profiles a port must
 * refuse. Expected values come from the kernel facts (spec nut-compat.md
 * 11.1) and the upstype table (spec 1.2), written out here independently.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cable_profile.h"
#include "port_caps.h"
#include "check_main.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))
#define ALL (ML_CTS | ML_DCD | ML_RNG | ML_DSR)

/* ---- driver name -> family ------------------------------------------------ */

static const struct {
	const char *driver;
	int serial_type;
	enum port_family family;
	bool miwait, counters;
	unsigned reported, rise, fall;
} name_cases[] = {
	{ "serial8250", 4, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "serial8250", PORT_SERIAL_TYPE_NONE, PORT_FAMILY_8250, true, true, ALL,
	  ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "serial", 4, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "exar_serial", 24, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	/* the serial core's generic port device: TIOCGSERIAL decides */
	{ "port", 4, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "port", 1, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "port", 30, PORT_FAMILY_8250, true, true, ALL, ML_CTS | ML_DCD | ML_DSR, ALL },
	{ "port", 31, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },	/* PORT_PXA */
	{ "port", 0, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },
	{ "port", PORT_SERIAL_TYPE_NONE, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },
	{ "ftdi_sio", 0, PORT_FAMILY_FTDI, true, true, ALL, ALL, ALL },
	{ "pl2303", 0, PORT_FAMILY_PL2303, true, false, ALL, ALL, ALL },
	{ "ch341-uart", 0, PORT_FAMILY_CH341, true, false, ALL, ALL, ALL },
	{ "cp210x", 0, PORT_FAMILY_CP210X, false, false, ALL, 0, 0 },
	{ "cdc_acm", 0, PORT_FAMILY_CDC_ACM, true, true, ML_DCD | ML_RNG | ML_DSR,
	  ML_DCD | ML_RNG | ML_DSR, ML_DCD | ML_DSR },
	/* unknown names are not upgraded by a UART type: assume nothing */
	{ "mystery_uart", 4, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },
	{ "", PORT_SERIAL_TYPE_NONE, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },
	{ NULL, 4, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },
	{ "FTDI_SIO", 0, PORT_FAMILY_UNKNOWN, true, false, ALL, 0, 0 },	/* exact names only */
};

START_TEST(test_driver_names)
{
	struct port_caps c = port_caps_for(name_cases[_i].driver, name_cases[_i].serial_type);

	ck_assert_msg(c.family == name_cases[_i].family, "%s/%d: family %s",
		      name_cases[_i].driver ? name_cases[_i].driver : "(null)",
		      name_cases[_i].serial_type, port_family_name(c.family));
	ck_assert_int_eq(c.miwait, name_cases[_i].miwait);
	ck_assert_int_eq(c.counters, name_cases[_i].counters);
	ck_assert_uint_eq(c.reported, name_cases[_i].reported);
	ck_assert_uint_eq(c.wake_rise, name_cases[_i].rise);
	ck_assert_uint_eq(c.wake_fall, name_cases[_i].fall);
	ck_assert_str_eq(c.driver, name_cases[_i].driver ? name_cases[_i].driver : "");
}
END_TEST

START_TEST(test_sim_caps)
{
	struct port_caps c = port_caps_sim();

	ck_assert_int_eq(c.family, PORT_FAMILY_SIM);
	ck_assert_uint_eq(c.wake_rise, ALL);
	ck_assert_uint_eq(c.wake_fall, ALL);
	ck_assert_str_eq(port_family_name(c.family), "sim");
}
END_TEST

START_TEST(test_driver_name_truncated)
{
	char longname[200];
	struct port_caps c;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c = port_caps_for(longname, 4);
	ck_assert_int_eq(c.family, PORT_FAMILY_UNKNOWN);
	ck_assert_uint_eq(strlen(c.driver), sizeof(c.driver) - 1);
}
END_TEST

/* ---- which lines are read on the timer ---------------------------------- */

static const struct {
	const char *driver;
	unsigned needed, bits;
	bool watching;
	unsigned unseen;
} unseen_cases[] = {
	/* 8250: RNG clear can only rise, which no wait sees */
	{ "serial8250", ML_RNG | ML_DCD, 0, true, ML_RNG },
	{ "serial8250", ML_RNG | ML_DCD, ML_RNG, true, 0 },
	{ "serial8250", ML_CTS | ML_DCD, 0, true, 0 },
	{ "serial8250", ML_CTS | ML_DCD, ALL, true, 0 },
	{ "serial8250", ALL, ML_CTS | ML_DSR, true, ML_RNG },
	/* no watcher: everything the profile reads */
	{ "serial8250", ML_CTS | ML_DCD, 0, false, ML_CTS | ML_DCD },
	{ "ftdi_sio", ML_CTS | ML_DCD, 0, false, ML_CTS | ML_DCD },
	/* ftdi, pl2303, ch341: every edge wakes */
	{ "ftdi_sio", ALL, 0, true, 0 },
	{ "ftdi_sio", ALL, ALL, true, 0 },
	{ "pl2303", ALL, ML_RNG, true, 0 },
	{ "ch341-uart", ALL, ML_CTS, true, 0 },
	/* cdc-acm: RNG set can only fall, which is not counted */
	{ "cdc_acm", ML_RNG | ML_DCD, ML_RNG, true, ML_RNG },
	{ "cdc_acm", ML_RNG | ML_DCD, 0, true, 0 },
	{ "cdc_acm", ML_DSR | ML_DCD, ML_DSR | ML_DCD, true, 0 },
	/* unknown: nothing trusted, in either state */
	{ "mystery_uart", ML_CTS | ML_DCD, 0, true, ML_CTS | ML_DCD },
	{ "mystery_uart", ML_CTS | ML_DCD, ALL, true, ML_CTS | ML_DCD },
	/* cp210x: no events at all */
	{ "cp210x", ML_CTS | ML_DCD, ML_CTS, true, ML_CTS | ML_DCD },
	/* only lines the profile reads */
	{ "serial8250", ML_CTS, 0, true, 0 },
	{ "mystery_uart", 0, 0, true, 0 },
};

START_TEST(test_unseen)
{
	struct port_caps c = port_caps_for(unseen_cases[_i].driver, PORT_SERIAL_TYPE_NONE);

	ck_assert_uint_eq(port_unseen_lines(&c, unseen_cases[_i].needed, unseen_cases[_i].bits,
					    unseen_cases[_i].watching),
			  unseen_cases[_i].unseen);
}
END_TEST

/* Whatever the family and levels: a line the profile reads is either
 * reported by the watcher in the direction it can move, or read on the
 * timer. This is the "never miss a sustained change" rule. */
START_TEST(test_every_edge_covered)
{
	static const char *const drivers[] = {
		"serial8250", "ftdi_sio", "pl2303", "ch341-uart", "cp210x", "cdc_acm",
		"mystery_uart",
	};
	size_t i;
	unsigned needed, bits, line;

	for (i = 0; i < NCASES(drivers); i++) {
		struct port_caps c = port_caps_for(drivers[i], PORT_SERIAL_TYPE_NONE);

		for (needed = 0; needed <= 0xf; needed++) {
			unsigned nmask = (needed & 1 ? ML_CTS : 0) | (needed & 2 ? ML_DCD : 0) |
					 (needed & 4 ? ML_RNG : 0) | (needed & 8 ? ML_DSR : 0);

			for (bits = 0; bits <= 0xf; bits++) {
				unsigned b = (bits & 1 ? ML_CTS : 0) | (bits & 2 ? ML_DCD : 0) |
					     (bits & 4 ? ML_RNG : 0) | (bits & 8 ? ML_DSR : 0);
				unsigned unseen = port_unseen_lines(&c, nmask, b, c.miwait);

				for (line = ML_CTS; line <= ML_DSR; line <<= 1) {
					bool wakes = (b & line) ? (c.wake_fall & line) :
								  (c.wake_rise & line);

					if (!(nmask & line) || !c.miwait)
						continue;
					ck_assert_msg(wakes || (unseen & line),
						      "%s: line 0x%x from level %d neither wakes "
						      "nor is polled", drivers[i], line, !!(b & line));
				}
				if (!c.miwait)
					ck_assert_uint_eq(unseen, nmask);
			}
		}
	}
}
END_TEST

/* ---- texts ---------------------------------------------------------------- */

static const struct {
	const char *driver;
	int type;		/* upstype for the polled text */
	bool watching;
	const char *events, *polled;
} text_cases[] = {
	{ "serial8250", 1, true, "CTS DCD RNG:falling DSR", "RNG:rising" },
	{ "serial8250", 23, true, "CTS DCD RNG:falling DSR", "RNG:rising" },
	{ "serial8250", 5, true, "CTS DCD RNG:falling DSR", "none" },
	{ "ftdi_sio", 1, true, "CTS DCD RNG DSR", "none" },
	{ "ftdi_sio", 5, false, "CTS DCD RNG DSR", "CTS DCD" },
	{ "cp210x", 5, false, "none", "CTS DCD" },
	{ "cdc_acm", 1, true, "DCD RNG:rising DSR", "RNG:falling" },
	{ "mystery_uart", 5, true, "not known", "CTS DCD" },
	{ "mystery_uart", 23, true, "not known", "CTS DCD RNG DSR" },
};

START_TEST(test_texts)
{
	struct port_caps c = port_caps_for(text_cases[_i].driver, PORT_SERIAL_TYPE_NONE);
	const struct cable_profile *p = cable_profile_get(text_cases[_i].type);
	char buf[96];

	ck_assert_str_eq(port_events_text(&c, buf, sizeof(buf)), text_cases[_i].events);
	ck_assert_str_eq(port_polled_text(&c, profile_input_lines(p), text_cases[_i].watching,
					  buf, sizeof(buf)), text_cases[_i].polled);
}
END_TEST

/* ---- profiles ------------------------------------------------------------- */

/* The input lines each upstype reads (spec 1.2, OL LB RB BYPASS columns). */
static const unsigned type_lines[CABLE_NTYPES] = {
	[0] = ML_CTS | ML_DCD, [1] = ML_RNG | ML_DCD, [2] = ML_CTS | ML_DCD,
	[3] = ML_CTS | ML_DCD, [4] = ML_CTS | ML_DCD, [5] = ML_CTS | ML_DCD,
	[6] = ML_CTS | ML_DCD, [7] = ML_CTS | ML_DCD, [8] = ML_CTS | ML_DCD,
	[9] = ML_CTS | ML_DCD, [10] = ML_CTS | ML_DCD, [11] = ML_CTS | ML_DCD,
	[12] = ML_CTS | ML_DCD, [13] = ML_CTS | ML_DCD, [14] = ML_CTS | ML_DCD,
	[15] = ML_CTS | ML_DCD, [16] = ML_CTS | ML_DCD, [17] = ML_CTS | ML_DCD,
	[18] = ML_CTS | ML_DCD, [19] = ML_CTS | ML_DCD, [20] = ML_CTS | ML_DCD,
	[21] = ML_CTS | ML_DCD, [22] = ML_CTS | ML_DCD, [23] = ALL,
};

START_TEST(test_profile_lines)
{
	ck_assert_uint_eq(profile_input_lines(cable_profile_get(_i)), type_lines[_i]);
}
END_TEST

/* cdc-acm has no CTS: every type but 1 reads it and is refused, naming the
 * line, the kernel driver and the port. Every other port takes every type. */
START_TEST(test_cdc_acm_refuses_cts)
{
	struct port_caps acm = port_caps_for("cdc_acm", 0);
	const struct cable_profile *p = cable_profile_get(_i);
	static const char *const others[] = {
		"serial8250", "ftdi_sio", "pl2303", "ch341-uart", "cp210x", "mystery_uart",
	};
	char err[512] = "";
	size_t i;
	int rc = port_check_profile(&acm, p, "/dev/ttyACM0", err, sizeof(err));

	if (_i == 1) {
		ck_assert_int_eq(rc, 0);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(strstr(err, "/dev/ttyACM0"));
		ck_assert_ptr_nonnull(strstr(err, "cdc_acm"));
		ck_assert_ptr_nonnull(strstr(err, "cannot report CTS"));
		ck_assert_ptr_nonnull(strstr(err, "(DCD RNG DSR)"));
	}
	for (i = 0; i < NCASES(others); i++) {
		struct port_caps c = port_caps_for(others[i], 0);

		ck_assert_int_eq(port_check_profile(&c, p, "/dev/ttyX", err, sizeof(err)), 0);
	}
}
END_TEST

START_TEST(test_cdc_acm_override)
{
	struct port_caps acm = port_caps_for("cdc_acm", 0);
	struct cable_profile p = *cable_profile_get(5);
	char err[512], msg[128];

	ck_assert_int_eq(port_check_profile(&acm, &p, "/dev/ttyACM0", err, sizeof(err)), -1);
	ck_assert_int_eq(cable_parse_input("OL", "DSR", &p.ol, msg, sizeof(msg)), 0);
	ck_assert_int_eq(port_check_profile(&acm, &p, "/dev/ttyACM0", err, sizeof(err)), 0);
	ck_assert_int_eq(cable_parse_input("BYPASS", "-CTS", &p.bypass, msg, sizeof(msg)), 0);
	ck_assert_int_eq(port_check_profile(&acm, &p, "/dev/ttyACM0", err, sizeof(err)), -1);
}
END_TEST

static Suite *portcaps_suite(void)
{
	Suite *s = suite_create("portcaps");
	TCase *tc = tcase_create("drivers");

	tcase_add_loop_test(tc, test_driver_names, 0, NCASES(name_cases));
	tcase_add_test(tc, test_sim_caps);
	tcase_add_test(tc, test_driver_name_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	tcase_add_loop_test(tc, test_unseen, 0, NCASES(unseen_cases));
	tcase_add_test(tc, test_every_edge_covered);
	tcase_add_loop_test(tc, test_texts, 0, NCASES(text_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("profiles");
	tcase_add_loop_test(tc, test_profile_lines, 0, CABLE_NTYPES);
	tcase_add_loop_test(tc, test_cdc_acm_refuses_cts, 0, CABLE_NTYPES);
	tcase_add_test(tc, test_cdc_acm_override);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(portcaps_suite());
}
