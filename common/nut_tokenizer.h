/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NUT tokenizer: one byte-fed parser for ups.conf and for driver socket
 * lines, and the encoder for values sent in quotes.
 *
 * Rules (spec nut-compat.md 4.2): lines end at LF, CR is white space, words
 * split on white space; "..." groups words; a backslash escapes the next
 * byte inside and outside quotes; backslash-newline continues the line;
 * '#' outside quotes starts a comment; '#' inside quotes is a parse error;
 * '=' outside quotes is a word of its own; only bytes 0x20-0x7E (plus the
 * separators) are kept; at most TOK_MAX_WORDS words of TOK_MAX_WORDLEN bytes.
 * As in NUT, a '"' opens quotes only at the start of a word (inside a word it
 * is kept), a closing '"' ends the word, and a LF inside quotes is dropped
 * (the quoted word goes on to the next line). words[] stays valid until the
 * next tok_feed()/tok_finish().
 */
#ifndef NUT_TOKENIZER_H
#define NUT_TOKENIZER_H

#include <stddef.h>

#define TOK_MAX_WORDS	32	/* further words on a line are dropped */
#define TOK_MAX_WORDLEN	512	/* bytes per word, further bytes dropped */

enum tok_result {
	TOK_MORE,	/* byte consumed, line not complete */
	TOK_LINE,	/* a line ended: words[0..nwords-1] hold it (nwords may be 0) */
	TOK_ERROR,	/* parse error: errmsg says what; the tokenizer is reset */
};

struct tokenizer {
	char words[TOK_MAX_WORDS][TOK_MAX_WORDLEN + 1];
	size_t nwords;
	/*
	 * Physical line (1-based) where the last line began; after TOK_ERROR
	 * the line of the error (of the opening quote for an unterminated one).
	 */
	unsigned line;
	unsigned cur_line;	/* physical line of the next byte to be fed */
	char errmsg[160];
	/* bytes outside 0x20-0x7E dropped since tok_init; saturates at
	 * SIZE_MAX (a socket client may send any number of them) */
	size_t dropped_chars;
	/* private parser state */
	int state;
	size_t wordlen;
	int word_started;
	int line_open;		/* a logical line has begun */
	int line_done;		/* TOK_LINE/TOK_ERROR returned: clear on next byte */
	unsigned quote_line;	/* where the open quote began */
};

/* Ready for a first line. words[] is not cleared: only words[0..nwords-1]
 * are ever valid, and a socket client's parser is set up per request. */
void tok_init(struct tokenizer *tok);
/* Forget a partial line (used after a parse error on a socket). */
void tok_reset(struct tokenizer *tok);
enum tok_result tok_feed(struct tokenizer *tok, char c);
/* A line has begun and not yet ended (bytes of it would be lost on reset). */
int tok_pending(const struct tokenizer *tok);
/* Call at end of input: completes a last line without LF (TOK_LINE), reports
 * an unterminated quote (TOK_ERROR), or TOK_MORE when nothing is pending. */
enum tok_result tok_finish(struct tokenizer *tok);

/*
 * Escape src for use inside "..." : a backslash before each '"', '\' and '#'.
 * Writes at most dstsize bytes including the NUL; returns the length the full
 * result needs (excluding NUL), like snprintf.
 */
size_t tok_encode(char *dst, size_t dstsize, const char *src);

#endif
