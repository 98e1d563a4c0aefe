/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The modem-line simulator (modemsim.so, formats in modemsim.h), tested by
 * running modemsim_probe under it. Needs MODEMSIM_LIB (the .so) and
 * MODEMSIM_PROBE (the probe) in the environment.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modemsim.h"

#define MAX_ENV		16
#define MAX_ARGS	48
#define OUT_MAX		8192

struct fixture {
	char dir[64];
	char port[96];
	char state[96];
	char out[104];
	char log[96];
};

/* A probe being run; seen[] is everything it printed so far. */
struct running {
	pid_t pid;
	int out_fd;
	double started;
	size_t seen_len;
	char seen[OUT_MAX];
};

static struct fixture fx_shared;

/* ---- helpers ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* An absolute path from the environment (probes run in the fixture dir). */
static const char *need_env(const char *name, char *buf)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set (path of the %s)", name,
		      strcmp(name, "MODEMSIM_LIB") == 0 ? "modemsim .so" : "probe");
	ck_assert_msg(realpath(v, buf) != NULL, "%s=%s: %s", name, v, strerror(errno));
	return buf;
}

static void fixture_init(struct fixture *fx)
{
	strcpy(fx->dir, "/tmp/modemsim-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	snprintf(fx->port, sizeof(fx->port), "%s/ttyFAKE0", fx->dir);
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s%s", fx->state, MODEMSIM_OUT_SUFFIX);
	snprintf(fx->log, sizeof(fx->log), "%s/log", fx->dir);
}

/* Each test runs in its own forked process: removing the dir is tidiness. */
static void fixture_done(struct fixture *fx)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Replace the state file atomically, as tests are told to. */
static void set_state(const struct fixture *fx, const char *text)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->state);
	write_file(tmp, text);
	ck_assert_int_eq(rename(tmp, fx->state), 0);
}

/* Rewrite in place: truncate, then write (the shim must cope). */
static void set_state_inplace(const struct fixture *fx, const char *text)
{
	write_file(fx->state, text);
}

static void touch(const struct fixture *fx, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	write_file(path, "");
}

static char *read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The environment of a probe: the shim and the fixture, plus extra[]. */
static void build_env(const struct fixture *fx, const char *const *extra,
		      char store[][256], char **envp)
{
	const char *pre = getenv("LD_PRELOAD");
	const char *asan = getenv("ASAN_OPTIONS");
	char lib[PATH_MAX];
	int n = 0;

	/* extra[] first: getenv() takes the first of duplicates */
	while (extra && *extra && n < MAX_ENV - 6)
		snprintf(store[n++], 256, "%s", *extra++);
	/* keep an outer preload (e.g. libasan) first */
	snprintf(store[n++], 256, "LD_PRELOAD=%s%s%s", pre ? pre : "", pre ? " " : "",
		 need_env("MODEMSIM_LIB", lib));
	snprintf(store[n++], 256, "MODEMSIM_PORT=%s", fx->port);
	snprintf(store[n++], 256, "MODEMSIM_STATE=%s", fx->state);
	snprintf(store[n++], 256, "MODEMSIM_LOG=%s", fx->log);
	if (asan)
		snprintf(store[n++], 256, "ASAN_OPTIONS=%s", asan);
	for (int i = 0; i < n; i++)
		envp[i] = store[i];
	envp[n] = NULL;
}

/* Start the probe on fx->port with ops (NULL-terminated). */
static void probe_start(struct running *r, const struct fixture *fx,
			const char *const *extra, const char *const *ops)
{
	static char store[MAX_ENV][256];
	char *envp[MAX_ENV + 1];
	char *argv[MAX_ARGS];
	static char probe_buf[PATH_MAX];
	const char *probe = need_env("MODEMSIM_PROBE", probe_buf);
	int pipefd[2], n = 0;

	build_env(fx, extra, store, envp);
	argv[n++] = (char *)probe;
	argv[n++] = (char *)fx->port;
	while (*ops && n < MAX_ARGS - 1)
		argv[n++] = (char *)*ops++;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	r->seen_len = 0;
	r->seen[0] = '\0';
	r->started = now_s();
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		if (chdir(fx->dir) < 0)	/* waitfor:NAME is relative to the dir */
			_exit(126);
		execve(probe, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	r->out_fd = pipefd[0];
}

/* Read the rest of the probe's output and reap it; out gets everything it
 * printed. Returns the seconds it ran. */
static double probe_finish(struct running *r, char *out, size_t len)
{
	size_t got = r->seen_len;
	ssize_t n;
	int status;

	ck_assert_uint_lt(got, len);
	memcpy(out, r->seen, got);
	while (got < len - 1 && (n = read(r->out_fd, out + got, len - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	out[got] = '\0';
	close(r->out_fd);
	ck_assert_int_eq(waitpid(r->pid, &status, 0), r->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "probe failed (status 0x%x), output:\n%s", status, out);
	return now_s() - r->started;
}

/* Read lines until one equals want (the probe's sync points). */
static void probe_expect_line(struct running *r, const char *want)
{
	char *line = r->seen + r->seen_len;

	while (r->seen_len < sizeof(r->seen) - 1 &&
	       read(r->out_fd, r->seen + r->seen_len, 1) == 1) {
		if (r->seen[r->seen_len++] != '\n')
			continue;
		r->seen[r->seen_len] = '\0';
		if (strncmp(line, want, strlen(want)) == 0 && line[strlen(want)] == '\n')
			return;
		line = r->seen + r->seen_len;
	}
	r->seen[r->seen_len] = '\0';
	ck_abort_msg("probe never printed '%s'; it printed:\n%s", want, r->seen);
}

static double probe_run(const struct fixture *fx, const char *const *extra,
			const char *const *ops, char *out, size_t len)
{
	static struct running r;

	probe_start(&r, fx, extra, ops);
	return probe_finish(&r, out, len);
}

#define OPS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV		((const char *const *)NULL)

/* Number of log lines whose event part (after time and pid) is event. */
static int log_count(const struct fixture *fx, const char *event)
{
	char buf[OUT_MAX], *line, *save = NULL;
	int count = 0;

	read_text(fx->log, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		sp = sp ? strchr(sp + 1, ' ') : NULL;
		if (sp && strcmp(sp + 1, event) == 0)
			count++;
	}
	return count;
}

/* ---- TIOCMGET follows the state file -------------------------------- */

static const struct {
	const char *state;
	const char *get;
} get_cases[] = {
	{ "CTS=1 DCD=0 RNG=0 DSR=0\n", "get 0x020" },
	{ "CTS=0 DCD=1\n", "get 0x040" },
	{ "RNG=1", "get 0x080" },
	{ "DSR=1 CTS=1", "get 0x120" },
	{ "CTS=1 DCD=1 RNG=1 DSR=1\n", "get 0x1e0" },
	{ "CD=1 RI=1\n", "get 0x0c0" },
	{ "CAR=1 SEQ=7 UNKNOWN=1\n", "get 0x040" },
	{ "# a comment CTS=1\nDSR=1 # DCD=1\n", "get 0x100" },
	{ "cts=1\tdcd=1", "get 0x060" },
	{ "CTS=0\n", "get 0x000" },
};

START_TEST(test_get_follows_state)
{
	struct fixture fx;
	char out[OUT_MAX], want[64];

	fixture_init(&fx);
	set_state(&fx, get_cases[_i].state);
	probe_run(&fx, OPS("MODEMSIM_OPEN_LINES=0"), OPS("open", "get"), out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\n%s\n", get_cases[_i].get);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* The state is read again on every ioctl, whichever way it is rewritten. */
START_TEST(test_get_rereads)
{
	struct fixture fx;
	char out[OUT_MAX];
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_start(&r, &fx, NOENV, OPS("open", "get", "mark:ready", "waitfor:go", "get"));
	probe_expect_line(&r, "ready");
	if (_i == 0)
		set_state(&fx, "DCD=1 DSR=1\n");
	else
		set_state_inplace(&fx, "DCD=1 DSR=1\n");
	touch(&fx, "go");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nget 0x026\nready\nwaitfor ok\nget 0x146\n");
	fixture_done(&fx);
}
END_TEST

/* Opening raises DTR and RTS as the tty layer does; no state file = 0. */
START_TEST(test_open_raises_outputs)
{
	struct fixture fx;
	char out[OUT_MAX], text[128];

	fixture_init(&fx);
	probe_run(&fx, NOENV, OPS("open", "get"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nget 0x006\n");
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), "DTR=1 RTS=1 BREAK=0\n");
	fixture_done(&fx);
}
END_TEST

/* ---- outputs: TIOCMSET/BIS/BIC logged and in the .out file ---------- */

static const struct {
	const char *ops[4];
	const char *get;
	const char *out;
	const char *event;	/* the last one logged */
} write_cases[] = {
	{ { "set:0x006" }, "get 0x026", "DTR=1 RTS=1 BREAK=0\n", "TIOCMSET 0x006" },
	{ { "set:0x004" }, "get 0x024", "DTR=0 RTS=1 BREAK=0\n", "TIOCMSET 0x004" },
	{ { "set:0x000" }, "get 0x020", "DTR=0 RTS=0 BREAK=0\n", "TIOCMSET 0x000" },
	{ { "bic:0x002" }, "get 0x024", "DTR=0 RTS=1 BREAK=0\n", "TIOCMBIC 0x002" },
	{ { "set:0x000", "bis:0x002" }, "get 0x022", "DTR=1 RTS=0 BREAK=0\n", "TIOCMBIS 0x002" },
	{ { "set:0x00e", "bic:0x006" }, "get 0x020", "DTR=0 RTS=0 BREAK=0\n", "TIOCMBIC 0x006" },
	/* only DTR and RTS are outputs; the rest of the value is logged as given */
	{ { "set:0x1e0" }, "get 0x020", "DTR=0 RTS=0 BREAK=0\n", "TIOCMSET 0x1e0" },
};

START_TEST(test_outputs)
{
	struct fixture fx;
	const char *ops[8] = { "open" };
	char out[OUT_MAX], text[128], want[OUT_MAX] = "open ok\n";
	int n = 1;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	for (int k = 0; k < 4 && write_cases[_i].ops[k]; k++) {
		ops[n++] = write_cases[_i].ops[k];
		strncat(want, write_cases[_i].ops[k], 3);
		strcat(want, " ok\n");
	}
	ops[n++] = "get";
	ops[n] = NULL;
	strcat(want, write_cases[_i].get);
	strcat(want, "\n");
	probe_run(&fx, NOENV, ops, out, sizeof(out));
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), write_cases[_i].out);
	ck_assert_int_eq(log_count(&fx, write_cases[_i].event), 1);
	fixture_done(&fx);
}
END_TEST

/* Every log line: "<s.9 digits> <pid> <EVENT>", times not going back. */
START_TEST(test_log_format)
{
	struct fixture fx;
	char out[OUT_MAX], buf[OUT_MAX], *line, *save = NULL;
	const char *events[] = { "OPEN ", "TIOCMSET 0x002", "TIOCMBIS 0x004",
				 "TIOCMBIC 0x002", "TIOCMGET 0x024", "CLOSE" };
	double last = 0;
	int n = 0;
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_start(&r, &fx, OPS("MODEMSIM_LOG_READS=1"),
			OPS("open", "set:0x002", "bis:0x004", "bic:0x002", "get", "close"));
	probe_finish(&r, out, sizeof(out));
	read_text(fx.log, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		long long sec;
		char frac[16], ev[64];
		int pid, used = 0;

		ck_assert_int_lt(n, 6);
		ck_assert_msg(sscanf(line, "%lld.%15[0-9] %d %n", &sec, frac, &pid, &used) == 3,
			      "bad log line '%s'", line);
		ck_assert_uint_eq(strlen(frac), 9);
		ck_assert_int_eq(pid, r.pid);
		ck_assert_double_ge((double)sec + atof(frac) / 1e9, last);
		last = (double)sec + atof(frac) / 1e9;
		snprintf(ev, sizeof(ev), "%s", line + used);
		ck_assert_msg(strncmp(ev, events[n], strlen(events[n])) == 0,
			      "log line %d is '%s', want '%s'", n, ev, events[n]);
	}
	ck_assert_int_eq(n, 6);
	fixture_done(&fx);
}
END_TEST

/* TIOCMGET is logged only with MODEMSIM_LOG_READS=1. */
START_TEST(test_log_reads_off)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "DCD=1\n");
	probe_run(&fx, NOENV, OPS("open", "get", "get"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nget 0x046\nget 0x046\n");
	ck_assert_int_eq(log_count(&fx, "TIOCMGET 0x046"), 0);
	ck_assert_int_eq(log_count(&fx, "CLOSE"), 0);	/* exit closes no fd by close() */
	probe_run(&fx, OPS("MODEMSIM_LOG_READS=1"), OPS("open", "get"), out, sizeof(out));
	ck_assert_int_eq(log_count(&fx, "TIOCMGET 0x046"), 1);
	fixture_done(&fx);
}
END_TEST

/* ---- BREAK ---------------------------------------------------------- */

START_TEST(test_breaks_logged)
{
	struct fixture fx;
	char out[OUT_MAX], text[128];
	double took;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	took = probe_run(&fx, OPS("MODEMSIM_FAST_BREAK=1"),
			 OPS("open", "break:4901", "break", "tcsbrkp:50", "tcsbrk:0",
			     "tcsbrk:1", "sbrk"),
			 out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nbreak ok\nbreak ok\ntcsbrkp ok\ntcsbrk ok\n"
			 "tcsbrk ok\nsbrk ok\n");
	ck_assert_double_lt(took, 2.0);
	ck_assert_int_eq(log_count(&fx, "TCSENDBREAK 4901"), 1);
	ck_assert_int_eq(log_count(&fx, "TCSENDBREAK 0"), 1);
	ck_assert_int_eq(log_count(&fx, "TCSBRKP 50"), 1);
	ck_assert_int_eq(log_count(&fx, "TCSBRK 0"), 1);
	ck_assert_int_eq(log_count(&fx, "TCSBRK 1"), 1);
	ck_assert_int_eq(log_count(&fx, "TIOCSBRK"), 1);
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), "DTR=1 RTS=1 BREAK=1\n");
	fixture_done(&fx);
}
END_TEST

/* A real-length BREAK: tcsendbreak(fd, 401) lasts 500 ms, BREAK=1 meanwhile. */
START_TEST(test_break_duration)
{
	struct fixture fx;
	char out[OUT_MAX], text[128];
	static struct running r;
	double took;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_start(&r, &fx, NOENV, OPS("open", "mark:go", "break:401", "cbrk"));
	probe_expect_line(&r, "go");
	sleep_ms(250);
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), "DTR=1 RTS=1 BREAK=1\n");
	took = probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\ngo\nbreak ok\ncbrk ok\n");
	ck_assert_double_ge(took, 0.5);
	ck_assert_double_lt(took, 3.0);
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), "DTR=1 RTS=1 BREAK=0\n");
	ck_assert_int_eq(log_count(&fx, "TCSENDBREAK 401"), 1);
	ck_assert_int_eq(log_count(&fx, "TIOCCBRK"), 1);
	fixture_done(&fx);
}
END_TEST

/* ---- TIOCMIWAIT ----------------------------------------------------- */

static const struct {
	const char *op;		/* what the probe waits for */
	const char *change;	/* state written while it waits, "" = signal */
	const char *want;
} miwait_cases[] = {
	{ "miwait:0x020:5000", "CTS=1\n", "miwait ok" },
	{ "miwait:0x040:5000", "DCD=1\n", "miwait ok" },
	{ "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "miwait:0x100:5000", "DSR=1\n", "miwait ok" },
	{ "miwait:0x1e0:5000", "DSR=1\n", "miwait ok" },
	{ "miwait:0x020:5000", "PULSE=CTS SEQ=1\n", "miwait ok" },
	/* a change on a line not watched does not end the wait */
	{ "miwait:0x020:800", "DCD=1 RNG=1 DSR=1\n", "miwait timeout" },
	{ "miwait:0x040:800", "CTS=1 PULSE=RNG\n", "miwait timeout" },
	/* a signal handler ends it with EINTR */
	{ "miwait:0x020:5000", "", "miwait err EINTR" },
	/* injected faults end it with EIO */
	{ "miwait:0x020:5000", "ERR=EIO\n", "miwait err EIO" },
	{ "miwait:0x020:5000", "GONE=1\n", "miwait err EIO" },
};

START_TEST(test_miwait)
{
	struct fixture fx;
	char out[OUT_MAX], want[64];
	static struct running r;
	double took;

	fixture_init(&fx);
	set_state(&fx, "CTS=0 DCD=0\n");
	probe_start(&r, &fx, NOENV, OPS("open", "mark:go", miwait_cases[_i].op));
	probe_expect_line(&r, "go");
	sleep_ms(200);
	if (*miwait_cases[_i].change)
		set_state(&fx, miwait_cases[_i].change);
	else
		kill(r.pid, SIGUSR1);
	took = probe_finish(&r, out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\ngo\n%s\n", miwait_cases[_i].want);
	ck_assert_str_eq(out, want);
	if (strcmp(miwait_cases[_i].want, "miwait timeout") != 0)
		ck_assert_double_lt(took, 3.0);
	fixture_done(&fx);
}
END_TEST

/* Without a change the wait lasts (nothing wakes it spuriously). */
START_TEST(test_miwait_quiet)
{
	struct fixture fx;
	char out[OUT_MAX];
	double took;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	took = probe_run(&fx, NOENV, OPS("open", "set:0x002", "miwait:0x1e0:600"),
			 out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nset ok\nmiwait timeout\n");
	ck_assert_double_ge(took, 0.55);
	fixture_done(&fx);
}
END_TEST

START_TEST(test_no_miwait)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, OPS("MODEMSIM_NO_MIWAIT=1"), OPS("open", "miwait:0x020:500", "get"),
		  out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nmiwait err EINVAL\nget 0x026\n");
	fixture_done(&fx);
}
END_TEST

/* ---- TIOCGICOUNT ---------------------------------------------------- */

/* Step through states: level changes count 1, pulses 2, once per content. */
static const struct {
	const char *state;
	int inplace;		/* rewrite in place instead of rename */
	const char *icount;	/* counters after this state */
} icount_steps[] = {
	{ "CTS=1\n", 0, "icount cts=1 dsr=0 rng=0 dcd=0" },
	{ "CTS=1 DCD=1\n", 0, "icount cts=1 dsr=0 rng=0 dcd=1" },
	{ "CTS=1 DCD=1 PULSE=DCD SEQ=1\n", 0, "icount cts=1 dsr=0 rng=0 dcd=3" },
	{ "CTS=1 DCD=1 PULSE=DCD SEQ=1\n", 1, "icount cts=1 dsr=0 rng=0 dcd=3" },
	{ "CTS=1 DCD=1 PULSE=DCD,RNG SEQ=2\n", 0, "icount cts=1 dsr=0 rng=2 dcd=5" },
	{ "CTS=1 DCD=1 PULSE=CTS SEQ=3\n", 1, "icount cts=3 dsr=0 rng=2 dcd=5" },
	{ "CTS=0 DSR=1\n", 0, "icount cts=4 dsr=1 rng=2 dcd=6" },
};

#define N_STEPS ((int)(sizeof(icount_steps) / sizeof(icount_steps[0])))

START_TEST(test_icount)
{
	const char *ops[4 + 3 * N_STEPS] = { "open", "icount", "mark:r" };
	char names[N_STEPS][24], out[OUT_MAX], want[OUT_MAX];
	static struct running r;
	int n = 3;

	for (int k = 0; k < N_STEPS; k++) {
		snprintf(names[k], sizeof(names[k]), "waitfor:s%d", k);
		ops[n++] = names[k];
		ops[n++] = "icount";
		ops[n++] = "mark:r";
	}
	ops[n] = NULL;
	fixture_init(&fx_shared);
	/* present before the first read: history, not counted */
	set_state(&fx_shared, "CTS=0 PULSE=CTS SEQ=0\n");
	probe_start(&r, &fx_shared, NOENV, ops);
	strcpy(want, "open ok\nicount cts=0 dsr=0 rng=0 dcd=0\nr\n");
	probe_expect_line(&r, "r");
	for (int k = 0; k < N_STEPS; k++) {
		if (icount_steps[k].inplace)
			set_state_inplace(&fx_shared, icount_steps[k].state);
		else
			set_state(&fx_shared, icount_steps[k].state);
		touch(&fx_shared, names[k] + 8);
		probe_expect_line(&r, "r");
		strcat(want, "waitfor ok\n");
		strcat(want, icount_steps[k].icount);
		strcat(want, "\nr\n");
	}
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, want);
	fixture_done(&fx_shared);
}
END_TEST

START_TEST(test_no_icount)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, OPS("MODEMSIM_NO_ICOUNT=1"), OPS("open", "icount", "get"),
		  out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nicount err ENOTTY\nget 0x026\n");
	fixture_done(&fx);
}
END_TEST

/* ---- injected errors ------------------------------------------------ */

static const struct {
	const char *state;
	const char *errname;
} err_cases[] = {
	{ "CTS=1 ERR=EIO\n", "EIO" },
	{ "ERR=ENXIO CTS=1\n", "ENXIO" },
	{ "CTS=1 ERR=ETIMEDOUT\n", "ETIMEDOUT" },
};

START_TEST(test_err)
{
	struct fixture fx;
	char out[OUT_MAX], text[128];
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, err_cases[_i].state);
	probe_start(&r, &fx, NOENV, OPS("open", "get", "set:0x000", "tcgetattr",
					"waitfor:ok", "get", "set:0x000"));
	probe_expect_line(&r, "tcgetattr ok");	/* ERR leaves termios alone */
	set_state(&fx, "CTS=1\n");
	touch(&fx, "ok");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(strstr(out, "waitfor ok"), "waitfor ok\nget 0x026\nset ok\n");
	ck_assert_int_eq(log_count(&fx, "TIOCMSET 0x000"), 1);	/* failed: not logged */
	ck_assert_str_eq(read_text(fx.out, text, sizeof(text)), "DTR=0 RTS=0 BREAK=0\n");
	fixture_done(&fx);
}
END_TEST

/* The error lines themselves (run without stepping). */
START_TEST(test_err_lines)
{
	struct fixture fx;
	char out[OUT_MAX], want[OUT_MAX];
	const char *e = err_cases[_i].errname;

	fixture_init(&fx);
	set_state(&fx, err_cases[_i].state);
	probe_run(&fx, NOENV, OPS("open", "get", "set:0x000", "bis:0x002", "icount",
				  "break", "miwait:0x020:300"), out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\nget err %s\nset err %s\nbis err %s\n"
		 "icount err %s\nbreak err %s\nmiwait err %s\n", e, e, e, e, e, e);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* GONE=1: open fails with ENOENT, open fds fail with EIO; when the device is
 * back, a new open works and the fds from before stay dead (as after a USB
 * adapter was unplugged). */
START_TEST(test_gone)
{
	struct fixture fx;
	char out[OUT_MAX];
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, "CTS=1 GONE=1\n");
	probe_start(&r, &fx, NOENV, OPS("open", "waitfor:back", "open", "get", "tcgetattr",
					"waitfor:gone", "get", "set:0x000", "tcgetattr",
					"open", "waitfor:back2", "get", "tcgetattr",
					"open", "get", "tcgetattr"));
	probe_expect_line(&r, "open err ENOENT");
	set_state(&fx, "CTS=1\n");
	touch(&fx, "back");
	probe_expect_line(&r, "tcgetattr ok");
	set_state(&fx, "CTS=1 GONE=1\n");
	touch(&fx, "gone");
	probe_expect_line(&r, "open err ENOENT");
	set_state(&fx, "DCD=1\n");
	touch(&fx, "back2");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open err ENOENT\nwaitfor ok\nopen ok\nget 0x026\ntcgetattr ok\n"
			 "waitfor ok\nget err EIO\nset err EIO\ntcgetattr err EIO\n"
			 "open err ENOENT\nwaitfor ok\nget err EIO\ntcgetattr err EIO\n"
			 "open ok\nget 0x046\ntcgetattr ok\n");
	fixture_done(&fx);
}
END_TEST

START_TEST(test_gone_lines)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, NOENV, OPS("open", "mark:x"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nx\n");
	set_state(&fx, "GONE=1 CTS=1\n");
	probe_run(&fx, NOENV, OPS("open", "open2", "openat"), out, sizeof(out));
	ck_assert_str_eq(out, "open err ENOENT\nopen2 err ENOENT\nopenat err ENOENT\n");
	ck_assert_int_eq(log_count(&fx, "OPEN"), 0);
	fixture_done(&fx);
}
END_TEST

/* ---- open variants, fd tracking, pass-through ----------------------- */

static const char *const open_ops[] = {
	"open", "open64", "openat", "openat64", "open2", "open64_2", "openat_2", "openat64_2",
};

START_TEST(test_open_variants)
{
	struct fixture fx;
	char out[OUT_MAX], want[OUT_MAX], ev[160];

	fixture_init(&fx);
	set_state(&fx, "RNG=1\n");
	probe_run(&fx, NOENV, OPS(open_ops[_i], "get", "flock", "tcgetattr", "read", "close"),
		  out, sizeof(out));
	snprintf(want, sizeof(want), "%s ok\nget 0x086\nflock ok\ntcgetattr ok\n"
		 "read err EAGAIN\nclose ok\n", open_ops[_i]);
	ck_assert_str_eq(out, want);
	snprintf(ev, sizeof(ev), "OPEN %s", fx.port);
	ck_assert_int_eq(log_count(&fx, ev), 1);
	ck_assert_int_eq(log_count(&fx, "CLOSE"), 1);
	fixture_done(&fx);
}
END_TEST

/* A dup of a fake fd is fake too, and the pty lives until the last close. */
START_TEST(test_dup)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "DSR=1\n");
	probe_run(&fx, NOENV, OPS("open", "dup", "get", "read", "fdupfd", "get", "close"),
		  out, sizeof(out));
	ck_assert_str_eq(out, "open ok\ndup ok\nget 0x106\nread err EAGAIN\nfdupfd ok\n"
			 "get 0x106\nclose ok\n");
	ck_assert_int_eq(log_count(&fx, "CLOSE"), 3);
	fixture_done(&fx);
}
END_TEST

/* Other paths are left alone: /dev/null answers TIOCMGET with ENOTTY. */
START_TEST(test_other_path)
{
	static const char *const ops[] = { "open", "get", "close", NULL };
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	strcpy(fx.port, "/dev/null");
	{
		/* the shim fakes a different path than the one the probe opens */
		const char *extra[] = { "MODEMSIM_PORT=/dev/ttyNOTTHIS", NULL };

		probe_run(&fx, extra, ops, out, sizeof(out));
	}
	ck_assert_str_eq(out, "open ok\nget err ENOTTY\nclose ok\n");
	ck_assert_int_eq(log_count(&fx, "CLOSE"), 0);
	fixture_done(&fx);
}
END_TEST

/* flock conflicts between two processes that open the port, as on a device. */
START_TEST(test_flock_shared)
{
	struct fixture fx;
	char out[OUT_MAX];
	static struct running holder;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_start(&holder, &fx, NOENV, OPS("open", "flock", "waitfor:done"));
	probe_expect_line(&holder, "flock ok");
	probe_run(&fx, NOENV, OPS("open", "flock"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nflock err EAGAIN\n");
	probe_run(&fx, OPS("MODEMSIM_NO_SHARED_LOCK=1"), OPS("open", "flock"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nflock ok\n");
	touch(&fx, "done");
	probe_finish(&holder, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nflock ok\nwaitfor ok\n");
	probe_run(&fx, NOENV, OPS("open", "flock"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nflock ok\n");
	fixture_done(&fx);
}
END_TEST

static Suite *modemsim_suite(void)
{
	Suite *s = suite_create("modemsim");
	TCase *lines = tcase_create("lines");
	TCase *wait = tcase_create("wait");
	TCase *faults = tcase_create("faults");
	TCase *fds = tcase_create("fds");

	tcase_add_loop_test(lines, test_get_follows_state, 0,
			    (int)(sizeof(get_cases) / sizeof(get_cases[0])));
	tcase_add_loop_test(lines, test_get_rereads, 0, 2);
	tcase_add_test(lines, test_open_raises_outputs);
	tcase_add_loop_test(lines, test_outputs, 0,
			    (int)(sizeof(write_cases) / sizeof(write_cases[0])));
	tcase_add_test(lines, test_log_format);
	tcase_add_test(lines, test_log_reads_off);
	tcase_add_test(lines, test_breaks_logged);
	tcase_add_test(lines, test_break_duration);
	suite_add_tcase(s, lines);

	tcase_add_loop_test(wait, test_miwait, 0,
			    (int)(sizeof(miwait_cases) / sizeof(miwait_cases[0])));
	tcase_add_test(wait, test_miwait_quiet);
	tcase_add_test(wait, test_no_miwait);
	tcase_add_test(wait, test_icount);
	tcase_add_test(wait, test_no_icount);
	suite_add_tcase(s, wait);

	tcase_add_loop_test(faults, test_err, 0, (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_loop_test(faults, test_err_lines, 0,
			    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(faults, test_gone);
	tcase_add_test(faults, test_gone_lines);
	suite_add_tcase(s, faults);

	tcase_add_loop_test(fds, test_open_variants, 0,
			    (int)(sizeof(open_ops) / sizeof(open_ops[0])));
	tcase_add_test(fds, test_dup);
	tcase_add_test(fds, test_other_path);
	tcase_add_test(fds, test_flock_shared);
	suite_add_tcase(s, fds);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(modemsim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
