/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line bits + cable profile -> UPS conditions -> NUT status words, in NUT's
 * order: LB, then OL or OB, then RB, then BYPASS. Pure functions.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "cable_profile.h"

struct ups_conditions {
	bool ol;	/* false = OB */
	bool lb;
	bool rb;
	bool bypass;
};

/*
 * As NUT: ol = (bits & ol.line) == ol.val, so a disabled OL (0/0) is always
 * on line; lb/rb/bypass = line != 0 && (bits & line) == val, so disabled
 * ones are never set.
 */
struct ups_conditions status_from_lines(const struct cable_profile *p, unsigned bits);

/* "LB OB RB BYPASS" style text; returns the length (like snprintf). */
size_t status_format(const struct ups_conditions *c, char *buf, size_t buflen);

bool status_equal(const struct ups_conditions *a, const struct ups_conditions *b);

#endif
