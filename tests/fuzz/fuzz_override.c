/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the override parser (cable_parse_output for CP/SD,
 * cable_parse_input for OL/LB/RB/BYPASS).
 *
 * Input: byte 0 picks the variable (low 3 bits) and the error buffer size
 * (bit 7: a short one, sized by bits 3-6); the rest is the value.
 * Checked, beyond "does not crash":
 * - the result agrees with a small reference model written from the header's
 *   rules (words split on '+' ',' or blanks, case-sensitive names, '-'
 *   prefix, a lone none/NULL), both in outcome and in the kind of error;
 * - an error names the variable and the bad word, and leaves the output alone;
 * - a short error buffer holds the start of the full message, NUL-terminated;
 * - a parsed value rendered by cable_mask_name/cable_cond_name parses back to
 *   the same lines; rendering into every shorter buffer stays inside it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cable_profile.h"
#include "fuzz.h"

#define FULL_ERRLEN 8192	/* larger than any value the fuzzer makes */

struct ref_line {
	const char *name;
	unsigned bit;
};

static const struct ref_line ref_outputs[] = {
	{ "DTR", ML_DTR }, { "RTS", ML_RTS }, { "ST", ML_ST },
};
static const struct ref_line ref_inputs[] = {
	{ "CTS", ML_CTS }, { "DCD", ML_DCD }, { "RNG", ML_RNG }, { "DSR", ML_DSR },
};

enum ref_result {
	REF_OK,
	REF_EMPTY,		/* no words */
	REF_OTHER_KIND,		/* an input name in CP/SD, an output name in OL... */
	REF_UNKNOWN,		/* any other word */
	REF_BOTH,		/* the same line set and cleared */
	REF_NONE_MIXED,		/* none with line names */
};

struct ref_outcome {
	enum ref_result result;
	unsigned set, clear;
	bool none;
	char bad_word[FULL_ERRLEN];	/* the word an error names */
};

static bool ref_is_sep(char c)
{
	return c == '+' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const struct ref_line *ref_find(const struct ref_line *tab, size_t n,
				       const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(tab[i].name) == len && memcmp(tab[i].name, w, len) == 0)
			return &tab[i];
	return NULL;
}

static void ref_parse(const char *value, bool outputs, struct ref_outcome *o)
{
	const struct ref_line *names = outputs ? ref_outputs : ref_inputs;
	const struct ref_line *other = outputs ? ref_inputs : ref_outputs;
	size_t nnames = outputs ? 3 : 4, nother = outputs ? 4 : 3;
	const char *p = value;
	unsigned nwords = 0;

	memset(o, 0, sizeof(*o));
	for (;;) {
		const char *w, *bare;
		size_t len, barelen;
		const struct ref_line *ln;

		while (*p && ref_is_sep(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !ref_is_sep(*p))
			p++;
		len = (size_t)(p - w);
		nwords++;
		if ((len == 4 && !memcmp(w, "none", 4)) || (len == 4 && !memcmp(w, "NULL", 4))) {
			o->none = true;
			continue;
		}
		bare = w[0] == '-' ? w + 1 : w;
		barelen = len - (size_t)(bare - w);
		ln = ref_find(names, nnames, bare, barelen);
		if (!ln) {
			/* a lone "-" is not stripped when the message names the word */
			const char *mbare = len > 1 && w[0] == '-' ? w + 1 : w;
			size_t mlen = len - (size_t)(mbare - w);

			if (ref_find(other, nother, mbare, mlen)) {
				o->result = REF_OTHER_KIND;
				memcpy(o->bad_word, mbare, mlen);
				o->bad_word[mlen] = '\0';
			} else {
				o->result = REF_UNKNOWN;
				memcpy(o->bad_word, w, len);
				o->bad_word[len] = '\0';
			}
			return;
		}
		if (bare != w)
			o->clear |= ln->bit;
		else
			o->set |= ln->bit;
		if (o->set & o->clear & ln->bit) {
			o->result = REF_BOTH;
			snprintf(o->bad_word, sizeof(o->bad_word), "%s", ln->name);
			return;
		}
	}
	if (nwords == 0)
		o->result = REF_EMPTY;
	else if (o->none && nwords > 1)
		o->result = REF_NONE_MIXED;
}

/* The phrase each kind of error must contain. */
static const char *ref_phrase(enum ref_result r, bool outputs)
{
	switch (r) {
	case REF_EMPTY:
		return "empty value";
	case REF_OTHER_KIND:
		return outputs ? "is an input, not allowed" : "is an output, not allowed";
	case REF_UNKNOWN:
		return "unknown line '";
	case REF_BOTH:
		return "is both set and cleared";
	case REF_NONE_MIXED:
		return "'none' cannot be combined";
	default:
		return "";
	}
}

static int parse(bool outputs, const char *var, const char *value, unsigned *line,
		 unsigned *val, char *err, size_t errlen)
{
	if (outputs) {
		int mask = (int)*line;
		int rc = cable_parse_output(var, value, &mask, err, errlen);

		*line = (unsigned)mask;
		*val = (unsigned)mask;
		return rc;
	} else {
		struct line_cond c = { *line, *val };
		int rc = cable_parse_input(var, value, &c, err, errlen);

		*line = c.line;
		*val = c.val;
		return rc;
	}
}

/* Render lines into every buffer size up to the full one: each result is the
 * start of the full text and stays inside its buffer. */
static void check_render(bool outputs, unsigned line, unsigned val, char *full, size_t fulllen)
{
	struct line_cond c = { line, val };
	size_t n, len;

	if (outputs)
		cable_mask_name(line, full, fulllen);
	else
		cable_cond_name(&c, full, fulllen);
	len = strlen(full);
	FUZZ_CHECK(len > 0 && len < fulllen, "rendered text '%s' empty or too long", full);
	for (n = 0; n <= len + 1; n++) {
		char *buf = malloc(n ? n : 1);
		const char *ret;

		if (!buf)
			abort();
		ret = outputs ? cable_mask_name(line, buf, n) : cable_cond_name(&c, buf, n);
		FUZZ_CHECK(ret == buf, "name function did not return its buffer");
		if (n > 0) {
			FUZZ_CHECK(memchr(buf, '\0', n) != NULL, "name not terminated in %zu bytes", n);
			FUZZ_CHECK(strncmp(buf, full, strlen(buf)) == 0,
				   "short name '%s' is not the start of '%s'", buf, full);
		}
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vars[8] = { "CP", "SD", "OL", "LB", "RB", "BYPASS", "OL", "SD" };
	static char err[FULL_ERRLEN], err2[FULL_ERRLEN];
	struct ref_outcome *ref;
	const char *var;
	bool outputs, short_err;
	size_t short_len;
	char *value, *sbuf, name[128];
	unsigned line, val, line2, val2;
	int rc, rc2;

	if (size < 1)
		return 0;
	var = vars[data[0] & 7];
	outputs = var[0] == 'C' || var[0] == 'S';
	short_err = (data[0] & 0x80) != 0;
	short_len = (data[0] >> 3) & 15;
	value = fuzz_strndup(data + 1, size - 1);
	ref = malloc(sizeof(*ref));
	if (!ref)
		abort();

	/* the full run, against the model */
	line = 0x5a5a;
	val = 0xa5a5;
	memset(err, 0x7f, sizeof(err));
	rc = parse(outputs, var, value, &line, &val, err, sizeof(err));
	ref_parse(value, outputs, ref);
	FUZZ_CHECK(rc == 0 || rc == -1, "return %d", rc);
	FUZZ_CHECK((rc == 0) == (ref->result == REF_OK),
		   "%s='%s': parser says %d (%s), model says %d", var, value, rc,
		   rc ? err : "", ref->result);
	if (rc == 0) {
		if (outputs) {
			FUZZ_CHECK(line == (ref->none ? 0 : ref->set),
				   "%s='%s': mask %#x, model %#x", var, value, line, ref->set);
			FUZZ_CHECK((line & ~(unsigned)ML_OUTPUTS) == 0, "mask %#x has non-outputs", line);
		} else {
			FUZZ_CHECK(line == (ref->set | ref->clear) && val == ref->set,
				   "%s='%s': cond %#x/%#x, model %#x/%#x", var, value, line, val,
				   ref->set | ref->clear, ref->set);
			FUZZ_CHECK((line & ~(unsigned)ML_INPUTS) == 0 && (val & ~line) == 0,
				   "cond %#x/%#x out of range", line, val);
		}
		/* round trip through the name functions */
		check_render(outputs, line, val, name, sizeof(name));
		line2 = 0x5a5a;
		val2 = 0xa5a5;
		rc2 = parse(outputs, var, name, &line2, &val2, err2, sizeof(err2));
		FUZZ_CHECK(rc2 == 0 && line2 == line && (outputs || val2 == val),
			   "%s='%s' -> '%s' does not parse back (%s)", var, value, name,
			   rc2 ? err2 : "different lines");
	} else {
		char prefix[32];

		FUZZ_CHECK(line == 0x5a5a && (outputs || val == 0xa5a5),
			   "%s='%s': a failed parse changed the output", var, value);
		fuzz_check_err_terminated(err, sizeof(err));
		snprintf(prefix, sizeof(prefix), "override %s: ", var);
		FUZZ_CHECK(strncmp(err, prefix, strlen(prefix)) == 0,
			   "error '%s' does not start with '%s'", err, prefix);
		FUZZ_CHECK(strstr(err, ref_phrase(ref->result, outputs)) != NULL,
			   "%s='%s': error '%s' is not of the kind '%s'", var, value, err,
			   ref_phrase(ref->result, outputs));
		if (ref->result == REF_UNKNOWN || ref->result == REF_OTHER_KIND ||
		    ref->result == REF_BOTH) {
			char quoted[FULL_ERRLEN + 2];

			snprintf(quoted, sizeof(quoted), "'%s'", ref->bad_word);
			FUZZ_CHECK(strstr(err, quoted) != NULL,
				   "%s='%s': error '%s' does not name %s", var, value, err, quoted);
		}
		/* a short buffer holds the start of the same message */
		if (short_err) {
			sbuf = malloc(short_len ? short_len : 1);
			if (!sbuf)
				abort();
			line2 = 0x5a5a;
			val2 = 0xa5a5;
			rc2 = parse(outputs, var, value, &line2, &val2, sbuf, short_len);
			FUZZ_CHECK(rc2 == -1, "second parse of the same value succeeded");
			fuzz_check_err_prefix(sbuf, short_len, err);
			free(sbuf);
		}
	}
	free(ref);
	free(value);
	return 0;
}
