/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * limits_server: the driver's socket server alone (common/sockserver.c and
 * sockproto.c, exactly as linked into genericups) with a chosen connection
 * cap, serving a state tree the size of the driver's. bench/limits.sh uses
 * it to measure memory per idle client at a scale the driver's cap refuses.
 *
 *   limits_server -S SOCK -c MAXCLIENTS
 *
 * Built by limits.sh together with the common/ sources it needs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "sockserver.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const char *vars[][2] = {
		{ "device.mfr", "Generic" }, { "device.model", "Generic RUPS model" },
		{ "device.type", "ups" }, { "driver.name", "genericups" },
		{ "driver.parameter.pollinterval", "2" }, { "driver.parameter.port", "/dev/ttyS0" },
		{ "driver.parameter.synchronous", "auto" }, { "driver.parameter.upstype", "5" },
		{ "driver.version", "0.1.0" }, { "driver.version.internal", "0.1.0" },
		{ "ups.mfr", "Generic" }, { "ups.model", "Generic RUPS model" },
		{ "ups.status", "OL" }, { "driver.state", "quiet" },
	};
	struct state_tree st;
	struct sock_server srv;
	struct logger lg;
	struct pollfd *pfd = NULL;
	size_t cap = 0, i;
	const char *path = NULL;
	long maxclients = 64;
	char err[512];
	int opt;

	while ((opt = getopt(argc, argv, "S:c:")) != -1) {
		if (opt == 'S')
			path = optarg;
		else if (opt == 'c')
			maxclients = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (!path || maxclients < 1)
		return 2;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	log_init(&lg, "limits_server");
	state_init(&st);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		state_set(&st, vars[i][0], vars[i][1]);
	state_add_cmd(&st, "driver.reload");
	if (sock_server_open(&srv, path, 0660, &st, NULL, &lg, err, sizeof(err)) < 0) {
		fprintf(stderr, "limits_server: %s\n", err);
		return 1;
	}
	srv.max_clients = (size_t)maxclients;
	sock_server_set_stale(&srv, false);
	while (!stop) {
		size_t need = sock_server_nfds(&srv), n;

		if (cap < need) {
			cap = need + 64;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			if (!pfd)
				return 1;
		}
		n = sock_server_pollfds(&srv, pfd, cap);
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		sock_server_handle(&srv, pfd, n, monotime_ms());
	}
	free(pfd);
	sock_server_close(&srv);
	state_free(&st);
	return 0;
}
