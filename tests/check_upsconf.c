/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the ups.conf model (spec nut-compat.md 3.3). A parsed file
 * is rendered as "SECTION/key=value@LINE" ("-" for the global part, no
 * "=value" for a flag) joined with '|', and compared with the table.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upsconf.h"

static void render_entries(const struct upsconf *conf, char *out, size_t outsz)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < conf->nentries && len < outsz; i++) {
		const struct upsconf_entry *e = &conf->entries[i];

		len += snprintf(out + len, outsz - len, "%s%s/%s%s%s@%u",
				i ? "|" : "", e->section ? e->section : "-", e->key,
				e->value ? "=" : "", e->value ? e->value : "", e->line);
	}
}

static void render_sections(const struct upsconf *conf, char *out, size_t outsz)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < conf->nsections && len < outsz; i++)
		len += snprintf(out + len, outsz - len, "%s%s@%u", i ? "|" : "",
				conf->sections[i].name, conf->sections[i].line);
}

struct good_case {
	const char *what;
	const char *text;
	const char *entries;
	const char *sections;
};

static const struct good_case good_cases[] = {
	{ "empty file", "", "", "" },
	{ "comments only", "# a\n\n   # b\n", "", "" },
	{ "globals", "pollinterval = 5\nuser=nut\n",
	  "-/pollinterval=5@1|-/user=nut@2", "" },
	{ "sections and flags",
	  "[ups1]\n\tdriver = genericups\n\tnolock\n[ups2]\n\tport=/dev/ttyS1\n",
	  "ups1/driver=genericups@2|ups1/nolock@3|ups2/port=/dev/ttyS1@5",
	  "ups1@1|ups2@4" },
	{ "globals then section",
	  "# cfg\nmaxretry = 3\n\n[myups]  # the one\n  upstype = 4\n",
	  "-/maxretry=3@2|myups/upstype=4@5", "myups@4" },
	{ "empty section", "[a]\n[b]\nx = 1\n", "b/x=1@3", "a@1|b@2" },
	{ "quoted value", "[u]\ndesc = \"My \\\"big\\\" UPS \\# 1\"\n",
	  "u/desc=My \"big\" UPS # 1@2", "u@1" },
	{ "empty quoted value", "desc = \"\"\n", "-/desc=@1", "" },
	{ "no spaces around =", "sdtime=3\nCP=DTR\n", "-/sdtime=3@1|-/CP=DTR@2", "" },
	{ "dotted keys", "[u]\noverride.battery.charge.low = 20\ndefault.x=1\n",
	  "u/override.battery.charge.low=20@2|u/default.x=1@3", "u@1" },
	{ "continuation keeps first line", "a = b\\\nc\nd = e\n",
	  "-/a=bc@1|-/d=e@3", "" },
	{ "CRLF", "[u]\r\nport = /dev/ttyS0\r\nnolock\r\n",
	  "u/port=/dev/ttyS0@2|u/nolock@3", "u@1" },
	{ "no final LF", "[u]\nport = x", "u/port=x@2", "u@1" },
	{ "repeated key kept in order", "a = 1\na = 2\n", "-/a=1@1|-/a=2@2", "" },
	{ "case preserved", "[UPS]\nDriver = GenericUPS\n", "UPS/Driver=GenericUPS@2", "UPS@1" },
	{ "value is =", "a = \"=\"\n", "-/a==@1", "" },
};

START_TEST(test_good)
{
	const struct good_case *gc = &good_cases[_i];
	struct upsconf conf;
	char err[256] = "", out[1024];

	ck_assert_msg(upsconf_parse(&conf, "ups.conf", gc->text, strlen(gc->text),
				    err, sizeof(err)) == 0, "%s: %s", gc->what, err);
	ck_assert_str_eq(conf.path, "ups.conf");
	render_entries(&conf, out, sizeof(out));
	ck_assert_msg(strcmp(out, gc->entries) == 0, "%s: entries '%s', want '%s'",
		      gc->what, out, gc->entries);
	render_sections(&conf, out, sizeof(out));
	ck_assert_msg(strcmp(out, gc->sections) == 0, "%s: sections '%s', want '%s'",
		      gc->what, out, gc->sections);
	upsconf_free(&conf);
}
END_TEST

struct bad_case {
	const char *text;
	const char *err;
};

static const struct bad_case bad_cases[] = {
	{ "[ups]\nmodel = \"Model # 1\"\n",
	  "ups.conf:2: unescaped '#' inside quotes (write \\# for a literal #)" },
	{ "[ups]\ndesc = \"abc\nport = x\n",
	  "ups.conf:2: unterminated quote (missing closing \")" },
	{ "[ups]\ndesc = \\\n\"abc\n", "ups.conf:3: unterminated quote (missing closing \")" },
	{ "[ups]\nport /dev/ttyS0\n",
	  "ups.conf:2: missing '=' between 'port' and '/dev/ttyS0'" },
	{ "port =\n",
	  "ups.conf:1: no value for 'port' (write port = \"\" for an empty value)" },
	{ "\n\nport is here\n", "ups.conf:3: expected '=' after 'port', found 'is'" },
	{ "[u]\n\n\n\n# c\nport = x\ndesc = My UPS\n",
	  "ups.conf:7: extra words after value of 'desc' (quote values with spaces)" },
	{ "= x\n", "ups.conf:1: '=' without a name before it" },
	{ "=\n", "ups.conf:1: '=' without a name before it" },
	{ "= = x\n", "ups.conf:1: '=' without a name before it" },
	{ "\"\" = x\n", "ups.conf:1: empty name \"\"" },
	{ "[ups\n", "ups.conf:1: section header '[ups' has no closing ']'" },
	{ "[my ups]\n",
	  "ups.conf:1: section header '[my' has no closing ']' (section names cannot contain spaces)" },
	{ "[]\n", "ups.conf:1: empty section name '[]'" },
	{ "[a]\n[b]\n[a]\n", "ups.conf:3: duplicate section '[a]' (first on line 1)" },
	{ "[a]b\n", "ups.conf:1: text after ']' in section header '[a]b'" },
	{ "[a] x\n", "ups.conf:1: extra words after section header '[a]': 'x'" },
	{ "a = b\\\nc\nport x\n", "ups.conf:3: missing '=' between 'port' and 'x'" },
	{ "a = b\r\n\r\nport\tx\r\n", "ups.conf:3: missing '=' between 'port' and 'x'" },
	{ "[u]\nport = x y", "ups.conf:2: extra words after value of 'port' (quote values with spaces)" },
};

START_TEST(test_bad)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct upsconf conf;
	char err[256] = "";

	ck_assert_int_eq(upsconf_parse(&conf, "ups.conf", bc->text, strlen(bc->text),
				       err, sizeof(err)), -1);
	ck_assert_str_eq(err, bc->err);
	/* a failed parse leaves nothing behind */
	ck_assert_uint_eq(conf.nentries, 0);
	ck_assert_uint_eq(conf.nsections, 0);
	ck_assert_ptr_null(conf.path);
	upsconf_free(&conf);
}
END_TEST

START_TEST(test_embedded_nul_dropped)
{
	static const char text[] = "po\0rt = x\n";
	struct upsconf conf;
	char err[256] = "";

	ck_assert_int_eq(upsconf_parse(&conf, "u.conf", text, sizeof(text) - 1,
				       err, sizeof(err)), 0);
	ck_assert_uint_eq(conf.nentries, 1);
	ck_assert_str_eq(conf.entries[0].key, "port");
	upsconf_free(&conf);
}
END_TEST

START_TEST(test_find_section)
{
	static const char text[] = "[a]\nx = 1\n[b]\n";
	const struct upsconf_section *s;
	struct upsconf conf;
	char err[256];

	ck_assert_int_eq(upsconf_parse(&conf, "ups.conf", text, sizeof(text) - 1,
				       err, sizeof(err)), 0);
	s = upsconf_find_section(&conf, "b");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->name, "b");
	ck_assert_uint_eq(s->line, 3);
	ck_assert_ptr_null(upsconf_find_section(&conf, "c"));
	ck_assert_ptr_null(upsconf_find_section(&conf, "A"));
	/* entries point at their section's name */
	ck_assert_ptr_eq(conf.entries[0].section, upsconf_find_section(&conf, "a")->name);
	upsconf_free(&conf);
}
END_TEST

/* Write text to a fresh temporary file; path receives its name. */
static void write_temp(char *path, size_t pathsz, const char *text)
{
	int fd;

	snprintf(path, pathsz, "/tmp/check_upsconf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

START_TEST(test_load_file)
{
	struct upsconf conf;
	char path[64], err[256] = "", out[256];

	write_temp(path, sizeof(path), "user = nut\n[ups]\n driver = genericups\n");
	ck_assert_msg(upsconf_load(&conf, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_str_eq(conf.path, path);
	render_entries(&conf, out, sizeof(out));
	ck_assert_str_eq(out, "-/user=nut@1|ups/driver=genericups@3");
	upsconf_free(&conf);
}
END_TEST

START_TEST(test_load_error_names_path)
{
	struct upsconf conf;
	char path[64], err[256] = "", want[320];

	write_temp(path, sizeof(path), "[ups]\n\nport /dev/x\n");
	ck_assert_int_eq(upsconf_load(&conf, path, err, sizeof(err)), -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s:3: missing '=' between 'port' and '/dev/x'", path);
	ck_assert_str_eq(err, want);
	upsconf_free(&conf);
}
END_TEST

START_TEST(test_load_big_file)
{
	struct upsconf conf;
	char path[64], err[256] = "", *text;
	size_t i, len = 0, n = 3000;

	text = malloc(n * 32);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "key%zu = value%zu\n", i, i);
	write_temp(path, sizeof(path), text);
	free(text);
	ck_assert_msg(upsconf_load(&conf, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_uint_eq(conf.nentries, n);
	ck_assert_str_eq(conf.entries[n - 1].key, "key2999");
	ck_assert_str_eq(conf.entries[n - 1].value, "value2999");
	ck_assert_uint_eq(conf.entries[n - 1].line, n);
	upsconf_free(&conf);
}
END_TEST

struct load_fail_case {
	const char *path;
	const char *err;
};

static const struct load_fail_case load_fail_cases[] = {
	{ "/nonexistent/dir/ups.conf",
	  "cannot open /nonexistent/dir/ups.conf: No such file or directory" },
	{ "/", "cannot read /: Is a directory" },
};

START_TEST(test_load_fails)
{
	const struct load_fail_case *lc = &load_fail_cases[_i];
	struct upsconf conf;
	char err[256] = "";

	ck_assert_int_eq(upsconf_load(&conf, lc->path, err, sizeof(err)), -1);
	ck_assert_str_eq(err, lc->err);
	ck_assert_uint_eq(conf.nentries, 0);
	upsconf_free(&conf);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *upsconf_suite(void)
{
	Suite *s = suite_create("upsconf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_good, 0, NELEM(good_cases));
	tcase_add_test(tc, test_embedded_nul_dropped);
	tcase_add_test(tc, test_find_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_bad, 0, NELEM(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_error_names_path);
	tcase_add_test(tc, test_load_big_file);
	tcase_add_loop_test(tc, test_load_fails, 0, NELEM(load_fail_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(upsconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
