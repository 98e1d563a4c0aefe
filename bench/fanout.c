/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fanout: many clients on one driver socket. Each sends DUMPALL (as upsd
 * does) and then only reads. After every simulated line change (the rename
 * of the modemsim state file) it times how long until every client has
 * received the `SETINFO ups.status` broadcast.
 *
 * With -w a second round runs after one more client has connected that
 * floods DUMPALL and never reads, so its buffers fill: the other clients'
 * times must not change.
 */
#include <getopt.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "benchlib.h"

struct config {
	const char *sock_path;
	const char *state_path;
	const char *label;
	size_t nclients;
	size_t changes;
	long pause_max_ms;
	long timeout_ms;
	bool stuck_round;
	pid_t kill_pid;
};

struct client {
	int fd;
	struct bl_linebuf lb;
	char status[64];
	bool status_seen;
	bool dumpdone;
};

struct fleet {
	struct client *cl;
	size_t n;
	int epfd;
	size_t ndone;		/* clients that reached the current goal */
	int64_t first_ns;	/* when the first of them did */
	bool *done;
	const char *want;	/* status word every client must see */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: fanout -S socket -f statefile [-c clients] [-n changes] [-w]\n"
		"              [-p max_pause_ms] [-t timeout_ms] [-l label] [-K driver_pid]\n");
	exit(2);
}

static struct config parse_config(int argc, char **argv)
{
	struct config c = { .nclients = 1000, .changes = 20, .pause_max_ms = 20,
			    .timeout_ms = 10000, .label = "fanout" };
	int opt;

	while ((opt = getopt(argc, argv, "S:f:c:n:wp:t:l:K:")) != -1) {
		switch (opt) {
		case 'S': c.sock_path = optarg; break;
		case 'f': c.state_path = optarg; break;
		case 'c': c.nclients = strtoul(optarg, NULL, 10); break;
		case 'n': c.changes = strtoul(optarg, NULL, 10); break;
		case 'w': c.stuck_round = true; break;
		case 'p': c.pause_max_ms = strtol(optarg, NULL, 10); break;
		case 't': c.timeout_ms = strtol(optarg, NULL, 10); break;
		case 'l': c.label = optarg; break;
		case 'K': c.kill_pid = (pid_t)strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!c.sock_path || !c.state_path || !c.nclients || !c.changes)
		usage();
	return c;
}

static void raise_fd_limit(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		bl_die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < need)
		bl_die("need %zu descriptors, RLIMIT_NOFILE allows %llu", need,
		       (unsigned long long)rl.rlim_cur);
}

static void on_line(void *ctx, const char *line)
{
	struct client *c = ctx;

	if (bl_parse_status(line, c->status, sizeof(c->status)))
		c->status_seen = true;
	else if (strcmp(line, "DUMPDONE") == 0)
		c->dumpdone = true;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		bl_die("fcntl O_NONBLOCK: %s", strerror(errno));
}

/* Drain client i; mark it done when its status reached the goal. */
static void client_read(struct fleet *f, size_t i)
{
	struct client *c = &f->cl[i];
	char buf[8192];
	ssize_t n;

	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		c->status_seen = false;
		bl_feed(&c->lb, buf, (size_t)n, on_line, c);
		if (f->want && c->status_seen && !f->done[i] &&
		    bl_has_word(c->status, f->want)) {
			f->done[i] = true;
			if (f->ndone++ == 0)
				f->first_ns = bl_now_ns();
		}
	}
	if (n == 0)
		bl_die("client %zu: driver closed the connection", i);
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		bl_die("client %zu: read: %s", i, strerror(errno));
}

/* Handle readable clients for at most ms; returns after one epoll round. */
static void fleet_pump(struct fleet *f, int ms)
{
	struct epoll_event ev[256];
	int n = epoll_wait(f->epfd, ev, 256, ms);

	for (int k = 0; k < n; k++)
		client_read(f, ev[k].data.u32);
}

static void fleet_connect(struct fleet *f, const struct config *cfg)
{
	size_t dumped = 0;
	int64_t deadline;

	f->n = cfg->nclients;
	f->cl = calloc(f->n, sizeof(*f->cl));
	f->done = calloc(f->n, sizeof(*f->done));
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!f->cl || !f->done || f->epfd < 0)
		bl_die("out of memory for %zu clients", f->n);
	for (size_t i = 0; i < f->n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		f->cl[i].fd = bl_connect(cfg->sock_path);
		bl_send(f->cl[i].fd, "DUMPALL\n");
		set_nonblock(f->cl[i].fd);
		if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->cl[i].fd, &ev) < 0)
			bl_die("epoll_ctl: %s", strerror(errno));
		if (i % 64 == 63)
			fleet_pump(f, 0);
	}
	deadline = bl_now_ns() + 60000000000LL;
	while (dumped < f->n) {
		if (bl_now_ns() > deadline)
			bl_die("%s: only %zu of %zu clients got DUMPDONE within 60 s",
			       cfg->label, dumped, f->n);
		fleet_pump(f, 100);
		dumped = 0;
		for (size_t i = 0; i < f->n; i++)
			dumped += f->cl[i].dumpdone;
	}
}

/* Start from OL (CTS and DCD set) whatever an earlier run left in the file. */
static void fleet_settle(struct fleet *f, const struct config *cfg)
{
	struct bl_lines l = { .cts = 1, .dcd = 1 };
	int64_t deadline;

	f->want = "OL";
	f->ndone = 0;
	for (size_t i = 0; i < f->n; i++) {
		f->done[i] = bl_has_word(f->cl[i].status, "OL") && !bl_has_word(f->cl[i].status, "OB");
		f->ndone += f->done[i];
	}
	bl_state_prepare(cfg->state_path, l, 0);
	bl_state_commit(cfg->state_path);
	deadline = bl_now_ns() + cfg->timeout_ms * 1000000;
	while (f->ndone < f->n && bl_now_ns() < deadline)
		fleet_pump(f, 10);
	if (f->ndone < f->n)
		bl_die("%s: only %zu of %zu clients saw OL at the start", cfg->label, f->ndone, f->n);
}

/*
 * One round of changes: returns how many completed; times[] gets the
 * rename-to-last-client time of each.
 */
static size_t run_round(struct fleet *f, const struct config *cfg, int64_t *times,
			int64_t *spread, size_t *fails, unsigned *seq, uint64_t *seed)
{
	static struct bl_lines l = { .cts = 1, .dcd = 1 };
	size_t n = 0;

	for (size_t k = 0; k < cfg->changes; k++) {
		int64_t t0, deadline;

		bl_sleep_ms(bl_pause_ms(seed, cfg->pause_max_ms));
		l.cts = !l.cts;
		f->want = l.cts ? "OL" : "OB";
		f->ndone = 0;
		memset(f->done, 0, f->n * sizeof(*f->done));
		bl_state_prepare(cfg->state_path, l, ++*seq);
		t0 = bl_now_ns();
		bl_state_commit(cfg->state_path);
		deadline = t0 + cfg->timeout_ms * 1000000;
		while (f->ndone < f->n && bl_now_ns() < deadline)
			fleet_pump(f, 10);
		if (f->ndone < f->n) {
			fprintf(stderr, "%s: change %zu: only %zu of %zu clients saw %s within %ld ms\n",
				cfg->label, k, f->ndone, f->n, f->want, cfg->timeout_ms);
			if (++*fails >= 3)
				break;
			continue;
		}
		spread[n] = bl_now_ns() - f->first_ns;
		times[n++] = bl_now_ns() - t0;
	}
	return n;
}

/* Bytes waiting unread in fd's receive queue. */
static int queued_bytes(int fd)
{
	int q = 0;

	if (ioctl(fd, FIONREAD, &q) < 0)
		return -1;
	return q;
}

static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/*
 * Connect a client that asks for DUMPALL over and over and never reads,
 * until the driver stops taking its requests, drops it, or its receive
 * queue stops growing. Prints what happened; returns the fd (kept open).
 */
static int stuck_client(const struct config *cfg)
{
	char chunk[8 * 8 + 1] = "";
	int fd = bl_connect(cfg->sock_path), last = -1, steady = 0, q = 0;
	size_t sent = 0;
	const char *why = "queue stopped growing";
	int64_t deadline = bl_now_ns() + 5000000000LL;

	/* small steps: stop once the kernel queue is full, before the driver's
	 * own buffer overflows, so the client stays connected and stuck */
	for (int i = 0; i < 8; i++)
		strcat(chunk, "DUMPALL\n");
	set_nonblock(fd);
	while (bl_now_ns() < deadline) {
		ssize_t w = write(fd, chunk, strlen(chunk));

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			why = "driver stopped reading its requests";
			break;
		}
		if (w < 0) {
			why = "write failed (dropped by the driver)";
			break;
		}
		sent += (size_t)w;
		bl_sleep_ms(10);
		if (peer_gone(fd)) {
			why = "dropped by the driver";
			break;
		}
		q = queued_bytes(fd);
		steady = q == last ? steady + 1 : 0;
		last = q;
		if (steady >= 3 && q > 0)
			break;
	}
	printf("%-28s stuck client: sent %zu bytes of DUMPALL, %d bytes unread in its queue, %s\n",
	       cfg->label, sent, queued_bytes(fd), why);
	return fd;
}

/* One round, reported twice: rename -> last client, and first -> last client
 * (the spread, which leaves out the simulator's wake-up). */
static size_t round_report(struct fleet *f, const struct config *cfg, const char *suffix,
			   unsigned *seq, uint64_t *seed)
{
	int64_t *times = calloc(cfg->changes, sizeof(*times));
	int64_t *spread = calloc(cfg->changes, sizeof(*spread));
	size_t n, fails = 0;
	char label[160];

	if (!times || !spread)
		bl_die("out of memory");
	n = run_round(f, cfg, times, spread, &fails, seq, seed);
	snprintf(label, sizeof(label), "%s c=%zu%s", cfg->label, cfg->nclients, suffix);
	bl_report(label, times, n, fails);
	snprintf(label, sizeof(label), "%s c=%zu%s spread", cfg->label, cfg->nclients, suffix);
	bl_report(label, spread, n, 0);
	free(times);
	free(spread);
	return fails;
}

int main(int argc, char **argv)
{
	struct config cfg = parse_config(argc, argv);
	struct fleet f = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned seq = 100;
	size_t fails;
	int stuck;

	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit(cfg.nclients + 64);
	fleet_connect(&f, &cfg);
	fleet_settle(&f, &cfg);
	fails = round_report(&f, &cfg, "", &seq, &seed);
	if (cfg.stuck_round) {
		stuck = stuck_client(&cfg);
		fails += round_report(&f, &cfg, "+stuck", &seq, &seed);
		printf("%-28s stuck client after the round: %d bytes unread, %s\n", cfg.label,
		       queued_bytes(stuck), peer_gone(stuck) ? "dropped by the driver" : "still connected");
	}
	fflush(stdout);
	bl_kill_driver(cfg.kill_pid);
	free(f.cl);
	free(f.done);
	return fails ? 1 : 0;
}
