/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The usb: port parser, the identity match and the naming of listed
 * adapters (drivers/usbport.c), table-driven.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbport.h"
#include "check_main.h"

struct parse_case {
	const char *port;
	int ok;
	unsigned vid, pid;
	const char *serial, *path;
	int iface;
	const char *err;	/* a part of the error message */
};

static const struct parse_case parse_cases[] = {
	{ "usb:0403:6001", 1, 0x0403, 0x6001, "", "", -1, NULL },
	{ "usb:1A86:7523", 1, 0x1a86, 0x7523, "", "", -1, NULL },
	{ "usb:403:6001", 1, 0x0403, 0x6001, "", "", -1, NULL },
	{ "usb:0403:6001,serial=A10KZP45", 1, 0x0403, 0x6001, "A10KZP45", "", -1, NULL },
	{ "usb:1a86:7523,path=1-1.2", 1, 0x1a86, 0x7523, "", "1-1.2", -1, NULL },
	{ "usb:1a86:7523,path=3-10", 1, 0x1a86, 0x7523, "", "3-10", -1, NULL },
	{ "usb:0403:6010,serial=FT1,if=1", 1, 0x0403, 0x6010, "FT1", "", 1, NULL },
	{ "usb:0403:6001,path=2-1.4.3,serial=X Y", 1, 0x0403, 0x6001, "X Y", "2-1.4.3", -1,
	  NULL },
	{ "usb:0403:6001,path=1-1.2.3.4.5.6.7", 1, 0x0403, 0x6001, "", "1-1.2.3.4.5.6.7", -1,
	  NULL },
	/* refused, each with a message that names the input */
	{ "/dev/ttyUSB0", 0, 0, 0, "", "", -1, "does not start with 'usb:'" },
	{ "usb:", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb:0403", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb:0403:", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb::6001", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb:04031:6001", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb:0403:600g", 0, 0, 0, "", "", -1, "expected usb:VID:PID" },
	{ "usb:0403:6001,", 0, 0, 0, "", "", -1, "is not KEY=VALUE" },
	{ "usb:0403:6001,serial", 0, 0, 0, "", "", -1, "'serial' is not KEY=VALUE" },
	{ "usb:0403:6001,serial=", 0, 0, 0, "", "", -1, "is not KEY=VALUE" },
	{ "usb:0403:6001,colour=red", 0, 0, 0, "", "", -1, "unknown key 'colour'" },
	{ "usb:0403:6001,path=1", 0, 0, 0, "", "", -1, "path '1' is not a USB port path" },
	{ "usb:0403:6001,path=1-", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=0-1", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=1-0", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=1-1..2", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=1-01", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=1-256", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=usb1", 0, 0, 0, "", "", -1, "is not a USB port path" },
	{ "usb:0403:6001,path=1-1.2.3.4.5.6.7.8", 0, 0, 0, "", "", -1,
	  "is not a USB port path" },
	{ "usb:0403:6001,if=x", 0, 0, 0, "", "", -1, "if 'x' is not an interface number" },
	{ "usb:0403:6001,if=256", 0, 0, 0, "", "", -1, "is not an interface number" },
	{ "usb:0403:6001,serial=A,serial=B", 0, 0, 0, "", "", -1, "'serial' given twice" },
	{ "usb:0403:6001,serial=A\tB", 0, 0, 0, "", "", -1, "control character" },
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct usbport_id id;
	char err[512] = "";
	int rc = usbport_parse(c->port, &id, err, sizeof(err));

	if (c->ok) {
		ck_assert_msg(rc == 0, "%s: %s", c->port, err);
		ck_assert_uint_eq(id.vid, c->vid);
		ck_assert_uint_eq(id.pid, c->pid);
		ck_assert_str_eq(id.serial, c->serial);
		ck_assert_str_eq(id.path, c->path);
		ck_assert_int_eq(id.iface, c->iface);
	} else {
		ck_assert_msg(rc == -1, "%s accepted", c->port);
		ck_assert_msg(strstr(err, c->err), "%s: '%s' lacks '%s'", c->port, err, c->err);
		ck_assert_msg(strstr(err, c->port) || !strstr(c->port, "usb:"),
			      "%s: the message does not name the port: %s", c->port, err);
	}
}
END_TEST

START_TEST(test_serial_too_long)
{
	char port[400], err[512];
	struct usbport_id id;

	snprintf(port, sizeof(port), "usb:0403:6001,serial=%0200d", 7);
	ck_assert_int_eq(usbport_parse(port, &id, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 127"));
}
END_TEST

static const struct usbport_adapter ftdi_a = {
	0x0403, 0x6001, "A10KZP45", "1-1", 0, false, "ftdi_sio", "/dev/ttyUSB0", "", ""
};
static const struct usbport_adapter ch_1 = {
	0x1a86, 0x7523, "", "1-2", 0, false, "ch341", "/dev/ttyUSB1", "", ""
};
static const struct usbport_adapter ch_2 = {
	0x1a86, 0x7523, "", "1-4.1", 0, false, "ch341", "/dev/ttyUSB2", "", ""
};

struct match_case {
	const char *port;
	const struct usbport_adapter *a;
	int match;
};

static const struct match_case match_cases[] = {
	{ "usb:0403:6001", &ftdi_a, 1 },
	{ "usb:0403:6001,serial=A10KZP45", &ftdi_a, 1 },
	{ "usb:0403:6001,serial=a10kzp45", &ftdi_a, 0 },	/* serials are exact */
	{ "usb:0403:6001,path=1-1", &ftdi_a, 1 },
	{ "usb:0403:6001,path=1-1.1", &ftdi_a, 0 },
	{ "usb:0403:6001,if=0", &ftdi_a, 1 },
	{ "usb:0403:6001,if=1", &ftdi_a, 0 },
	{ "usb:0403:6015", &ftdi_a, 0 },
	{ "usb:1a86:7523", &ch_1, 1 },
	{ "usb:1a86:7523", &ch_2, 1 },
	{ "usb:1a86:7523,path=1-2", &ch_1, 1 },
	{ "usb:1a86:7523,path=1-2", &ch_2, 0 },
	{ "usb:1a86:7523,serial=X", &ch_1, 0 },
};

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	struct usbport_id id;
	char err[256];

	ck_assert_int_eq(usbport_parse(c->port, &id, err, sizeof(err)), 0);
	ck_assert_msg(usbport_match(&id, c->a) == (c->match != 0), "%s vs %s", c->port,
		      c->a->path);
}
END_TEST

START_TEST(test_name_all)
{
	struct usbport_adapter l[6] = { ftdi_a, ch_1, ch_2, ftdi_a, ftdi_a, ftdi_a };
	struct usbport_id id;
	char err[256];
	size_t i, j;

	/* an FT2232 (two ttys, one serial) and a clone sharing ftdi_a's serial */
	snprintf(l[3].serial, sizeof(l[3].serial), "FT2");
	snprintf(l[3].path, sizeof(l[3].path), "2-3");
	l[3].pid = 0x6010;
	l[3].multi = true;
	l[4] = l[3];
	l[4].iface = 1;
	snprintf(l[5].path, sizeof(l[5].path), "2-4");
	snprintf(l[5].tty, sizeof(l[5].tty), "/dev/ttyUSB9");
	usbport_name_all(l, 6);
	ck_assert_str_eq(l[0].port, "usb:0403:6001,path=1-1");	/* serial shared with l[5] */
	ck_assert_str_eq(l[1].port, "usb:1a86:7523,path=1-2");
	ck_assert_str_eq(l[2].port, "usb:1a86:7523,path=1-4.1");
	ck_assert_str_eq(l[3].port, "usb:0403:6010,serial=FT2,if=0");
	ck_assert_str_eq(l[4].port, "usb:0403:6010,serial=FT2,if=1");
	ck_assert_str_eq(l[5].port, "usb:0403:6001,path=2-4");
	/* each generated value parses back and names exactly its own adapter */
	for (i = 0; i < 6; i++) {
		size_t hits = 0;

		ck_assert_msg(usbport_parse(l[i].port, &id, err, sizeof(err)) == 0, "%s", err);
		for (j = 0; j < 6; j++)
			hits += usbport_match(&id, &l[j]);
		ck_assert_msg(hits == 1 && usbport_match(&id, &l[i]), "%s fits %zu", l[i].port,
			      hits);
	}
}
END_TEST

START_TEST(test_name_unique_serial)
{
	struct usbport_adapter l[2] = { ftdi_a, ch_1 };

	usbport_name_all(l, 2);
	ck_assert_str_eq(l[0].port, "usb:0403:6001,serial=A10KZP45");
	/* a comma in a serial cannot be written in a port value: by path */
	snprintf(l[0].serial, sizeof(l[0].serial), "A,B");
	usbport_name_all(l, 2);
	ck_assert_str_eq(l[0].port, "usb:0403:6001,path=1-1");
}
END_TEST

START_TEST(test_describe)
{
	struct usbport_adapter a = ch_1;
	char buf[512];

	usbport_describe(&ftdi_a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0403:6001 serial=A10KZP45 path=1-1 (ftdi_sio) at /dev/ttyUSB0");
	snprintf(a.product, sizeof(a.product), "USB Serial");
	a.multi = true;
	a.iface = 2;
	usbport_describe(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1a86:7523 no serial number path=1-2 if=2 (ch341, USB Serial) "
			 "at /dev/ttyUSB1");
}
END_TEST

static Suite *usbport_suite(void)
{
	Suite *s = suite_create("usbport");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_serial_too_long);
	tcase_add_loop_test(tc, test_match, 0, sizeof(match_cases) / sizeof(match_cases[0]));
	tcase_add_test(tc, test_name_all);
	tcase_add_test(tc, test_name_unique_serial);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(usbport_suite());
}
