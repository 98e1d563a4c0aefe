/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "lines.h"
#include "monotime.h"
#include "pidfile.h"
#include "sockclient.h"

#define DIALOG_MS	2000	/* takeover: each answer of the old driver */
#define COMMAND_OPEN_MS	3000	/* -c: connect and PONG */
#define COMMAND_REPLY_MS 15000	/* -c: the TRACKING answer to a reload or exit */
#define WAIT_STEP_MS	50

void control_write_pidfile(struct driver *d)
{
	char err[PATH_MAX + 128];

	if (pidfile_create(d->pidpath, getpid(), &d->pidfile_id, err, sizeof(err)) < 0) {
		log_msg(&d->log, LOG_WARNING, "%s", err);
		return;
	}
	d->pidfile_written = true;
}

void control_remove_pidfile(struct driver *d)
{
	if (d->pidfile_written && !pidfile_remove_own(d->pidpath, &d->pidfile_id))
		log_debug(&d->log, 1, "PID file %s is no longer ours: left alone", d->pidpath);
	d->pidfile_written = false;
}

/*
 * The PID of the genericups for this UPS that the PID file names, or 0 when
 * there is none: no file, a bad one, or one naming another process (the
 * state directory is writable by the run-time user, and PIDs are reused).
 */
static pid_t old_instance_pid(struct driver *d)
{
	char err[PATH_MAX + 128], what[512];
	bool gone;
	pid_t pid;

	if (pidfile_read(d->pidpath, &pid, err, sizeof(err)) < 0) {
		if (errno != ENOENT)
			log_msg(&d->log, LOG_WARNING, "%s; ignoring it", err);
		return 0;
	}
	if (pid == getpid())
		return 0;
	if (!process_serves_ups(pid, d->opt.progname, d->opt.upsname, &gone, what, sizeof(what))) {
		if (!gone)
			log_msg(&d->log, LOG_WARNING, "PID file %s names %s, not a %s for UPS %s: "
				"not signalling it", d->pidpath, what, d->opt.progname,
				d->opt.upsname);
		return 0;
	}
	return pid;
}

/* The PID the driver on the socket gives (GETPID), if it is a genericups
 * for this UPS; else 0 (an old NUT without GETPID, or not a driver). */
static pid_t socket_peer_pid(struct driver *d, struct sock_conn *c)
{
	char text[32], err[256], what[512];
	bool gone;
	pid_t pid;

	if (sockclient_query(c, "GETPID", "PID", text, sizeof(text), DIALOG_MS, err,
			     sizeof(err)) < 0 || pidfile_parse(text, &pid) < 0)
		return 0;
	if (!process_serves_ups(pid, d->opt.progname, d->opt.upsname, &gone, what, sizeof(what))) {
		log_msg(&d->log, LOG_WARNING, "the driver on %s says it is PID %ld, but that is %s",
			d->sockpath, (long)pid, what);
		return 0;
	}
	return pid;
}

/* Ask the driver on the socket to exit; true when it agreed, with *pid its
 * PID when it could be checked, else 0. */
static bool ask_old_instance(struct driver *d, pid_t *pid)
{
	struct sock_conn c;
	char err[256];
	int rc;

	*pid = 0;
	if (sockclient_open(&c, d->sockpath, DIALOG_MS, err, sizeof(err)) < 0) {
		if (!c.absent)
			log_msg(&d->log, LOG_WARNING, "an old driver for %s does not answer: %s",
				d->opt.upsname, err);
		return false;
	}
	*pid = socket_peer_pid(d, &c);
	if (*pid)
		log_msg(&d->log, LOG_WARNING, "another driver (PID %ld) serves %s: asking it to exit",
			(long)*pid, d->sockpath);
	else
		log_msg(&d->log, LOG_WARNING, "another driver serves %s: asking it to exit",
			d->sockpath);
	rc = sockclient_request(&c, "INSTCMD driver.exit", DIALOG_MS, err, sizeof(err));
	sockclient_close(&c);
	if (rc != 0)
		log_msg(&d->log, LOG_WARNING, "the old driver did not agree to exit: %s",
			rc < 0 ? err : "it refused driver.exit");
	return rc == 0;
}

static void sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/*
 * Takeover: an old instance for this UPS is asked to exit (over its socket,
 * else SIGTERM to the PID its PID file names, once checked), then we wait
 * until its PID (from GETPID or the PID file) has exited and the port lock
 * is free, TAKEOVER_WAIT_MS at most, before the port is ours. The old
 * instance removes its socket and PID file before it releases the port, and
 * removes only its own.
 */
void control_take_over_port(struct driver *d)
{
	uint64_t start = monotime_ms(), deadline = start + TAKEOVER_WAIT_MS;
	char err[768], source[PATH_MAX + 16];
	pid_t in_file = old_instance_pid(d), old;
	bool asked = ask_old_instance(d, &old);

	snprintf(source, sizeof(source), "%s", old ? d->sockpath : d->pidpath);
	if (!asked && !old)
		old = in_file;
	if (!asked && old) {
		log_msg(&d->log, LOG_WARNING, "terminating the old driver, PID %ld (from %s)",
			(long)old, source);
		/* SIGCONT: a stopped process must run to act on SIGTERM */
		if (kill(old, SIGTERM) < 0 || kill(old, SIGCONT) < 0)
			log_msg(&d->log, LOG_WARNING, "cannot signal PID %ld: %s", (long)old,
				strerror(errno));
		asked = true;
	}
	while (old && !process_has_exited(old)) {
		if (monotime_ms() >= deadline)
			log_fatal(&d->log, "the old driver, PID %ld (from %s), did not exit within "
				  "%d s: not taking over UPS %s", (long)old, source,
				  TAKEOVER_WAIT_MS / 1000, d->opt.upsname);
		sleep_ms(WAIT_STEP_MS);
	}
	/* the lock goes with the old process's last close of the port */
	while (lines_open(d, err, sizeof(err)) < 0) {
		if (!asked)
			log_fatal(&d->log, "%s", err);
		if (monotime_ms() >= deadline)
			log_fatal(&d->log, "%s (the old driver did not release it within %d s)", err,
				  TAKEOVER_WAIT_MS / 1000);
		sleep_ms(WAIT_STEP_MS);
	}
	if (asked)
		log_msg(&d->log, LOG_NOTICE, "took over UPS %s from the old driver after %llu ms",
			d->opt.upsname, (unsigned long long)(monotime_ms() - start));
}

/* -c reload / reload-or-exit: the checked PID to signal, or 0 (message printed). */
static pid_t command_pid(struct driver *d, const char *cmd)
{
	char err[PATH_MAX + 128], what[512];
	bool gone;
	pid_t pid;

	if (d->opt.command_pid)
		return d->opt.command_pid;	/* the user named it */
	if (pidfile_read(d->pidpath, &pid, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: error: -c %s: %s (is the driver running? -P names a PID)\n",
			d->opt.progname, cmd, err);
		return 0;
	}
	if (!process_serves_ups(pid, d->opt.progname, d->opt.upsname, &gone, what, sizeof(what))) {
		fprintf(stderr, "%s: error: -c %s: PID file %s names %s, %s; not signalling it\n",
			d->opt.progname, cmd, d->pidpath, what,
			gone ? "so no driver runs" : "which is not a driver for this UPS");
		return 0;
	}
	return pid;
}

int control_run_command(struct driver *d)
{
	const char *cmd = d->opt.command;
	struct sock_conn c;
	char err[256], req[128];
	int sig = 0, rc;
	pid_t pid;

	if (!strcmp(cmd, "reload"))
		sig = SIGHUP;
	else if (!strcmp(cmd, "reload-or-exit"))
		sig = SIGUSR1;
	else if (strcmp(cmd, "reload-or-error") && strcmp(cmd, "exit")) {
		fprintf(stderr, "%s: error: -c '%s': unknown command (use reload, "
			"reload-or-exit, reload-or-error or exit)\n", d->opt.progname, cmd);
		return 1;
	}
	if (sig) {
		pid = command_pid(d, cmd);
		if (!pid)
			return 1;
		if (kill(pid, sig) < 0) {
			fprintf(stderr, "%s: error: -c %s: cannot signal PID %ld: %s\n",
				d->opt.progname, cmd, (long)pid, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (sockclient_open(&c, d->sockpath, COMMAND_OPEN_MS, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: error: -c %s: %s\n", d->opt.progname, cmd, err);
		return 1;
	}
	snprintf(req, sizeof(req), "INSTCMD driver.%s", cmd);
	rc = sockclient_request(&c, req, COMMAND_REPLY_MS, err, sizeof(err));
	sockclient_close(&c);
	if (rc < 0) {
		fprintf(stderr, "%s: error: -c %s: %s\n", d->opt.progname, cmd, err);
		return 1;
	}
	printf("Request for driver to %s returned code %d\n", cmd, rc);
	return rc;
}
