/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: ups.conf text through upsconf_parse() (common/upsconf.c,
 * on the NUT tokenizer) and, for each section, config_build()
 * (drivers/options.c) as the driver runs it with -a NAME.
 *
 * Checked, beyond "does not crash":
 * - parse: a failure is "ups.conf:LINE: what" with LINE within the text and
 *   leaves nothing behind; a success has every line number within the text,
 *   in file order, each entry after its section's header, unique section
 *   names, keys that are neither empty nor "=" and no byte outside 0x20-0x7E;
 * - round trip: the model written back as ups.conf (every word quoted with
 *   tok_encode) parses to the same model, line by line;
 * - config_build: a failure names its input ("ups.conf:LINE: ...", or says
 *   which setting is missing); a success is within every documented range;
 *   building twice gives the same config, which a reload would accept as is;
 *   without a global part, the section given as -x settings builds the same
 *   config or fails with the same message;
 * - a section that does not exist is refused, naming it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nut_tokenizer.h"
#include "options.h"
#include "upsconf.h"
#include "fuzz.h"

#define CONF_NAME	"ups.conf"
#define MAX_BUILDS	4	/* sections built per input */

/* ---- the ups.conf model ---------------------------------------------------- */

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned n = 1;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_word(const char *w, const char *what)
{
	const unsigned char *p;

	FUZZ_CHECK(strlen(w) <= TOK_MAX_WORDLEN, "%s longer than a word: %zu", what, strlen(w));
	for (p = (const unsigned char *)w; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e, "%s '%s' keeps byte %#x", what, w, *p);
}

static void check_failed_parse(const struct upsconf *conf, const char *err, unsigned nlines)
{
	unsigned long line;
	char *end;

	FUZZ_CHECK(conf->nentries == 0 && conf->nsections == 0 && !conf->entries &&
		   !conf->sections && !conf->path, "a failed parse left a model behind");
	FUZZ_CHECK(strncmp(err, CONF_NAME ":", strlen(CONF_NAME ":")) == 0,
		   "error '%s' does not start with " CONF_NAME ":", err);
	line = strtoul(err + strlen(CONF_NAME ":"), &end, 10);
	FUZZ_CHECK(end != err + strlen(CONF_NAME ":") && line >= 1 && line <= nlines,
		   "error '%s' names no line of the %u", err, nlines);
	FUZZ_CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0',
		   "error '%s' has no text after the line", err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_model(const struct upsconf *conf, unsigned nlines)
{
	const char **names = calloc(conf->nsections + 1, sizeof(*names));
	size_t i, sec = 0;
	unsigned prev = 0;

	if (!names)
		abort();
	FUZZ_CHECK(conf->path && !strcmp(conf->path, CONF_NAME), "path not kept");
	for (i = 0; i < conf->nsections; i++) {
		const struct upsconf_section *s = &conf->sections[i];

		FUZZ_CHECK(s->name[0] != '\0', "empty section name");
		FUZZ_CHECK(!strchr(s->name, ']'), "section name '%s' with ']'", s->name);
		check_word(s->name, "section name");
		FUZZ_CHECK(s->line >= 1 && s->line <= nlines && s->line > prev,
			   "section [%s] on line %u of %u (previous %u)", s->name, s->line,
			   nlines, prev);
		prev = s->line;
		names[i] = s->name;
	}
	qsort(names, conf->nsections, sizeof(*names), cmp_names);
	for (i = 1; i < conf->nsections; i++)
		FUZZ_CHECK(strcmp(names[i - 1], names[i]) != 0, "section [%s] twice", names[i]);
	free(names);
	if (conf->nsections)	/* a name that is there is found */
		FUZZ_CHECK(upsconf_find_section(conf, conf->sections[conf->nsections - 1].name) ==
			   &conf->sections[conf->nsections - 1], "last section not found by name");

	/* entries in file order; each belongs to the last header before it */
	prev = 0;
	for (i = 0; i < conf->nentries; i++) {
		const struct upsconf_entry *e = &conf->entries[i];

		FUZZ_CHECK(e->key[0] != '\0' && strcmp(e->key, "=") != 0 && e->key[0] != '[',
			   "bad key '%s'", e->key);
		check_word(e->key, "key");
		if (e->value)
			check_word(e->value, "value");
		FUZZ_CHECK(e->line >= 1 && e->line <= nlines && e->line >= prev,
			   "entry '%s' on line %u of %u (previous %u)", e->key, e->line, nlines, prev);
		prev = e->line;
		while (sec < conf->nsections && conf->sections[sec].line < e->line)
			sec++;
		if (sec == 0)
			FUZZ_CHECK(!e->section, "entry '%s' (line %u) before any header is in [%s]",
				   e->key, e->line, e->section);
		else
			FUZZ_CHECK(e->section == conf->sections[sec - 1].name,
				   "entry '%s' (line %u) is in [%s], not in [%s] (line %u)", e->key,
				   e->line, e->section ? e->section : "(global)",
				   conf->sections[sec - 1].name, conf->sections[sec - 1].line);
	}
}

/* ---- round trip ------------------------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
	unsigned line;	/* lines written so far */
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			abort();
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

static void text_add_quoted(struct text *t, const char *pre, const char *s, const char *post)
{
	size_t need = tok_encode(NULL, 0, s);
	char *enc = malloc(need + 1);

	if (!enc)
		abort();
	FUZZ_CHECK(tok_encode(enc, need + 1, s) == need && strlen(enc) == need,
		   "tok_encode of '%s' is not %zu bytes", s, need);
	text_add(t, "\"");
	text_add(t, pre);
	text_add(t, enc);
	text_add(t, post);
	text_add(t, "\"");
	free(enc);
}

static void render_entry(struct text *t, const struct upsconf_entry *e)
{
	text_add(t, "\t");
	text_add_quoted(t, "", e->key, "");
	if (e->value) {
		text_add(t, " = ");
		text_add_quoted(t, "", e->value, "");
	}
	text_add(t, "\n");
}

/* Write conf as ups.conf, every word quoted: the global part, then each
 * section's header and entries. lines[] gets the line of each entry,
 * seclines[] of each section header. */
static void render(const struct upsconf *conf, struct text *t, unsigned *lines,
		   unsigned *seclines)
{
	size_t i = 0, sec;

	text_add(t, "# written back\n");
	t->line = 2;
	for (; i < conf->nentries && !conf->entries[i].section; i++) {
		render_entry(t, &conf->entries[i]);
		lines[i] = t->line++;
	}
	for (sec = 0; sec < conf->nsections; sec++) {
		text_add_quoted(t, "[", conf->sections[sec].name, "]");
		text_add(t, "\n");
		seclines[sec] = t->line++;
		for (; i < conf->nentries && conf->entries[i].section == conf->sections[sec].name;
		     i++) {
			render_entry(t, &conf->entries[i]);
			lines[i] = t->line++;
		}
	}
	FUZZ_CHECK(i == conf->nentries, "entry %zu is out of section order", i);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

static void check_round_trip(const struct upsconf *conf)
{
	struct text t = { 0 };
	struct upsconf back;
	unsigned *lines = calloc(conf->nentries + 1, sizeof(*lines));
	unsigned *seclines = calloc(conf->nsections + 1, sizeof(*seclines));
	char err[512];
	size_t i;

	if (!lines || !seclines)
		abort();
	render(conf, &t, lines, seclines);
	FUZZ_CHECK(upsconf_parse(&back, CONF_NAME, t.buf, t.len, err, sizeof(err)) == 0,
		   "written back, the model does not parse: %s\n---\n%s---", err, t.buf);
	FUZZ_CHECK(back.nsections == conf->nsections && back.nentries == conf->nentries,
		   "written back: %zu sections %zu entries, not %zu and %zu\n---\n%s---",
		   back.nsections, back.nentries, conf->nsections, conf->nentries, t.buf);
	for (i = 0; i < conf->nsections; i++)
		FUZZ_CHECK(!strcmp(back.sections[i].name, conf->sections[i].name) &&
			   back.sections[i].line == seclines[i],
			   "written back, section %zu is [%s]@%u, not [%s]@%u", i,
			   back.sections[i].name, back.sections[i].line,
			   conf->sections[i].name, seclines[i]);
	for (i = 0; i < conf->nentries; i++) {
		const struct upsconf_entry *a = &conf->entries[i], *b = &back.entries[i];

		FUZZ_CHECK(!strcmp(a->key, b->key) && str_eq(a->value, b->value) &&
			   str_eq(a->section, b->section) && b->line == lines[i],
			   "written back, entry %zu differs: '%s'='%s' in [%s] line %u\n---\n%s---",
			   i, b->key, b->value ? b->value : "(flag)",
			   b->section ? b->section : "", b->line, t.buf);
	}
	upsconf_free(&back);
	free(t.buf);
	free(lines);
	free(seclines);
}

/* ---- config_build ------------------------------------------------------------ */

static void check_config_failure(const char *err, const char *upsname)
{
	char want[600];

	FUZZ_CHECK(err[0] != '\0', "[%s]: config_build failed without a message", upsname);
	fuzz_check_err_terminated(err, 512);
	if (!strncmp(err, CONF_NAME ":", strlen(CONF_NAME ":"))) {
		char *end;
		unsigned long line = strtoul(err + strlen(CONF_NAME ":"), &end, 10);

		FUZZ_CHECK(line >= 1 && end[0] == ':' && end[1] == ' ' && end[2],
			   "[%s]: error '%s' names no line", upsname, err);
		return;
	}
	if (!strncmp(err, "no upstype set", 14))
		return;
	snprintf(want, sizeof(want), "no port for UPS [%s]", upsname);
	FUZZ_CHECK(!strncmp(err, want, strlen(want)) || !strcmp(err, "out of memory"),
		   "[%s]: error '%s' names no input", upsname, err);
}

static void check_setting_list(const struct setting *s, size_t n, const char *what,
			       bool unique)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		FUZZ_CHECK(s[i].key && s[i].key[0], "%s %zu without a key", what, i);
		FUZZ_CHECK(memchr(s[i].origin, '\0', sizeof(s[i].origin)) && s[i].origin[0],
			   "%s '%s' without an origin", what, s[i].key);
		for (j = 0; unique && j < i; j++)
			FUZZ_CHECK(strcasecmp(s[i].key, s[j].key) != 0, "%s '%s' twice", what, s[i].key);
	}
}

static void check_cond(const struct line_cond *c, const char *what)
{
	FUZZ_CHECK((c->line & ~(unsigned)ML_INPUTS) == 0 && (c->val & ~c->line) == 0,
		   "%s condition %#x/%#x", what, c->line, c->val);
}

static void check_config(const struct driver_config *cfg, const char *upsname)
{
	int i;

	FUZZ_CHECK(cfg->port != NULL, "[%s]: built without a port", upsname);
	FUZZ_CHECK(cfg->upstype >= 0 && cfg->upstype < CABLE_NTYPES, "upstype %d", cfg->upstype);
	FUZZ_CHECK(cfg->mfr && cfg->model, "no mfr or model");
	FUZZ_CHECK((cfg->profile.cp & ~ML_OUTPUTS) == 0, "CP %#x", cfg->profile.cp);
	FUZZ_CHECK(cfg->profile.sd == SD_UNSUPPORTED || (cfg->profile.sd & ~ML_OUTPUTS) == 0,
		   "SD %#x", cfg->profile.sd);
	check_cond(&cfg->profile.ol, "OL");
	check_cond(&cfg->profile.lb, "LB");
	check_cond(&cfg->profile.rb, "RB");
	check_cond(&cfg->profile.bypass, "BYPASS");
	FUZZ_CHECK(cfg->sdtime <= 3600, "sdtime %u", cfg->sdtime);
	for (i = 0; i < DB_NSIG; i++)
		FUZZ_CHECK(cfg->db.delay_ms[i] <= 3600u * 1000, "delay %d = %u ms", i,
			   cfg->db.delay_ms[i]);
	FUZZ_CHECK(cfg->flap.count >= 2 && cfg->flap.count <= FLAP_MAX_COUNT, "flapcount %u",
		   cfg->flap.count);
	FUZZ_CHECK(cfg->flap.window_ms > 0 && cfg->flap.window_ms <= 86400u * 1000,
		   "flapwindow %u ms", cfg->flap.window_ms);
	FUZZ_CHECK(cfg->pollinterval >= 1 && cfg->pollinterval <= 86400, "pollinterval %d",
		   cfg->pollinterval);
	FUZZ_CHECK(cfg->linepoll_ms >= LINEPOLL_MIN_MS && cfg->linepoll_ms <= 60000,
		   "linepoll %u ms", cfg->linepoll_ms);
	FUZZ_CHECK(cfg->synchronous >= -1 && cfg->synchronous <= 1, "synchronous %d",
		   cfg->synchronous);
	FUZZ_CHECK(cfg->debug_min >= 0 && cfg->debug_min <= 100, "debug_min %d", cfg->debug_min);
	check_setting_list(cfg->params, cfg->nparams, "parameter", false);
	check_setting_list(cfg->overrides, cfg->noverrides, "override", true);
	check_setting_list(cfg->defaults, cfg->ndefaults, "default", true);
}

static bool settings_equal(const struct setting *a, size_t na, const struct setting *b,
			   size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) || !str_eq(a[i].value, b[i].value) ||
		    strcmp(a[i].origin, b[i].origin))
			return false;
	return true;
}

/* Field by field (the struct has padding). */
static bool configs_equal(const struct driver_config *a, const struct driver_config *b)
{
	return str_eq(a->port, b->port) && a->upstype == b->upstype &&
	       !memcmp(&a->profile.ol, &b->profile.ol, sizeof(a->profile.ol)) &&
	       !memcmp(&a->profile.lb, &b->profile.lb, sizeof(a->profile.lb)) &&
	       !memcmp(&a->profile.rb, &b->profile.rb, sizeof(a->profile.rb)) &&
	       !memcmp(&a->profile.bypass, &b->profile.bypass, sizeof(a->profile.bypass)) &&
	       a->profile.cp == b->profile.cp && a->profile.sd == b->profile.sd &&
	       str_eq(a->mfr, b->mfr) && str_eq(a->model, b->model) &&
	       str_eq(a->serial, b->serial) && a->sdtime == b->sdtime &&
	       !memcmp(&a->db, &b->db, sizeof(a->db)) && a->flap.count == b->flap.count &&
	       a->flap.window_ms == b->flap.window_ms && a->pollinterval == b->pollinterval &&
	       a->pollonly == b->pollonly && a->linepoll_ms == b->linepoll_ms &&
	       str_eq(a->user, b->user) && str_eq(a->group, b->group) &&
	       str_eq(a->chroot_dir, b->chroot_dir) && a->synchronous == b->synchronous &&
	       a->debug_min == b->debug_min && a->nolock == b->nolock &&
	       a->ignorelb == b->ignorelb && a->allow_killpower == b->allow_killpower &&
	       str_eq(a->sdcommands, b->sdcommands) &&
	       settings_equal(a->params, a->nparams, b->params, b->nparams) &&
	       settings_equal(a->overrides, a->noverrides, b->overrides, b->noverrides) &&
	       settings_equal(a->defaults, a->ndefaults, b->defaults, b->ndefaults);
}

/* The section's entries as -x settings, with the origins ups.conf would give. */
static struct options *xvars_from_section(const struct upsconf *conf, const char *name)
{
	struct options *opt = calloc(1, sizeof(*opt));
	size_t i;

	if (!opt)
		abort();
	opt->progname = "genericups";
	opt->upsname = name;
	opt->xvars = calloc(conf->nentries + 1, sizeof(*opt->xvars));
	if (!opt->xvars)
		abort();
	for (i = 0; i < conf->nentries; i++) {
		const struct upsconf_entry *e = &conf->entries[i];
		struct setting *s;

		if (!e->section || strcmp(e->section, name))
			continue;
		s = &opt->xvars[opt->nxvars++];
		s->key = e->key;
		s->value = e->value;
		snprintf(s->origin, sizeof(s->origin), CONF_NAME ":%u", e->line);
	}
	return opt;
}

static void check_build(const struct upsconf *conf, const char *name, bool no_globals)
{
	struct options opt = { .progname = "genericups", .upsname = name, .use_conf = true };
	struct driver_config cfg, again, viax;
	struct options *xopt;
	char err[512], err2[512], errx[512];
	int rc, rc2, rcx;

	memset(err, 0, sizeof(err));
	rc = config_build(&cfg, &opt, conf, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "config_build returned %d", rc);
	if (rc == 0)
		check_config(&cfg, name);
	else
		check_config_failure(err, name);

	/* the same input builds the same config; a reload takes it as is */
	memset(err2, 0, sizeof(err2));
	rc2 = config_build(&again, &opt, conf, err2, sizeof(err2));
	FUZZ_CHECK(rc2 == rc && (rc ? !strcmp(err, err2) : configs_equal(&cfg, &again)),
		   "[%s]: two builds differ (%d '%s', %d '%s')", name, rc, err, rc2, err2);
	if (rc == 0)
		FUZZ_CHECK(!strcmp(config_unreloadable_change(&cfg, &again), ""),
			   "[%s]: a reload of the same file changes '%s'", name,
			   config_unreloadable_change(&cfg, &again));

	/* -s NAME -x ...: the same settings, the same result */
	if (no_globals) {
		xopt = xvars_from_section(conf, name);
		xopt->use_conf = false;
		memset(errx, 0, sizeof(errx));
		rcx = config_build(&viax, xopt, NULL, errx, sizeof(errx));
		FUZZ_CHECK(rcx == rc && (rc ? !strcmp(err, errx) : configs_equal(&cfg, &viax)),
			   "[%s]: as ups.conf %d '%s', as -x %d '%s'", name, rc, err, rcx, errx);
		if (rcx == 0)
			config_free(&viax);
		free(xopt->xvars);
		free(xopt);
	}
	if (rc == 0) {
		config_free(&cfg);
		config_free(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upsconf conf;
	char err[512];
	unsigned nlines = count_lines(data, size);
	struct options opt = { .progname = "genericups", .use_conf = true };
	struct driver_config cfg;
	bool no_globals;
	size_t i;

	memset(err, 0x7f, sizeof(err));
	if (upsconf_parse(&conf, CONF_NAME, (const char *)data, size, err, sizeof(err)) < 0) {
		fuzz_check_err_terminated(err, sizeof(err));
		check_failed_parse(&conf, err, nlines);
		return 0;
	}
	check_model(&conf, nlines);
	check_round_trip(&conf);

	no_globals = conf.nentries == 0 || conf.entries[0].section != NULL;
	for (i = 0; i < conf.nsections && i < MAX_BUILDS; i++)
		check_build(&conf, conf.sections[i].name, no_globals);

	/* a section that is not there */
	opt.upsname = "no such ups";
	FUZZ_CHECK(upsconf_find_section(&conf, opt.upsname) ||
		   (config_build(&cfg, &opt, &conf, err, sizeof(err)) == -1 &&
		    !strcmp(err, "section [no such ups] not found in " CONF_NAME)),
		   "missing section: '%s'", err);
	upsconf_free(&conf);
	return 0;
}
