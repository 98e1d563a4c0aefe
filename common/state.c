/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's state tree as two sorted arrays (variables, commands), found
 * by binary search with strcasecmp so a dump walks them in NUT's order.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state.h"

void state_init(struct state_tree *st)
{
	memset(st, 0, sizeof(*st));
}

void state_free(struct state_tree *st)
{
	size_t i;

	for (i = 0; i < st->nvars; i++) {
		free(st->vars[i].name);
		free(st->vars[i].value);
	}
	for (i = 0; i < st->ncmds; i++)
		free(st->cmds[i]);
	free(st->vars);
	free(st->cmds);
	state_init(st);
}

static const char *var_name_at(const struct state_tree *st, size_t i)
{
	return st->vars[i].name;
}

static const char *cmd_name_at(const struct state_tree *st, size_t i)
{
	return st->cmds[i];
}

/* Binary search of n names kept in strcasecmp order: the index of name, or
 * the index where it would be inserted (*found false). */
static size_t sorted_index(const struct state_tree *st, size_t n,
			   const char *(*name_at)(const struct state_tree *, size_t),
			   const char *name, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, name_at(st, mid));

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

static size_t var_index(const struct state_tree *st, const char *name, bool *found)
{
	return sorted_index(st, st->nvars, var_name_at, name, found);
}

static size_t cmd_index(const struct state_tree *st, const char *cmd, bool *found)
{
	return sorted_index(st, st->ncmds, cmd_name_at, cmd, found);
}

/* Make room for one more element of size elem; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

static char *dup_value(const char *value)
{
	return strndup(value, ST_MAX_VALUE_LEN);
}

static enum st_change var_insert(struct state_tree *st, size_t at, const char *name,
				 const char *value, unsigned flags)
{
	struct st_var v = { .flags = flags, .aux = 0 };

	if (!grow((void **)&st->vars, &st->capvars, st->nvars, sizeof(*st->vars)))
		return ST_ERROR;
	v.name = strdup(name);
	v.value = dup_value(value);
	if (!v.name || !v.value) {
		free(v.name);
		free(v.value);
		return ST_ERROR;
	}
	memmove(&st->vars[at + 1], &st->vars[at], (st->nvars - at) * sizeof(*st->vars));
	st->vars[at] = v;
	st->nvars++;
	return ST_CHANGED;
}

/* Replace v's value unless equal ignoring case (as NUT compares). */
static enum st_change var_replace(struct st_var *v, const char *value)
{
	char *nv = dup_value(value);

	if (!nv)
		return ST_ERROR;
	if (strcasecmp(v->value, nv) == 0) {
		free(nv);
		return ST_UNCHANGED;
	}
	free(v->value);
	v->value = nv;
	return ST_CHANGED;
}

enum st_change state_set(struct state_tree *st, const char *name, const char *value)
{
	bool found;
	size_t i = var_index(st, name, &found);

	if (!found)
		return var_insert(st, i, name, value, 0);
	if (st->vars[i].flags & ST_FLAG_IMMUTABLE)
		return ST_UNCHANGED;
	return var_replace(&st->vars[i], value);
}

enum st_change state_set_immutable(struct state_tree *st, const char *name, const char *value)
{
	bool found;
	size_t i = var_index(st, name, &found);
	struct st_var *v;
	enum st_change rc;

	if (!found)
		return var_insert(st, i, name, value, ST_FLAG_IMMUTABLE);
	v = &st->vars[i];
	rc = var_replace(v, value);
	if (rc == ST_ERROR)
		return rc;
	if (!(v->flags & ST_FLAG_IMMUTABLE)) {
		v->flags |= ST_FLAG_IMMUTABLE;
		rc = ST_CHANGED;
	}
	return rc;
}

enum st_change state_set_flags(struct state_tree *st, const char *name, unsigned flags)
{
	bool found;
	size_t i = var_index(st, name, &found);
	unsigned nflags;

	if (!found)
		return ST_UNCHANGED;
	/* immutability comes from ups.conf and outlives any later flag change */
	nflags = flags | (st->vars[i].flags & ST_FLAG_IMMUTABLE);
	if (nflags == st->vars[i].flags)
		return ST_UNCHANGED;
	st->vars[i].flags = nflags;
	return ST_CHANGED;
}

enum st_change state_set_aux(struct state_tree *st, const char *name, long aux)
{
	bool found;
	size_t i = var_index(st, name, &found);

	if (!found || st->vars[i].aux == aux)
		return ST_UNCHANGED;
	st->vars[i].aux = aux;
	return ST_CHANGED;
}

static enum st_change var_delete(struct state_tree *st, const char *name, bool force)
{
	bool found;
	size_t i = var_index(st, name, &found);

	if (!found || (!force && (st->vars[i].flags & ST_FLAG_IMMUTABLE)))
		return ST_UNCHANGED;
	free(st->vars[i].name);
	free(st->vars[i].value);
	st->nvars--;
	memmove(&st->vars[i], &st->vars[i + 1], (st->nvars - i) * sizeof(*st->vars));
	return ST_CHANGED;
}

enum st_change state_delete(struct state_tree *st, const char *name)
{
	return var_delete(st, name, false);
}

enum st_change state_remove(struct state_tree *st, const char *name)
{
	return var_delete(st, name, true);
}

const struct st_var *state_find(const struct state_tree *st, const char *name)
{
	bool found;
	size_t i = var_index(st, name, &found);

	return found ? &st->vars[i] : NULL;
}

const char *state_get(const struct state_tree *st, const char *name)
{
	const struct st_var *v = state_find(st, name);

	return v ? v->value : NULL;
}

enum st_change state_add_cmd(struct state_tree *st, const char *cmd)
{
	bool found;
	size_t i = cmd_index(st, cmd, &found);
	char *c;

	if (found)
		return ST_UNCHANGED;
	if (!grow((void **)&st->cmds, &st->capcmds, st->ncmds, sizeof(*st->cmds)))
		return ST_ERROR;
	c = strdup(cmd);
	if (!c)
		return ST_ERROR;
	memmove(&st->cmds[i + 1], &st->cmds[i], (st->ncmds - i) * sizeof(*st->cmds));
	st->cmds[i] = c;
	st->ncmds++;
	return ST_CHANGED;
}

enum st_change state_del_cmd(struct state_tree *st, const char *cmd)
{
	bool found;
	size_t i = cmd_index(st, cmd, &found);

	if (!found)
		return ST_UNCHANGED;
	free(st->cmds[i]);
	st->ncmds--;
	memmove(&st->cmds[i], &st->cmds[i + 1], (st->ncmds - i) * sizeof(*st->cmds));
	return ST_CHANGED;
}

bool state_has_cmd(const struct state_tree *st, const char *cmd)
{
	bool found;

	cmd_index(st, cmd, &found);
	return found;
}

size_t state_flags_words(unsigned flags, char *buf, size_t buflen)
{
	static const struct {
		unsigned flag;
		const char *word;
	} words[] = {	/* NUT's fixed order; IMMUTABLE is never sent */
		{ ST_FLAG_RW, "RW" },
		{ ST_FLAG_STRING, "STRING" },
		{ ST_FLAG_NUMBER, "NUMBER" },
	};
	size_t len = 0, i;

	if (buflen)
		buf[0] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const char *w = words[i].word;
		size_t wl = strlen(w) + (len ? 1 : 0);

		if (!(flags & words[i].flag))
			continue;
		if (len + wl < buflen) {
			if (len)
				buf[len] = ' ';
			memcpy(buf + len + (len ? 1 : 0), w, strlen(w) + 1);
		}
		len += wl;
	}
	return len;
}
