/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cable wizard's reasoning: observations -> fitting upstypes or the
 * smallest override, and a safe order of cable-power trials. Pure functions.
 */
#include <stdio.h>
#include <string.h>

#include "cablefit.h"
#include "status.h"

#define OUT_LINES	(ML_DTR | ML_RTS)

const unsigned cf_combos[CF_NCOMBOS] = { 0, ML_DTR, ML_RTS, ML_DTR | ML_RTS };

static const char *const state_names[CF_NSTATES] = {
	[CF_MAINS] = "mains", [CF_BATTERY] = "battery", [CF_LOW] = "low",
	[CF_PULLED] = "pulled",
};

const char *cf_state_name(enum cf_state s)
{
	return (unsigned)s < CF_NSTATES ? state_names[s] : "?";
}

int cf_state_parse(const char *word, enum cf_state *s)
{
	int i;

	for (i = 0; i < CF_NSTATES; i++) {
		if (strcmp(word, state_names[i]) == 0) {
			*s = (enum cf_state)i;
			return 0;
		}
	}
	return -1;
}

int cf_combo_index(unsigned outputs)
{
	int i;

	for (i = 0; i < CF_NCOMBOS; i++)
		if (cf_combos[i] == (outputs & OUT_LINES))
			return i;
	return 0;
}

static unsigned popcount(uint32_t v)
{
	return (unsigned)__builtin_popcount(v);
}

static bool powered(const struct cable_profile *p, unsigned outputs)
{
	unsigned cp = (unsigned)p->cp & OUT_LINES;

	return (outputs & cp) == cp;
}

static unsigned lines_read(const struct cable_profile *p)
{
	return (p->ol.line | p->lb.line | p->rb.line | p->bypass.line) & ML_INPUTS;
}

/* What the UPS's state makes a powered cable say. */
static struct ups_conditions expected(enum cf_state st)
{
	struct ups_conditions c = { .ol = st == CF_MAINS, .lb = st == CF_LOW };

	return c;
}

/* Compare one condition if the port reads all its lines. */
static bool cond_agrees(const struct line_cond *c, unsigned reported, bool got, bool want)
{
	if ((c->line & ~reported) != 0)
		return true;
	return got == want;
}

bool cf_explains(const struct cable_profile *p, const struct cf_obs *o, unsigned reported,
		 char *why, size_t len)
{
	unsigned in = o->inputs & reported & ML_INPUTS;
	struct ups_conditions got, want;
	char lines[48], outs[24], st[48], cpn[24];

	cable_mask_name(in, lines, sizeof(lines));
	cable_mask_name(o->outputs & OUT_LINES, outs, sizeof(outs));
	snprintf(st, sizeof(st), "%s", cf_state_name(o->state));
	/* with no voltage on the cable, or no cable, nothing drives a line */
	if (o->state == CF_PULLED || !powered(p, o->outputs)) {
		if (in == 0)
			return true;
		if (why != NULL && len > 0)
			snprintf(why, len, "%s with %s raised read %s, but its cable is not "
				 "powered (CP=%s) or pulled: every line would be clear", st, outs,
				 lines, cable_mask_name((unsigned)p->cp, cpn, sizeof(cpn)));
		return false;
	}
	got = status_from_lines(p, in);
	want = expected(o->state);
	if (!cond_agrees(&p->ol, reported, got.ol, want.ol) ||
	    !cond_agrees(&p->lb, reported, got.lb, want.lb) ||
	    !cond_agrees(&p->rb, reported, got.rb, false) ||
	    !cond_agrees(&p->bypass, reported, got.bypass, false)) {
		char status[32], sw[32];

		status_format(&got, status, sizeof(status));
		status_format(&want, sw, sizeof(sw));
		snprintf(st, sizeof(st), "%s (%s)", cf_state_name(o->state), sw);
		if (why != NULL && len > 0)
			snprintf(why, len, "%s with %s raised read %s, which it maps to %s",
				 st, outs, lines, status);
		return false;
	}
	return true;
}

bool cf_fits(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
	     unsigned reported, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cf_explains(p, &obs[i], reported, why, len))
			return false;
	return true;
}

bool cf_usable(const struct cable_profile *p, unsigned reported, char *why, size_t len)
{
	unsigned unseen = lines_read(p) & ~reported;
	char l[32];

	if (!unseen)
		return true;
	if (why != NULL && len > 0)
		snprintf(why, len, "reads %s, which this port cannot report",
			 cable_mask_name(unseen, l, sizeof(l)));
	return false;
}

bool cf_exercised(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
		  unsigned reported)
{
	bool on = false, off = false;
	size_t i;

	if (p->ol.line == 0 || (p->ol.line & ~reported) != 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!powered(p, obs[i].outputs))
			continue;
		if (obs[i].state == CF_MAINS)
			on = true;
		else if (obs[i].state == CF_BATTERY || obs[i].state == CF_LOW)
			off = true;
	}
	return on && off;
}

unsigned cf_unexplained(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
			unsigned reported)
{
	unsigned seen = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (obs[i].state != CF_PULLED && powered(p, obs[i].outputs))
			seen |= obs[i].inputs;
	return seen & reported & ML_INPUTS & ~lines_read(p);
}

uint32_t cf_fitting_types(const struct cf_obs *obs, size_t n, unsigned reported)
{
	uint32_t m = 0;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++)
		if (cf_fits(cable_profile_get(t), obs, n, reported, NULL, 0))
			m |= 1u << t;
	return m;
}

uint32_t cf_confirmed_types(const struct cf_obs *obs, size_t n, unsigned reported)
{
	uint32_t m = 0;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);

		if (cf_fits(p, obs, n, reported, NULL, 0) && cf_exercised(p, obs, n, reported) &&
		    cf_usable(p, reported, NULL, 0))
			m |= 1u << t;
	}
	return m;
}

/* "mains read CTS+DCD (OL)" for the first powered observation in st. */
static size_t reading_text(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
			   enum cf_state st, char *buf, size_t len)
{
	char lines[48], status[32];
	struct ups_conditions c;
	size_t i;

	for (i = 0; i < n; i++) {
		if (obs[i].state != st || !powered(p, obs[i].outputs))
			continue;
		c = status_from_lines(p, obs[i].inputs);
		status_format(&c, status, sizeof(status));
		snprintf(buf, len, "; %s read %s (%s)", cf_state_name(st),
			 cable_mask_name(obs[i].inputs & ML_INPUTS, lines, sizeof(lines)), status);
		return strlen(buf);
	}
	return 0;
}

void cf_type_reason(int t, const struct cf_obs *obs, size_t n, unsigned reported,
		    char *buf, size_t len)
{
	const struct cable_profile *p = cable_profile_get(t);
	char why[160], cp[24], ol[24], lb[24];
	size_t used;
	int s;

	if (p == NULL || len == 0)
		return;
	if (!cf_fits(p, obs, n, reported, why, sizeof(why))) {
		snprintf(buf, len, "out: %s", why);
		return;
	}
	cable_mask_name((unsigned)p->cp, cp, sizeof(cp));
	cable_cond_name(&p->ol, ol, sizeof(ol));
	cable_cond_name(&p->lb, lb, sizeof(lb));
	if (!cf_usable(p, reported, why, sizeof(why))) {
		snprintf(buf, len, "fits the lines seen, but %s (use another port)", why);
		return;
	}
	if (!cf_exercised(p, obs, n, reported)) {
		snprintf(buf, len, "possible: not yet seen powered (CP=%s) on mains and on battery",
			 cp);
		return;
	}
	used = (size_t)snprintf(buf, len, "fits: CP=%s OL=%s LB=%s", cp, ol, lb);
	for (s = CF_MAINS; s <= CF_LOW && used < len; s++)
		used += reading_text(p, obs, n, (enum cf_state)s, buf + used, len - used);
}

uint32_t cf_shutdown_types(unsigned prev, unsigned next, uint32_t among)
{
	uint32_t m = 0;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);
		unsigned cp = (unsigned)p->cp & OUT_LINES;

		if (!(among & (1u << t)))
			continue;
		switch (cable_sd_kind(p->sd)) {
		case CABLE_SD_LINES:
			if ((next & OUT_LINES) == (unsigned)p->sd)
				m |= 1u << t;
			break;
		case CABLE_SD_DROP_ALL:
			if ((next & OUT_LINES) == 0 && cp != 0 && (prev & cp) == cp)
				m |= 1u << t;
			break;
		case CABLE_SD_BREAK:	/* the wizard never sends a BREAK */
		case CABLE_SD_UNSUPPORTED:
			break;
		}
	}
	return m;
}

static bool tried(const struct cf_obs *obs, size_t n, enum cf_state st, unsigned outputs)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (obs[i].state == st && (obs[i].outputs & OUT_LINES) == outputs)
			return true;
	return false;
}

/* Candidates not yet seen powered in state st. */
static uint32_t undecided(const struct cf_obs *obs, size_t n, enum cf_state st, uint32_t cands)
{
	uint32_t m = 0;
	size_t i;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++) {
		bool seen = false;

		if (!(cands & (1u << t)))
			continue;
		for (i = 0; i < n && !seen; i++)
			seen = obs[i].state == st && powered(cable_profile_get(t), obs[i].outputs);
		if (!seen)
			m |= 1u << t;
	}
	return m;
}

static uint32_t powered_types(unsigned outputs, uint32_t among)
{
	uint32_t m = 0;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++)
		if ((among & (1u << t)) && powered(cable_profile_get(t), outputs))
			m |= 1u << t;
	return m;
}

/* Types whose cable power is exactly outputs: a trial aimed at them. */
static uint32_t exact_cp_types(unsigned outputs, uint32_t among)
{
	uint32_t m = 0;
	int t;

	for (t = 0; t < CABLE_NTYPES; t++)
		if ((among & (1u << t)) &&
		    ((unsigned)cable_profile_get(t)->cp & OUT_LINES) == outputs)
			m |= 1u << t;
	return m;
}

/* Is a better than b as the next trial? Fewer endangered, then aimed at more. */
static bool better_trial(const struct cf_power *a, uint32_t a_exact,
			 const struct cf_power *b, uint32_t b_exact)
{
	if (popcount(a->danger) != popcount(b->danger))
		return popcount(a->danger) < popcount(b->danger);
	if (popcount(a_exact) != popcount(b_exact))
		return popcount(a_exact) > popcount(b_exact);
	return popcount(a->powers) > popcount(b->powers);
}

enum cf_power_verdict cf_next_power(const struct cf_obs *obs, size_t n, enum cf_state st,
				    uint32_t cands, unsigned prev, unsigned skip,
				    struct cf_power *out)
{
	uint32_t open = undecided(obs, n, st, cands), best_exact = 0;
	bool have = false;
	int i;

	for (i = 0; i < CF_NCOMBOS; i++) {
		struct cf_power c = { .outputs = cf_combos[i] };
		uint32_t exact;

		if ((skip & (1u << i)) || tried(obs, n, st, c.outputs))
			continue;
		c.powers = powered_types(c.outputs, open);
		if (c.powers == 0)
			continue;
		c.danger = cf_shutdown_types(prev, c.outputs, cands);
		exact = exact_cp_types(c.outputs, open);
		if (!have || better_trial(&c, exact, out, best_exact)) {
			*out = c;
			best_exact = exact;
			have = true;
		}
	}
	if (!have)
		return CF_POWER_DONE;
	if (out->danger == 0)
		return CF_POWER_SAFE;
	return st == CF_MAINS ? CF_POWER_CONFIRM : CF_POWER_BLOCKED;
}

unsigned cf_hold_power(uint32_t cands, unsigned prev, unsigned prefer, uint32_t *danger)
{
	unsigned best = 0;
	uint32_t best_danger = 0, best_powers = 0;
	bool have = false;
	int i;

	if (cf_shutdown_types(prev, prefer, cands) == 0) {
		*danger = 0;
		return prefer & OUT_LINES;
	}
	for (i = 0; i < CF_NCOMBOS; i++) {
		unsigned c = cf_combos[i];
		uint32_t d = cf_shutdown_types(prev, c, cands);
		uint32_t pw = powered_types(c, cands);

		if (!have || popcount(d) < popcount(best_danger) ||
		    (popcount(d) == popcount(best_danger) && popcount(pw) > popcount(best_powers))) {
			best = c;
			best_danger = d;
			best_powers = pw;
			have = true;
		}
	}
	*danger = best_danger;
	return best;
}

/* ---- overrides ---------------------------------------------------------- */

/* The single-line conditions an override may name: each line set or clear. */
static struct line_cond single_cond(int k)
{
	struct line_cond c = { cable_inputs[k / 2].bit, (k % 2) ? 0 : cable_inputs[k / 2].bit };

	return c;
}

#define N_SINGLE	(CABLE_NINPUTS * 2)

static bool same_cond(const struct line_cond *a, const struct line_cond *b)
{
	return a->line == b->line && a->val == b->val;
}

struct ov_search {
	const struct cf_obs *obs;
	size_t n;
	unsigned reported;
	bool found;
	unsigned best_unexplained;
	struct cf_override best;
};

static void ov_consider(struct ov_search *s, int base, unsigned fields,
			const struct cable_profile *p)
{
	unsigned un;

	if (!cf_usable(p, s->reported, NULL, 0) || !cf_exercised(p, s->obs, s->n, s->reported) ||
	    !cf_fits(p, s->obs, s->n, s->reported, NULL, 0))
		return;
	un = popcount(cf_unexplained(p, s->obs, s->n, s->reported));
	if (s->found && (popcount(fields) > popcount(s->best.fields) ||
			 (popcount(fields) == popcount(s->best.fields) &&
			  un >= s->best_unexplained)))
		return;
	s->found = true;
	s->best_unexplained = un;
	s->best.base = base;
	s->best.fields = fields;
	s->best.prof = *p;
}

/* Every RB/BYPASS choice (keep, or none) for a profile with CP, OL, LB set. */
static void ov_tail(struct ov_search *s, int base, unsigned fields, struct cable_profile *p)
{
	const struct cable_profile *b = cable_profile_get(base);
	struct line_cond none = { 0, 0 };
	int rb, by;

	for (rb = 0; rb < 2; rb++) {
		if (rb && b->rb.line == 0)
			continue;
		p->rb = rb ? none : b->rb;
		for (by = 0; by < 2; by++) {
			if (by && b->bypass.line == 0)
				continue;
			p->bypass = by ? none : b->bypass;
			ov_consider(s, base, fields | (rb ? CF_F_RB : 0) | (by ? CF_F_BYPASS : 0), p);
		}
	}
}

/* OL and LB choices: keep (-1), a single-line condition, or (LB) none. */
static void ov_conds(struct ov_search *s, int base, unsigned fields, struct cable_profile *p)
{
	const struct cable_profile *b = cable_profile_get(base);
	struct line_cond none = { 0, 0 };
	int ol, lb;

	for (ol = -1; ol < N_SINGLE; ol++) {
		p->ol = ol < 0 ? b->ol : single_cond(ol);
		if (ol >= 0 && same_cond(&p->ol, &b->ol))
			continue;
		for (lb = -1; lb <= N_SINGLE; lb++) {
			if (lb == N_SINGLE)
				p->lb = none;
			else
				p->lb = lb < 0 ? b->lb : single_cond(lb);
			if (lb >= 0 && same_cond(&p->lb, &b->lb))
				continue;
			if (p->lb.line != 0 && p->lb.line == p->ol.line)
				continue;	/* one line cannot say both */
			ov_tail(s, base, fields | (ol >= 0 ? CF_F_OL : 0) | (lb >= 0 ? CF_F_LB : 0), p);
		}
	}
}

bool cf_find_override(const struct cf_obs *obs, size_t n, unsigned reported,
		      struct cf_override *ov)
{
	struct ov_search s = { .obs = obs, .n = n, .reported = reported };
	int base, i;

	for (base = 0; base < CABLE_NTYPES; base++) {
		const struct cable_profile *b = cable_profile_get(base);

		for (i = 0; i < CF_NCOMBOS; i++) {
			struct cable_profile p = *b;
			unsigned fields = 0;

			if (cf_combos[i] != ((unsigned)b->cp & OUT_LINES)) {
				p.cp = (int)cf_combos[i];
				fields |= CF_F_CP;
			}
			ov_conds(&s, base, fields, &p);
		}
	}
	if (s.found)
		*ov = s.best;
	return s.found;
}

size_t cf_override_lines(const struct cf_override *ov, char *buf, size_t len)
{
	char v[48];
	size_t used = 0;
	int k;

	static const struct {
		unsigned field;
		const char *name;
	} names[] = {
		{ CF_F_CP, "CP" }, { CF_F_OL, "OL" }, { CF_F_LB, "LB" },
		{ CF_F_RB, "RB" }, { CF_F_BYPASS, "BYPASS" },
	};

	if (len > 0)
		buf[0] = '\0';
	for (k = 0; k < 5 && used < len; k++) {
		const struct cable_profile *p = &ov->prof;
		int w;

		if (!(ov->fields & names[k].field))
			continue;
		if (names[k].field == CF_F_CP)
			cable_mask_name((unsigned)p->cp, v, sizeof(v));
		else
			cable_cond_name(names[k].field == CF_F_OL ? &p->ol :
					names[k].field == CF_F_LB ? &p->lb :
					names[k].field == CF_F_RB ? &p->rb : &p->bypass, v, sizeof(v));
		w = snprintf(buf + used, len - used, "%s = %s\n", names[k].name, v);
		if (w > 0)
			used += (size_t)w;
	}
	return used < len ? used : len - 1;
}

static int lowest(uint32_t m)
{
	return m ? __builtin_ctz(m) : -1;
}

void cf_decide(const struct cf_obs *obs, size_t n, unsigned reported, uint32_t allowed,
	       struct cf_result *r)
{
	uint32_t confirmed = cf_confirmed_types(obs, n, reported), best = 0;
	unsigned least = ~0u;
	int t;

	memset(r, 0, sizeof(*r));
	r->type = -1;
	r->possible = cf_fitting_types(obs, n, reported) & ~confirmed;
	for (t = 0; t < CABLE_NTYPES; t++) {
		unsigned un;

		if (!(confirmed & (1u << t)))
			continue;
		un = popcount(cf_unexplained(cable_profile_get(t), obs, n, reported));
		if (un < least) {
			least = un;
			best = 0;
		}
		if (un == least)
			best |= 1u << t;
	}
	if (best) {
		r->kind = CF_RES_TYPE;
		r->equivalent = best;
		r->answers_ignored = (best & allowed) == 0;
		r->type = lowest((best & allowed) ? best & allowed : best);
		return;
	}
	if (cf_find_override(obs, n, reported, &r->ov)) {
		r->kind = CF_RES_OVERRIDE;
		r->type = r->ov.base;
		return;
	}
	r->kind = CF_RES_UNDECIDED;
}

const char *cf_types_text(uint32_t types, char *buf, size_t len)
{
	size_t used = 0;
	int t;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (t = 0; t < CABLE_NTYPES && used < len; t++) {
		int w;

		if (!(types & (1u << t)))
			continue;
		w = snprintf(buf + used, len - used, "%s%d", used ? " " : "", t);
		if (w > 0)
			used += (size_t)w;
	}
	if (used == 0)
		snprintf(buf, len, "none");
	return buf;
}
