/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cable_profile.h"
#include "lines.h"
#include "publish.h"
#include "shutdown.h"
#include "sockclient.h"

#define BREAK_MS 5000		/* NUT: tcsendbreak(fd, 4901) = a 5 s break on Linux */

/* -k over the socket: how long the running driver may take at each step */
#define KILL_OPEN_MS	3000	/* connect and PONG */
#define KILL_SET_MS	3000	/* SET driver.flag.allow_killpower 1 */
#define KILL_REPLY_MS	5000	/* INSTCMD driver.killpower (the hold is a timer) */
#define KILL_EXIT_MS	10000	/* after the hold, to close its socket and exit */

/* Raise the SD lines, or send the BREAK: blocking for BREAK_MS (-k, no
 * loop to serve), or begun here and ended by the loop's hold timer. */
static int shutdown_signal(struct driver *d, bool in_loop)
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
		rc = in_loop ? d->src.ops->set_break(&d->src, true) :
			       d->src.ops->send_break(&d->src, BREAK_MS);
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
	return 0;
}

/* How long the shutdown signal is held after shutdown_signal(): sdtime,
 * or in the loop the BREAK itself. */
static unsigned hold_ms(const struct driver *d, bool in_loop)
{
	if (d->cfg.profile.sd == ML_ST)
		return in_loop ? BREAK_MS : 0;
	return d->cfg.sdtime * 1000;
}

int shutdown_ups(struct driver *d)
{
	if (shutdown_signal(d, false) < 0)
		return -1;
	if (hold_ms(d, false) > 0) {
		struct timespec ts = { .tv_sec = d->cfg.sdtime };

		log_msg(&d->log, LOG_INFO, "holding shutdown signal for %u seconds...",
			d->cfg.sdtime);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}

int shutdown_begin(struct driver *d, const char *why, uint64_t now)
{
	if (d->shutting_down) {
		log_msg(&d->log, LOG_NOTICE, "%s: the UPS is already being shut down", why);
		return 0;
	}
	publish_set(d, "driver.state", "fsd.killpower");
	log_msg(&d->log, LOG_CRIT, "%s: shutting the UPS down", why);
	if (shutdown_signal(d, true) < 0)
		return -1;
	d->shutting_down = true;
	d->shutdown_end_ms = now + hold_ms(d, true);
	if (hold_ms(d, true) && d->cfg.profile.sd != ML_ST)
		log_msg(&d->log, LOG_INFO, "holding shutdown signal for %u seconds...",
			d->cfg.sdtime);
	return 0;
}

void shutdown_hold_end(struct driver *d)
{
	int rc;

	if (d->cfg.profile.sd == ML_ST && d->port_open &&
	    (rc = d->src.ops->set_break(&d->src, false)) < 0)
		log_msg(&d->log, LOG_ERR, "ending the BREAK on %s failed: %s", d->cfg.port,
			strerror(-rc));
	log_msg(&d->log, LOG_NOTICE, "shutdown signal sent; exiting with the lines left as "
		"written");
	d->shutting_down = false;
	d->exit = DRV_EXIT_OK;
}

/* The answer of a running driver: 0 it took killpower, 1 none runs,
 * -1 it did not answer in time or refused (the caller falls back). */
static int killpower_via_socket(struct driver *d)
{
	unsigned wait_exit = hold_ms(d, true) + KILL_EXIT_MS;
	int reply_ms = KILL_REPLY_MS;
	struct sock_conn c;
	char err[256];
	int rc;

	if (sockclient_open(&c, d->sockpath, KILL_OPEN_MS, err, sizeof(err)) < 0) {
		if (c.absent) {
			log_debug(&d->log, 1, "no running driver: %s", err);
			return 1;
		}
		log_msg(&d->log, LOG_WARNING, "the running driver did not answer: %s", err);
		return -1;
	}
	rc = sockclient_request(&c, "SET driver.flag.allow_killpower 1", KILL_SET_MS,
				err, sizeof(err));
	if (rc == 0)
		rc = sockclient_request(&c, "INSTCMD driver.killpower", reply_ms, err, sizeof(err));
	else if (rc > 0)
		snprintf(err, sizeof(err), "SET driver.flag.allow_killpower returned code %d", rc);
	if (rc != 0) {
		sockclient_close(&c);
		if (rc > 0)
			log_msg(&d->log, LOG_WARNING, "the running driver refused killpower "
				"(code %d)", rc);
		else
			log_msg(&d->log, LOG_WARNING, "the running driver did not take "
				"killpower: %s", err);
		return -1;
	}
	log_msg(&d->log, LOG_NOTICE, "request to killpower via running driver instance "
		"returned code 0");
	/* it holds the signal for sdtime, then exits: wait for that, bounded */
	if (sockclient_wait_close(&c, (int)wait_exit, err, sizeof(err)) < 0)
		log_msg(&d->log, LOG_WARNING, "the running driver has not exited %u s after "
			"taking killpower (%s); the shutdown signal was sent", wait_exit / 1000, err);
	sockclient_close(&c);
	return 0;
}

int shutdown_run_kill(struct driver *d)
{
	char err[512];
	int rc = killpower_via_socket(d);

	if (rc == 0)
		return 0;
	if (rc < 0)
		log_msg(&d->log, LOG_WARNING, "shutting UPS [%s] down through port %s directly",
			d->opt.upsname, d->cfg.port);
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
