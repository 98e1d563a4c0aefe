/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cable_profile.h"
#include "lines.h"
#include "shutdown.h"
#include "sockclient.h"

#define BREAK_MS 5000		/* NUT: tcsendbreak(fd, 4901) = a 5 s break on Linux */

int shutdown_ups(struct driver *d)
{
	const struct cable_profile *p = &d->cfg.profile;
	char name[32];
	int rc;

	if (p->sd == SD_UNSUPPORTED) {
		log_msg(&d->log, LOG_ERR, "no shutdown defined for upstype %d (%s); "
			"set SD in ups.conf if the cable has a shutdown line",
			d->cfg.upstype, cable_profile_get(d->cfg.upstype)->desc);
		return -1;
	}
	if (!d->port_open) {
		log_msg(&d->log, LOG_ERR, "cannot shut down: port %s is not open", d->cfg.port);
		return -1;
	}
	if (p->sd == ML_ST) {
		log_msg(&d->log, LOG_NOTICE, "sending a %d s BREAK on %s", BREAK_MS / 1000,
			d->cfg.port);
		rc = d->src.ops->send_break(&d->src, BREAK_MS);
		if (rc < 0) {
			log_msg(&d->log, LOG_ERR, "BREAK on %s failed: %s", d->cfg.port,
				strerror(-rc));
			return -1;
		}
		return 0;
	}
	log_msg(&d->log, LOG_NOTICE, "raising shutdown lines %s on %s",
		cable_mask_name((unsigned)p->sd, name, sizeof(name)), d->cfg.port);
	rc = d->src.ops->set(&d->src, (unsigned)p->sd);
	if (rc < 0) {
		log_msg(&d->log, LOG_ERR, "setting shutdown lines on %s failed: %s",
			d->cfg.port, strerror(-rc));
		return -1;
	}
	if (d->cfg.sdtime > 0) {
		struct timespec ts = { .tv_sec = d->cfg.sdtime };

		log_msg(&d->log, LOG_INFO, "holding shutdown signal for %u seconds...",
			d->cfg.sdtime);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}

static int killpower_via_socket(struct driver *d)
{
	struct sock_conn c;
	char err[256];
	int rc;

	if (sockclient_open(&c, d->sockpath, 3000, err, sizeof(err)) < 0)
		return -1;
	rc = sockclient_request(&c, "SET driver.flag.allow_killpower 1", 15000, err, sizeof(err));
	if (rc == 0)
		rc = sockclient_request(&c, "INSTCMD driver.killpower",
					(int)(d->cfg.sdtime + 60) * 1000, err, sizeof(err));
	sockclient_close(&c);
	if (rc < 0)
		log_msg(&d->log, LOG_WARNING, "running driver did not take killpower: %s", err);
	else
		log_msg(&d->log, LOG_NOTICE, "request to killpower via running driver instance "
			"returned code %d", rc);
	return rc;
}

int shutdown_run_kill(struct driver *d)
{
	char err[512];

	if (killpower_via_socket(d) == 0)
		return 0;
	if (d->cfg.profile.sd == SD_UNSUPPORTED) {
		log_msg(&d->log, LOG_ERR, "no shutdown defined for upstype %d (%s); set SD to "
			"the cable's shutdown lines to override", d->cfg.upstype,
			cable_profile_get(d->cfg.upstype)->desc);
		return 1;
	}
	d->src.nolock = true;	/* the running driver, if any, may hold it */
	if (lines_open(d, err, sizeof(err)) < 0) {
		log_msg(&d->log, LOG_ERR, "%s", err);
		return 1;
	}
	log_msg(&d->log, LOG_NOTICE, "initiating UPS [%s] shutdown", d->opt.upsname);
	if (shutdown_ups(d) < 0)
		return 1;
	log_msg(&d->log, LOG_CRIT, "UPS [%s]: shutdown request was successful", d->opt.upsname);
	return 0;
}
