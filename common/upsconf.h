/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ups.conf model: the global part and [sections], each entry a flag or
 * "key = value", each with the line it came from, so that every error can
 * say "ups.conf:LINE: ...".
 */
#ifndef UPSCONF_H
#define UPSCONF_H

#include <stddef.h>

struct upsconf_entry {
	const char *section;	/* NULL for the global part */
	char *key;
	char *value;		/* NULL for a flag */
	unsigned line;
};

struct upsconf_section {
	char *name;
	unsigned line;		/* line of the [name] header */
};

struct upsconf {
	char *path;		/* as given to upsconf_load(), for messages */
	struct upsconf_entry *entries;	/* in file order */
	size_t nentries;
	struct upsconf_section *sections;
	size_t nsections;
};

/*
 * Parse text (name is used in messages, e.g. "ups.conf", and kept as path).
 * conf needs no initialisation. Syntax errors are fatal: 0 on success, -1
 * with err = "NAME:LINE: what" and conf left empty (nothing to free).
 * Errors: parse errors of the tokenizer, a line of 2 words or of 3+ words
 * whose second is not '=', words after the value, "[" header not closed or
 * empty, a duplicate section, a name that is '=' or "".
 * Repeated keys are all kept, in file order (NUT: the last one wins).
 */
int upsconf_parse(struct upsconf *conf, const char *name, const char *text,
		  size_t len, char *err, size_t errlen);
/*
 * Read and parse a file; messages use the path as given ("PATH:LINE: ...");
 * a missing file is "cannot open PATH: No such file or directory".
 */
int upsconf_load(struct upsconf *conf, const char *path, char *err, size_t errlen);
void upsconf_free(struct upsconf *conf);

const struct upsconf_section *upsconf_find_section(const struct upsconf *conf,
						   const char *name);

#endif
