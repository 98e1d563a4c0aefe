/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's command line (NUT's driver options, 2.8.1+ meanings) and its
 * configuration: ups.conf global part + the UPS section + -x settings,
 * validated into one driver_config. Every error names its input:
 * "ups.conf:12: ..." or "-x upstype=24: ...".
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cable_profile.h"
#include "deadcable.h"
#include "debounce.h"
#include "upsconf.h"

/* Lines and edges the port does not report are read this often: a sustained
 * change is then seen within 250 ms, against NUT's 2 s poll. */
#define LINEPOLL_DEFAULT_MS	200
#define LINEPOLL_MIN_MS		10

struct setting {
	const char *key;
	const char *value;	/* NULL for a flag */
	char origin[48];	/* "ups.conf:12" or "-x" */
};

struct options {
	const char *progname;
	const char *upsname;
	bool use_conf;		/* -a (else -s) */
	struct setting *xvars;	/* -x, in argv order */
	size_t nxvars;
	int debug;		/* -D count */
	int quiet;		/* -q count */
	int dump_count;		/* -d N, -1 when not given */
	int foreground;		/* 0 default, 1 -F, 2 -FF */
	bool force_background;	/* -B */
	bool help, version, list_vars, kill;
	bool list_usb;		/* -U: list USB serial adapters */
	int pollinterval;	/* -i, 0 when not given */
	const char *chroot_dir, *user, *group;
	const char *command;	/* -c */
	pid_t command_pid;	/* -P, 0 when not given */
};

struct driver_config {
	const char *port;
	int upstype;
	struct cable_profile profile;	/* the table entry with the overrides applied */
	const char *mfr, *model, *serial;
	unsigned sdtime;		/* seconds to hold the SD lines */
	struct debounce_config db;
	struct flap_config flap;
	int pollinterval;		/* seconds */
	bool pollonly;
	uint32_t linepoll_ms;		/* lines and edges the port does not report */
	struct deadcable_config deadcable;
	const char *user, *group, *chroot_dir;
	int synchronous;		/* -1 auto, 0 no, 1 yes */
	int debug_min;
	bool nolock, ignorelb, allow_killpower;
	const char *sdcommands;
	/* what is published as driver.parameter.* / driver.flag.* and
	 * override.* / default.* values, in the order given */
	struct setting *params;
	size_t nparams;
	struct setting *overrides;	/* key without "override." */
	size_t noverrides;
	struct setting *defaults;	/* key without "default." */
	size_t ndefaults;
};

/* Parse argv. 0, or -1 with err (exit 1). */
int options_parse(struct options *opt, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *opt);

/* -h, -L, -V texts */
void options_print_help(const struct options *opt);
void options_print_vars(void);
void options_print_banner(void);

/*
 * Build the configuration from ups.conf (conf may be NULL with -s) and -x.
 * 0, or -1 with err naming the input.
 */
int config_build(struct driver_config *cfg, const struct options *opt,
		 const struct upsconf *conf, char *err, size_t errlen);
void config_free(struct driver_config *cfg);

/* Names of the settings a running driver cannot take without a restart
 * that differ between a and b; "" when a reload can apply b. */
const char *config_unreloadable_change(const struct driver_config *a,
				       const struct driver_config *b);

/* A UPS name must be a plain file-name component that fits the socket path. */
int config_check_upsname(const char *name, const char *statepath,
			 char *err, size_t errlen);

#endif
