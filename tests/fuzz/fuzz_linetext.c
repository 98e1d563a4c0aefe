/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the text of a sim: port file ("CTS=1 DCD=0 RNG=0 DSR=0"),
 * line_text_parse() in drivers/line_source.c.
 *
 * Input: byte 0 sizes the error buffer (0 = the full 160 bytes the sim
 * source uses, else that many bytes, allocated exactly); the rest is the
 * file text (a NUL ends it, as the sim source reads a C string).
 * Checked, beyond "does not crash":
 * - the result agrees with a reference model of the header's rule (words
 *   split on blanks, each LINE=0 or LINE=1, LINE one of CTS DCD RNG DSR in
 *   any case, a word of 64 bytes or more refused), in outcome, in the bits
 *   and in the kind of error;
 * - only input bits are ever set; an error is a non-empty message that fits
 *   its buffer and, in a short buffer, is the start of the full one;
 * - the bits written back as "CTS=n DCD=n RNG=n DSR=n" (any case, any blank)
 *   parse to the same bits;
 * - what the sim source reads (the first 255 bytes) behaves like the model.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cable_profile.h"
#include "line_source.h"
#include "fuzz.h"

#define SIM_ERRLEN	160	/* line_sim.c's buffer */
#define SIM_READ_MAX	255	/* line_sim.c reads at most this much */
#define WORD_MAX	63

enum ref_result { REF_OK, REF_TOO_LONG, REF_NOT_ASSIGNMENT, REF_UNKNOWN_LINE };

static const struct { const char *name; unsigned bit; } ref_lines[] = {
	{ "CTS", ML_CTS }, { "DCD", ML_DCD }, { "RNG", ML_RNG }, { "DSR", ML_DSR },
};

static bool ref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static enum ref_result ref_parse(const char *text, unsigned *bits)
{
	const char *p = text;

	*bits = 0;
	for (;;) {
		const char *w, *eq;
		size_t len, i, namelen;
		bool found = false;

		while (*p && ref_space(*p))
			p++;
		if (!*p)
			return REF_OK;
		w = p;
		while (*p && !ref_space(*p))
			p++;
		len = (size_t)(p - w);
		if (len > WORD_MAX)
			return REF_TOO_LONG;
		eq = memchr(w, '=', len);
		if (!eq || (size_t)(p - eq) != 2 || (eq[1] != '0' && eq[1] != '1'))
			return REF_NOT_ASSIGNMENT;
		namelen = (size_t)(eq - w);
		for (i = 0; i < 4; i++) {
			if (namelen == 3 && !strncasecmp(w, ref_lines[i].name, 3)) {
				found = true;
				if (eq[1] == '1')
					*bits |= ref_lines[i].bit;
			}
		}
		if (!found)
			return REF_UNKNOWN_LINE;
	}
}

static const char *ref_phrase(enum ref_result r)
{
	switch (r) {
	case REF_TOO_LONG:
		return "word too long near '";
	case REF_NOT_ASSIGNMENT:
		return "is not LINE=0 or LINE=1";
	case REF_UNKNOWN_LINE:
		return "unknown line '";
	default:
		return "";
	}
}

static void check_one(const char *text, size_t short_len)
{
	char err[SIM_ERRLEN];
	enum ref_result want;
	unsigned bits = 0xdead, want_bits;
	int rc;

	memset(err, 0x7f, sizeof(err));
	rc = line_text_parse(text, &bits, err, sizeof(err));
	want = ref_parse(text, &want_bits);
	FUZZ_CHECK(rc == 0 || rc == -1, "return %d", rc);
	FUZZ_CHECK((rc == 0) == (want == REF_OK), "'%s': parser %d (%s), model %d",
		   text, rc, rc ? err : "", want);
	if (rc == 0) {
		FUZZ_CHECK(bits == want_bits, "'%s': bits %#x, model %#x", text, bits, want_bits);
		FUZZ_CHECK((bits & ~(unsigned)ML_INPUTS) == 0, "bits %#x beyond the inputs", bits);
		return;
	}
	fuzz_check_err_terminated(err, sizeof(err));
	FUZZ_CHECK(err[0] != '\0', "'%s': failure without a message", text);
	FUZZ_CHECK(strstr(err, ref_phrase(want)) != NULL, "'%s': error '%s' is not of the kind '%s'",
		   text, err, ref_phrase(want));
	if (short_len) {
		char *sbuf = malloc(short_len);

		if (!sbuf)
			abort();
		FUZZ_CHECK(line_text_parse(text, &bits, sbuf, short_len) == -1,
			   "'%s': second parse succeeded", text);
		fuzz_check_err_prefix(sbuf, short_len, err);
		free(sbuf);
	}
}

/* The bits written back in the sim file's format parse to the same bits. */
static void check_round_trip(unsigned bits, uint8_t style)
{
	static const char *const seps[4] = { " ", "\t", "  ", "\r\n" };
	char text[128], err[SIM_ERRLEN];
	size_t i, len = 0;
	unsigned back = 0;

	for (i = 0; i < 4; i++) {
		char name[4];
		size_t k;

		for (k = 0; k < 4; k++)	/* one bit of style per line: lower case */
			name[k] = (style >> i) & 1 && ref_lines[i].name[k] ?
				  (char)(ref_lines[i].name[k] | 0x20) : ref_lines[i].name[k];
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s=%d",
					i ? seps[(style >> 4) & 3] : "", name,
					(bits & ref_lines[i].bit) ? 1 : 0);
	}
	if (style & 0x40)
		snprintf(text + len, sizeof(text) - len, "\n");
	FUZZ_CHECK(line_text_parse(text, &back, err, sizeof(err)) == 0 && back == bits,
		   "'%s' does not parse back to %#x (got %#x: %s)", text, bits, back, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	unsigned bits;
	size_t short_len;

	if (size < 1)
		return 0;
	short_len = data[0] < 0x80 ? 0 : (size_t)(data[0] & 0x7f) + 1;
	text = fuzz_strndup(data + 1, size - 1);
	check_one(text, short_len);
	if (ref_parse(text, &bits) == REF_OK)
		check_round_trip(bits, data[0]);
	/* what the sim source actually passes: read() of at most 255 bytes */
	if (strlen(text) > SIM_READ_MAX) {
		text[SIM_READ_MAX] = '\0';
		check_one(text, 0);
	}
	free(text);
	return 0;
}
