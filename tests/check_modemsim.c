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
#include "check_main.h"

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

	/* valgrind's own preloads belong to the checked process, not the probe */
	if (pre && strstr(pre, "vgpreload"))
		pre = NULL;

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
	const char *events[] = { "OPEN ", "CHIP ftdi", "TIOCMSET 0x002", "TIOCMBIS 0x004",
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

		ck_assert_int_lt(n, 7);
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
	ck_assert_int_eq(n, 7);
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

/* ---- chip models (MODEMSIM_CHIP) ------------------------------------ */

#define USB_SERIAL_DRIVERS	"../../../../../bus/usb-serial/drivers/"
#define PLATFORM_DRIVERS	"../../../bus/platform/drivers/"

/* Each chip: the name logged, its sysfs driver link and its TIOCGSERIAL. */
static const struct {
	const char *env;	/* MODEMSIM_CHIP=..., NULL: unset */
	const char *name;
	const char *link;
	const char *serial;
} chip_ids[] = {
	{ NULL, "ftdi", USB_SERIAL_DRIVERS "ftdi_sio",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=24000000" },
	{ "MODEMSIM_CHIP=", "ftdi", USB_SERIAL_DRIVERS "ftdi_sio",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=24000000" },
	{ "MODEMSIM_CHIP=ftdi", "ftdi", USB_SERIAL_DRIVERS "ftdi_sio",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=24000000" },
	{ "MODEMSIM_CHIP=8250", "8250", PLATFORM_DRIVERS "serial8250",
	  "tiocgserial type=4 line=0 port=0x3f8 irq=4 baud_base=115200" },
	{ "MODEMSIM_CHIP=pl2303", "pl2303", USB_SERIAL_DRIVERS "pl2303",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=0" },
	{ "MODEMSIM_CHIP=ch341", "ch341", USB_SERIAL_DRIVERS "ch341-uart",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=0" },
	{ "MODEMSIM_CHIP=cp210x", "cp210x", USB_SERIAL_DRIVERS "cp210x",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=0" },
	{ "MODEMSIM_CHIP=cdc-acm", "cdc-acm", "../../../../../bus/usb/drivers/cdc_acm",
	  "tiocgserial type=0 line=0 port=0x0 irq=0 baud_base=0" },
	{ "MODEMSIM_CHIP=unknown", "unknown", PLATFORM_DRIVERS "mystery_uart",
	  "tiocgserial err ENOTTY" },
};

#define N_CHIP_IDS ((int)(sizeof(chip_ids) / sizeof(chip_ids[0])))

/* The chip's environment as an extra[] list (NULL-terminated). */
static const char *const *chip_env(const char *env, const char *more, const char **buf)
{
	int n = 0;

	if (env)
		buf[n++] = env;
	if (more)
		buf[n++] = more;
	buf[n] = NULL;
	return buf;
}

/* "CHIP <name>" once per process, after its first OPEN. */
START_TEST(test_chip_logged)
{
	struct fixture fx;
	const char *env[3];
	char out[OUT_MAX], ev[64], buf[OUT_MAX], *chip;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, chip_env(chip_ids[_i].env, NULL, env),
		  OPS("open", "close", "open", "close"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nclose ok\nopen ok\nclose ok\n");
	snprintf(ev, sizeof(ev), "CHIP %s", chip_ids[_i].name);
	ck_assert_int_eq(log_count(&fx, ev), 1);
	read_text(fx.log, buf, sizeof(buf));
	chip = strstr(buf, " CHIP ");
	ck_assert_ptr_nonnull(chip);
	ck_assert_ptr_nonnull(strstr(buf, " OPEN "));
	ck_assert_ptr_nonnull(strstr(buf, " CLOSE"));
	ck_assert_msg(strstr(buf, " OPEN ") < chip && chip < strstr(buf, " CLOSE"),
		      "CHIP is not between the first OPEN and CLOSE:\n%s", buf);
	probe_run(&fx, chip_env(chip_ids[_i].env, NULL, env), OPS("open"), out, sizeof(out));
	ck_assert_int_eq(log_count(&fx, ev), 2);	/* another process */
	fixture_done(&fx);
}
END_TEST

/* A name that is no chip fails the open, so a typo cannot test the default. */
START_TEST(test_chip_bad_name)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, OPS("MODEMSIM_CHIP=ftdi_sio"), OPS("open", "open2", "openat"),
		  out, sizeof(out));
	ck_assert_str_eq(out, "open err EINVAL\nopen2 err EINVAL\nopenat err EINVAL\n");
	ck_assert_int_eq(log_count(&fx, "CHIP ftdi"), 0);
	fixture_done(&fx);
}
END_TEST

/* The sysfs driver link of the port, through every entry point, cut like
 * readlink(2) cuts; once the port is closed the path is the kernel's again
 * (a pty has no device in /sys/dev/char). */
START_TEST(test_chip_readlink)
{
	struct fixture fx;
	const char *env[3];
	char out[OUT_MAX], want[OUT_MAX];
	const char *link = chip_ids[_i].link;
	size_t n = strlen(link);

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, chip_env(chip_ids[_i].env, NULL, env),
		  OPS("open", "readlink-driver", "readlink-driver:readlinkat",
		      "readlink-driver:readlink_chk", "readlink-driver:readlinkat_chk",
		      "readlink-driver:readlink:9", "readlink-driver:readlinkat_chk:9",
		      "close", "readlink-driver"),
		  out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\n"
		 "readlink-driver %zu %s\nreadlink-driver %zu %s\n"
		 "readlink-driver %zu %s\nreadlink-driver %zu %s\n"
		 "readlink-driver 9 %.9s\nreadlink-driver 9 %.9s\n"
		 "close ok\nreadlink-driver err ENOENT\n",
		 n, link, n, link, n, link, n, link, link, link);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* Other paths reach the real readlink, all four entry points. */
START_TEST(test_readlink_passthrough)
{
	static const char *const fns[] = {
		"readlink", "readlinkat", "readlink_chk", "readlinkat_chk",
	};
	struct fixture fx;
	char out[OUT_MAX], want[OUT_MAX], lnk[128], other[512], op[4][192];
	char real_other[256] = "";
	const char *sys = "/sys/dev/char/1:3/device/driver";
	ssize_t n;

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	snprintf(lnk, sizeof(lnk), "%s/lnk", fx.dir);
	ck_assert_int_eq(symlink("../elsewhere/target", lnk), 0);
	for (int k = 0; k < 4; k++)
		snprintf(op[k], sizeof(op[k]), "readlink-path:%s:%s", fns[k], lnk);
	/* the same question the shim must not answer: what does the system say? */
	n = readlink(sys, real_other, sizeof(real_other) - 1);
	if (n < 0)
		snprintf(other, sizeof(other), "readlink-path err %s",
			 errno == ENOENT ? "ENOENT" : errno == ENOTDIR ? "ENOTDIR" : "E?");
	else
		snprintf(other, sizeof(other), "readlink-path %zd %.*s", n, (int)n, real_other);
	/* near misses of the port's own link are the kernel's (a pty has no
	 * device in /sys/dev/char) */
	probe_run(&fx, OPS("MODEMSIM_CHIP=8250"),
		  OPS("open", op[0], op[1], op[2], op[3],
		      "readlink-path:readlink:/sys/dev/char/1:3/device/driver",
		      "readlink-path:readlink:/nonexistent/link",
		      "readlink-dev:/device/driver", "readlink-dev:/device/driver/",
		      "readlink-dev:/device/driverX", "readlink-dev:/device",
		      "readlink-dev:/driver", "readlink-dev:"),
		  out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\n"
		 "readlink-path 19 ../elsewhere/target\nreadlink-path 19 ../elsewhere/target\n"
		 "readlink-path 19 ../elsewhere/target\nreadlink-path 19 ../elsewhere/target\n"
		 "%s\nreadlink-path err ENOENT\n"
		 "readlink-dev 40 ../../../bus/platform/drivers/serial8250\n"
		 "readlink-dev err ENOENT\nreadlink-dev err ENOENT\nreadlink-dev err ENOENT\n"
		 "readlink-dev err ENOENT\nreadlink-dev err ENOENT\n", other);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

START_TEST(test_chip_tiocgserial)
{
	struct fixture fx;
	const char *env[3];
	char out[OUT_MAX], want[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, chip_env(chip_ids[_i].env, NULL, env), OPS("open", "tiocgserial"),
		  out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\n%s\n", chip_ids[_i].serial);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* ERR (a failing transfer) leaves TIOCGSERIAL alone; a vanished device,
 * whose tty is hung up, fails it with EIO. */
START_TEST(test_tiocgserial_faults)
{
	struct fixture fx;
	char out[OUT_MAX];
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, "CTS=1 ERR=EIO\n");
	probe_start(&r, &fx, OPS("MODEMSIM_CHIP=8250"),
		    OPS("open", "get", "tiocgserial", "waitfor:gone", "tiocgserial"));
	probe_expect_line(&r, "tiocgserial type=4 line=0 port=0x3f8 irq=4 baud_base=115200");
	set_state(&fx, "CTS=1 GONE=1\n");
	touch(&fx, "gone");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nget err EIO\n"
			 "tiocgserial type=4 line=0 port=0x3f8 irq=4 baud_base=115200\n"
			 "waitfor ok\ntiocgserial err EIO\n");
	fixture_done(&fx);
}
END_TEST

/* TIOCMGET: cdc-acm always reports CTS (acm_tty_tiocmget), others the lines. */
static const struct {
	const char *chip;
	const char *state;
	const char *get;
} chip_get_cases[] = {
	{ "MODEMSIM_CHIP=cdc-acm", "CTS=0\n", "get 0x026" },
	{ "MODEMSIM_CHIP=cdc-acm", "CTS=1\n", "get 0x026" },
	{ "MODEMSIM_CHIP=cdc-acm", "DCD=1 RNG=1\n", "get 0x0e6" },
	{ "MODEMSIM_CHIP=cdc-acm", "DSR=1\n", "get 0x126" },
	{ "MODEMSIM_CHIP=8250", "CTS=0 DSR=1\n", "get 0x106" },
	{ "MODEMSIM_CHIP=cp210x", "RNG=1\n", "get 0x086" },
	{ "MODEMSIM_CHIP=pl2303", "CTS=1 DCD=1\n", "get 0x066" },
	{ "MODEMSIM_CHIP=unknown", "CTS=0\n", "get 0x006" },
};

START_TEST(test_chip_get)
{
	struct fixture fx;
	char out[OUT_MAX], want[64];

	fixture_init(&fx);
	set_state(&fx, chip_get_cases[_i].state);
	probe_run(&fx, OPS(chip_get_cases[_i].chip), OPS("open", "get"), out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\n%s\n", chip_get_cases[_i].get);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* TIOCGICOUNT per chip through one sequence of states (from "CTS=0"). */
static const char *const chip_steps[] = {
	"RNG=1\n",				/* RI rises */
	"RNG=0\n",				/* RI falls */
	"PULSE=RNG SEQ=1\n",			/* RI went and came back */
	"CTS=1\n",
	"CTS=0 DSR=1 DCD=1\n",
	"DSR=1 DCD=1 PULSE=CTS,DSR SEQ=2\n",
	"DSR=1 DCD=1 RNG=1\n",			/* RI rises again */
	"DSR=1 RNG=1\n",			/* DCD falls with RI held set */
};

#define N_CHIP_STEPS ((int)(sizeof(chip_steps) / sizeof(chip_steps[0])))

#define IC(cts, dsr, rng, dcd) "icount cts=" #cts " dsr=" #dsr " rng=" #rng " dcd=" #dcd

static const struct {
	const char *chip;
	const char *icount[N_CHIP_STEPS];
} chip_icount_cases[] = {
	/* every edge counts (ftdi_process_packet) */
	{ "MODEMSIM_CHIP=ftdi", { IC(0, 0, 1, 0), IC(0, 0, 2, 0), IC(0, 0, 4, 0), IC(1, 0, 4, 0),
		IC(2, 1, 4, 1), IC(4, 3, 4, 1), IC(4, 3, 5, 1), IC(4, 3, 5, 2) } },
	{ "MODEMSIM_CHIP=unknown", { IC(0, 0, 1, 0), IC(0, 0, 2, 0), IC(0, 0, 4, 0), IC(1, 0, 4, 0),
		IC(2, 1, 4, 1), IC(4, 3, 4, 1), IC(4, 3, 5, 1), IC(4, 3, 5, 2) } },
	/* rng: trailing edges only (TERI) */
	{ "MODEMSIM_CHIP=8250", { IC(0, 0, 0, 0), IC(0, 0, 1, 0), IC(0, 0, 2, 0), IC(1, 0, 2, 0),
		IC(2, 1, 2, 1), IC(4, 3, 2, 1), IC(4, 3, 2, 1), IC(4, 3, 2, 2) } },
	/* no cts; rng on every notification with RI set */
	{ "MODEMSIM_CHIP=cdc-acm", { IC(0, 0, 1, 0), IC(0, 0, 1, 0), IC(0, 0, 2, 0), IC(0, 0, 2, 0),
		IC(0, 1, 2, 1), IC(0, 3, 2, 1), IC(0, 3, 3, 1), IC(0, 3, 4, 2) } },
	/* modem-status events not implemented */
	{ "MODEMSIM_CHIP=cp210x", { IC(0, 0, 0, 0), IC(0, 0, 0, 0), IC(0, 0, 0, 0), IC(0, 0, 0, 0),
		IC(0, 0, 0, 0), IC(0, 0, 0, 0), IC(0, 0, 0, 0), IC(0, 0, 0, 0) } },
	/* no get_icount */
	{ "MODEMSIM_CHIP=pl2303", { "icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY",
		"icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY",
		"icount err ENOTTY" } },
	{ "MODEMSIM_CHIP=ch341", { "icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY",
		"icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY", "icount err ENOTTY",
		"icount err ENOTTY" } },
};

START_TEST(test_chip_icount)
{
	const char *ops[4 + 3 * N_CHIP_STEPS] = { "open", "mark:r" };
	char names[N_CHIP_STEPS][24], out[OUT_MAX], want[OUT_MAX] = "open ok\nr\n";
	static struct running r;
	struct fixture fx;
	int n = 2;

	for (int k = 0; k < N_CHIP_STEPS; k++) {
		snprintf(names[k], sizeof(names[k]), "waitfor:s%d", k);
		ops[n++] = names[k];
		ops[n++] = "icount";
		ops[n++] = "mark:r";
	}
	ops[n] = NULL;
	fixture_init(&fx);
	set_state(&fx, "CTS=0\n");
	probe_start(&r, &fx, OPS(chip_icount_cases[_i].chip), ops);
	probe_expect_line(&r, "r");
	for (int k = 0; k < N_CHIP_STEPS; k++) {
		set_state(&fx, chip_steps[k]);
		touch(&fx, names[k] + 8);
		probe_expect_line(&r, "r");
		strcat(want, "waitfor ok\n");
		strcat(want, chip_icount_cases[_i].icount[k]);
		strcat(want, "\nr\n");
	}
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* TIOCMIWAIT per chip: which changes end a wait. */
static const struct {
	const char *chip;
	const char *before;	/* state when the wait begins */
	const char *op;
	const char *after;	/* state written while it waits */
	const char *want;
} chip_wait_cases[] = {
	/* 8250: RI clear -> set moves no counter, so it never ends a wait */
	{ "MODEMSIM_CHIP=8250", "RNG=0\n", "miwait:0x080:400", "RNG=1\n", "miwait timeout" },
	{ "MODEMSIM_CHIP=8250", "RNG=0\n", "miwait:0x1e0:400", "RNG=1\n", "miwait timeout" },
	{ "MODEMSIM_CHIP=8250", "RNG=1\n", "miwait:0x080:5000", "RNG=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=8250", "RNG=0\n", "miwait:0x080:5000", "PULSE=RNG\n", "miwait ok" },
	{ "MODEMSIM_CHIP=8250", "CTS=1\n", "miwait:0x020:5000", "CTS=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=8250", "DCD=0\n", "miwait:0x040:5000", "DCD=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=8250", "CTS=1\n", "miwait:0x020:5000", "CTS=1 GONE=1\n", "miwait err EIO" },
	/* cdc-acm: CTS is never watched; RI counts when set, not when cleared */
	{ "MODEMSIM_CHIP=cdc-acm", "CTS=0\n", "miwait:0x020:400", "CTS=1\n", "miwait timeout" },
	{ "MODEMSIM_CHIP=cdc-acm", "CTS=1\n", "miwait:0x1e0:400", "CTS=0\n", "miwait timeout" },
	{ "MODEMSIM_CHIP=cdc-acm", "RNG=1\n", "miwait:0x080:400", "RNG=0\n", "miwait timeout" },
	{ "MODEMSIM_CHIP=cdc-acm", "RNG=0\n", "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=cdc-acm", "DSR=1\n", "miwait:0x100:5000", "DSR=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=cdc-acm", "DCD=0\n", "miwait:0x040:5000", "DCD=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=cdc-acm", "RNG=1\n", "miwait:0x080:5000", "RNG=1 DCD=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=cdc-acm", "DCD=1\n", "miwait:0x040:5000", "GONE=1\n", "miwait err EIO" },
	/* cp210x: no TIOCMIWAIT at all */
	{ "MODEMSIM_CHIP=cp210x", "CTS=0\n", "miwait:0x1e0:5000", "CTS=1\n", "miwait err ENOTTY" },
	/* pl2303, ch341, unknown, ftdi: every edge of every line */
	{ "MODEMSIM_CHIP=pl2303", "CTS=1\n", "miwait:0x020:5000", "CTS=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=pl2303", "RNG=0\n", "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=pl2303", "RNG=1\n", "miwait:0x080:5000", "RNG=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=ch341", "DSR=0\n", "miwait:0x100:5000", "DSR=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=ch341", "RNG=0\n", "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=ch341", "RNG=1\n", "miwait:0x080:5000", "RNG=0\n", "miwait ok" },
	{ "MODEMSIM_CHIP=unknown", "RNG=0\n", "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=ftdi", "RNG=0\n", "miwait:0x080:5000", "RNG=1\n", "miwait ok" },
	{ "MODEMSIM_CHIP=ftdi", "DCD=1\n", "miwait:0x040:5000", "GONE=1\n", "miwait err EIO" },
};

START_TEST(test_chip_miwait)
{
	struct fixture fx;
	char out[OUT_MAX], want[64];
	static struct running r;
	double took;

	fixture_init(&fx);
	set_state(&fx, chip_wait_cases[_i].before);
	probe_start(&r, &fx, OPS(chip_wait_cases[_i].chip),
		    OPS("open", "mark:go", chip_wait_cases[_i].op));
	probe_expect_line(&r, "go");
	sleep_ms(100);
	set_state(&fx, chip_wait_cases[_i].after);
	took = probe_finish(&r, out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\ngo\n%s\n", chip_wait_cases[_i].want);
	ck_assert_str_eq(out, want);
	if (strcmp(chip_wait_cases[_i].want, "miwait timeout") != 0)
		ck_assert_double_lt(took, 3.0);
	fixture_done(&fx);
}
END_TEST

/* cdc-acm compares with acm->oldcount, which the last check set: a change
 * between two waits ends the next one at once (then it blocks again). But
 * each notification sets oldcount too, so of two changes between waits
 * only the last one is seen. The others compare with the counters at
 * entry: any change before the wait is history. */
static const struct {
	const char *chip;
	const char *second;	/* the DCD wait after DCD changed */
} oldcount_cases[] = {
	{ "MODEMSIM_CHIP=cdc-acm", "miwait ok" },
	{ "MODEMSIM_CHIP=8250", "miwait timeout" },
};

START_TEST(test_chip_oldcount)
{
	struct fixture fx;
	char out[OUT_MAX], want[OUT_MAX];
	static struct running r;

	fixture_init(&fx);
	set_state(&fx, "DSR=0 DCD=0\n");
	probe_start(&r, &fx, OPS(oldcount_cases[_i].chip),
		    OPS("open", "mark:r1", "miwait:0x140:5000", "mark:r2", "waitfor:go2",
			"miwait:0x040:400", "miwait:0x040:400",
			"waitfor:go3", "tcgetattr", "waitfor:go4", "miwait:0x100:400"));
	probe_expect_line(&r, "r1");
	sleep_ms(100);
	set_state(&fx, "DSR=1 DCD=0\n");	/* ends the first wait */
	probe_expect_line(&r, "r2");
	set_state(&fx, "DSR=1 DCD=1\n");	/* between the waits */
	touch(&fx, "go2");
	probe_expect_line(&r, "miwait timeout");
	set_state(&fx, "DSR=0 DCD=1\n");	/* seen by tcgetattr: a notification */
	touch(&fx, "go3");
	probe_expect_line(&r, "tcgetattr ok");
	set_state(&fx, "DSR=0 DCD=0\n");	/* the next one hides it from DSR */
	touch(&fx, "go4");
	probe_finish(&r, out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\nr1\nmiwait ok\nr2\nwaitfor ok\n%s\n"
		 "miwait timeout\nwaitfor ok\ntcgetattr ok\nwaitfor ok\nmiwait timeout\n",
		 oldcount_cases[_i].second);
	ck_assert_str_eq(out, want);
	fixture_done(&fx);
}
END_TEST

/* ftdi: the status comes with a bulk-in packet, every 16 ms: a wait ends
 * on a multiple of 16 ms of CLOCK_MONOTONIC, after the change. The chip
 * without the latency ends it before that boundary. Changes are made half
 * way between two boundaries; one try in five may suffer the scheduler. */
#define LAT_NS		((long long)MODEMSIM_FTDI_LATENCY_MS * 1000000LL)
#define LAT_SLACK_NS	3000000LL
#define LAT_TRIES	5

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(long long ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static const struct {
	const char *chip;
	int latency;
} latency_cases[] = {
	{ "MODEMSIM_CHIP=ftdi", 1 },
	{ "MODEMSIM_CHIP=unknown", 0 },
};

START_TEST(test_chip_latency)
{
	const char *ops[2 + 2 * LAT_TRIES] = { "open" };
	long long changed[LAT_TRIES];
	char out[OUT_MAX], *line, *save = NULL;
	static struct running r;
	struct fixture fx;
	int n = 1, k, good = 0;

	for (k = 0; k < LAT_TRIES; k++) {
		ops[n++] = "mark:w";
		ops[n++] = "miwait-at:0x020:1500";
	}
	ops[n] = NULL;
	fixture_init(&fx);
	set_state(&fx, "CTS=0\n");
	probe_start(&r, &fx, OPS(latency_cases[_i].chip), ops);
	for (k = 0; k < LAT_TRIES; k++) {
		probe_expect_line(&r, "w");
		sleep_ms(40);	/* the probe is in the wait */
		sleep_until_ns((now_ns() / LAT_NS + 1) * LAT_NS + LAT_NS / 2);
		changed[k] = now_ns();
		set_state(&fx, k % 2 ? "CTS=0\n" : "CTS=1\n");
	}
	probe_finish(&r, out, sizeof(out));
	k = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long long sec, nsec, returned, boundary;

		if (strncmp(line, "miwait", 6) != 0)
			continue;
		ck_assert_msg(sscanf(line, "miwait ok at %lld.%lld", &sec, &nsec) == 2,
			      "try %d: '%s'", k, line);
		ck_assert_int_lt(k, LAT_TRIES);
		returned = sec * 1000000000LL + nsec;
		boundary = (changed[k] / LAT_NS + 1) * LAT_NS;	/* next packet */
		ck_assert_msg(returned > changed[k], "try %d returned before the change", k);
		if (latency_cases[_i].latency)
			good += returned >= boundary && returned - boundary < LAT_SLACK_NS;
		else
			good += returned < boundary;
		k++;
	}
	ck_assert_int_eq(k, LAT_TRIES);
	ck_assert_msg(good >= LAT_TRIES - 1, "%s: only %d of %d waits ended %s",
		      latency_cases[_i].chip, good, LAT_TRIES,
		      latency_cases[_i].latency ? "just after a 16 ms boundary"
						: "before the next 16 ms boundary");
	fixture_done(&fx);
}
END_TEST

/* WAITERR fails TIOCMIWAIT only: a blocked wait at once, later waits until
 * it is gone; TIOCMGET and the rest work meanwhile. */
static const struct {
	const char *word;
	const char *errname;
} waiterr_cases[] = {
	{ "WAITERR=EPROTO", "EPROTO" },
	{ "WAITERR=EOVERFLOW", "EOVERFLOW" },
	{ "WAITERR=71", "EPROTO" },
	{ "waiterr=eio", "EIO" },
};

START_TEST(test_waiterr)
{
	struct fixture fx;
	char out[OUT_MAX], want[OUT_MAX], state[64], line[64];
	const char *e = waiterr_cases[_i].errname;
	static struct running r;
	double t0, t1;

	fixture_init(&fx);
	set_state(&fx, "CTS=0 DCD=1\n");
	probe_start(&r, &fx, NOENV,
		    OPS("open", "mark:go", "miwait:0x020:5000", "get", "icount", "tcgetattr",
			"miwait:0x1e0:5000", "set:0x000", "waitfor:clear", "miwait:0x020:300"));
	probe_expect_line(&r, "go");
	sleep_ms(100);
	snprintf(state, sizeof(state), "CTS=0 DCD=1 %s\n", waiterr_cases[_i].word);
	t0 = now_s();
	set_state(&fx, state);
	snprintf(line, sizeof(line), "miwait err %s", e);
	probe_expect_line(&r, line);
	t1 = now_s();
	ck_assert_double_lt(t1 - t0, 0.5);	/* through inotify, not a timeout */
	probe_expect_line(&r, line);	/* the next wait fails at once */
	ck_assert_double_lt(now_s() - t1, 0.5);
	set_state(&fx, "CTS=0 DCD=1\n");
	touch(&fx, "clear");
	probe_finish(&r, out, sizeof(out));
	snprintf(want, sizeof(want), "open ok\ngo\nmiwait err %s\nget 0x046\n"
		 "icount cts=0 dsr=0 rng=0 dcd=0\ntcgetattr ok\nmiwait err %s\nset ok\n"
		 "waitfor ok\nmiwait timeout\n", e, e);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(log_count(&fx, "TIOCMSET 0x000"), 1);
	fixture_done(&fx);
}
END_TEST

/* MODEMSIM_NO_MIWAIT and MODEMSIM_NO_ICOUNT still apply on top of a chip. */
START_TEST(test_chip_with_flags)
{
	struct fixture fx;
	char out[OUT_MAX];

	fixture_init(&fx);
	set_state(&fx, "CTS=1\n");
	probe_run(&fx, OPS("MODEMSIM_CHIP=8250", "MODEMSIM_NO_ICOUNT=1"),
		  OPS("open", "icount", "miwait:0x020:200", "tiocgserial"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nicount err ENOTTY\nmiwait timeout\n"
			 "tiocgserial type=4 line=0 port=0x3f8 irq=4 baud_base=115200\n");
	probe_run(&fx, OPS("MODEMSIM_CHIP=cdc-acm", "MODEMSIM_NO_MIWAIT=1"),
		  OPS("open", "miwait:0x140:200", "icount", "get"), out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nmiwait err EINVAL\nicount cts=0 dsr=0 rng=0 dcd=0\n"
			 "get 0x026\n");
	fixture_done(&fx);
}
END_TEST

/* ---- simulated cables (MODEMSIM_CABLE) ------------------------------- */

/* The lines of a cable follow its profile, the UPS state and the outputs;
 * the program's shutdown signals are logged. Values from genericups(8):
 * type 5 CP=DTR OL=CTS LB=-DCD SD=DTR+RTS; 4 CP=RTS SD=0 (drop all);
 * 11 CP=DTR OL=-CTS LB=-DCD SD=ST (BREAK). */
static const struct {
	const char *cable, *state;
	const char *ops[6];
	const char *want;	/* the probe's output */
	const char *event;	/* a log event, and how often it appears */
	int count;
} cable_cases[] = {
	{ "5", "UPS=mains", { "set:0x000", "get", "set:0x002", "get" },
	  "open ok\nset ok\nget 0x000\nset ok\nget 0x062\n", "SHUTDOWN lines 0x006 ups=mains", 0 },
	{ "5", "UPS=battery", { "set:0x002", "get" }, "open ok\nset ok\nget 0x042\n",
	  "SHUTDOWN lines 0x006 ups=battery", 0 },
	{ "5", "UPS=low", { "set:0x002", "get" }, "open ok\nset ok\nget 0x002\n", "x", 0 },
	{ "5", "UPS=pulled", { "set:0x002", "get" }, "open ok\nset ok\nget 0x002\n", "x", 0 },
	/* an extra raised line does not unpower the cable; no UPS= is mains */
	{ "5", "SEQ=1", { "set:0x006", "get" }, "open ok\nset ok\nget 0x066\n",
	  "SHUTDOWN lines 0x006 ups=mains", 1 },
	/* on battery the UPS obeys and goes dark */
	{ "5", "UPS=battery", { "set:0x002", "set:0x006", "get" },
	  "open ok\nset ok\nset ok\nget 0x006\n", "SHUTDOWN lines 0x006 ups=battery", 1 },
	/* open(2) raised DTR+RTS: not the program's signal; dropping them is
	 * not type 4's either until the program raised its CP */
	{ "4", "UPS=mains", { "get", "set:0x000", "get" },
	  "open ok\nget 0x066\nset ok\nget 0x000\n", "SHUTDOWN lines dropped ups=mains", 0 },
	{ "4", "UPS=mains", { "set:0x004", "get", "set:0x000" },
	  "open ok\nset ok\nget 0x064\nset ok\n", "SHUTDOWN lines dropped ups=mains", 1 },
	{ "11", "UPS=mains", { "set:0x002", "get", "break" },
	  "open ok\nset ok\nget 0x042\nbreak ok\n", "SHUTDOWN break ups=mains", 1 },
	/* overrides on a type: OL=-DSR LB=CTS on type 1's CP=DTR */
	{ "1 OL=-DSR LB=CTS", "UPS=low", { "set:0x002", "get" }, "open ok\nset ok\nget 0x122\n",
	  "x", 0 },
	{ "1 OL=-DSR LB=CTS", "UPS=mains", { "set:0x004", "get" }, "open ok\nset ok\nget 0x004\n",
	  "SHUTDOWN lines 0x004 ups=mains", 1 },
	/* the cable's inputs change with the outputs, counted as the chip does:
	 * up at open (DTR+RTS), down, up, down */
	{ "5", "UPS=mains", { "set:0x000", "set:0x002", "set:0x000", "icount" },
	  "open ok\nset ok\nset ok\nset ok\nicount cts=4 dsr=0 rng=0 dcd=4\n", "x", 0 },
	{ "5 XX=1", "UPS=mains", { "get" }, "open err EINVAL\nget err EBADF\n", "x", 0 },
};

START_TEST(test_cable)
{
	struct fixture fx;
	const char *ops[8] = { "open" };
	char out[OUT_MAX], env[300];
	int n = 1;

	fixture_init(&fx);
	set_state(&fx, cable_cases[_i].state);
	for (int k = 0; k < 6 && cable_cases[_i].ops[k]; k++)
		ops[n++] = cable_cases[_i].ops[k];
	ops[n] = NULL;
	snprintf(env, sizeof(env), "MODEMSIM_CABLE=%s", cable_cases[_i].cable);
	probe_run(&fx, OPS(env, "MODEMSIM_FAST_BREAK=1"), ops, out, sizeof(out));
	ck_assert_str_eq(out, cable_cases[_i].want);
	ck_assert_int_eq(log_count(&fx, cable_cases[_i].event), cable_cases[_i].count);
	fixture_done(&fx);
}
END_TEST

/* A signal held when the mains goes is obeyed: the UPS reads a level. */
START_TEST(test_cable_held)
{
	struct fixture fx;
	struct running r;
	char out[OUT_MAX], go[160];

	fixture_init(&fx);
	set_state(&fx, "UPS=mains");
	probe_start(&r, &fx, OPS("MODEMSIM_CABLE=5"),
		    OPS("open", "set:0x006", "get", "mark:raised", "waitfor:go", "get"));
	probe_expect_line(&r, "raised");
	set_state(&fx, "UPS=battery");
	snprintf(go, sizeof(go), "%s/go", fx.dir);
	write_file(go, "");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nset ok\nget 0x066\nraised\nwaitfor ok\nget 0x006\n");
	ck_assert_int_eq(log_count(&fx, "SHUTDOWN lines 0x006 ups=mains"), 1);
	ck_assert_int_eq(log_count(&fx, "SHUTDOWN held 0x006 ups=battery"), 1);
	fixture_done(&fx);
}
END_TEST

/* A dark UPS comes back when the mains does. */
START_TEST(test_cable_back_on)
{
	struct fixture fx;
	struct running r;
	char out[OUT_MAX], go[160];

	fixture_init(&fx);
	set_state(&fx, "UPS=battery");
	snprintf(go, sizeof(go), "waitfor:go");
	probe_start(&r, &fx, OPS("MODEMSIM_CABLE=5"),
		    OPS("open", "set:0x006", "set:0x002", "get", "mark:dark", go, "get"));
	probe_expect_line(&r, "dark");
	set_state(&fx, "UPS=mains");
	snprintf(go, sizeof(go), "%s/go", fx.dir);
	write_file(go, "");
	probe_finish(&r, out, sizeof(out));
	ck_assert_str_eq(out, "open ok\nset ok\nset ok\nget 0x002\ndark\nwaitfor ok\nget 0x062\n");
	ck_assert_int_eq(log_count(&fx, "CABLE UPS on again"), 1);
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
	TCase *chips = tcase_create("chips");

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

	tcase_add_loop_test(chips, test_chip_logged, 0, N_CHIP_IDS);
	tcase_add_test(chips, test_chip_bad_name);
	tcase_add_loop_test(chips, test_chip_readlink, 0, N_CHIP_IDS);
	tcase_add_test(chips, test_readlink_passthrough);
	tcase_add_loop_test(chips, test_chip_tiocgserial, 0, N_CHIP_IDS);
	tcase_add_test(chips, test_tiocgserial_faults);
	tcase_add_loop_test(chips, test_chip_get, 0,
			    (int)(sizeof(chip_get_cases) / sizeof(chip_get_cases[0])));
	tcase_add_loop_test(chips, test_chip_icount, 0,
			    (int)(sizeof(chip_icount_cases) / sizeof(chip_icount_cases[0])));
	tcase_add_loop_test(chips, test_chip_miwait, 0,
			    (int)(sizeof(chip_wait_cases) / sizeof(chip_wait_cases[0])));
	tcase_add_loop_test(chips, test_chip_oldcount, 0,
			    (int)(sizeof(oldcount_cases) / sizeof(oldcount_cases[0])));
	tcase_add_loop_test(chips, test_chip_latency, 0,
			    (int)(sizeof(latency_cases) / sizeof(latency_cases[0])));
	tcase_add_loop_test(chips, test_waiterr, 0,
			    (int)(sizeof(waiterr_cases) / sizeof(waiterr_cases[0])));
	tcase_add_test(chips, test_chip_with_flags);
	tcase_add_loop_test(chips, test_cable, 0,
			    (int)(sizeof(cable_cases) / sizeof(cable_cases[0])));
	tcase_add_test(chips, test_cable_back_on);
	tcase_add_test(chips, test_cable_held);
	suite_add_tcase(s, chips);
	return s;
}

int main(void)
{
	return check_main(modemsim_suite());
}
