/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the NUT tokenizer and encoder (spec nut-compat.md 4.2).
 * Most cases are rows of a table: an input and the rendering of every line
 * it yields, "LINE<word><word>..." for TOK_LINE and "ELINE" for TOK_ERROR,
 * joined with '|'.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nut_tokenizer.h"
#include "check_main.h"

static struct tokenizer *tok_new(void)
{
	struct tokenizer *tok = malloc(sizeof(*tok));

	ck_assert_ptr_nonnull(tok);
	tok_init(tok);
	return tok;
}

static void render_result(const struct tokenizer *tok, enum tok_result res,
			  char *out, size_t outsz)
{
	size_t i, len = strlen(out);

	if (res == TOK_MORE)
		return;
	if (len > 0)
		len += snprintf(out + len, outsz - len, "|");
	if (res == TOK_ERROR) {
		snprintf(out + len, outsz - len, "E%u", tok->line);
		return;
	}
	len += snprintf(out + len, outsz - len, "%u", tok->line);
	for (i = 0; i < tok->nwords && len < outsz; i++)
		len += snprintf(out + len, outsz - len, "<%s>", tok->words[i]);
}

/* Feed every byte of in[0..len) then finish; render what came out. */
static void tokenize(struct tokenizer *tok, const char *in, size_t len,
		     char *out, size_t outsz)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < len; i++)
		render_result(tok, tok_feed(tok, in[i]), out, outsz);
	render_result(tok, tok_finish(tok), out, outsz);
}

struct tok_case {
	const char *what;
	const char *in;
	const char *want;
};

static const struct tok_case tok_cases[] = {
	{ "words", "a b c\n", "1<a><b><c>" },
	{ "spaces and tabs", " \t a\t\tb  \v\f\n", "1<a><b>" },
	{ "case preserved", "PiNg Foo\n", "1<PiNg><Foo>" },
	{ "two lines", "a\nb c\n", "1<a>|2<b><c>" },
	{ "quotes group", "SET x \"a b  c\"\n", "1<SET><x><a b  c>" },
	{ "empty quotes", "a \"\" b\n", "1<a><><b>" },
	{ "escapes in quotes", "\"a\\\"b\\\\c\\#d\\x\"\n", "1<a\"b\\c#dx>" },
	{ "escapes outside quotes", "a\\ b c\\\"d \\#e \\=f\n", "1<a b><c\"d><#e><=f>" },
	{ "escaped quote opens no quotes", "\\\"a b\n", "1<\"a><b>" },
	{ "continuation", "PI\\\nNG\n", "1<PING>" },
	{ "continuation counts lines", "PI\\\nNG\nx\n", "1<PING>|3<x>" },
	{ "two continuations", "a\\\nb\\\nc\nd\n", "1<abc>|4<d>" },
	{ "continuation between words", "a \\\n b\n", "1<a><b>" },
	{ "continuation at line start", "\\\nx\n", "1<x>" },
	{ "continuation in quotes", "\"a\\\nb\"\n", "1<ab>" },
	{ "= splits", "a=b\n", "1<a><=><b>" },
	{ "= before word", "a =b\n", "1<a><=><b>" },
	{ "= after word", "a= b\n", "1<a><=><b>" },
	{ "== two words", "a==b\n", "1<a><=><=><b>" },
	{ "= first", "=a\n", "1<=><a>" },
	{ "= in quotes kept", "\"a=b\"\n", "1<a=b>" },
	{ "comment after words", "a b # c d\n", "1<a><b>" },
	{ "comment ends word", "ab#c d\nx\n", "1<ab>|2<x>" },
	{ "comment line", "# only \"this\n", "1" },
	{ "# in quotes error, rest reparsed", "a \"b # c\" d\nx\n", "E1|1<c\"><d>|2<x>" },
	{ "# in quotes on a continued line", "a \\\n\"b#c d\n", "E2|2<c><d>" },
	{ "CRLF", "a b\r\nc\r\n", "1<a><b>|2<c>" },
	{ "CR is white space", "a\rb\n", "1<a><b>" },
	{ "invalid bytes dropped", "a\x01" "b\x7f\xff c\n", "1<ab><c>" },
	{ "tab in quotes dropped", "\"a\tb\"\n", "1<ab>" },
	{ "CR in quotes dropped", "\"a\rb\"\r\n", "1<ab>" },
	{ "empty lines", "\n\n", "1|2" },
	{ "blank line", "   \n", "1" },
	{ "no final LF", "a b", "1<a><b>" },
	{ "comment without LF", "a\n# c", "1<a>" },
	{ "blank without LF", "a\n  ", "1<a>" },
	{ "trailing backslash at EOF", "x \\", "1<x>" },
	{ "empty quotes without LF", "\"\"", "1<>" },
	{ "unterminated quote", "a \"b c\n", "E1" },
	{ "unterminated quote line", "a\nb \"c\nd\n", "1<a>|E2" },
	{ "escape at EOF in quotes", "\"a\\", "E1" },
	{ "unterminated quote opened on a continuation", "a \\\nb \"c\nd\n", "E2" },
	{ "quote inside word kept", "ab\"cd\n", "1<ab\"cd>" },
	{ "closing quote ends word", "\"ab\"cd\n", "1<ab><cd>" },
	{ "quote spans lines", "\"a\nb\"\nc\n", "1<ab>|3<c>" },
	{ "empty input", "", "" },
};

START_TEST(test_table)
{
	const struct tok_case *tc = &tok_cases[_i];
	struct tokenizer *tok = tok_new();
	char out[2048];

	tokenize(tok, tc->in, strlen(tc->in), out, sizeof(out));
	ck_assert_msg(strcmp(out, tc->want) == 0, "%s: got '%s', want '%s'",
		      tc->what, out, tc->want);
	free(tok);
}
END_TEST

START_TEST(test_dropped_chars)
{
	static const char in[] = "a\0b\x01\x1f\x7f\x80\xff\t\"\tc\"\n";
	struct tokenizer *tok = tok_new();
	char out[256];

	tokenize(tok, in, sizeof(in) - 1, out, sizeof(out));
	ck_assert_str_eq(out, "1<ab><c>");
	/* NUL 01 1f 7f 80 ff, and the tab inside quotes; not the tab outside */
	ck_assert_uint_eq(tok->dropped_chars, 7);
	free(tok);
}
END_TEST

/* A socket client may send any number of control bytes: the count goes
 * past INT_MAX without overflowing, and stops at SIZE_MAX. */
START_TEST(test_dropped_chars_no_overflow)
{
	struct tokenizer *tok = tok_new();
	int i;

	tok->dropped_chars = INT_MAX;
	ck_assert_int_eq(tok_feed(tok, '\x01'), TOK_MORE);
	ck_assert_int_eq(tok_feed(tok, '\x02'), TOK_MORE);
	ck_assert_uint_eq(tok->dropped_chars, (uintmax_t)INT_MAX + 2);
	tok->dropped_chars = SIZE_MAX - 1;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(tok_feed(tok, '\x7f'), TOK_MORE);
	ck_assert_uint_eq(tok->dropped_chars, SIZE_MAX);
	ck_assert_int_eq(tok_feed(tok, '\n'), TOK_LINE);
	ck_assert_uint_eq(tok->nwords, 0);
	free(tok);
}
END_TEST

/* tok_pending: a line has begun (more than white space) and not ended. */
static const struct pending_case {
	const char *in;
	int pending;
} pending_cases[] = {
	{ "", 0 }, { " \t\r", 0 }, { "PING\n", 0 }, { "PING\n  ", 0 }, { "\n\n", 0 },
	{ "P", 1 }, { "PING ", 1 }, { "PING\n\"", 1 }, { "\"a\nb", 1 }, { "PI\\", 1 },
	{ "PI\\\n", 1 }, { "# comment", 1 }, { "a=", 1 }, { "\x01", 1 },
};

START_TEST(test_pending)
{
	const struct pending_case *tc = &pending_cases[_i];
	struct tokenizer *tok = tok_new();
	size_t i;

	for (i = 0; tc->in[i]; i++)
		tok_feed(tok, tc->in[i]);
	ck_assert_msg(tok_pending(tok) == tc->pending, "'%s': pending %d, want %d", tc->in,
		      tok_pending(tok), tc->pending);
	free(tok);
}
END_TEST

/* tok_init leaves words[] alone, yet a fresh parser yields clean words. */
START_TEST(test_init_dirty_memory)
{
	struct tokenizer *tok = malloc(sizeof(*tok));
	char out[256];

	ck_assert_ptr_nonnull(tok);
	memset(tok, 'x', sizeof(*tok));
	tok_init(tok);
	ck_assert_uint_eq(tok->dropped_chars, 0);
	ck_assert_int_eq(tok_pending(tok), 0);
	tokenize(tok, "a \"\" b\n", 7, out, sizeof(out));
	ck_assert_str_eq(out, "1<a><><b>");
	free(tok);
}
END_TEST

START_TEST(test_word_limit)
{
	struct tokenizer *tok = tok_new();
	char in[1024], out[2048];
	size_t len = 0;
	int i;

	for (i = 0; i < TOK_MAX_WORDS + 8; i++)
		len += snprintf(in + len, sizeof(in) - len, "w%d ", i);
	len += snprintf(in + len, sizeof(in) - len, "\"quoted\"\nnext\n");
	tokenize(tok, in, len, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "<w31>|2<next>"));
	ck_assert_ptr_null(strstr(out, "w32"));
	ck_assert_ptr_null(strstr(out, "quoted"));

	tok_init(tok);
	for (i = 0; i < (int)len; i++)
		if (tok_feed(tok, in[i]) != TOK_MORE)
			break;
	ck_assert_uint_eq(tok->nwords, TOK_MAX_WORDS);
	ck_assert_str_eq(tok->words[TOK_MAX_WORDS - 1], "w31");
	free(tok);
}
END_TEST

struct len_case {
	const char *open, *close;	/* around the long word */
};

static const struct len_case len_cases[] = {
	{ "", "" },
	{ "\"", "\"" },
};

START_TEST(test_word_length_limit)
{
	const struct len_case *lc = &len_cases[_i];
	struct tokenizer *tok = tok_new();
	enum tok_result res = TOK_MORE;
	char in[TOK_MAX_WORDLEN + 200];
	size_t len = 0, start, i;

	len += snprintf(in, sizeof(in), "x %s", lc->open);
	start = len;
	for (i = 0; i < TOK_MAX_WORDLEN + 100; i++)
		in[len++] = (char)('a' + i % 26);
	len += snprintf(in + len, sizeof(in) - len, "%s y\n", lc->close);
	for (i = 0; i < len; i++)
		res = tok_feed(tok, in[i]);
	ck_assert_int_eq(res, TOK_LINE);
	ck_assert_uint_eq(tok->nwords, 3);
	ck_assert_uint_eq(strlen(tok->words[1]), TOK_MAX_WORDLEN);
	ck_assert_int_eq(memcmp(tok->words[1], in + start, TOK_MAX_WORDLEN), 0);
	ck_assert_str_eq(tok->words[2], "y");
	free(tok);
}
END_TEST

START_TEST(test_error_messages)
{
	struct tokenizer *tok = tok_new();
	const char *in = "a \"#";

	while (*in && tok_feed(tok, *in) == TOK_MORE)
		in++;
	ck_assert_ptr_nonnull(strstr(tok->errmsg, "'#' inside quotes"));
	ck_assert_uint_eq(tok->nwords, 0);

	tok_init(tok);
	for (in = "\"abc"; *in; in++)
		ck_assert_int_eq(tok_feed(tok, *in), TOK_MORE);
	ck_assert_int_eq(tok_finish(tok), TOK_ERROR);
	ck_assert_ptr_nonnull(strstr(tok->errmsg, "unterminated quote"));
	free(tok);
}
END_TEST

START_TEST(test_reset)
{
	struct tokenizer *tok = tok_new();
	char out[256];

	tok_feed(tok, 'a');
	tok_feed(tok, ' ');
	tok_feed(tok, '"');
	tok_reset(tok);
	tokenize(tok, "b c\n", 4, out, sizeof(out));
	ck_assert_str_eq(out, "1<b><c>");
	free(tok);
}
END_TEST

START_TEST(test_finish_idle)
{
	struct tokenizer *tok = tok_new();

	ck_assert_int_eq(tok_finish(tok), TOK_MORE);
	ck_assert_int_eq(tok_feed(tok, 'a'), TOK_MORE);
	ck_assert_int_eq(tok_feed(tok, '\n'), TOK_LINE);
	ck_assert_str_eq(tok->words[0], "a");
	ck_assert_int_eq(tok_finish(tok), TOK_MORE);
	ck_assert_int_eq(tok_feed(tok, '\n'), TOK_LINE);
	ck_assert_uint_eq(tok->nwords, 0);
	ck_assert_uint_eq(tok->line, 2);
	free(tok);
}
END_TEST

/* --- encoder -------------------------------------------------------------- */

struct enc_case {
	const char *raw, *enc;
};

static const struct enc_case enc_cases[] = {
	{ "", "" },
	{ "abc", "abc" },
	{ "a b=c", "a b=c" },
	{ "a\"b", "a\\\"b" },
	{ "\\", "\\\\" },
	{ "#", "\\#" },
	{ "ab\"c\\d#e", "ab\\\"c\\\\d\\#e" },
	{ "\\\"#", "\\\\\\\"\\#" },
};

START_TEST(test_encode_table)
{
	const struct enc_case *ec = &enc_cases[_i];
	char buf[64];

	ck_assert_uint_eq(tok_encode(buf, sizeof(buf), ec->raw), strlen(ec->enc));
	ck_assert_str_eq(buf, ec->enc);
}
END_TEST

struct trunc_case {
	size_t dstsize;
	const char *want;
};

/* "a\"b" encodes to 4 bytes: a \ " b */
static const struct trunc_case trunc_cases[] = {
	{ 1, "" },
	{ 2, "a" },
	{ 3, "a" },	/* no half escape pair */
	{ 4, "a\\\"" },
	{ 5, "a\\\"b" },
};

START_TEST(test_encode_truncation)
{
	const struct trunc_case *tc = &trunc_cases[_i];
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	ck_assert_uint_eq(tok_encode(buf, tc->dstsize, "a\"b"), 4);
	ck_assert_str_eq(buf, tc->want);
	ck_assert_int_eq(buf[tc->dstsize], 'X');
}
END_TEST

START_TEST(test_encode_measure)
{
	ck_assert_uint_eq(tok_encode(NULL, 0, "#\"\\x"), 7);
}
END_TEST

static const char *const roundtrip_cases[] = {
	"",
	"plain",
	"with spaces  and   more",
	"\"",
	"\\",
	"#",
	"\"\"",
	"\\\\",
	"##",
	"a\\#b",
	"trailing\\",
	"\\\"quoted\\\"",
	"= a=b =",
	"  lead and trail  ",
	"Model # 1",
	"ab\"c\\d#e",
	"'single' `back` $var;|&",
};

START_TEST(test_encode_roundtrip)
{
	const char *raw = roundtrip_cases[_i];
	struct tokenizer *tok = tok_new();
	char enc[256], line[300];
	enum tok_result res = TOK_MORE;
	int i, len;

	ck_assert_uint_lt(tok_encode(enc, sizeof(enc), raw), sizeof(enc));
	len = snprintf(line, sizeof(line), "SETINFO ups.x \"%s\"\n", enc);
	for (i = 0; i < len; i++) {
		res = tok_feed(tok, line[i]);
		ck_assert_int_ne(res, TOK_ERROR);
	}
	ck_assert_int_eq(res, TOK_LINE);
	ck_assert_uint_eq(tok->nwords, 3);
	ck_assert_str_eq(tok->words[2], raw);
	free(tok);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *tokenizer_suite(void)
{
	Suite *s = suite_create("nut_tokenizer");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_table, 0, NELEM(tok_cases));
	tcase_add_test(tc, test_dropped_chars);
	tcase_add_test(tc, test_dropped_chars_no_overflow);
	tcase_add_loop_test(tc, test_pending, 0, NELEM(pending_cases));
	tcase_add_test(tc, test_init_dirty_memory);
	tcase_add_test(tc, test_error_messages);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_finish_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_word_limit);
	tcase_add_loop_test(tc, test_word_length_limit, 0, NELEM(len_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode_table, 0, NELEM(enc_cases));
	tcase_add_loop_test(tc, test_encode_truncation, 0, NELEM(trunc_cases));
	tcase_add_test(tc, test_encode_measure);
	tcase_add_loop_test(tc, test_encode_roundtrip, 0, NELEM(roundtrip_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(tokenizer_suite());
}
