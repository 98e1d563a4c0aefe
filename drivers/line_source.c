/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cable_profile.h"
#include "line_source.h"

extern const struct line_source_ops line_serial_ops;
extern const struct line_source_ops line_sim_ops;

bool line_source_is_sim(const char *port)
{
	return strncmp(port, SIM_PREFIX, strlen(SIM_PREFIX)) == 0;
}

void line_source_init(struct line_source *ls, const char *port,
		      const struct logger *lg)
{
	memset(ls, 0, sizeof(*ls));
	ls->log = lg;
	ls->fd = -1;
	ls->wake_fd = -1;
	ls->dir_wd = -1;
	if (line_source_is_sim(port)) {
		ls->ops = &line_sim_ops;
		snprintf(ls->path, sizeof(ls->path), "%s", port + strlen(SIM_PREFIX));
	} else {
		ls->ops = &line_serial_ops;
		snprintf(ls->path, sizeof(ls->path), "%s", port);
	}
}

void line_source_close(struct line_source *ls)
{
	ls->ops->watch_stop(ls);
	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
}

int line_text_parse(const char *text, unsigned *bits, char *err, size_t errlen)
{
	char word[64];
	const char *p = text;

	*bits = 0;
	while (*p) {
		size_t n = 0, i;
		const char *eq;
		bool found = false;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "word too long near '%.20s'", p);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		eq = strchr(word, '=');
		if (!eq || (strcmp(eq + 1, "0") && strcmp(eq + 1, "1"))) {
			snprintf(err, errlen, "'%s' is not LINE=0 or LINE=1", word);
			return -1;
		}
		for (i = 0; i < CABLE_NINPUTS; i++) {
			if (strlen(cable_inputs[i].name) == (size_t)(eq - word) &&
			    !strncasecmp(word, cable_inputs[i].name, eq - word)) {
				if (eq[1] == '1')
					*bits |= cable_inputs[i].bit;
				found = true;
			}
		}
		if (!found) {
			snprintf(err, errlen, "unknown line '%.*s' (lines are CTS, DCD, RNG, DSR)",
				 (int)(eq - word), word);
			return -1;
		}
	}
	return 0;
}
