/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * latency: time from a simulated modem-line change (the rename of the
 * modemsim state file) to the driver's `SETINFO ups.status` broadcast.
 *
 * Modes (upstype 5: OL = CTS set, LB = DCD clear):
 *   toggle  flip CTS every sample; both OL->OB and OB->OL are measured
 *   ob      OL -> drop CTS, time until the status has OB; CTS back (unmeasured)
 *   lb      from OB, drop DCD, time until the status has LB; DCD back (unmeasured)
 *   line    flip the line named by -L every sample, the other inputs clear;
 *           for a driver run with -x OL=<line> (-L RNG: RNG set = OL) or
 *           -x OL=-<line> (-L -RNG: RNG set = OB). Rising and falling edges
 *           are reported (and saved, -o FILE: FILE.rising, FILE.falling)
 *           apart. An edge that the driver says it reads on its timer
 *           (driver.port.polled in the DUMPALL: "RNG", "RNG:rising", "all")
 *           waits a pause from -P MIN-MAX instead of -p: wide enough to land
 *           anywhere in the timer's period, and past the driver's follow-up
 *           read 20 ms after the previous edge. Where the driver publishes
 *           driver.port.*, each edge's label ends in how it learns of it:
 *           [event] (TIOCMIWAIT), [timer], or [timer+wait] (the timer, and a
 *           TIOCMIWAIT the driver does not trust: driver.port.events "not known").
 */
#include <getopt.h>
#include <poll.h>

#include "benchlib.h"

struct config {
	const char *sock_path;
	const char *state_path;
	const char *label;
	const char *raw_path;
	const char *mode;
	const char *line;	/* -L: line mode's line, without the '-' */
	bool line_set_ob;	/* -L -NAME: the line set means on battery */
	size_t samples;
	long pause_max_ms;
	long polled_pause_min_ms, polled_pause_max_ms;	/* -P */
	long timeout_ms;
	uint64_t seed;
	pid_t kill_pid;
	bool merge;		/* -R: report saved raw files */
	bool verbose;		/* -v: per-sample monotonic times on stderr */
};

/* What the status must (want) and must not (absent) contain. */
struct status_goal {
	const char *want;
	const char *absent;
};

struct conn {
	int fd;
	struct bl_linebuf lb;
	char status[256];
	char polled[128];	/* driver.port.polled, "" if not published */
	char events[128];	/* driver.port.events */
	bool status_seen;	/* a ups.status line arrived in this feed */
	bool dumpdone;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: latency -S socket -f statefile [-m toggle|ob|lb|line] [-L [-]LINE]\n"
		"               [-n samples]\n"
		"               [-p max_pause_ms] [-t timeout_ms] [-l label] [-o raw_file]\n"
		"               [-r seed] [-K driver_pid] [-P min-max] [-v]\n"
		"       latency -R [-l label] raw_file...   (percentiles of saved samples)\n");
	exit(2);
}

static struct config parse_config(int argc, char **argv)
{
	struct config c = { .mode = "toggle", .samples = 200, .pause_max_ms = 20,
			    .polled_pause_min_ms = 30, .polled_pause_max_ms = 230,
			    .timeout_ms = 10000, .seed = 88172645463325252ULL,
			    .label = "latency" };
	int opt;

	while ((opt = getopt(argc, argv, "S:f:m:L:n:p:P:t:l:o:r:K:Rv")) != -1) {
		switch (opt) {
		case 'S': c.sock_path = optarg; break;
		case 'f': c.state_path = optarg; break;
		case 'm': c.mode = optarg; break;
		case 'L':
			c.line_set_ob = optarg[0] == '-';
			c.line = optarg + c.line_set_ob;
			break;
		case 'n': c.samples = strtoul(optarg, NULL, 10); break;
		case 'p': c.pause_max_ms = strtol(optarg, NULL, 10); break;
		case 'P':
			if (sscanf(optarg, "%ld-%ld", &c.polled_pause_min_ms,
				   &c.polled_pause_max_ms) != 2 ||
			    c.polled_pause_min_ms < 0 ||
			    c.polled_pause_max_ms < c.polled_pause_min_ms)
				bl_die("-P %s: expected MIN-MAX in ms", optarg);
			break;
		case 't': c.timeout_ms = strtol(optarg, NULL, 10); break;
		case 'l': c.label = optarg; break;
		case 'o': c.raw_path = optarg; break;
		case 'r': c.seed = strtoull(optarg, NULL, 10) | 1; break;
		case 'K': c.kill_pid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'R': c.merge = true; break;
		case 'v': c.verbose = true; break;
		default: usage();
		}
	}
	if (c.merge ? optind >= argc : !c.sock_path || !c.state_path || c.samples == 0)
		usage();
	if (strcmp(c.mode, "toggle") && strcmp(c.mode, "ob") && strcmp(c.mode, "lb") &&
	    strcmp(c.mode, "line"))
		bl_die("-m %s: unknown mode (toggle, ob, lb, line)", c.mode);
	if (!strcmp(c.mode, "line")) {
		struct bl_lines l = { 0 };

		if (!c.line || !bl_line_level(&l, c.line))
			bl_die("-m line needs -L [-]CTS|DCD|RNG|DSR (is '%s')",
			       c.line ? c.line : "");
	}
	return c;
}

/* If line is `SETINFO <var> "..."`, copy the value (without quotes) to val. */
static bool parse_setinfo(const char *line, const char *var, char *val, size_t len)
{
	size_t n = strlen(var);

	if (strncmp(line, "SETINFO ", 8) || strncmp(line + 8, var, n) || strncmp(line + 8 + n, " \"", 2))
		return false;
	snprintf(val, len, "%s", line + 8 + n + 2);
	val[strcspn(val, "\"")] = '\0';
	return true;
}

static void on_line(void *ctx, const char *line)
{
	struct conn *cn = ctx;

	if (bl_parse_status(line, cn->status, sizeof(cn->status)))
		cn->status_seen = true;
	else if (parse_setinfo(line, "driver.port.polled", cn->polled, sizeof(cn->polled)))
		;
	else if (parse_setinfo(line, "driver.port.events", cn->events, sizeof(cn->events)))
		;
	else if (strcmp(line, "DUMPDONE") == 0)
		cn->dumpdone = true;
}

static bool goal_met(const struct status_goal *g, const char *status)
{
	if (g->want && !bl_has_word(status, g->want))
		return false;
	if (g->absent && bl_has_word(status, g->absent))
		return false;
	return true;
}

/* Read one chunk (waiting at most ms); false on timeout. Dies on EOF. */
static bool conn_read(struct conn *cn, int ms)
{
	struct pollfd pfd = { .fd = cn->fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	if (poll(&pfd, 1, ms < 0 ? 0 : ms) <= 0)
		return false;
	n = read(cn->fd, buf, sizeof(buf));
	if (n == 0)
		bl_die("%s: driver closed the connection", "socket");
	if (n < 0)
		bl_die("socket read: %s", strerror(errno));
	bl_feed(&cn->lb, buf, (size_t)n, on_line, cn);
	return true;
}

/*
 * Wait until a ups.status broadcast meets g; return the monotonic time the
 * read that carried it returned, or -1 after timeout_ms.
 */
static int64_t wait_status(struct conn *cn, const struct status_goal *g, long timeout_ms)
{
	int64_t deadline = bl_now_ns() + timeout_ms * 1000000;

	for (;;) {
		int64_t now = bl_now_ns();

		if (now >= deadline)
			return -1;
		cn->status_seen = false;
		if (!conn_read(cn, (int)((deadline - now + 999999) / 1000000)))
			continue;
		if (cn->status_seen && goal_met(g, cn->status))
			return bl_now_ns();
	}
}

static void dumpall(struct conn *cn)
{
	int64_t deadline = bl_now_ns() + 10000000000LL;

	bl_send(cn->fd, "DUMPALL\n");
	while (!cn->dumpdone) {
		if (bl_now_ns() > deadline)
			bl_die("no DUMPDONE within 10 s");
		conn_read(cn, 1000);
	}
}

/* Change the lines now; returns the time taken just before the rename. */
static int64_t change_lines(const struct config *c, struct bl_lines l, unsigned *seq)
{
	int64_t t0;

	bl_state_prepare(c->state_path, l, ++*seq);
	t0 = bl_now_ns();
	bl_state_commit(c->state_path);
	return t0;
}

/* Set the lines and wait (unmeasured) for the status to reach g. */
static void settle(const struct config *c, struct conn *cn, struct bl_lines l,
		   const struct status_goal *g, unsigned *seq)
{
	change_lines(c, l, seq);
	if (!goal_met(g, cn->status) && wait_status(cn, g, c->timeout_ms) < 0)
		bl_die("%s: status never reached want=%s absent=%s (is '%s')", c->label,
		       g->want ? g->want : "-", g->absent ? g->absent : "-", cn->status);
}

static void write_raw(const char *path, const char *suffix, const int64_t *v, size_t n)
{
	char name[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(name, sizeof(name), "%s%s", path, suffix);
	f = fopen(name, "w");
	if (!f)
		bl_die("%s: %s", name, strerror(errno));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)v[i]);
	fclose(f);
}

/* One measured change per sample; the goals depend on the mode. */
static size_t run_samples(const struct config *c, struct conn *cn, int64_t *lat, size_t *fails)
{
	static const struct status_goal ob = { "OB", "OL" }, ol = { "OL", "OB" };
	static const struct status_goal lb = { "LB", NULL }, nolb = { "OB", "LB" };
	struct bl_lines l = { .cts = 1, .dcd = 1 };
	uint64_t seed = c->seed;
	unsigned seq = 0;
	size_t n = 0;

	if (!strcmp(c->mode, "lb")) {
		l.cts = 0;
		settle(c, cn, l, &nolb, &seq);
	} else {
		settle(c, cn, l, &ol, &seq);
	}
	for (size_t i = 0; i < c->samples; i++) {
		const struct status_goal *g;
		int64_t t0, t1;

		bl_sleep_ms(bl_pause_ms(&seed, c->pause_max_ms));
		if (!strcmp(c->mode, "lb")) {
			l.dcd = 0;
			g = &lb;
		} else {
			l.cts = !strcmp(c->mode, "ob") ? 0 : !l.cts;
			g = l.cts ? &ol : &ob;
		}
		t0 = change_lines(c, l, &seq);
		t1 = wait_status(cn, g, c->timeout_ms);
		if (c->verbose)
			fprintf(stderr, "sample %zu t0=%.6f t1=%.6f status=%s\n", i,
				t0 / 1e9, t1 / 1e9, cn->status);
		if (t1 >= 0) {
			lat[n++] = t1 - t0;
		} else if (++*fails >= 3) {
			fprintf(stderr, "%s: %zu changes got no broadcast within %ld ms; giving up\n",
				c->label, *fails, c->timeout_ms);
			break;
		}
		if (!strcmp(c->mode, "lb")) {
			l.dcd = 1;
			settle(c, cn, l, &nolb, &seq);
		} else if (!strcmp(c->mode, "ob")) {
			l.cts = 1;
			settle(c, cn, l, &ol, &seq);
		}
	}
	return n;
}

/* Does the driver read this edge of line on its timer (driver.port.polled)? */
static bool edge_polled(const char *polled, const char *line, bool rising)
{
	char word[32];

	if (!strncmp(polled, "all", 3) || bl_has_word(polled, line))
		return true;
	snprintf(word, sizeof(word), "%s:%s", line, rising ? "rising" : "falling");
	return bl_has_word(polled, word);
}

/* " [event]", " [timer]", " [timer+wait]", or "" if the driver did not say. */
static const char *edge_via(const struct conn *cn, const char *line, bool rising)
{
	if (!cn->polled[0])
		return "";
	if (!edge_polled(cn->polled, line, rising))
		return " [event]";
	return strcmp(cn->events, "not known") ? " [timer]" : " [timer+wait]";
}

/*
 * Line mode: flip one line per sample; rising edges go to rise[], falling
 * ones to fall[] (each sized for every sample).
 */
static void run_line_samples(const struct config *c, struct conn *cn, int64_t *rise,
			     size_t *nrise, int64_t *fall, size_t *nfall, size_t *fails)
{
	static const struct status_goal ob = { "OB", "OL" }, ol = { "OL", "OB" };
	struct bl_lines l = { 0 };
	int *level = bl_line_level(&l, c->line);
	uint64_t seed = c->seed;
	unsigned seq = 0;

	/* start on line (OL): the line set, or clear for -L -NAME */
	*level = !c->line_set_ob;
	settle(c, cn, l, &ol, &seq);
	for (size_t i = 0; i < c->samples; i++) {
		const struct status_goal *g;
		int64_t t0, t1;

		if (edge_polled(cn->polled, c->line, !*level))
			bl_sleep_ms(c->polled_pause_min_ms +
				    bl_pause_ms(&seed, c->polled_pause_max_ms - c->polled_pause_min_ms));
		else
			bl_sleep_ms(bl_pause_ms(&seed, c->pause_max_ms));
		*level = !*level;
		g = (*level != c->line_set_ob) ? &ol : &ob;
		t0 = change_lines(c, l, &seq);
		t1 = wait_status(cn, g, c->timeout_ms);
		if (c->verbose)
			fprintf(stderr, "sample %zu %s %s t0=%.6f t1=%.6f status=%s\n", i,
				c->line, *level ? "rising" : "falling", t0 / 1e9, t1 / 1e9,
				cn->status);
		if (t1 >= 0) {
			if (*level)
				rise[(*nrise)++] = t1 - t0;
			else
				fall[(*nfall)++] = t1 - t0;
		} else if (++*fails >= 3) {
			fprintf(stderr, "%s: %zu changes got no broadcast within %ld ms; giving up\n",
				c->label, *fails, c->timeout_ms);
			break;
		} else {
			/* the status may still come: start the next sample from it */
			settle(c, cn, l, g, &seq);
		}
	}
}

static void report_line(const struct config *c, const struct conn *cn, int64_t *rise,
			size_t nrise, int64_t *fall, size_t nfall, size_t fails)
{
	char label[256];

	write_raw(c->raw_path, ".rising", rise, nrise);
	write_raw(c->raw_path, ".falling", fall, nfall);
	snprintf(label, sizeof(label), "%s rising%s", c->label, edge_via(cn, c->line, true));
	bl_report(label, rise, nrise, fails);
	snprintf(label, sizeof(label), "%s falling%s", c->label, edge_via(cn, c->line, false));
	bl_report(label, fall, nfall, 0);
}

/* -R: pool the samples saved by several runs (parallel driver instances). */
static int merge_raw(const char *label, int nfiles, char **files)
{
	size_t n = 0, cap = 1024;
	int64_t *v = malloc(cap * sizeof(*v));
	long long x;

	if (!v)
		bl_die("out of memory");
	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			bl_die("%s: %s", files[i], strerror(errno));
		while (fscanf(f, "%lld", &x) == 1) {
			if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof(*v))))
				bl_die("out of memory");
			v[n++] = x;
		}
		fclose(f);
	}
	bl_report(label, v, n, 0);
	free(v);
	return n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config c = parse_config(argc, argv);
	struct conn cn = { .fd = -1 };
	int64_t *lat;
	size_t n, fails = 0;

	if (c.merge)
		return merge_raw(c.label, argc - optind, argv + optind);
	lat = calloc(c.samples, sizeof(*lat));
	if (!lat)
		bl_die("out of memory for %zu samples", c.samples);
	signal(SIGPIPE, SIG_IGN);
	cn.fd = bl_connect(c.sock_path);
	dumpall(&cn);
	if (!strcmp(c.mode, "line")) {
		int64_t *fall = calloc(c.samples, sizeof(*fall));
		size_t nfall = 0;

		if (!fall)
			bl_die("out of memory for %zu samples", c.samples);
		n = 0;
		run_line_samples(&c, &cn, lat, &n, fall, &nfall, &fails);
		report_line(&c, &cn, lat, n, fall, nfall, fails);
		free(fall);
	} else {
		n = run_samples(&c, &cn, lat, &fails);
		write_raw(c.raw_path, "", lat, n);
		bl_report(c.label, lat, n, fails);
	}
	bl_kill_driver(c.kill_pid);
	free(lat);
	return fails ? 1 : 0;
}
