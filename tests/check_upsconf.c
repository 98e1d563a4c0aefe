/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the ups.conf model (spec nut-compat.md 3.3). A parsed file
 * is rendered as "SECTION/key=value@LINE" ("-" for the global part, no
 * "=value" for a flag) joined with '|', and compared with the table.
 * Then the configuration built from it (options.c config_build): repeated
 * keys, no leak when it fails, and a cost that grows as n log n.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "options.h"
#include "upsconf.h"
#include "check_main.h"

/*
 * Comparisons are counted: strcmp and strcasecmp are defined here, so the
 * code linked into this program (upsconf.c, options.c) calls these.
 */
static unsigned long ncompare;

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	ncompare++;
	while (*x && *x == *y)
		x++, y++;
	return *x - *y;
}

int strcasecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	ncompare++;
	while (*x && tolower(*x) == tolower(*y))
		x++, y++;
	return tolower(*x) - tolower(*y);
}

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
	  "ups.conf:7: extra words after value of 'desc' (quote values with spaces or '=')" },
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
	{ "[u]\nport = x y", "ups.conf:2: extra words after value of 'port' (quote values with spaces or '=')" },
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

/* ---- sections at scale ---------------------------------------------------- */

/* "[s0]\n[s1]\n..." with n sections, then the header of section dup again
 * when dup < n. */
static char *many_sections(size_t n, size_t dup, size_t *len)
{
	char *text = malloc(n * 24 + 32);
	size_t i, l = 0;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < n; i++)
		l += (size_t)sprintf(text + l, "[s%zu]\nx = %zu\n", i, i);
	if (dup < n)
		l += (size_t)sprintf(text + l, "[s%zu]\n", dup);
	*len = l;
	return text;
}

START_TEST(test_many_sections_counted)
{
	size_t n = 40000, len;
	char *text = many_sections(n, n, &len), err[256] = "";
	struct upsconf conf;

	ncompare = 0;
	ck_assert_msg(upsconf_parse(&conf, "ups.conf", text, len, err, sizeof(err)) == 0,
		      "%s", err);
	/* one look-up per header: a scan of the sections so far would be n^2/2 */
	ck_assert_msg(ncompare < 8 * n, "%lu comparisons for %zu sections", ncompare, n);
	ck_assert_uint_eq(conf.nsections, n);
	ck_assert_str_eq(conf.sections[n - 1].name, "s39999");
	ck_assert_uint_eq(conf.nentries, n);
	upsconf_free(&conf);
	free(text);
}
END_TEST

START_TEST(test_many_sections_duplicate)
{
	size_t n = 40000, len;
	char *text = many_sections(n, 12345, &len), err[256] = "";
	struct upsconf conf;

	ck_assert_int_eq(upsconf_parse(&conf, "ups.conf", text, len, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ups.conf:80001: duplicate section '[s12345]' (first on line 24691)");
	ck_assert_uint_eq(conf.nsections, 0);
	free(text);
}
END_TEST

/* ---- config_build ----------------------------------------------------------- */

static void parse_text(struct upsconf *conf, const char *text)
{
	char err[256] = "";

	ck_assert_msg(upsconf_parse(conf, "ups.conf", text, strlen(text), err,
				    sizeof(err)) == 0, "%s", err);
}

static void render_settings(const struct setting *s, size_t n, char *out, size_t outsz)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len < outsz; i++)
		len += (size_t)snprintf(out + len, outsz - len, "%s%s%s%s", i ? "|" : "",
					s[i].key, s[i].value ? "=" : "",
					s[i].value ? s[i].value : "");
}

START_TEST(test_config_repeated_keys)
{
	static const char text[] =
		"[u]\n"
		"driver = genericups\n"
		"port = /dev/x\n"
		"upstype = 4\n"
		"override.battery.charge = 10\n"
		"default.battery.runtime = 60\n"
		"nolock\n"
		"OVERRIDE.Battery.Charge = 20\n"
		"upstype = 5\n"
		"default.battery.runtime = 90\n"
		"override.ups.mfr = X\n";
	struct options opt = { .upsname = "u", .use_conf = true };
	struct driver_config cfg;
	struct upsconf conf;
	char err[256] = "", out[512];

	parse_text(&conf, text);
	ck_assert_msg(config_build(&cfg, &opt, &conf, err, sizeof(err)) == 0, "%s", err);
	/* the last value wins, in the place of the first */
	ck_assert_int_eq(cfg.upstype, 5);
	render_settings(cfg.params, cfg.nparams, out, sizeof(out));
	ck_assert_str_eq(out, "port=/dev/x|upstype=5|OVERRIDE.Battery.Charge=20|"
			 "default.battery.runtime=90|nolock|override.ups.mfr=X");
	render_settings(cfg.overrides, cfg.noverrides, out, sizeof(out));
	ck_assert_str_eq(out, "Battery.Charge=20|ups.mfr=X");
	render_settings(cfg.defaults, cfg.ndefaults, out, sizeof(out));
	ck_assert_str_eq(out, "battery.runtime=90");
	config_free(&cfg);
	upsconf_free(&conf);
}
END_TEST

/* Each fails after settings were collected: upstype, overrides, params. */
static const char *const failing_configs[] = {
	"[u]\nport = /dev/x\noverride.a = 1\ndefault.b = 2\nnolock\nupstype = 4\nsdtime = -1\n",
	"[u]\nport = /dev/x\noverride.a = 1\ndefault.b = 2\nupstype = 4\nuptype = 4\n",
	"[u]\noverride.a = 1\ndefault.b = 2\nupstype = 4\n",
	"[u]\nport = /dev/x\noverride.a = 1\nupstype = 99\n",
	"[u]\nport = /dev/x\ndriver = usbhid-ups\noverride.a = 1\nupstype = 4\n",
};

START_TEST(test_config_failure_frees)
{
	struct options opt = { .upsname = "u", .use_conf = true };
	struct driver_config cfg;
	struct upsconf conf;
	char err[256];
	int i;

	parse_text(&conf, failing_configs[_i]);
	ck_assert_int_eq(config_build(&cfg, &opt, &conf, err, sizeof(err)), -1);
	ck_assert_msg(*err, "no error message");
	/* nothing is left to free: a failed reload drops cfg as it is */
	ck_assert_ptr_null(cfg.params);
	ck_assert_ptr_null(cfg.overrides);
	ck_assert_ptr_null(cfg.defaults);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	{
		size_t before;

		for (i = 0; i < 10; i++)	/* warm malloc's caches */
			config_build(&cfg, &opt, &conf, err, sizeof(err));
		before = mallinfo2().uordblks;
		for (i = 0; i < 2000; i++)
			config_build(&cfg, &opt, &conf, err, sizeof(err));
		/* a leak of one small array per failure would be > 100 kB */
		ck_assert_msg(mallinfo2().uordblks <= before + 4096,
			      "heap in use grew by %zu bytes over 2000 failed builds",
			      mallinfo2().uordblks - before);
	}
#else
	(void)i;
#endif
	upsconf_free(&conf);
}
END_TEST

/* A usb: identity is checked when the configuration is built, so that a
 * reload with a malformed one is a configuration error naming the line
 * (the driver keeps running) rather than a port change that makes
 * reload-or-exit exit into a start that fails. */
START_TEST(test_config_bad_usb_port)
{
	static const char text[] =
		"[u]\n"
		"upstype = 4\n"
		"port = \"usb:0403:60zz,if=1\"\n";
	struct options opt = { .upsname = "u", .use_conf = true };
	struct driver_config cfg;
	struct upsconf conf;
	char err[512] = "";

	parse_text(&conf, text);
	ck_assert_int_eq(config_build(&cfg, &opt, &conf, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "ups.conf:3: port 'usb:0403:60zz,if=1': expected usb:VID:PID"),
		      "%s", err);
	upsconf_free(&conf);
	parse_text(&conf, "[u]\nupstype = 4\nport = \"usb:1a86:7523,path=1-4.1,if=0\"\n");
	ck_assert_msg(config_build(&cfg, &opt, &conf, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.port, "usb:1a86:7523,path=1-4.1,if=0");
	config_free(&cfg);
	upsconf_free(&conf);
}
END_TEST

START_TEST(test_config_many_overrides_counted)
{
	size_t n = 40000, i, len = 0;
	struct options opt = { .upsname = "u", .use_conf = true };
	struct driver_config cfg;
	struct upsconf conf;
	char err[256] = "", *text;

	text = malloc(n * 48 + 64);
	ck_assert_ptr_nonnull(text);
	len += (size_t)sprintf(text, "[u]\nport = /dev/x\nupstype = 4\n");
	for (i = 0; i < n; i++)	/* every key twice: the second value wins */
		len += (size_t)sprintf(text + len, "override.x.%zu = %zu\n", i % (n / 2), i);
	parse_text(&conf, text);
	free(text);
	ncompare = 0;
	ck_assert_msg(config_build(&cfg, &opt, &conf, err, sizeof(err)) == 0, "%s", err);
	/* sorting is n log n (about 16 n here); a scan per key is n^2/4 */
	ck_assert_msg(ncompare < 64 * n, "%lu comparisons for %zu overrides", ncompare, n);
	ck_assert_uint_eq(cfg.noverrides, n / 2);
	ck_assert_uint_eq(cfg.nparams, 2 + n / 2);
	ck_assert_str_eq(cfg.overrides[0].key, "x.0");
	ck_assert_str_eq(cfg.overrides[0].value, "20000");
	ck_assert_str_eq(cfg.overrides[n / 2 - 1].key, "x.19999");
	ck_assert_str_eq(cfg.overrides[n / 2 - 1].value, "39999");
	ck_assert_str_eq(cfg.params[2].key, "override.x.0");
	config_free(&cfg);
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

	tc = tcase_create("scale");
	tcase_add_test(tc, test_many_sections_counted);
	tcase_add_test(tc, test_many_sections_duplicate);
	tcase_add_test(tc, test_config_many_overrides_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_repeated_keys);
	tcase_add_test(tc, test_config_bad_usb_port);
	tcase_add_loop_test(tc, test_config_failure_frees, 0, NELEM(failing_configs));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(upsconf_suite());
}
