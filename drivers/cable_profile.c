/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cable profiles (NUT's upstypes 0-23, spec nut-compat.md 1.2, "code"
 * column) and the strict parser for the CP/SD/OL/LB/RB/BYPASS overrides.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "cable_profile.h"

/* The table and the line source speak TIOCMGET/TIOCMSET bits directly. */
_Static_assert(ML_LE == TIOCM_LE, "ML_LE");
_Static_assert(ML_DTR == TIOCM_DTR, "ML_DTR");
_Static_assert(ML_RTS == TIOCM_RTS, "ML_RTS");
_Static_assert(ML_ST == TIOCM_ST, "ML_ST");
_Static_assert(ML_SR == TIOCM_SR, "ML_SR");
_Static_assert(ML_CTS == TIOCM_CTS, "ML_CTS");
_Static_assert(ML_DCD == TIOCM_CAR, "ML_DCD");
_Static_assert(ML_RNG == TIOCM_RNG, "ML_RNG");
_Static_assert(ML_DSR == TIOCM_DSR, "ML_DSR");

/* Shorthands for the table: a condition on one line, set or clear. */
#define SET(l)		{ (l), (l) }
#define CLR(l)		{ (l), 0 }
#define NONE		{ 0, 0 }

static const struct cable_profile cable_table[CABLE_NTYPES] = {
	[0] = { "UPSONIC", "LAN Saver 600", "UPSONIC LAN Saver 600",
		ML_DTR | ML_RTS, CLR(ML_CTS), SET(ML_DCD), NONE, NONE, ML_RTS },
	[1] = { "APC", "Back-UPS", "APC Back-UPS (940-0095A/C cable)",
		ML_DTR, CLR(ML_RNG), SET(ML_DCD), NONE, NONE, ML_RTS },
	[2] = { "APC", "Back-UPS", "APC Back-UPS (940-0020B/C cable)",
		ML_RTS, CLR(ML_CTS), SET(ML_DCD), NONE, NONE, ML_DTR | ML_RTS },
	[3] = { "PowerTech", "Comp1000", "PowerTech Comp1000 with DTR as cable power",
		ML_DTR, CLR(ML_CTS), SET(ML_DCD), NONE, NONE, ML_DTR | ML_RTS },
	[4] = { "Generic", "Generic RUPS model", "Generic RUPS model",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, 0 },
	[5] = { "TrippLite", "Internet Office Series",
		"Tripp Lite UPS with Lan2.2 interface (black 73-0844 cable)",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_DTR | ML_RTS },
	[6] = { "Best", "Patriot", "Best Patriot (INT51 cable)",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_RTS },
	[7] = { "CyberPower", "Power99", "CyberPower Power99",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_DTR },
	[8] = { "Nitram", "Elite UPS", "Nitram Elite 500",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, SD_UNSUPPORTED },
	[9] = { "APC", "Back-UPS", "APC Back-UPS (940-0023A cable)",
		0, CLR(ML_DCD), SET(ML_CTS), NONE, NONE, ML_RTS },
	[10] = { "Victron", "Lite", "Victron Lite (crack cable)",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_DTR },
	[11] = { "Powerware", "3115", "Powerware 3115",
		ML_DTR, CLR(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_ST },
	[12] = { "APC", "Back-UPS Office", "APC Back-UPS Office (940-0119A cable)",
		ML_RTS, CLR(ML_CTS), SET(ML_DCD), NONE, NONE, ML_DTR },
	[13] = { "RPT", "Repoteck", "Repoteck RPT-800A, RPT-162A",
		ML_DTR | ML_RTS, SET(ML_DCD), CLR(ML_CTS), NONE, NONE, ML_ST },
	[14] = { "Online", "P250, P500, P750, P1250", "Online P-series",
		ML_DTR, SET(ML_DCD), CLR(ML_CTS), NONE, NONE, ML_RTS },
	[15] = { "Powerware", "5119", "Powerware 5119",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_ST },
	[16] = { "Nitram", "Elite UPS", "Nitram Elite 2002",
		ML_DTR | ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, SD_UNSUPPORTED },
	[17] = { "PowerKinetics", "9001", "PowerKinetics 9001",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, SD_UNSUPPORTED },
	[18] = { "TrippLite", "Omni 450LAN", "TrippLite UPS with Martin's cabling",
		ML_DTR, SET(ML_CTS), SET(ML_DCD), NONE, NONE, SD_UNSUPPORTED },
	[19] = { "Fideltronik", "Ares Series", "Fideltronik Ares Series",
		ML_DTR, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_RTS },
	[20] = { "Powerware", "5119 RM", "Powerware 5119 RM",
		ML_DTR, CLR(ML_CTS), SET(ML_DCD), NONE, NONE, ML_ST },
	[21] = { "Generic", "Generic RUPS 2000", "Generic RUPS 2000 (Megatec M2501 cable)",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_RTS | ML_DTR },
	[22] = { "Gamatronic Electronic Industries", "Generic Alarm UPS",
		"Gamatronic UPSs with alarm interface",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), NONE, NONE, ML_DTR },
	[23] = { "Generic", "Generic FTTx Battery Backup",
		"FTTx (Fiber to the x) battery backup with 4-wire telemetry interface",
		ML_RTS, SET(ML_CTS), CLR(ML_DCD), CLR(ML_RNG), CLR(ML_DSR), 0 },
};

#undef SET
#undef CLR
#undef NONE

static const struct cable_line output_names[] = {
	{ "DTR", ML_DTR }, { "RTS", ML_RTS }, { "ST", ML_ST },
};

const struct cable_line cable_inputs[CABLE_NINPUTS] = {
	{ "CTS", ML_CTS }, { "DCD", ML_DCD }, { "RNG", ML_RNG }, { "DSR", ML_DSR },
};

#define NNAMES(a)	(sizeof(a) / sizeof((a)[0]))

#define OUTPUT_HELP "(outputs are DTR, RTS, ST; prefix '-' for clear; 'none' for no lines)"
#define INPUT_HELP  "(inputs are CTS, DCD, RNG, DSR; prefix '-' for clear; 'none' disables)"

const struct cable_profile *cable_profile_get(int type)
{
	if (type < 0 || type >= CABLE_NTYPES)
		return NULL;
	return &cable_table[type];
}

enum cable_sd_kind cable_sd_kind(int sd)
{
	if (sd == SD_UNSUPPORTED)
		return CABLE_SD_UNSUPPORTED;
	if (sd == ML_ST)
		return CABLE_SD_BREAK;
	if (sd == 0)
		return CABLE_SD_DROP_ALL;
	return CABLE_SD_LINES;
}

int cable_parse_upstype(const char *value, int *type, char *err, size_t errlen)
{
	const char *p;
	int n = 0;

	if (value == NULL)
		value = "";
	for (p = value; *p >= '0' && *p <= '9' && n < CABLE_NTYPES; p++)
		n = n * 10 + (*p - '0');
	if (*value == '\0' || *p != '\0' || n >= CABLE_NTYPES) {
		snprintf(err, errlen, "upstype '%s' is not a valid UPS type (0-%d)",
			 value, CABLE_NTYPES - 1);
		return -1;
	}
	*type = n;
	return 0;
}

/* One word of an override value, as a span of the value string. */
struct word {
	const char *s;
	size_t len;
};

static bool is_separator(char c)
{
	return c == '+' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next word at *pos; false at the end of the value. */
static bool next_word(const char **pos, struct word *w)
{
	const char *p = *pos;

	while (*p != '\0' && is_separator(*p))
		p++;
	if (*p == '\0')
		return false;
	w->s = p;
	while (*p != '\0' && !is_separator(*p))
		p++;
	w->len = (size_t)(p - w->s);
	*pos = p;
	return true;
}

static bool word_is(const struct word *w, const char *name)
{
	return strlen(name) == w->len && strncmp(w->s, name, w->len) == 0;
}

static bool word_is_none(const struct word *w)
{
	return word_is(w, "none") || word_is(w, "NULL");
}

/* The entry of names[] that w spells, NULL if none; nocase for hints. */
static const struct cable_line *find_name(const struct cable_line *names, size_t n,
					 const struct word *w, bool nocase)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(names[i].name) != w->len)
			continue;
		if (nocase ? strncasecmp(w->s, names[i].name, w->len) == 0
			   : strncmp(w->s, names[i].name, w->len) == 0)
			return &names[i];
	}
	return NULL;
}

/* What a set of lines accepts, and how its messages read. */
struct line_kind {
	const struct cable_line *names, *other;
	size_t nnames, nother;
	const char *other_what, *help, *none_means;
};

static const struct line_kind outputs = {
	output_names, cable_inputs, NNAMES(output_names), NNAMES(cable_inputs),
	"an input", OUTPUT_HELP, "for no lines",
};

static const struct line_kind inputs = {
	cable_inputs, output_names, NNAMES(cable_inputs), NNAMES(output_names),
	"an output", INPUT_HELP, "to disable it",
};

/* Message for a word that names no line of this kind. */
static void bad_word(const struct line_kind *k, const char *var, const struct word *w,
		     char *err, size_t errlen)
{
	struct word bare = *w;
	const struct cable_line *hint;

	if (bare.len > 1 && bare.s[0] == '-') {
		bare.s++;
		bare.len--;
	}
	if (find_name(k->other, k->nother, &bare, false) != NULL) {
		snprintf(err, errlen, "override %s: '%.*s' is %s, not allowed in %s %s",
			 var, (int)bare.len, bare.s, k->other_what, var, k->help);
		return;
	}
	hint = find_name(k->names, k->nnames, &bare, true);
	if (hint != NULL)
		snprintf(err, errlen, "override %s: unknown line '%.*s' (did you mean '%s'?)",
			 var, (int)w->len, w->s, hint->name);
	else if (w->len == 4 && strncasecmp(w->s, "none", 4) == 0)
		snprintf(err, errlen, "override %s: unknown line '%.*s' (did you mean 'none'?)",
			 var, (int)w->len, w->s);
	else
		snprintf(err, errlen, "override %s: unknown line '%.*s' %s",
			 var, (int)w->len, w->s, k->help);
}

/*
 * The common parser: *set gets the lines named plainly, *clear those named
 * with '-'; *none is true for a lone 'none'/'NULL'.
 */
static int parse_lines(const struct line_kind *k, const char *var, const char *value,
		       unsigned *set, unsigned *clear, bool *none, char *err, size_t errlen)
{
	const char *pos = value != NULL ? value : "";
	const struct cable_line *ln;
	struct word w, bare;
	unsigned nwords = 0;

	*set = *clear = 0;
	*none = false;
	while (next_word(&pos, &w)) {
		nwords++;
		if (word_is_none(&w)) {
			*none = true;
			continue;
		}
		bare = w;
		if (w.s[0] == '-') {
			bare.s++;
			bare.len--;
		}
		ln = find_name(k->names, k->nnames, &bare, false);
		if (ln == NULL) {
			bad_word(k, var, &w, err, errlen);
			return -1;
		}
		if (bare.s != w.s)
			*clear |= ln->bit;
		else
			*set |= ln->bit;
		if (*set & *clear & ln->bit) {
			snprintf(err, errlen, "override %s: line '%s' is both set and cleared in '%s'",
				 var, ln->name, value);
			return -1;
		}
	}
	if (nwords == 0) {
		snprintf(err, errlen, "override %s: empty value (use 'none' %s)",
			 var, k->none_means);
		return -1;
	}
	if (*none && nwords > 1) {
		snprintf(err, errlen, "override %s: 'none' cannot be combined with line names in '%s'",
			 var, value);
		return -1;
	}
	return 0;
}

int cable_parse_output(const char *var, const char *value, int *mask,
		       char *err, size_t errlen)
{
	unsigned set, clear;
	bool none;

	if (parse_lines(&outputs, var, value, &set, &clear, &none, err, errlen) < 0)
		return -1;
	*mask = (int)set;
	return 0;
}

int cable_parse_input(const char *var, const char *value, struct line_cond *cond,
		      char *err, size_t errlen)
{
	unsigned set, clear;
	bool none;

	if (parse_lines(&inputs, var, value, &set, &clear, &none, err, errlen) < 0)
		return -1;
	cond->line = set | clear;
	cond->val = set;
	return 0;
}

/* Append s to buf (with '+' between names), truncating safely. */
static void append_name(char *buf, size_t buflen, size_t *used, const char *prefix,
			const char *s)
{
	int n;

	if (*used >= buflen)
		return;
	n = snprintf(buf + *used, buflen - *used, "%s%s%s", *used > 0 ? "+" : "",
		     prefix, s);
	if (n > 0)
		*used += (size_t)n;
}

static const struct cable_line all_names[] = {
	{ "DTR", ML_DTR }, { "RTS", ML_RTS }, { "ST", ML_ST },
	{ "CTS", ML_CTS }, { "DCD", ML_DCD }, { "RNG", ML_RNG }, { "DSR", ML_DSR },
	{ "LE", ML_LE }, { "SR", ML_SR },
};

const char *cable_mask_name(unsigned mask, char *buf, size_t buflen)
{
	size_t i, used = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NNAMES(all_names); i++)
		if (mask & all_names[i].bit)
			append_name(buf, buflen, &used, "", all_names[i].name);
	if (used == 0)
		snprintf(buf, buflen, "none");
	return buf;
}

const char *cable_cond_name(const struct line_cond *c, char *buf, size_t buflen)
{
	size_t i, used = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NNAMES(all_names); i++)
		if (c->line & all_names[i].bit)
			append_name(buf, buflen, &used,
				    (c->val & all_names[i].bit) ? "" : "-", all_names[i].name);
	if (used == 0)
		snprintf(buf, buflen, "none");
	return buf;
}
