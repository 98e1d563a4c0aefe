/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cable profiles: NUT's upstypes 0-23 as NUT's genericups executes them
 * (spec nut-compat.md 1.2, the "code" column), and the override parser for
 * CP, SD (output lines) and OL, LB, RB, BYPASS (input lines).
 * Pure data and pure functions; no I/O.
 */
#ifndef CABLE_PROFILE_H
#define CABLE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Linux TIOCM_* values (asserted here, in cable_profile.c, against <sys/ioctl.h>) */
#define ML_LE	0x001
#define ML_DTR	0x002
#define ML_RTS	0x004
#define ML_ST	0x008
#define ML_SR	0x010
#define ML_CTS	0x020
#define ML_DCD	0x040
#define ML_RNG	0x080
#define ML_DSR	0x100

#define ML_INPUTS	(ML_CTS | ML_DCD | ML_RNG | ML_DSR)
#define ML_OUTPUTS	(ML_DTR | ML_RTS | ML_ST)

#define CABLE_NTYPES	24
#define SD_UNSUPPORTED	(-1)	/* no shutdown defined for this cable */

/* The input lines, in the order CTS, DCD, RNG, DSR (enum flap_line's too). */
struct cable_line {
	const char *name;
	unsigned bit;
};
#define CABLE_NINPUTS	4
extern const struct cable_line cable_inputs[CABLE_NINPUTS];

/* A condition is true when (bits & line) == val. line == 0: see status.h. */
struct line_cond {
	unsigned line;
	unsigned val;
};

struct cable_profile {
	const char *mfr;	/* default ups.mfr */
	const char *model;	/* default ups.model */
	const char *desc;	/* -h text */
	int cp;			/* outputs raised at start-up (exact TIOCMSET mask) */
	struct line_cond ol;	/* on line */
	struct line_cond lb;	/* low battery */
	struct line_cond rb;	/* replace battery */
	struct line_cond bypass;
	int sd;			/* shutdown: exact mask; ML_ST alone = BREAK; SD_UNSUPPORTED */
};

/* The table entry for type, or NULL when type is not 0..23. */
const struct cable_profile *cable_profile_get(int type);

/* What SD does, by the classes of spec 1.3. */
enum cable_sd_kind {
	CABLE_SD_LINES,		/* TIOCMSET the mask (then hold sdtime) */
	CABLE_SD_DROP_ALL,	/* mask 0: TIOCMSET 0, every output low */
	CABLE_SD_BREAK,		/* exactly ML_ST: send a serial BREAK */
	CABLE_SD_UNSUPPORTED,	/* SD_UNSUPPORTED: no shutdown, an error */
};
enum cable_sd_kind cable_sd_kind(int sd);

/* Parse an upstype value strictly: decimal digits only, 0..23 (NULL = "").
 * -1 with err like "upstype '24' is not a valid UPS type (0-23)". */
int cable_parse_upstype(const char *value, int *type, char *err, size_t errlen);

/*
 * Output override (var is "CP" or "SD", used in messages). value is a list of
 * words separated by '+', ',' or white space: DTR, RTS, ST, each optionally
 * prefixed by '-' ("not this line"), or 'none'/'NULL' alone (mask 0).
 * Names are case-sensitive (a near miss gets a "did you mean" hint); a
 * repeated name is harmless. On error *mask is left alone.
 * Errors (return -1, err names the bad word and the variable): empty value,
 * an input name (CTS, DCD, RNG, DSR), an unknown word, none mixed with names,
 * the same line both set and cleared.
 */
int cable_parse_output(const char *var, const char *value, int *mask,
		       char *err, size_t errlen);

/*
 * Input override (var is "OL", "LB", "RB" or "BYPASS"). Words CTS, DCD, RNG,
 * DSR, each optionally prefixed by '-' ("when clear"); several are ANDed;
 * 'none'/'NULL' alone disables (line = val = 0). Errors as for outputs, with
 * output names (DTR, RTS, ST) rejected.
 */
int cable_parse_input(const char *var, const char *value, struct line_cond *cond,
		      char *err, size_t errlen);

/* Text for a line mask, e.g. "DTR+RTS", "none"; for messages and -h. */
const char *cable_mask_name(unsigned mask, char *buf, size_t buflen);
/* Text for a condition, e.g. "-CTS", "DCD+-RNG", "none". */
const char *cable_cond_name(const struct line_cond *c, char *buf, size_t buflen);

#endif
