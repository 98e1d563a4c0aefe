/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "sockclient.h"

static pid_t pidfile_read(const char *path)
{
	FILE *f = fopen(path, "re");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

void pidfile_write(struct driver *d)
{
	FILE *f = fopen(d->pidpath, "we");

	if (!f) {
		log_msg(&d->log, LOG_WARNING, "cannot write PID file %s: %s", d->pidpath,
			strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	chmod(d->pidpath, 0644);
	d->pidfile_written = true;
}

/* Ask an instance already serving this UPS to exit, so we can take over. */
void control_stop_old_instance(struct driver *d)
{
	struct sock_conn c;
	char err[256];
	struct stat sb;
	pid_t pid;
	int i;

	if (sockclient_open(&c, d->sockpath, 2000, err, sizeof(err)) == 0) {
		log_msg(&d->log, LOG_WARNING, "another driver serves %s: asking it to exit",
			d->sockpath);
		sockclient_request(&c, "INSTCMD driver.exit", 5000, err, sizeof(err));
		sockclient_close(&c);
		for (i = 0; i < 100 && stat(d->sockpath, &sb) == 0; i++)
			usleep(50000);
		return;
	}
	pid = pidfile_read(d->pidpath);
	if (pid > 0 && pid != getpid() && kill(pid, SIGTERM) == 0) {
		log_msg(&d->log, LOG_WARNING, "duplicate driver instance (PID file %s names %ld): "
			"terminating it", d->pidpath, (long)pid);
		for (i = 0; i < 100 && kill(pid, 0) == 0; i++)
			usleep(50000);
	}
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
		pid = d->opt.command_pid ? d->opt.command_pid : pidfile_read(d->pidpath);
		if (pid <= 0) {
			fprintf(stderr, "%s: error: -c %s: no PID (cannot read %s; use -P)\n",
				d->opt.progname, cmd, d->pidpath);
			return 1;
		}
		if (kill(pid, sig) < 0) {
			fprintf(stderr, "%s: error: -c %s: cannot signal PID %ld: %s\n",
				d->opt.progname, cmd, (long)pid, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (sockclient_open(&c, d->sockpath, 3000, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: error: -c %s: %s\n", d->opt.progname, cmd, err);
		return 1;
	}
	snprintf(req, sizeof(req), "INSTCMD driver.%s", cmd);
	rc = sockclient_request(&c, req, 15000, err, sizeof(err));
	sockclient_close(&c);
	if (rc < 0) {
		fprintf(stderr, "%s: error: -c %s: %s\n", d->opt.progname, cmd, err);
		return 1;
	}
	printf("Request for driver to %s returned code %d\n", cmd, rc);
	return rc;
}
