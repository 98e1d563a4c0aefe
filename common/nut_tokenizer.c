/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NUT tokenizer (spec nut-compat.md 4.2): a byte-fed state machine shared
 * by the ups.conf reader and the driver socket, and the matching encoder.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nut_tokenizer.h"

enum tok_state {
	TS_START,	/* between words */
	TS_WORD,	/* inside an unquoted word */
	TS_WORD_ESC,	/* after '\' outside quotes */
	TS_QUOTE,	/* inside "..." */
	TS_QUOTE_ESC,	/* after '\' inside quotes */
	TS_COMMENT,	/* after '#', up to LF */
};

/* isspace() of the C locale, without depending on the current locale. */
static int tok_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void tok_clear_line(struct tokenizer *tok)
{
	tok->nwords = 0;
	tok->wordlen = 0;
	tok->word_started = 0;
	tok->state = TS_START;
	tok->line_open = 0;
	tok->line_done = 0;
}

void tok_init(struct tokenizer *tok)
{
	/* everything but words[][] (16 kB, written before it is read) */
	memset((char *)tok + offsetof(struct tokenizer, nwords), 0,
	       sizeof(*tok) - offsetof(struct tokenizer, nwords));
	tok->line = 1;
	tok->cur_line = 1;
	tok_clear_line(tok);
}

void tok_reset(struct tokenizer *tok)
{
	tok_clear_line(tok);
	tok->errmsg[0] = '\0';
}

/* Keep one byte of the current word, within the word and length limits. */
static void tok_addchar(struct tokenizer *tok, unsigned char c)
{
	if (c < 0x20 || c > 0x7e) {
		if (tok->dropped_chars < SIZE_MAX)
			tok->dropped_chars++;
		return;
	}
	tok->word_started = 1;
	if (tok->nwords >= TOK_MAX_WORDS || tok->wordlen >= TOK_MAX_WORDLEN)
		return;
	tok->words[tok->nwords][tok->wordlen++] = (char)c;
}

static void tok_endword(struct tokenizer *tok)
{
	if (tok->word_started && tok->nwords < TOK_MAX_WORDS) {
		tok->words[tok->nwords][tok->wordlen] = '\0';
		tok->nwords++;
	}
	tok->wordlen = 0;
	tok->word_started = 0;
}

static enum tok_result tok_endline(struct tokenizer *tok)
{
	tok_endword(tok);
	tok->state = TS_START;
	tok->line_open = 0;
	tok->line_done = 1;
	return TOK_LINE;
}

static enum tok_result tok_error(struct tokenizer *tok, unsigned line,
				 const char *msg)
{
	snprintf(tok->errmsg, sizeof(tok->errmsg), "%s", msg);
	tok_clear_line(tok);
	tok->line = line;
	tok->line_done = 1;
	return TOK_ERROR;
}

/* A '=' outside quotes is a word of its own. */
static void tok_equals_word(struct tokenizer *tok)
{
	tok_endword(tok);
	tok_addchar(tok, '=');
	tok_endword(tok);
	tok->state = TS_START;
}

static enum tok_result tok_start(struct tokenizer *tok, unsigned char c)
{
	if (c == '\n')
		return tok_endline(tok);
	if (tok_isspace(c))
		return TOK_MORE;
	switch (c) {
	case '#':
		tok->state = TS_COMMENT;
		break;
	case '\\':
		tok->state = TS_WORD_ESC;
		break;
	case '"':
		tok->word_started = 1;	/* "" is an empty word, not none */
		tok->quote_line = tok->cur_line;
		tok->state = TS_QUOTE;
		break;
	case '=':
		tok_equals_word(tok);
		break;
	default:
		tok_addchar(tok, c);
		tok->state = TS_WORD;
		break;
	}
	return TOK_MORE;
}

static enum tok_result tok_word(struct tokenizer *tok, unsigned char c)
{
	if (c == '\n')
		return tok_endline(tok);
	if (tok_isspace(c)) {
		tok_endword(tok);
		tok->state = TS_START;
		return TOK_MORE;
	}
	switch (c) {
	case '#':
		tok_endword(tok);
		tok->state = TS_COMMENT;
		break;
	case '\\':
		tok->state = TS_WORD_ESC;
		break;
	case '=':
		tok_equals_word(tok);
		break;
	default:
		tok_addchar(tok, c);	/* a '"' inside a word is kept, as in NUT */
		break;
	}
	return TOK_MORE;
}

/* After '\' outside quotes: the byte is literal; LF joins the lines. */
static enum tok_result tok_word_esc(struct tokenizer *tok, unsigned char c)
{
	if (c != '\n')
		tok_addchar(tok, c);
	tok->state = tok->word_started ? TS_WORD : TS_START;
	return TOK_MORE;
}

static enum tok_result tok_quote(struct tokenizer *tok, unsigned char c)
{
	switch (c) {
	case '#':
		return tok_error(tok, tok->cur_line,
				 "unescaped '#' inside quotes (write \\# for a literal #)");
	case '"':
		tok_endword(tok);
		tok->state = TS_START;
		break;
	case '\\':
		tok->state = TS_QUOTE_ESC;
		break;
	default:
		tok_addchar(tok, c);	/* drops LF and tabs, as NUT does */
		break;
	}
	return TOK_MORE;
}

static enum tok_result tok_quote_esc(struct tokenizer *tok, unsigned char c)
{
	if (c != '\n')
		tok_addchar(tok, c);
	tok->state = TS_QUOTE;
	return TOK_MORE;
}

static enum tok_result tok_dispatch(struct tokenizer *tok, unsigned char c)
{
	switch (tok->state) {
	case TS_WORD:
		return tok_word(tok, c);
	case TS_WORD_ESC:
		return tok_word_esc(tok, c);
	case TS_QUOTE:
		return tok_quote(tok, c);
	case TS_QUOTE_ESC:
		return tok_quote_esc(tok, c);
	case TS_COMMENT:
		return c == '\n' ? tok_endline(tok) : TOK_MORE;
	default:
		return tok_start(tok, c);
	}
}

enum tok_result tok_feed(struct tokenizer *tok, char c)
{
	enum tok_result res;

	if (tok->line_done)
		tok_clear_line(tok);
	if (!tok->line_open) {
		tok->line_open = 1;
		tok->line = tok->cur_line;
		tok->errmsg[0] = '\0';
	}
	res = tok_dispatch(tok, (unsigned char)c);
	if (c == '\n')
		tok->cur_line++;
	return res;
}

int tok_pending(const struct tokenizer *tok)
{
	if (!tok->line_open || tok->line_done)
		return 0;
	/* white space only so far: dropping it loses nothing */
	return tok->state != TS_START || tok->nwords > 0 || tok->word_started;
}

enum tok_result tok_finish(struct tokenizer *tok)
{
	if (tok->line_done || !tok->line_open) {
		tok_clear_line(tok);
		return TOK_MORE;
	}
	if (tok->state == TS_QUOTE || tok->state == TS_QUOTE_ESC)
		return tok_error(tok, tok->quote_line,
				 "unterminated quote (missing closing \")");
	tok_endword(tok);	/* a trailing lone '\' is dropped */
	if (tok->nwords == 0) {
		tok_clear_line(tok);
		return TOK_MORE;
	}
	return tok_endline(tok);
}

size_t tok_encode(char *dst, size_t dstsize, const char *src)
{
	size_t need = 0, used = 0;

	for (; *src; src++) {
		int esc = (*src == '"' || *src == '\\' || *src == '#');
		size_t n = esc ? 2 : 1;

		/* never write half an escape pair: stop at the first that won't fit */
		if (used == need && used + n < dstsize) {
			if (esc)
				dst[used++] = '\\';
			dst[used++] = *src;
		}
		need += n;
	}
	if (dstsize > 0)
		dst[used] = '\0';
	return need;
}
