/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's state tree: variables (name, raw value, flags, aux) and
 * instant commands, kept in case-insensitive name order as NUT dumps them.
 * Values are stored raw (unescaped); escaping happens when a line is sent.
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stddef.h>

#define ST_MAX_VALUE_LEN 255

enum st_flags {
	ST_FLAG_RW = 1 << 0,
	ST_FLAG_STRING = 1 << 1,
	ST_FLAG_NUMBER = 1 << 2,
	ST_FLAG_IMMUTABLE = 1 << 3,	/* override.*: never changed, never deleted, never sent */
};

struct st_var {
	char *name;
	char *value;
	unsigned flags;
	long aux;
};

struct state_tree {
	struct st_var *vars;	/* sorted by strcasecmp(name) */
	size_t nvars, capvars;
	char **cmds;		/* sorted by strcasecmp */
	size_t ncmds, capcmds;
};

enum st_change {
	ST_UNCHANGED = 0,	/* same value (case-insensitive, as NUT), or immutable */
	ST_CHANGED = 1,
	ST_ERROR = -1,		/* out of memory */
};

void state_init(struct state_tree *st);
void state_free(struct state_tree *st);

/* Set a value (truncated to ST_MAX_VALUE_LEN bytes). */
enum st_change state_set(struct state_tree *st, const char *name, const char *value);
/* Set and mark immutable (ups.conf override.*). */
enum st_change state_set_immutable(struct state_tree *st, const char *name, const char *value);
/* Returns ST_CHANGED when flags differ; var must exist (else ST_UNCHANGED). */
enum st_change state_set_flags(struct state_tree *st, const char *name, unsigned flags);
enum st_change state_set_aux(struct state_tree *st, const char *name, long aux);
/* ST_CHANGED if removed; immutable variables are kept. */
enum st_change state_delete(struct state_tree *st, const char *name);
/* Remove whatever its flags: a reload whose ups.conf dropped the override. */
enum st_change state_remove(struct state_tree *st, const char *name);
const struct st_var *state_find(const struct state_tree *st, const char *name);
const char *state_get(const struct state_tree *st, const char *name);

enum st_change state_add_cmd(struct state_tree *st, const char *cmd);
enum st_change state_del_cmd(struct state_tree *st, const char *cmd);
bool state_has_cmd(const struct state_tree *st, const char *cmd);

/* "SETFLAGS <name> RW STRING NUMBER" words for a var; "" when no flag to send.
 * Returns the number of bytes written (like snprintf). */
size_t state_flags_words(unsigned flags, char *buf, size_t buflen);

#endif
