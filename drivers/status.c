/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line bits -> UPS conditions -> status words (spec nut-compat.md 2.4).
 */
#include <stdio.h>

#include "status.h"

static bool cond_holds(const struct line_cond *c, unsigned bits)
{
	return (bits & c->line) == c->val;
}

/* LB, RB and BYPASS: a disabled condition (line 0) is never true. */
static bool cond_active(const struct line_cond *c, unsigned bits)
{
	return c->line != 0 && cond_holds(c, bits);
}

struct ups_conditions status_from_lines(const struct cable_profile *p, unsigned bits)
{
	struct ups_conditions c = {
		.ol = cond_holds(&p->ol, bits),	/* disabled OL: always on line */
		.lb = cond_active(&p->lb, bits),
		.rb = cond_active(&p->rb, bits),
		.bypass = cond_active(&p->bypass, bits),
	};

	return c;
}

size_t status_format(const struct ups_conditions *c, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s%s%s%s",
			 c->lb ? "LB " : "",
			 c->ol ? "OL" : "OB",
			 c->rb ? " RB" : "",
			 c->bypass ? " BYPASS" : "");

	return n < 0 ? 0 : (size_t)n;
}

bool status_equal(const struct ups_conditions *a, const struct ups_conditions *b)
{
	return a->ol == b->ol && a->lb == b->lb && a->rb == b->rb &&
	       a->bypass == b->bypass;
}
