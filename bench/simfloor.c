/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * simfloor: the simulator's own share of the event latency. Run under the
 * modemsim shim; a child opens the fake port and waits in TIOCMIWAIT, the
 * parent renames the state file and times until the wait returns. No
 * driver is involved, so this is the floor any driver measured through the
 * same shim sits on.
 */
#include <getopt.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "benchlib.h"

static void usage(void)
{
	fprintf(stderr, "usage: simfloor -P fake_port -f statefile [-n samples] [-p max_pause_ms] [-l label]\n");
	exit(2);
}

/* Child: report the monotonic time each TIOCMIWAIT returns. */
static void waiter(const char *port, int out)
{
	int fd = open(port, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		bl_die("%s: open: %s", port, strerror(errno));
	for (;;) {
		int64_t t;

		if (ioctl(fd, TIOCMIWAIT, TIOCM_CTS | TIOCM_CD) < 0) {
			if (errno == EINTR)
				continue;
			bl_die("%s: TIOCMIWAIT: %s", port, strerror(errno));
		}
		t = bl_now_ns();
		if (write(out, &t, sizeof(t)) != sizeof(t))
			_exit(0);
	}
}

int main(int argc, char **argv)
{
	const char *port = NULL, *state = NULL, *label = "simulator floor";
	size_t samples = 200;
	long pause_max = 20;
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	int p[2], opt;
	int64_t *lat;
	pid_t child;

	while ((opt = getopt(argc, argv, "P:f:n:p:l:")) != -1) {
		switch (opt) {
		case 'P': port = optarg; break;
		case 'f': state = optarg; break;
		case 'n': samples = strtoul(optarg, NULL, 10); break;
		case 'p': pause_max = strtol(optarg, NULL, 10); break;
		case 'l': label = optarg; break;
		default: usage();
		}
	}
	if (!port || !state || !samples)
		usage();
	lat = calloc(samples, sizeof(*lat));
	if (!lat || pipe(p) < 0)
		bl_die("setup: %s", strerror(errno));
	child = fork();
	if (child < 0)
		bl_die("fork: %s", strerror(errno));
	if (child == 0) {
		close(p[0]);
		waiter(port, p[1]);
	}
	close(p[1]);
	bl_sleep_ms(200);	/* let the child enter its first wait */
	for (size_t i = 0; i < samples; i++) {
		struct bl_lines l = { .cts = (int)(i & 1), .dcd = 1 };
		int64_t t0, t1;

		bl_sleep_ms(bl_pause_ms(&seed, pause_max));
		bl_state_prepare(state, l, (unsigned)i + 1000);
		t0 = bl_now_ns();
		bl_state_commit(state);
		if (read(p[0], &t1, sizeof(t1)) != sizeof(t1))
			bl_die("%s: the waiting child died", label);
		lat[i] = t1 - t0;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	bl_report(label, lat, samples, 0);
	free(lat);
	return 0;
}
