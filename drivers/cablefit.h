/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which cable is this? The cable wizard's reasoning, as pure functions:
 * observations (the UPS's state as the user made it, the output lines held,
 * the input lines read) -> the upstypes, or the smallest override, that
 * explain all of them, with the reason; and which cable-power line
 * combination may be tried next without sending some candidate's shutdown
 * signal.
 *
 * The cable model is the profile table's (cable_profile.c), read as wiring:
 * a cable is powered when every line of its CP is raised (an extra raised
 * line does not unpower it); unpowered, or pulled from the UPS, every input
 * line it drives reads clear; powered, its lines read what its OL, LB, RB and
 * BYPASS conditions say for the UPS's state. A shutdown signal is the SD of
 * the profile as NUT writes it: the exact DTR/RTS mask (SD=RTS is "RTS
 * alone", DTR dropped), a BREAK, or for SD=0 dropping every line after the
 * cable power was held. tests/modemsim.c simulates cables by the same rules.
 */
#ifndef CABLEFIT_H
#define CABLEFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cable_profile.h"

#define CF_ALL_TYPES	((uint32_t)((1u << CABLE_NTYPES) - 1))
#define CF_MAX_OBS	64

/* The output combinations the wizard may hold: none, DTR, RTS, DTR+RTS.
 * BREAK is only ever a shutdown signal, never cable power. */
#define CF_NCOMBOS	4
extern const unsigned cf_combos[CF_NCOMBOS];

enum cf_state {
	CF_MAINS,	/* on mains, battery not low */
	CF_BATTERY,	/* mains unplugged, battery not low yet */
	CF_LOW,		/* on battery, low battery signalled */
	CF_PULLED,	/* the cable pulled from the UPS */
	CF_NSTATES,
};

const char *cf_state_name(enum cf_state s);	/* "mains", "battery", "low", "pulled" */
int cf_state_parse(const char *word, enum cf_state *s);

struct cf_obs {
	enum cf_state state;
	unsigned outputs;	/* ML_DTR | ML_RTS held while reading */
	unsigned inputs;	/* ML_INPUTS read */
};

/* Does profile p explain observation o? Lines outside reported (what the
 * port can read) are not judged. false with why saying what contradicts. */
bool cf_explains(const struct cable_profile *p, const struct cf_obs *o, unsigned reported,
		 char *why, size_t len);

/* Every observation explained; why names the first that is not. A profile
 * reading lines the port cannot report still fits (the UPS may be that one,
 * and its shutdown signal counts); it is just not usable on this port. */
bool cf_fits(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
	     unsigned reported, char *why, size_t len);

/* The driver can use p on a port that reports these lines (it refuses a
 * profile reading a line the port cannot report, port_check_profile). */
bool cf_usable(const struct cable_profile *p, unsigned reported, char *why, size_t len);

/* The profile was exercised: its cable was powered on mains and on battery
 * (or low), and its OL line read both ways. A fit that was never exercised
 * is only "not excluded yet". */
bool cf_exercised(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
		  unsigned reported);

/* Input lines seen set while p was powered that p does not read: a fit that
 * ignores lines is worse than one that explains them. */
unsigned cf_unexplained(const struct cable_profile *p, const struct cf_obs *obs, size_t n,
			unsigned reported);

/* Bit t set for each upstype t that fits (resp. fits, was exercised and is
 * usable on the port: an answer). */
uint32_t cf_fitting_types(const struct cf_obs *obs, size_t n, unsigned reported);
uint32_t cf_confirmed_types(const struct cf_obs *obs, size_t n, unsigned reported);

/* One line of why type t fits or not (for the narrowing screen). */
void cf_type_reason(int t, const struct cf_obs *obs, size_t n, unsigned reported,
		    char *buf, size_t len);

/* Types among `among` for which writing next after prev is the shutdown
 * signal (prev: what was written before; 0 when nothing was). */
uint32_t cf_shutdown_types(unsigned prev, unsigned next, uint32_t among);

enum cf_power_verdict {
	CF_POWER_DONE,		/* no untried combination would tell more */
	CF_POWER_SAFE,		/* try it: no candidate's shutdown signal */
	CF_POWER_CONFIRM,	/* on mains: some candidate's shutdown; ask first */
	CF_POWER_BLOCKED,	/* not on mains: shutdown of some; exclude them first */
};

struct cf_power {
	unsigned outputs;	/* the combination */
	uint32_t danger;	/* candidates whose shutdown signal it is */
	uint32_t powers;	/* candidates it powers that are undecided in this state */
};

/*
 * The next combination to try in state st, given the observations so far,
 * the candidates (types not excluded), and the outputs written last. Tries
 * only combinations that power an undecided candidate; the safe ones first,
 * then the one that is the shutdown of the fewest candidates.
 */
enum cf_power_verdict cf_next_power(const struct cf_obs *obs, size_t n, enum cf_state st,
				    uint32_t cands, unsigned prev, unsigned skip,
				    struct cf_power *out);

/* skip bit for cf_combos[i] (a combination the user declined). */
#define CF_COMBO_BIT(outputs)	\
	(1u << ((((outputs) & ML_DTR) ? 1 : 0) + (((outputs) & ML_RTS) ? 2 : 0)))
int cf_combo_index(unsigned outputs);

/*
 * What to hold while the user changes the UPS's state: prefer if it is safe
 * for every candidate (from prev), else the safe combination that powers
 * the most candidates. *danger gets the candidates whose shutdown the
 * returned combination is (0 when it is safe; when no combination is safe,
 * the least dangerous is returned).
 */
unsigned cf_hold_power(uint32_t cands, unsigned prev, unsigned prefer, uint32_t *danger);

/* Override fields. */
#define CF_F_CP		0x01
#define CF_F_OL		0x02
#define CF_F_LB		0x04
#define CF_F_RB		0x08
#define CF_F_BYPASS	0x10

struct cf_override {
	int base;		/* the upstype the overrides change */
	unsigned fields;	/* CF_F_* overridden */
	struct cable_profile prof;	/* the resulting profile */
};

/* The fewest overrides on one upstype that fit and are exercised; ties go
 * to the one that leaves fewer lines unexplained, then the lower type.
 * false when none does (too few observations, or a cable beyond overrides). */
bool cf_find_override(const struct cf_obs *obs, size_t n, unsigned reported,
		      struct cf_override *ov);

/* "OL = -DSR" lines, one per overridden field, each ending in '\n'. */
size_t cf_override_lines(const struct cf_override *ov, char *buf, size_t len);

enum cf_result_kind {
	CF_RES_UNDECIDED,	/* nothing exercised yet, or nothing fits */
	CF_RES_TYPE,		/* one or more equivalent upstypes */
	CF_RES_OVERRIDE,	/* no upstype fits; overrides on a base type */
};

struct cf_result {
	enum cf_result_kind kind;
	int type;		/* the chosen upstype (TYPE), or the base (OVERRIDE) */
	uint32_t equivalent;	/* TYPE: the upstypes that read the lines alike */
	uint32_t possible;	/* fit but not exercised */
	bool answers_ignored;	/* the user's answers excluded every fit */
	struct cf_override ov;
};

/*
 * The answer: the exercised fits that leave the fewest lines unexplained;
 * among those, the ones `allowed` by the user's answers (brand, cable)
 * when any is, the lowest-numbered of them chosen. Without an exercised
 * upstype, the smallest override.
 */
void cf_decide(const struct cf_obs *obs, size_t n, unsigned reported, uint32_t allowed,
	       struct cf_result *r);

/* "1 5 19" for a type mask. */
const char *cf_types_text(uint32_t types, char *buf, size_t len);

#endif
