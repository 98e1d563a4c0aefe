/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "options.h"
#include "usbport.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define DRIVER_NAME "genericups"

enum var_kind { VK_VALUE, VK_FLAG };

struct var_desc {
	const char *name;
	enum var_kind kind;
	const char *desc;
};

/* The driver's own variables, in -h/-L order (NUT's eleven first). */
static const struct var_desc driver_vars[] = {
	{ "upstype", VK_VALUE, "Set UPS type (required)" },
	{ "mfr", VK_VALUE, "Override manufacturer name" },
	{ "model", VK_VALUE, "Override model name" },
	{ "serial", VK_VALUE, "Specify the serial number" },
	{ "CP", VK_VALUE, "Override cable power setting" },
	{ "OL", VK_VALUE, "Override on line signal" },
	{ "LB", VK_VALUE, "Override low battery signal" },
	{ "RB", VK_VALUE, "Override replace battery signal" },
	{ "BYPASS", VK_VALUE, "Override battery bypass signal" },
	{ "SD", VK_VALUE, "Override shutdown setting" },
	{ "sdtime", VK_VALUE, "Hold time for shutdown value (seconds)" },
	{ "obconfirm", VK_VALUE, "Seconds on battery must hold before OB is published (default 1)" },
	{ "olconfirm", VK_VALUE, "Seconds on line must hold before OB returns to OL (default 0.5)" },
	{ "lbconfirm", VK_VALUE, "Seconds low battery must hold before LB changes (default 1.5)" },
	{ "rbconfirm", VK_VALUE, "Seconds replace battery must hold before RB changes (default 1)" },
	{ "bypassconfirm", VK_VALUE, "Seconds bypass must hold before BYPASS changes (default 0.5)" },
	{ "flapcount", VK_VALUE, "Line changes within flapwindow that count as flapping (default 10)" },
	{ "flapwindow", VK_VALUE, "Seconds over which flapcount is counted (default 60)" },
	{ "pollonly", VK_FLAG, "Read the lines every pollinterval instead of waiting for changes" },
	{ "linepoll", VK_VALUE, "Seconds between reads of lines the port cannot report (default 0.2)" },
	{ "deadcable", VK_VALUE, "Pulled-cable detection: auto, off, or the lines a pulled cable reads" },
	{ "deadcablehold", VK_VALUE, "Seconds a pulled cable is held as stale before it is believed (default 30)" },
	{ "deadcablewindow", VK_VALUE, "Seconds from on line to all clear that count as a pulled cable (default 0.3)" },
};
#define NDRIVER_VARS (sizeof(driver_vars) / sizeof(driver_vars[0]))

enum var_index {
	V_UPSTYPE, V_MFR, V_MODEL, V_SERIAL, V_CP, V_OL, V_LB, V_RB, V_BYPASS, V_SD,
	V_SDTIME, V_OBCONFIRM, V_OLCONFIRM, V_LBCONFIRM, V_RBCONFIRM, V_BYPASSCONFIRM,
	V_FLAPCOUNT, V_FLAPWINDOW, V_POLLONLY, V_LINEPOLL, V_DEADCABLE, V_DEADCABLEHOLD,
	V_DEADCABLEWINDOW,
};

/* Keys the driver core reads in a UPS section. */
static const struct var_desc core_keys[] = {
	{ "driver", VK_VALUE, NULL }, { "port", VK_VALUE, NULL },
	{ "desc", VK_VALUE, NULL }, { "sdorder", VK_VALUE, NULL },
	{ "user", VK_VALUE, NULL }, { "group", VK_VALUE, NULL },
	{ "pollinterval", VK_VALUE, NULL }, { "synchronous", VK_VALUE, NULL },
	{ "debug_min", VK_VALUE, NULL }, { "sdcommands", VK_VALUE, NULL },
	{ "nolock", VK_FLAG, NULL }, { "ignorelb", VK_FLAG, NULL },
	{ "allow_killpower", VK_FLAG, NULL }, { "sddelay", VK_VALUE, NULL },
	/* for upsdrvctl only: accepted and ignored */
	{ "maxstartdelay", VK_VALUE, NULL }, { "maxretry", VK_VALUE, NULL },
	{ "retrydelay", VK_VALUE, NULL }, { "nowait", VK_FLAG, NULL },
};
#define NCORE_KEYS (sizeof(core_keys) / sizeof(core_keys[0]))

void options_print_banner(void)
{
	printf("genericups %s - event-driven contact-closure UPS driver for NUT\n",
	       PACKAGE_VERSION);
}

void options_print_vars(void)
{
	size_t i;

	for (i = 0; i < NDRIVER_VARS; i++)
		printf("%s %s \"%s\"\n", driver_vars[i].kind == VK_FLAG ? "FLAG" : "VALUE",
		       driver_vars[i].name, driver_vars[i].desc);
}

/* What a pulled cable (every input clear) does under a profile. */
static const char *pulled_cable_text(const struct cable_profile *p, char *buf, size_t len)
{
	char reads[16];

	switch (deadcable_pulled_outcome(p, reads, sizeof(reads))) {
	case DEADCABLE_PULLED_CAUGHT:
		snprintf(buf, len, "\"%s\": caught by deadcable (stale data; no shutdown at start-up, at run time only after deadcablehold)", reads);
		break;
	case DEADCABLE_PULLED_UNNOTICED:
		snprintf(buf, len, "\"OL\": goes unnoticed (check the cable)");
		break;
	case DEADCABLE_PULLED_PUBLISHED:
		snprintf(buf, len, "\"%s\": not critical, published as such", reads);
		break;
	}
	return buf;
}

static void print_types(void)
{
	char cp[32], ol[32], lb[32], rb[32], bp[32], sd[32], pulled[160];
	int t;

	printf("Valid UPS types:\n\n");
	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);

		printf("%2d: %s\n", t, p->desc);
		printf("    CP=%s OL=%s LB=%s RB=%s BYPASS=%s SD=%s\n",
		       cable_mask_name((unsigned)p->cp, cp, sizeof(cp)),
		       cable_cond_name(&p->ol, ol, sizeof(ol)),
		       cable_cond_name(&p->lb, lb, sizeof(lb)),
		       cable_cond_name(&p->rb, rb, sizeof(rb)),
		       cable_cond_name(&p->bypass, bp, sizeof(bp)),
		       p->sd == SD_UNSUPPORTED ? "unsupported" :
		       cable_mask_name((unsigned)p->sd, sd, sizeof(sd)));
		printf("    pulled cable reads %s\n", pulled_cable_text(p, pulled, sizeof(pulled)));
	}
}

void options_print_help(const struct options *opt)
{
	size_t i;

	options_print_banner();
	printf("\nusage: %s (-a <id>|-s <id>) [OPTIONS]\n"
	       "  -a <id>        - autoconfig using ups.conf section <id>\n"
	       "  -s <id>        - configure directly from -x options, <id> names the UPS\n"
	       "  -x <var>=<val> - set driver variable <var> (-x <flag> for a flag)\n"
	       "  -D             - raise debugging level (and stay in the foreground)\n"
	       "  -d <count>     - dump the data after <count>+1 reads and exit\n"
	       "  -F             - stay in the foreground (no PID file)\n"
	       "  -FF            - stay in the foreground and write the PID file\n"
	       "  -B             - go to the background even with -D\n"
	       "  -q             - raise log level threshold\n"
	       "  -h             - display this help\n"
	       "  -V             - print the version and exit\n"
	       "  -L             - print the list of variables and exit\n"
	       "  -U             - list the USB serial adapters and the port value naming each\n"
	       "  -k             - force shutdown (SD lines, held for sdtime)\n"
	       "  -i <int>       - seconds between line reads when the port cannot notify\n"
	       "  -r <dir>       - chroot to <dir>\n"
	       "  -u <user>      - switch to <user> (if started as root)\n"
	       "  -g <group>     - set the group of the socket\n"
	       "  -c <command>   - send <command> to a running driver: reload,\n"
	       "                   reload-or-exit, reload-or-error, exit\n"
	       "  -P <pid>       - with -c: signal this PID instead of the PID file's\n",
	       opt->progname);
	printf("\nAcceptable values for -x or ups.conf in this driver:\n\n");
	for (i = 0; i < NDRIVER_VARS; i++)
		printf("%40s : -x %s%s\n", driver_vars[i].desc, driver_vars[i].name,
		       driver_vars[i].kind == VK_FLAG ? "" : "=<value>");
	printf("\n");
	print_types();
	printf("\nSee genericups(8) for the cables and the line mappings.\n");
}

static int add_xvar(struct options *opt, char *arg, char *err, size_t errlen)
{
	struct setting *s, *nv;
	char *eq;

	nv = realloc(opt->xvars, (opt->nxvars + 1) * sizeof(*nv));
	if (!nv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	opt->xvars = nv;
	s = &opt->xvars[opt->nxvars++];
	memset(s, 0, sizeof(*s));
	eq = strchr(arg, '=');
	if (eq) {
		*eq = '\0';
		s->value = eq + 1;
	}
	s->key = arg;
	if (!*arg) {
		snprintf(err, errlen, "-x: empty variable name");
		return -1;
	}
	snprintf(s->origin, sizeof(s->origin), "-x %s", arg);
	return 0;
}

static int parse_positive(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int options_parse(struct options *opt, int argc, char **argv, char *err, size_t errlen)
{
	const char *slash;
	int c;

	memset(opt, 0, sizeof(*opt));
	slash = strrchr(argv[0], '/');
	opt->progname = slash ? slash + 1 : argv[0];
	opt->dump_count = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt(argc, argv, "+a:s:kDFBd:hx:LUqr:u:g:Vi:c:P:")) != -1) {
		switch (c) {
		case 'a':
		case 's':
			if (opt->upsname) {
				snprintf(err, errlen, "options '-a id' and '-s id' are mutually "
					 "exclusive and single-use only");
				return -1;
			}
			opt->upsname = optarg;
			opt->use_conf = c == 'a';
			break;
		case 'k': opt->kill = true; break;
		case 'D': opt->debug++; break;
		case 'F': opt->foreground++; break;
		case 'B': opt->force_background = true; break;
		case 'd': {
			unsigned long n;

			if (parse_uint(optarg, 1000, &n) < 0) {
				snprintf(err, errlen, "-d '%s': not a count (0-1000)", optarg);
				return -1;
			}
			opt->dump_count = (int)n;
			break;
		}
		case 'h': opt->help = true; break;
		case 'x':
			if (add_xvar(opt, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'L': opt->list_vars = true; break;
		case 'U': opt->list_usb = true; break;
		case 'q': opt->quiet++; break;
		case 'r': opt->chroot_dir = optarg; break;
		case 'u': opt->user = optarg; break;
		case 'g': opt->group = optarg; break;
		case 'V': opt->version = true; break;
		case 'i':
			if (parse_positive(optarg, &opt->pollinterval) < 0) {
				snprintf(err, errlen, "-i '%s': invalid pollinterval (seconds, 1-86400)",
					 optarg);
				return -1;
			}
			break;
		case 'c':
			if (opt->command) {
				snprintf(err, errlen, "only one -c command at a time");
				return -1;
			}
			opt->command = optarg;
			break;
		case 'P': {
			unsigned long pid;

			if (parse_uint(optarg, 4194304, &pid) < 0 || pid == 0) {
				snprintf(err, errlen, "-P '%s': not a process ID", optarg);
				return -1;
			}
			opt->command_pid = (pid_t)pid;
			break;
		}
		default:
			if (optopt && strchr("asdxrugicP", optopt))
				snprintf(err, errlen, "option -%c needs an argument. Try -h for help.",
					 optopt);
			else
				snprintf(err, errlen, "unknown option -%c. Try -h for help.",
					 optopt ? optopt : '?');
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "too many non-option arguments ('%s'). Try -h for help.",
			 argv[optind]);
		return -1;
	}
	if (opt->help || opt->version || opt->list_vars || opt->list_usb)
		return 0;
	if (!opt->upsname) {
		snprintf(err, errlen, "specifying '-a id' or '-s id' is mandatory. Try -h for help.");
		return -1;
	}
	return 0;
}

void options_free(struct options *opt)
{
	free(opt->xvars);
	opt->xvars = NULL;
	opt->nxvars = 0;
}

/* ---- configuration ------------------------------------------------------ */

static const struct var_desc *find_var(const struct var_desc *tab, size_t n,
				       const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcasecmp(tab[i].name, key)) {
			if (idx)
				*idx = i;
			return &tab[i];
		}
	}
	return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] +
				(tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

static const char *suggest(const char *key)
{
	const char *best = NULL;
	size_t bestd = 3, d, i;

	for (i = 0; i < NDRIVER_VARS; i++) {
		d = edit_distance(key, driver_vars[i].name);
		if (d < bestd) {
			bestd = d;
			best = driver_vars[i].name;
		}
	}
	for (i = 0; i < NCORE_KEYS; i++) {
		d = edit_distance(key, core_keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = core_keys[i].name;
		}
	}
	return best;
}

/* "1.5" -> 1500; digits with up to three decimals, at most max_s seconds. */
static int parse_seconds_ms(const char *s, uint32_t max_s, uint32_t *ms)
{
	uint64_t whole = 0, frac = 0;
	int fdigits = 0;
	const char *p = s;

	if (!*p)
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > max_s)
			return -1;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++fdigits > 3)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (fdigits == 0)
			return -1;
	}
	if (*p || p == s)
		return -1;
	while (fdigits++ < 3)
		frac *= 10;
	if (whole * 1000 + frac > (uint64_t)max_s * 1000)
		return -1;
	*ms = (uint32_t)(whole * 1000 + frac);
	return 0;
}


/* Append; the array grows by doubling (its size is a power of two or 0). */
static int push_setting(struct setting **arr, size_t *n, const struct setting *s)
{
	if ((*n & (*n - 1)) == 0) {
		struct setting *nv = realloc(*arr, (*n ? *n * 2 : 1) * sizeof(**arr));

		if (!nv)
			return -1;
		*arr = nv;
	}
	(*arr)[(*n)++] = *s;
	return 0;
}

struct setting_ref {
	const char *key;
	size_t pos;
};

static int setting_ref_cmp(const void *a, const void *b)
{
	const struct setting_ref *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Later definitions win, at the place of the first one (a repeated key keeps
 * its order): sorting by key makes this O(n log n), not O(n^2), for the
 * 40,000 overrides a generated ups.conf may hold. 0, or -1 out of memory.
 */
static int settings_dedupe(struct setting *arr, size_t *n)
{
	struct setting_ref *refs;
	size_t i, j, k, out;

	if (*n < 2)
		return 0;
	refs = malloc(*n * sizeof(*refs));
	if (!refs)
		return -1;
	for (i = 0; i < *n; i++)
		refs[i] = (struct setting_ref){ .key = arr[i].key, .pos = i };
	qsort(refs, *n, sizeof(*refs), setting_ref_cmp);
	for (i = 0; i < *n; i = j) {
		for (j = i + 1; j < *n && !strcasecmp(refs[i].key, refs[j].key); j++)
			;
		if (j - i == 1)
			continue;
		arr[refs[i].pos] = arr[refs[j - 1].pos];
		for (k = i + 1; k < j; k++)
			arr[refs[k].pos].key = NULL;	/* dropped below */
	}
	free(refs);
	for (i = out = 0; i < *n; i++)
		if (arr[i].key)
			arr[out++] = arr[i];
	*n = out;
	return 0;
}

struct build {
	const struct setting *vars[NDRIVER_VARS];	/* last value of each driver var */
	const char *driver;
	struct setting driver_set;
	struct setting var_store[NDRIVER_VARS];
};

static int bad(char *err, size_t errlen, const struct setting *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, const struct setting *s, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", s->origin, msg);
	return -1;
}

static int take_global(struct driver_config *cfg, const struct setting *s,
		       char *err, size_t errlen)
{
	unsigned long v;

	if (!strcasecmp(s->key, "pollinterval")) {
		if (!s->value || parse_uint(s->value, 86400, &v) < 0 || v == 0)
			return bad(err, errlen, s, "invalid pollinterval '%s' (seconds, 1-86400)",
				   s->value ? s->value : "");
		cfg->pollinterval = (int)v;
	} else if (!strcasecmp(s->key, "user")) {
		cfg->user = s->value;
	} else if (!strcasecmp(s->key, "group")) {
		cfg->group = s->value;
	} else if (!strcasecmp(s->key, "chroot")) {
		cfg->chroot_dir = s->value;
	} else if (!strcasecmp(s->key, "synchronous")) {
		const char *val = s->value ? s->value : "";

		cfg->synchronous = !strcasecmp(val, "yes") ? 1 :
				   !strcasecmp(val, "auto") ? -1 : 0;
		if (strcasecmp(val, "yes") && strcasecmp(val, "auto") && strcasecmp(val, "no"))
			return bad(err, errlen, s, "synchronous '%s': use yes, no or auto", val);
	} else if (!strcasecmp(s->key, "debug_min")) {
		if (!s->value || parse_uint(s->value, 100, &v) < 0)
			return bad(err, errlen, s, "invalid debug_min '%s'", s->value ? s->value : "");
		cfg->debug_min = (int)v;
	}
	/* anything else in the global part is for upsdrvctl or upsd */
	return 0;
}

static int take_core(struct driver_config *cfg, struct build *b, const struct setting *s,
		     const struct var_desc *k, char *err, size_t errlen)
{
	if (k->kind == VK_FLAG && s->value)
		return bad(err, errlen, s, "'%s' is a flag: write it without a value", k->name);
	if (k->kind == VK_VALUE && !s->value)
		return bad(err, errlen, s, "'%s' needs a value", k->name);
	if (!strcasecmp(k->name, "driver")) {
		b->driver = s->value;
		b->driver_set = *s;
	} else if (!strcasecmp(k->name, "port")) {
		struct usbport_id id;
		char uerr[400];

		/* here, not at the open: a reload with a malformed identity is
		 * a configuration error, not a port change that needs a restart */
		if (usbport_is_usb(s->value) &&
		    usbport_parse(s->value, &id, uerr, sizeof(uerr)) < 0) {
			snprintf(err, errlen, "%s: %s", s->origin, uerr);
			return -1;
		}
		cfg->port = s->value;
	} else if (!strcasecmp(k->name, "nolock")) {
		cfg->nolock = true;
	} else if (!strcasecmp(k->name, "ignorelb")) {
		cfg->ignorelb = true;
	} else if (!strcasecmp(k->name, "allow_killpower")) {
		cfg->allow_killpower = true;
	} else if (!strcasecmp(k->name, "sdcommands")) {
		cfg->sdcommands = s->value;
	} else {
		return take_global(cfg, s, err, errlen);
	}
	if (k->kind == VK_FLAG || !strcasecmp(k->name, "port"))
		return push_setting(&cfg->params, &cfg->nparams, s);
	return 0;
}

static int take_setting(struct driver_config *cfg, struct build *b, const struct setting *s,
			char *err, size_t errlen)
{
	const struct var_desc *d;
	size_t idx;
	struct setting sub;

	if (!strncasecmp(s->key, "override.", 9) || !strncasecmp(s->key, "default.", 8)) {
		bool ovr = tolower((unsigned char)s->key[0]) == 'o';

		if (!s->value)
			return bad(err, errlen, s, "'%s' needs a value", s->key);
		sub = *s;
		sub.key = s->key + (ovr ? 9 : 8);
		if (!*sub.key)
			return bad(err, errlen, s, "'%s' names no variable", s->key);
		if (push_setting(&cfg->params, &cfg->nparams, s) < 0)
			return -1;
		return ovr ? push_setting(&cfg->overrides, &cfg->noverrides, &sub)
			   : push_setting(&cfg->defaults, &cfg->ndefaults, &sub);
	}
	d = find_var(driver_vars, NDRIVER_VARS, s->key, &idx);
	if (d) {
		if (d->kind == VK_FLAG && s->value)
			return bad(err, errlen, s, "'%s' is a flag: write it without a value", d->name);
		if (d->kind == VK_VALUE && !s->value)
			return bad(err, errlen, s, "'%s' needs a value", d->name);
		b->var_store[idx] = *s;
		b->var_store[idx].key = d->name;
		b->vars[idx] = &b->var_store[idx];
		return push_setting(&cfg->params, &cfg->nparams, &b->var_store[idx]);
	}
	d = find_var(core_keys, NCORE_KEYS, s->key, NULL);
	if (d) {
		if (!strcasecmp(d->name, "sddelay") || !strcasecmp(d->name, "desc") ||
		    !strcasecmp(d->name, "sdorder") || !strcasecmp(d->name, "maxstartdelay") ||
		    !strcasecmp(d->name, "maxretry") || !strcasecmp(d->name, "retrydelay") ||
		    !strcasecmp(d->name, "nowait"))
			return 0;	/* for upsd or upsdrvctl */
		return take_core(cfg, b, s, d, err, errlen);
	}
	{
		const char *hint = suggest(s->key);
		char msg[200];

		if (hint)
			snprintf(msg, sizeof(msg), "unknown variable '%s' (did you mean '%s'?)",
				 s->key, hint);
		else
			snprintf(msg, sizeof(msg), "unknown variable '%s' (genericups -h lists them)",
				 s->key);
		snprintf(err, errlen, "%s: %s", s->origin, msg);
	}
	return -1;
}

static int apply_deadcable_vars(struct driver_config *cfg, struct build *b, char *err,
				size_t errlen)
{
	const struct setting *s;
	char msg[256];

	if ((s = b->vars[V_DEADCABLE]) && deadcable_parse(s->value, &cfg->deadcable, msg,
							 sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", s->origin, msg);
		return -1;
	}
	if ((s = b->vars[V_DEADCABLEHOLD]) &&
	    parse_seconds_ms(s->value, 3600, &cfg->deadcable.hold_ms) < 0)
		return bad(err, errlen, s, "invalid deadcablehold '%s' (seconds, 0-3600)",
			   s->value);
	if ((s = b->vars[V_DEADCABLEWINDOW]) &&
	    parse_seconds_ms(s->value, 10, &cfg->deadcable.window_ms) < 0)
		return bad(err, errlen, s, "invalid deadcablewindow '%s' (seconds, 0-10, e.g. 0.3)",
			   s->value);
	return 0;
}

static int apply_driver_vars(struct driver_config *cfg, struct build *b, char *err, size_t errlen)
{
	static const int delay_var[DB_NSIG] = {
		[DB_OB] = V_OBCONFIRM, [DB_OL] = V_OLCONFIRM, [DB_LB] = V_LBCONFIRM,
		[DB_RB] = V_RBCONFIRM, [DB_BYPASS] = V_BYPASSCONFIRM,
	};
	const struct cable_profile *p;
	const struct setting *s;
	char msg[200];
	unsigned long v;
	int i, mask;

	s = b->vars[V_UPSTYPE];
	if (!s) {
		snprintf(err, errlen, "no upstype set: add 'upstype = N' (0-23) to the UPS section "
			 "or use -x upstype=N; genericups -h lists the types");
		return -1;
	}
	if (cable_parse_upstype(s->value, &cfg->upstype, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", s->origin, msg);
		return -1;
	}
	p = cable_profile_get(cfg->upstype);
	cfg->profile = *p;
	cfg->mfr = b->vars[V_MFR] ? b->vars[V_MFR]->value : p->mfr;
	cfg->model = b->vars[V_MODEL] ? b->vars[V_MODEL]->value : p->model;
	cfg->serial = b->vars[V_SERIAL] ? b->vars[V_SERIAL]->value : NULL;

	static const struct { int var; size_t off; } inputs[] = {
		{ V_OL, offsetof(struct cable_profile, ol) },
		{ V_LB, offsetof(struct cable_profile, lb) },
		{ V_RB, offsetof(struct cable_profile, rb) },
		{ V_BYPASS, offsetof(struct cable_profile, bypass) },
	};
	for (i = 0; i < 4; i++) {
		s = b->vars[inputs[i].var];
		if (s && cable_parse_input(s->key, s->value,
					   (struct line_cond *)((char *)&cfg->profile + inputs[i].off),
					   msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s: %s", s->origin, msg);
			return -1;
		}
	}
	if ((s = b->vars[V_CP])) {
		if (cable_parse_output("CP", s->value, &mask, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s: %s", s->origin, msg);
			return -1;
		}
		cfg->profile.cp = mask;
	}
	if ((s = b->vars[V_SD])) {
		if (cable_parse_output("SD", s->value, &mask, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s: %s", s->origin, msg);
			return -1;
		}
		cfg->profile.sd = mask;
	}
	if ((s = b->vars[V_SDTIME])) {
		if (parse_uint(s->value, 3600, &v) < 0)
			return bad(err, errlen, s, "invalid sdtime '%s' (whole seconds, 0-3600)",
				   s->value);
		cfg->sdtime = (unsigned)v;
	}
	for (i = 0; i < DB_NSIG; i++) {
		s = b->vars[delay_var[i]];
		if (s && parse_seconds_ms(s->value, 3600, &cfg->db.delay_ms[i]) < 0)
			return bad(err, errlen, s, "invalid %s '%s' (seconds, e.g. 1.5, 0-3600)",
				   s->key, s->value);
	}
	if ((s = b->vars[V_FLAPCOUNT])) {
		if (parse_uint(s->value, FLAP_MAX_COUNT, &v) < 0 || v < 2)
			return bad(err, errlen, s, "invalid flapcount '%s' (2-32)", s->value);
		cfg->flap.count = (unsigned)v;
	}
	if ((s = b->vars[V_FLAPWINDOW])) {
		uint32_t ms;

		if (parse_seconds_ms(s->value, 86400, &ms) < 0 || ms == 0)
			return bad(err, errlen, s, "invalid flapwindow '%s' (seconds, > 0)", s->value);
		cfg->flap.window_ms = ms;
	}
	cfg->pollonly = b->vars[V_POLLONLY] != NULL;
	if ((s = b->vars[V_LINEPOLL])) {
		uint32_t ms;

		if (parse_seconds_ms(s->value, 60, &ms) < 0 || ms < LINEPOLL_MIN_MS)
			return bad(err, errlen, s, "invalid linepoll '%s' (seconds, 0.01-60, "
				   "e.g. 0.2)", s->value);
		cfg->linepoll_ms = ms;
	}
	return apply_deadcable_vars(cfg, b, err, errlen);
}

int config_build(struct driver_config *cfg, const struct options *opt,
		 const struct upsconf *conf, char *err, size_t errlen)
{
	struct build *b;
	struct setting s;
	size_t i;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		*err = '\0';
	debounce_config_defaults(&cfg->db);
	cfg->flap.count = FLAP_DEFAULT_COUNT;
	cfg->flap.window_ms = FLAP_DEFAULT_WINDOW_MS;
	cfg->pollinterval = 2;
	cfg->linepoll_ms = LINEPOLL_DEFAULT_MS;
	deadcable_config_defaults(&cfg->deadcable);
	cfg->synchronous = -1;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (opt->use_conf) {
		const char *base = conf->path ? strrchr(conf->path, '/') : NULL;

		base = base ? base + 1 : (conf->path ? conf->path : "ups.conf");
		if (!upsconf_find_section(conf, opt->upsname)) {
			snprintf(err, errlen, "section [%s] not found in %s", opt->upsname,
				 conf->path ? conf->path : "ups.conf");
			goto out;
		}
		for (i = 0; i < conf->nentries; i++) {
			const struct upsconf_entry *e = &conf->entries[i];

			memset(&s, 0, sizeof(s));
			s.key = e->key;
			s.value = e->value;
			snprintf(s.origin, sizeof(s.origin), "%s:%u", base, e->line);
			if (!e->section) {
				if (take_global(cfg, &s, err, errlen) < 0)
					goto out;
			} else if (!strcmp(e->section, opt->upsname)) {
				if (take_setting(cfg, b, &s, err, errlen) < 0)
					goto out;
			}
		}
	}
	for (i = 0; i < opt->nxvars; i++)
		if (take_setting(cfg, b, &opt->xvars[i], err, errlen) < 0)
			goto out;
	if (b->driver && strcmp(b->driver, DRIVER_NAME)) {
		snprintf(err, errlen, "%s: UPS [%s] is for driver '%s', but this is %s",
			 b->driver_set.origin, opt->upsname, b->driver, DRIVER_NAME);
		goto out;
	}
	if (!cfg->port) {
		snprintf(err, errlen, "no port for UPS [%s]: set 'port' in ups.conf or use "
			 "-x port=...", opt->upsname);
		goto out;
	}
	if (opt->pollinterval)
		cfg->pollinterval = opt->pollinterval;
	if (opt->user)
		cfg->user = opt->user;
	if (opt->group)
		cfg->group = opt->group;
	if (opt->chroot_dir)
		cfg->chroot_dir = opt->chroot_dir;
	if (settings_dedupe(cfg->params, &cfg->nparams) < 0 ||
	    settings_dedupe(cfg->overrides, &cfg->noverrides) < 0 ||
	    settings_dedupe(cfg->defaults, &cfg->ndefaults) < 0)
		goto out;
	rc = apply_driver_vars(cfg, b, err, errlen);
out:
	free(b);
	if (rc < 0) {
		if (errlen && !*err)
			snprintf(err, errlen, "out of memory");
		config_free(cfg);	/* a failed reload must not leak what was built */
	}
	return rc;
}

void config_free(struct driver_config *cfg)
{
	free(cfg->params);
	free(cfg->overrides);
	free(cfg->defaults);
	memset(cfg, 0, sizeof(*cfg));
}

static bool str_differ(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

const char *config_unreloadable_change(const struct driver_config *a,
				       const struct driver_config *b)
{
	if (str_differ(a->port, b->port))
		return "port";
	if (a->upstype != b->upstype)
		return "upstype";
	if (a->profile.cp != b->profile.cp)
		return "CP";
	if (str_differ(a->user, b->user))
		return "user";
	if (str_differ(a->group, b->group))
		return "group";
	if (str_differ(a->chroot_dir, b->chroot_dir))
		return "chroot";
	if (a->nolock != b->nolock)
		return "nolock";
	return "";
}

int config_check_upsname(const char *name, const char *statepath, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	const char *p;

	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/')) {
		snprintf(err, errlen, "UPS name '%s' is not allowed: it must be a plain name "
			 "(no '/', not '.' or '..')", name);
		return -1;
	}
	for (p = name; *p; p++) {
		if (!isprint((unsigned char)*p) || isspace((unsigned char)*p)) {
			snprintf(err, errlen, "UPS name '%s' is not allowed: no spaces or "
				 "control characters", name);
			return -1;
		}
	}
	if (strlen(statepath) + strlen("/" DRIVER_NAME "-") + strlen(name) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "UPS name '%s' is too long: socket path %s/%s-%s would "
			 "exceed %zu bytes", name, statepath, DRIVER_NAME, name,
			 sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}
