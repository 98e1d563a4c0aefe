/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deadcable.h"
#include "status.h"

void deadcable_config_defaults(struct deadcable_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = DEADCABLE_AUTO;
	cfg->window_ms = DEADCABLE_DEFAULT_WINDOW_MS;
	cfg->hold_ms = DEADCABLE_DEFAULT_HOLD_MS;
}

static unsigned profile_lines(const struct cable_profile *p)
{
	return (p->ol.line | p->lb.line | p->rb.line | p->bypass.line) & ML_INPUTS;
}

static bool critical(const struct cable_profile *p, unsigned bits)
{
	struct ups_conditions c = status_from_lines(p, bits);

	return !c.ol && c.lb;
}

bool deadcable_condition(const struct deadcable_config *cfg, const struct cable_profile *p,
			 struct line_cond *cond)
{
	struct line_cond c;

	switch (cfg->mode) {
	case DEADCABLE_OFF:
		return false;
	case DEADCABLE_READING:
		c = cfg->cond;
		break;
	case DEADCABLE_AUTO:
	default:
		c.line = profile_lines(p);
		c.val = 0;
		break;
	}
	if (!c.line || !critical(p, c.val))
		return false;
	*cond = c;
	return true;
}

const char *deadcable_pulled_reads(const struct cable_profile *p, char *buf, size_t len)
{
	struct ups_conditions c = status_from_lines(p, 0);

	/* NUT's order, as ups.status says it */
	snprintf(buf, len, "%s%s", c.lb ? "LB " : "", c.ol ? "OL" : "OB");
	return buf;
}

enum deadcable_pulled deadcable_pulled_outcome(const struct cable_profile *p, char *reads,
					       size_t len)
{
	struct deadcable_config dc;
	struct line_cond cond;

	deadcable_config_defaults(&dc);
	deadcable_pulled_reads(p, reads, len);
	if (deadcable_condition(&dc, p, &cond))
		return DEADCABLE_PULLED_CAUGHT;
	return strcmp(reads, "OL") ? DEADCABLE_PULLED_PUBLISHED : DEADCABLE_PULLED_UNNOTICED;
}

void deadcable_init(struct deadcable *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->state = DEADCABLE_LIVE;
}

static void suspect(struct deadcable *dc, enum deadcable_state s, uint64_t now_ms)
{
	dc->state = s;
	dc->since_ms = now_ms;
}

enum deadcable_state deadcable_note(struct deadcable *dc, const struct deadcable_config *cfg,
				   const struct cable_profile *p, unsigned bits, uint64_t now_ms)
{
	struct line_cond cond;
	bool first = !dc->seen, ol = status_from_lines(p, bits).ol;

	dc->seen = true;
	if (!deadcable_condition(cfg, p, &cond) || (bits & cond.line) != cond.val) {
		dc->state = DEADCABLE_LIVE;
	} else if (dc->state == DEADCABLE_LIVE) {
		/* the moment the lines stopped saying "on line", this reading included */
		uint64_t left = dc->was_ol || !dc->left_ol ? now_ms : dc->ol_left_ms;

		if (first)
			suspect(dc, DEADCABLE_SUSPECT_START, now_ms);
		else if ((dc->was_ol || dc->left_ol) && now_ms - left <= cfg->window_ms)
			suspect(dc, DEADCABLE_SUSPECT_PULLED, now_ms);
		else
			dc->state = DEADCABLE_BELIEVED;	/* OL, OB for a while, then LB: an outage */
	}
	if (ol) {
		dc->left_ol = false;
	} else if (dc->was_ol || first) {
		dc->left_ol = !first;
		dc->ol_left_ms = now_ms;
	}
	dc->was_ol = ol;
	deadcable_tick(dc, cfg, now_ms);
	return dc->state;
}

uint64_t deadcable_deadline(const struct deadcable *dc, const struct deadcable_config *cfg)
{
	if (dc->state != DEADCABLE_SUSPECT_PULLED)
		return 0;
	return dc->since_ms + cfg->hold_ms;
}

bool deadcable_tick(struct deadcable *dc, const struct deadcable_config *cfg, uint64_t now_ms)
{
	uint64_t dl = deadcable_deadline(dc, cfg);

	if (!dl || now_ms < dl)
		return false;
	dc->state = DEADCABLE_BELIEVED;
	return true;
}

int deadcable_parse(const char *value, struct deadcable_config *cfg, char *err, size_t errlen)
{
	struct line_cond c;
	char msg[200];

	if (!strcasecmp(value, "auto")) {
		cfg->mode = DEADCABLE_AUTO;
		return 0;
	}
	if (!strcasecmp(value, "off")) {
		cfg->mode = DEADCABLE_OFF;
		return 0;
	}
	if (cable_parse_input("deadcable", value, &c, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s (or 'auto', 'off')", msg);
		return -1;
	}
	if (!c.line) {
		snprintf(err, errlen, "deadcable '%s' names no line: use 'off' to turn the "
			 "detection off", value);
		return -1;
	}
	cfg->mode = DEADCABLE_READING;
	cfg->cond = c;
	return 0;
}
