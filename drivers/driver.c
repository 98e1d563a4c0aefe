/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's life cycle: startup and the modes (-c, -k, dump), the poll
 * loop, reload, socket commands, signals, privileges and cleanup.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <dlfcn.h>
#endif

#include "cable_profile.h"
#include "control.h"
#include "driver.h"
#include "monotime.h"
#include "lines.h"
#include "publish.h"
#include "shutdown.h"

#ifndef STATEPATH
#define STATEPATH "/run/nut"
#endif
#ifndef CONFPATH
#define CONFPATH "/etc/nut"
#endif
#ifndef RUN_AS_USER
#define RUN_AS_USER "nut"
#endif

/*
 * systemd notification through libsystemd's sd_notify(), loaded only when
 * systemd asks for it (NOTIFY_SOCKET set): outside systemd the driver does
 * not carry libsystemd and its dependencies (about 1 MB resident).
 */
static void notify_init(struct driver *d)
{
#ifdef HAVE_LIBSYSTEMD
	if (!getenv("NOTIFY_SOCKET"))
		return;
	d->sd_lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!d->sd_lib) {
		log_msg(&d->log, LOG_WARNING, "NOTIFY_SOCKET is set but libsystemd cannot be "
			"loaded: %s", dlerror());
		return;
	}
	*(void **)&d->sd_notify = dlsym(d->sd_lib, "sd_notify");
	*(void **)&d->sd_watchdog_enabled = dlsym(d->sd_lib, "sd_watchdog_enabled");
#else
	(void)d;
#endif
}

static void notify(const struct driver *d, const char *state)
{
	if (d->sd_notify)
		d->sd_notify(0, state);
}

/* Half the period systemd's WatchdogSec= asks for, or 0. */
static uint64_t watchdog_period_ms(const struct driver *d)
{
	uint64_t usec = 0;

	if (d->sd_watchdog_enabled && d->sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		return usec / 2000;
	return 0;
}

/* ---- reload -------------------------------------------------------------- */

enum reload_mode { RELOAD_PLAIN, RELOAD_OR_ERROR, RELOAD_OR_EXIT };

/* The debug level -D or NUT_DEBUG_LEVEL asked for (debug_min aside). */
static int reload_debug_asked(const struct driver *d)
{
	const char *env = getenv("NUT_DEBUG_LEVEL");

	if (d->opt.debug)
		return d->opt.debug;
	return env && atoi(env) > 0 ? atoi(env) : 0;
}

/* A new debug_min moves the level, unless SET driver.debug chose it. */
static void reload_debug(struct driver *d)
{
	int base = reload_debug_asked(d);

	if (d->cfg.debug_min > base)
		base = d->cfg.debug_min;
	if (d->log.debug == d->base_debug)
		d->log.debug = base;
	d->base_debug = base;
}

/* pollonly, linepoll, pollinterval and the profile's lines take effect now:
 * the watcher stops or starts, and the lines are read at once. */
static void reload_lines(struct driver *d, const struct driver_config *old)
{
	if (!d->port_open)
		return;		/* the reopen applies the new configuration */
	if (d->cfg.pollonly && !old->pollonly) {
		d->src.ops->watch_stop(&d->src);
		d->watch_fd = -1;
		lines_publish_port(d);
	} else if (!d->cfg.pollonly && old->pollonly) {
		lines_watch_begin(d);
	} else {
		lines_publish_port(d);
	}
	lines_read(d, "reload", monotime_ms());
}

/* 0 applied; 2 refused (needs a restart); 3 config error. */
static int do_reload(struct driver *d, enum reload_mode mode)
{
	struct upsconf conf, old_conf;
	struct driver_config cfg, old_cfg;
	struct publish_removed gone;
	bool had_conf;
	const char *what;
	char err[512];

	log_msg(&d->log, LOG_INFO, "reloading the configuration");
	notify(d, "RELOADING=1");
	memset(&conf, 0, sizeof(conf));
	if (d->opt.use_conf && upsconf_load(&conf, d->confpath, err, sizeof(err)) < 0) {
		log_msg(&d->log, LOG_ERR, "reload: %s; keeping the running configuration", err);
		notify(d, "READY=1");
		return 3;
	}
	if (config_build(&cfg, &d->opt, &conf, err, sizeof(err)) < 0) {
		log_msg(&d->log, LOG_ERR, "reload: %s; keeping the running configuration", err);
		upsconf_free(&conf);
		notify(d, "READY=1");
		return 3;
	}
	if (d->port_open && port_check_profile(&d->src.caps, &cfg.profile, cfg.port,
					       err, sizeof(err)) < 0) {
		log_msg(&d->log, LOG_ERR, "reload: %s; keeping the running configuration", err);
		config_free(&cfg);
		upsconf_free(&conf);
		notify(d, "READY=1");
		return 3;
	}
	what = config_unreloadable_change(&d->cfg, &cfg);
	if (*what) {
		log_msg(&d->log, LOG_WARNING, "reload: changing '%s' needs a restart of the driver%s",
			what, mode == RELOAD_OR_EXIT ? "; exiting so that it restarts" :
			"; keeping the running configuration");
		config_free(&cfg);
		upsconf_free(&conf);
		notify(d, "READY=1");
		if (mode == RELOAD_OR_EXIT)
			d->exit = DRV_EXIT_RELOAD;
		return 2;
	}
	old_cfg = d->cfg;	/* its strings live in old_conf */
	old_conf = d->conf;
	had_conf = d->have_conf;
	d->conf = conf;
	d->have_conf = d->opt.use_conf;
	d->cfg = cfg;
	reload_debug(d);
	if (publish_forget(d, &old_cfg, &gone) < 0)
		log_msg(&d->log, LOG_WARNING, "reload: out of memory: settings removed from "
			"the configuration may stay published");
	publish_info(d);
	reload_lines(d, &old_cfg);
	if (d->have_read)
		publish_status(d, monotime_ms());	/* again, if an override held it */
	publish_forget_done(d, &gone);
	config_free(&old_cfg);
	if (had_conf)
		upsconf_free(&old_conf);
	notify(d, "READY=1");
	log_msg(&d->log, LOG_INFO, "configuration reloaded");
	return 0;
}

/* ---- socket commands ----------------------------------------------------- */

static int handle_instcmd(void *ctx, const char *cmd, const char *param)
{
	struct driver *d = ctx;

	(void)param;
	if (!strcasecmp(cmd, "driver.killpower") || !strcasecmp(cmd, "shutdown.default")) {
		const char *allow = state_get(&d->st, "driver.flag.allow_killpower");
		char why[64];

		if (!allow || strcmp(allow, "1")) {
			if (sock_server_may_log(&d->srv))
				log_msg(&d->log, LOG_WARNING, "INSTCMD %s refused: "
					"driver.flag.allow_killpower is not 1", cmd);
			return SOCK_CMD_INVALID;
		}
		snprintf(why, sizeof(why), "INSTCMD %s", cmd);
		/* the hold is a timer of the loop, which keeps answering */
		if (shutdown_begin(d, why, monotime_ms()) < 0)
			return SOCK_CMD_FAILED;
		return SOCK_CMD_HANDLED;
	}
	if (!strcasecmp(cmd, "driver.reload"))
		return do_reload(d, RELOAD_PLAIN) == 3 ? SOCK_CMD_FAILED : SOCK_CMD_HANDLED;
	if (!strcasecmp(cmd, "driver.reload-or-error"))
		return do_reload(d, RELOAD_OR_ERROR);
	if (!strcasecmp(cmd, "driver.reload-or-exit"))
		return do_reload(d, RELOAD_OR_EXIT);
	if (!strcasecmp(cmd, "driver.exit")) {
		log_msg(&d->log, LOG_INFO, "exit requested over the socket");
		d->exit = DRV_EXIT_OK;
		return SOCK_CMD_HANDLED;
	}
	if (sock_server_may_log(&d->srv))
		log_msg(&d->log, LOG_NOTICE, "INSTCMD '%s' is not supported by this driver", cmd);
	return SOCK_CMD_UNKNOWN;
}

static int parse_bool_word(const char *v)
{
	static const char *const yes[] = { "1", "yes", "on", "true", "enable", "enabled" };
	static const char *const no[] = { "0", "no", "off", "false", "disable", "disabled" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	return -1;
}

static int handle_setvar(void *ctx, const char *var, const char *value)
{
	struct driver *d = ctx;

	if (!strcasecmp(var, "driver.debug")) {
		char *end;
		long v = strtol(value, &end, 10);

		if (!*value || *end || v > 100 || v < -1000) {
			if (sock_server_may_log(&d->srv))
				log_msg(&d->log, LOG_WARNING, "SET driver.debug '%s': not a number",
					value);
			return SOCK_CMD_INVALID;
		}
		d->log.debug = v < 0 ? d->base_debug : (int)v;
		publish_setf(d, "driver.debug", "%d", d->log.debug);
		return SOCK_CMD_HANDLED;
	}
	if (!strcasecmp(var, "driver.flag.allow_killpower")) {
		int b = parse_bool_word(value);

		if (b < 0) {
			if (sock_server_may_log(&d->srv))
				log_msg(&d->log, LOG_WARNING,
					"SET driver.flag.allow_killpower '%s': use 0 or 1", value);
			return SOCK_CMD_INVALID;
		}
		publish_set(d, "driver.flag.allow_killpower", b ? "1" : "0");
		return SOCK_CMD_HANDLED;
	}
	if (sock_server_may_log(&d->srv))
		log_msg(&d->log, LOG_NOTICE, "SET '%s': not a writable variable of this driver",
			var);
	return SOCK_CMD_UNKNOWN;
}

/* ---- signals, privileges, files ------------------------------------------ */

/*
 * Before the signalfd exists, a reload signal must not kill the driver (it
 * waits on the signalfd later), nor SIGUSR2, which only the serial watcher
 * thread handles (it unblocks it for itself).
 */
static void signals_block_early(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int signals_open(struct driver *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGURG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sig_fd;
}

static void dump_state(const struct driver *d, FILE *f)
{
	size_t i;

	for (i = 0; i < d->st.nvars; i++)
		fprintf(f, "%s: %s\n", d->st.vars[i].name, d->st.vars[i].value);
	fflush(f);
}

static void handle_signals(struct driver *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			do_reload(d, RELOAD_PLAIN);
			break;
		case SIGUSR1:
			do_reload(d, RELOAD_OR_EXIT);
			break;
		case SIGURG:
			dump_state(d, stdout);
			break;
		default:
			log_msg(&d->log, LOG_INFO, "signal %u: exiting", si.ssi_signo);
			d->exit = DRV_EXIT_OK;
		}
	}
}

static void drop_privileges(struct driver *d)
{
	const char *user = d->cfg.user ? d->cfg.user : RUN_AS_USER;
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	pw = getpwnam(user);
	if (!pw)
		log_fatal(&d->log, "run-time user '%s' does not exist (set 'user' in ups.conf "
			  "or use -u)", user);
	if (d->cfg.chroot_dir) {
		if (chroot(d->cfg.chroot_dir) < 0 || chdir("/") < 0)
			log_fatal_errno(&d->log, "chroot %s", d->cfg.chroot_dir);
		/* the identity is resolved again at every reopen, from sysfs */
		if (d->usb && access("/sys/bus/usb/devices", R_OK) < 0)
			log_msg(&d->log, LOG_WARNING, "port %s: no /sys/bus/usb/devices in chroot "
				"%s: the adapter cannot be found again after an unplug (mount /sys "
				"and /dev there, or drop -r)", d->cfg.port, d->cfg.chroot_dir);
	}
	if (pw->pw_uid == 0)
		return;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		log_fatal_errno(&d->log, "initgroups for user %s", user);
	if (setgid(pw->pw_gid) < 0)
		log_fatal_errno(&d->log, "setgid %u", (unsigned)pw->pw_gid);
	if (setuid(pw->pw_uid) < 0)
		log_fatal_errno(&d->log, "setuid to user %s", user);
	log_debug(&d->log, 1, "running as user %s", user);
}

/* The group the socket is given (upsd's), or (gid_t)-1 for the process's. */
static gid_t socket_group(struct driver *d)
{
	struct group *gr;

	if (!d->cfg.group)
		return (gid_t)-1;
	gr = getgrnam(d->cfg.group);
	if (!gr) {
		log_msg(&d->log, LOG_WARNING, "group '%s' does not exist; socket %s keeps its group",
			d->cfg.group, d->sockpath);
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

static void paths_init(struct driver *d)
{
	const char *sp = getenv("NUT_STATEPATH");
	const char *ap = getenv("NUT_ALTPIDPATH");
	const char *cp = getenv("NUT_CONFPATH");

	snprintf(d->statepath, sizeof(d->statepath), "%s", sp && *sp ? sp : STATEPATH);
	snprintf(d->altpidpath, sizeof(d->altpidpath), "%s",
		 ap && *ap ? ap : d->statepath);
	snprintf(d->confpath, sizeof(d->confpath), "%s/ups.conf", cp && *cp ? cp : CONFPATH);
}

static void names_init(struct driver *d)
{
	int n;

	/* the socket name length was checked with the UPS name */
	n = snprintf(d->sockpath, sizeof(d->sockpath), "%s/%s-%s", d->statepath, DRIVER_NAME,
		     d->opt.upsname);
	if (n < 0 || (size_t)n >= sizeof(d->sockpath))
		log_fatal(&d->log, "socket path %s/%s-%s is too long", d->statepath,
			  DRIVER_NAME, d->opt.upsname);
	n = snprintf(d->pidpath, sizeof(d->pidpath), "%s/%s-%s.pid", d->altpidpath,
		     DRIVER_NAME, d->opt.upsname);
	if (n < 0 || (size_t)n >= sizeof(d->pidpath))
		log_fatal(&d->log, "PID file path in %s is too long", d->altpidpath);
}

static void cleanup(struct driver *d)
{
	if (d->srv_open) {
		sock_server_flush(&d->srv, 1000);
		sock_server_close(&d->srv);
		d->srv_open = false;
	}
	control_remove_pidfile(d);
	lines_close(d);
	usbport_watch_close(d->usb_watch);
	d->usb_watch = NULL;
	state_free(&d->st);
	config_free(&d->cfg);
	if (d->have_conf)
		upsconf_free(&d->conf);
	options_free(&d->opt);
}

/* ---- the loop ------------------------------------------------------------- */

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

#define USB_MAX_POLLFDS	8	/* libusb's own: an event fd and a timer fd on Linux */

static int main_loop(struct driver *d)
{
	struct pollfd fixed[2], *pfd = NULL;
	size_t cap = 0;

	while (d->exit == DRV_RUN) {
		uint64_t now = monotime_ms(), deadline;
		size_t nsrv = sock_server_nfds(&d->srv) + USB_MAX_POLLFDS, n, nusb;
		unsigned usb_ev;
		int timeout, rc;

		if (cap < nsrv + 2) {
			struct pollfd *np = realloc(pfd, (nsrv + 16) * sizeof(*np));

			if (!np)
				log_fatal(&d->log, "out of memory for %zu poll entries", nsrv + 16);
			pfd = np;
			cap = nsrv + 16;
		}
		fixed[0] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		fixed[1] = (struct pollfd){ .fd = d->port_open ? d->watch_fd : -1, .events = POLLIN };
		pfd[0] = fixed[0];
		pfd[1] = fixed[1];
		/* libusb's fds (hotplug of a usb: port's adapter) */
		nusb = usbport_watch_pollfds(d->usb_watch, pfd + 2, USB_MAX_POLLFDS);
		n = nusb + sock_server_pollfds(&d->srv, pfd + 2 + nusb, cap - 2 - nusb);

		deadline = earliest(d->next_read_ms, debounce_next_deadline(&d->db, &d->cfg.db));
		deadline = earliest(deadline, sock_server_next_deadline(&d->srv));
		deadline = earliest(deadline, d->next_stats_ms);
		deadline = earliest(deadline, d->next_watchdog_ms);
		if (d->shutting_down)
			deadline = earliest(deadline, d->shutdown_end_ms);
		deadline = earliest(deadline, lines_deadcable_deadline(d));
		timeout = !deadline ? -1 : deadline <= now ? 0 : (int)(deadline - now);
		rc = poll(pfd, n + 2, timeout);
		if (rc < 0 && errno != EINTR)
			log_fatal_errno(&d->log, "poll");
		now = monotime_ms();
		if (rc > 0 && (pfd[0].revents & POLLIN))
			handle_signals(d);
		usb_ev = rc > 0 ? usbport_watch_handle(d->usb_watch, pfd + 2, nusb) : 0;
		if (usb_ev)
			lines_usb_event(d, usb_ev, now);
		if (rc > 0 && pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLERR)) &&
		    !(usb_ev & USBPORT_EV_LEFT))
			lines_watch_event(d, now);
		if (lines_deadcable_deadline(d) && now >= lines_deadcable_deadline(d))
			lines_deadcable_timer(d, now);
		if (d->next_read_ms && now >= d->next_read_ms)
			lines_read(d, d->port_open ? "timer" : "reopen", now);
		if (d->have_read && debounce_update(&d->db, &d->cfg.db, &d->db.raw, now)) {
			publish_status(d, now);
			lines_log_pending(d, now);
		}
		if (d->next_stats_ms && now >= d->next_stats_ms)
			publish_stats(d, now);
		if (d->shutting_down && now >= d->shutdown_end_ms)
			shutdown_hold_end(d);
		if (d->next_watchdog_ms && now >= d->next_watchdog_ms) {
			notify(d, "WATCHDOG=1");
			d->next_watchdog_ms = now + d->watchdog_ms;
		}
		if (rc > 0)
			sock_server_handle(&d->srv, pfd + 2 + nusb, n - nusb, now);
		else
			sock_server_handle(&d->srv, pfd + 2 + nusb, 0, now);
	}
	free(pfd);
	return d->exit;
}

/* ---- modes ---------------------------------------------------------------- */

static int run_dump(struct driver *d)
{
	char err[512];
	unsigned bits = 0;
	int i, rc = -1;

	/* show the lines as they are: no delays, no pulled-cable suspicion */
	memset(&d->cfg.db, 0, sizeof(d->cfg.db));
	d->cfg.deadcable.mode = DEADCABLE_OFF;
	if (lines_open(d, err, sizeof(err)) < 0)
		log_fatal(&d->log, "%s", err);
	publish_info(d);
	lines_publish_port(d);
	for (i = 0; i <= d->opt.dump_count; i++) {
		rc = d->src.ops->get(&d->src, &bits);
		if (rc == 0)
			lines_apply(d, bits, monotime_ms());
	}
	if (rc < 0)
		log_msg(&d->log, LOG_WARNING, "reading the lines of %s failed: %s", d->cfg.port,
			strerror(-rc));
	dump_state(d, stdout);
	return 0;
}

/* The parent exits once the child has written the PID file, so that
 * whoever started us (upsdrvctl) finds the new PID there, not the old. */
static void daemonize(struct driver *d)
{
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		log_fatal_errno(&d->log, "pipe");
	pid = fork();
	if (pid < 0)
		log_fatal_errno(&d->log, "fork");
	if (pid > 0) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };

		close(ready[1]);
		poll(&pfd, 1, 5000);	/* end of file: written, or the child died */
		_exit(0);
	}
	close(ready[0]);
	setsid();
	control_write_pidfile(d);
	close(ready[1]);
	if (freopen("/dev/null", "r", stdin) == NULL ||
	    freopen("/dev/null", "w", stdout) == NULL ||
	    freopen("/dev/null", "w", stderr) == NULL)
		log_msg(&d->log, LOG_WARNING, "cannot redirect standard streams: %s",
			strerror(errno));
	log_use_syslog(&d->log, true);
}

/* -U: the USB serial adapters present, each with the port value naming it. */
static int list_usb_adapters(const struct driver *d)
{
	struct usbport_adapter *list;
	char desc[512];
	size_t n, i;
	int rc = usbport_list(&list, &n);

	if (rc < 0) {
		fprintf(stderr, "%s: error: cannot list USB adapters: %s\n", d->log.progname,
			rc == -ENOSYS ? "built without libusb-1.0" : "libusb-1.0 cannot be initialised");
		return EXIT_FAILURE;
	}
	if (!n)
		printf("# no USB serial adapter present\n");
	for (i = 0; i < n; i++) {
		usbport_describe(&list[i], desc, sizeof(desc));
		/* quoted: outside quotes each '=' is a word of its own in ups.conf */
		printf("port = \"%s\"\n\t# %s\n", list[i].port, desc);
	}
	usbport_list_free(list);
	return EXIT_SUCCESS;
}

static void startup_config(struct driver *d, int argc, char **argv)
{
	char err[768];
	const char *env;

	if (options_parse(&d->opt, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: error: %s\n", d->log.progname, err);
		exit(EXIT_FAILURE);
	}
	if (d->opt.help) {
		options_print_help(&d->opt);
		exit(EXIT_SUCCESS);
	}
	if (d->opt.version) {
		options_print_banner();
		exit(EXIT_SUCCESS);
	}
	if (d->opt.list_vars) {
		options_print_vars();
		exit(EXIT_SUCCESS);
	}
	if (d->opt.list_usb)
		exit(list_usb_adapters(d));
	paths_init(d);
	if (config_check_upsname(d->opt.upsname, d->statepath, err, sizeof(err)) < 0)
		log_fatal(&d->log, "%s", err);
	names_init(d);
	if (d->opt.command)
		exit(control_run_command(d));
	if (d->opt.use_conf) {
		if (upsconf_load(&d->conf, d->confpath, err, sizeof(err)) < 0)
			log_fatal(&d->log, "%s", err);
		d->have_conf = true;
	}
	if (config_build(&d->cfg, &d->opt, &d->conf, err, sizeof(err)) < 0)
		log_fatal(&d->log, "%s", err);
	env = getenv("NUT_DEBUG_LEVEL");
	d->base_debug = d->opt.debug;
	if (!d->opt.debug && env && atoi(env) > 0)
		d->base_debug = atoi(env);
	if (d->cfg.debug_min > d->base_debug)
		d->base_debug = d->cfg.debug_min;
	d->log.debug = d->base_debug;
	d->log.quiet = d->opt.quiet;
	log_msg(&d->log, LOG_INFO, "UPS [%s]: type %d: %s", d->opt.upsname, d->cfg.upstype,
		cable_profile_get(d->cfg.upstype)->desc);
}

int driver_main(int argc, char **argv)
{
	static struct driver drv;	/* the one context; static only for its size */
	struct driver *d = &drv;
	struct sock_handlers h = { .instcmd = handle_instcmd, .setvar = handle_setvar, .ctx = d };
	const char *slash = strrchr(argv[0], '/');
	char err[768];
	bool background;
	int rc;

	signals_block_early();
	log_init(&d->log, slash ? slash + 1 : argv[0]);
	d->sig_fd = -1;
	d->watch_fd = -1;
	d->reopen_backoff_ms = REOPEN_MIN_MS;
	deadcable_init(&d->dc);
	state_init(&d->st);
	startup_config(d, argc, argv);
	notify_init(d);
	line_source_init(&d->src, d->cfg.port, &d->log);
	d->src.nolock = d->cfg.nolock;
	if (usbport_is_usb(d->cfg.port)) {
		if (usbport_parse(d->cfg.port, &d->usb_id, err, sizeof(err)) < 0)
			log_fatal(&d->log, "%s", err);
		d->usb = true;
	}

	if (d->opt.kill)
		exit(shutdown_run_kill(d));
	if (d->opt.dump_count >= 0)
		exit(run_dump(d));

	background = (d->opt.force_background || (!d->opt.debug && !d->opt.foreground));
	control_take_over_port(d);
	drop_privileges(d);
	if (signals_open(d) < 0)
		log_fatal_errno(&d->log, "signalfd");

	publish_set(d, "driver.state", "init.info");
	publish_info(d);
	if (d->cfg.ignorelb && lines_ignorelb_low(d) < 0)
		log_fatal(&d->log, "ignorelb: the LB line is ignored, so battery.charge and "
			  "battery.charge.low (or battery.runtime and battery.runtime.low) must be "
			  "set with default.* or override.* in ups.conf");
	d->stale = true;
	d->srv.stale = true;
	rc = d->src.ops->get(&d->src, &d->bits);
	if (rc == 0) {
		lines_log(d, d->bits, "start");
		lines_apply(d, d->bits, monotime_ms());
		d->stale = false;
	} else {
		log_msg(&d->log, LOG_WARNING, "first read of the lines of %s failed: %s",
			d->cfg.port, strerror(-rc));
	}
	if (sock_server_open_group(&d->srv, d->sockpath, 0660, socket_group(d), &d->st, &h,
				   &d->log, err, sizeof(err)) < 0)
		log_fatal(&d->log, "%s", err);
	d->srv.stale = d->stale || deadcable_suspected(&d->dc);
	d->srv_open = true;
	log_msg(&d->log, LOG_INFO, "listening on socket %s", d->sockpath);

	if (background)
		daemonize(d);
	else if (d->opt.foreground >= 2)
		control_write_pidfile(d);
	lines_usb_watch(d);	/* after the fork: libusb runs a thread */
	if (rc < 0)
		lines_read_failed(d, rc, monotime_ms());
	else
		lines_watch_begin(d);
	if (!d->next_read_ms)
		d->next_read_ms = monotime_ms() + lines_next_read_delay(d);
	publish_set(d, "driver.state", "quiet");
	notify(d, "READY=1");
	d->watchdog_ms = watchdog_period_ms(d);
	if (d->watchdog_ms)
		d->next_watchdog_ms = monotime_ms() + d->watchdog_ms;

	rc = main_loop(d);
	notify(d, "STOPPING=1");
	publish_set(d, "driver.state", "cleanup.exit");
	cleanup(d);
	switch (rc) {
	case DRV_EXIT_OK:
		return EXIT_SUCCESS;
	case DRV_EXIT_RELOAD:
		return 128 + SIGUSR1;
	default:
		return EXIT_FAILURE;
	}
}
