/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * latency: time from a simulated modem-line change (the rename of the
 * modemsim state file) to the driver's `SETINFO ups.status` broadcast.
 *
 * Modes (upstype 5: OL = CTS set, LB = DCD clear):
 *   toggle  flip CTS every sample; both OL->OB and OB->OL are measured
 *   ob      OL -> drop CTS, time until the status has OB; CTS back (unmeasured)
 *   lb      from OB, drop DCD, time until the status has LB; DCD back (unmeasured)
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
	size_t samples;
	long pause_max_ms;
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
	bool status_seen;	/* a ups.status line arrived in this feed */
	bool dumpdone;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: latency -S socket -f statefile [-m toggle|ob|lb] [-n samples]\n"
		"               [-p max_pause_ms] [-t timeout_ms] [-l label] [-o raw_file]\n"
		"               [-r seed] [-K driver_pid] [-v]\n"
		"       latency -R [-l label] raw_file...   (percentiles of saved samples)\n");
	exit(2);
}

static struct config parse_config(int argc, char **argv)
{
	struct config c = { .mode = "toggle", .samples = 200, .pause_max_ms = 20,
			    .timeout_ms = 10000, .seed = 88172645463325252ULL,
			    .label = "latency" };
	int opt;

	while ((opt = getopt(argc, argv, "S:f:m:n:p:t:l:o:r:K:Rv")) != -1) {
		switch (opt) {
		case 'S': c.sock_path = optarg; break;
		case 'f': c.state_path = optarg; break;
		case 'm': c.mode = optarg; break;
		case 'n': c.samples = strtoul(optarg, NULL, 10); break;
		case 'p': c.pause_max_ms = strtol(optarg, NULL, 10); break;
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
	if (strcmp(c.mode, "toggle") && strcmp(c.mode, "ob") && strcmp(c.mode, "lb"))
		bl_die("-m %s: unknown mode (toggle, ob, lb)", c.mode);
	return c;
}

static void on_line(void *ctx, const char *line)
{
	struct conn *cn = ctx;

	if (bl_parse_status(line, cn->status, sizeof(cn->status)))
		cn->status_seen = true;
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

static void write_raw(const char *path, const int64_t *v, size_t n)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		bl_die("%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)v[i]);
	fclose(f);
}

/* One measured change per sample; the goals depend on the mode. */
static size_t run_samples(const struct config *c, struct conn *cn, int64_t *lat, size_t *fails)
{
	static const struct status_goal ob = { "OB", "OL" }, ol = { "OL", "OB" };
	static const struct status_goal lb = { "LB", NULL }, nolb = { "OB", "LB" };
	struct bl_lines l = { 1, 1 };
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
	n = run_samples(&c, &cn, lat, &fails);
	write_raw(c.raw_path, lat, n);
	bl_report(c.label, lat, n, fails);
	bl_kill_driver(c.kill_pid);
	free(lat);
	return fails ? 1 : 0;
}
