/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ups.conf model (spec nut-compat.md 3.3), read with the NUT tokenizer.
 * Unlike NUT, every syntax error is fatal and says "NAME:LINE: what".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nut_tokenizer.h"
#include "upsconf.h"

/* What one parse needs besides the model: where errors go. */
struct upsconf_ctx {
	struct upsconf *conf;
	const char *name;
	char *err;
	size_t errlen;
	const char *section;	/* current section name, NULL in the global part */
	/* section names seen, by hash: index + 1 into conf->sections, 0 free;
	 * a duplicate is found in O(1), not by a scan per header */
	size_t *slots;
	size_t nslots;		/* a power of two, or 0 */
};

static int upsconf_fail(struct upsconf_ctx *ctx, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int upsconf_fail(struct upsconf_ctx *ctx, unsigned line, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ctx->errlen > 0)
		snprintf(ctx->err, ctx->errlen, "%s:%u: %s", ctx->name, line, what);
	return -1;
}

static int upsconf_oom(struct upsconf_ctx *ctx, unsigned line)
{
	return upsconf_fail(ctx, line, "out of memory");
}

const struct upsconf_section *upsconf_find_section(const struct upsconf *conf,
						   const char *name)
{
	size_t i;

	for (i = 0; i < conf->nsections; i++)
		if (strcmp(conf->sections[i].name, name) == 0)
			return &conf->sections[i];
	return NULL;
}

/* Room for n+1 elements of size elem in *arr holding n: it doubles, so
 * that a file of many lines is read in linear time. */
static int upsconf_grow(void **arr, size_t n, size_t elem)
{
	void *p;

	if (n & (n - 1))
		return 0;	/* not a power of two: there is room */
	p = realloc(*arr, (n ? n * 2 : 1) * elem);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

static size_t upsconf_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* The slot of name: where it is, or the free slot where it would go. */
static size_t *upsconf_slot(const struct upsconf_ctx *ctx, const char *name)
{
	size_t mask = ctx->nslots - 1, i = upsconf_hash(name) & mask;

	while (ctx->slots[i] && strcmp(ctx->conf->sections[ctx->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return &ctx->slots[i];
}

/* Keep the table at most half full; rehash the sections so far. */
static int upsconf_slots_reserve(struct upsconf_ctx *ctx)
{
	size_t n = ctx->conf->nsections, i;

	if ((n + 1) * 2 <= ctx->nslots)
		return 0;
	free(ctx->slots);
	ctx->nslots = ctx->nslots ? ctx->nslots * 2 : 16;
	ctx->slots = calloc(ctx->nslots, sizeof(*ctx->slots));
	if (!ctx->slots) {
		ctx->nslots = 0;
		return -1;
	}
	for (i = 0; i < n; i++)
		*upsconf_slot(ctx, ctx->conf->sections[i].name) = i + 1;
	return 0;
}

/* "[name]": the header must be one word, closed, non-empty and new. */
static int upsconf_section(struct upsconf_ctx *ctx, const struct tokenizer *tok)
{
	const char *w = tok->words[0];
	const char *close = strchr(w, ']');
	struct upsconf *conf = ctx->conf;
	size_t *slot;
	char *name;

	if (!close)
		return upsconf_fail(ctx, tok->line,
				    "section header '%s' has no closing ']'%s", w,
				    tok->nwords > 1 ? " (section names cannot contain spaces)" : "");
	if (close[1] != '\0')
		return upsconf_fail(ctx, tok->line,
				    "text after ']' in section header '%s'", w);
	if (tok->nwords > 1)
		return upsconf_fail(ctx, tok->line,
				    "extra words after section header '%s': '%s'",
				    w, tok->words[1]);
	if (close == w + 1)
		return upsconf_fail(ctx, tok->line, "empty section name '[]'");

	name = strndup(w + 1, (size_t)(close - w - 1));
	if (!name)
		return upsconf_oom(ctx, tok->line);
	if (upsconf_slots_reserve(ctx) < 0 ||
	    upsconf_grow((void **)&conf->sections, conf->nsections, sizeof(*conf->sections)) < 0) {
		free(name);
		return upsconf_oom(ctx, tok->line);
	}
	slot = upsconf_slot(ctx, name);
	if (*slot) {
		upsconf_fail(ctx, tok->line, "duplicate section '[%s]' (first on line %u)",
			     name, conf->sections[*slot - 1].line);
		free(name);
		return -1;
	}
	conf->sections[conf->nsections].name = name;
	conf->sections[conf->nsections].line = tok->line;
	*slot = ++conf->nsections;
	ctx->section = name;
	return 0;
}

static int upsconf_add_entry(struct upsconf_ctx *ctx, unsigned line,
			     const char *key, const char *value)
{
	struct upsconf *conf = ctx->conf;
	char *k = strdup(key);
	char *v = value ? strdup(value) : NULL;

	if (!k || (value && !v) ||
	    upsconf_grow((void **)&conf->entries, conf->nentries, sizeof(*conf->entries)) < 0) {
		free(k);
		free(v);
		return upsconf_oom(ctx, line);
	}
	conf->entries[conf->nentries] = (struct upsconf_entry){
		.section = ctx->section, .key = k, .value = v, .line = line,
	};
	conf->nentries++;
	return 0;
}

/* A flag ("name") or a setting ("name = value"), checked word by word. */
static int upsconf_setting(struct upsconf_ctx *ctx, const struct tokenizer *tok)
{
	const char *key = tok->words[0];

	if (strcmp(key, "=") == 0)
		return upsconf_fail(ctx, tok->line, "'=' without a name before it");
	if (key[0] == '\0')
		return upsconf_fail(ctx, tok->line, "empty name \"\"");
	if (tok->nwords == 1)
		return upsconf_add_entry(ctx, tok->line, key, NULL);
	if (tok->nwords == 2 && strcmp(tok->words[1], "=") == 0)
		return upsconf_fail(ctx, tok->line,
				    "no value for '%s' (write %s = \"\" for an empty value)",
				    key, key);
	if (tok->nwords == 2)
		return upsconf_fail(ctx, tok->line,
				    "missing '=' between '%s' and '%s'", key, tok->words[1]);
	if (strcmp(tok->words[1], "=") != 0)
		return upsconf_fail(ctx, tok->line,
				    "expected '=' after '%s', found '%s'", key, tok->words[1]);
	if (tok->nwords > 3)
		return upsconf_fail(ctx, tok->line,
				    "extra words after value of '%s' (quote values with spaces "
				    "or '=')", key);
	return upsconf_add_entry(ctx, tok->line, key, tok->words[2]);
}

static int upsconf_line(struct upsconf_ctx *ctx, const struct tokenizer *tok)
{
	if (tok->nwords == 0)
		return 0;
	if (tok->words[0][0] == '[')
		return upsconf_section(ctx, tok);
	return upsconf_setting(ctx, tok);
}

static int upsconf_result(struct upsconf_ctx *ctx, const struct tokenizer *tok,
			  enum tok_result res)
{
	if (res == TOK_ERROR)
		return upsconf_fail(ctx, tok->line, "%s", tok->errmsg);
	if (res == TOK_LINE)
		return upsconf_line(ctx, tok);
	return 0;
}

static int upsconf_run(struct upsconf_ctx *ctx, const char *text, size_t len)
{
	struct tokenizer *tok;
	size_t i;
	int rc = 0;

	tok = malloc(sizeof(*tok));	/* ~16 KiB: keep it off the stack */
	if (!tok)
		return upsconf_oom(ctx, 0);
	tok_init(tok);
	for (i = 0; i < len && rc == 0; i++)
		rc = upsconf_result(ctx, tok, tok_feed(tok, text[i]));
	if (rc == 0)
		rc = upsconf_result(ctx, tok, tok_finish(tok));
	free(tok);
	return rc;
}

int upsconf_parse(struct upsconf *conf, const char *name, const char *text,
		  size_t len, char *err, size_t errlen)
{
	struct upsconf_ctx ctx = {
		.conf = conf, .name = name, .err = err, .errlen = errlen,
	};
	int rc;

	memset(conf, 0, sizeof(*conf));
	if (errlen > 0)
		err[0] = '\0';
	conf->path = strdup(name);
	if (!conf->path)
		return upsconf_oom(&ctx, 0);
	rc = upsconf_run(&ctx, text, len);
	free(ctx.slots);
	if (rc < 0)
		upsconf_free(conf);
	return rc;
}

/* Read a whole file into a NUL-terminated buffer. */
static char *upsconf_slurp(FILE *f, size_t *lenp)
{
	size_t len = 0, cap = 4096, n;
	char *buf = malloc(cap), *nbuf;

	while (buf) {
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				free(buf);
			buf = nbuf;
		}
	}
	if (!buf)
		return NULL;
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int upsconf_load(struct upsconf *conf, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *text;
	size_t len = 0;
	int rc, saved;

	memset(conf, 0, sizeof(*conf));
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	text = upsconf_slurp(f, &len);
	saved = ferror(f) ? errno : (text ? 0 : ENOMEM);
	fclose(f);
	if (saved) {
		free(text);
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(saved));
		return -1;
	}
	rc = upsconf_parse(conf, path, text, len, err, errlen);
	free(text);
	return rc;
}

void upsconf_free(struct upsconf *conf)
{
	size_t i;

	for (i = 0; i < conf->nentries; i++) {
		free(conf->entries[i].key);
		free(conf->entries[i].value);
	}
	for (i = 0; i < conf->nsections; i++)
		free(conf->sections[i].name);
	free(conf->entries);
	free(conf->sections);
	free(conf->path);
	memset(conf, 0, sizeof(*conf));
}
