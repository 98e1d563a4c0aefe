/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver socket server, the transport under the NUT driver protocol
 * (common/sockproto.h): a Unix stream socket upsd connects to, and one
 * bounded, non-blocking output buffer per client. It never blocks: a
 * client whose buffer is full is dropped; a client that closed is dropped
 * at once.
 *
 * It does not own a loop: the caller's poll loop asks for the fds it wants
 * (sock_server_pollfds) and hands back the results (sock_server_handle).
 */
#ifndef SOCKSERVER_H
#define SOCKSERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "sockproto.h"
#include "state.h"

#define SOCK_OUTBUF_DEFAULT	(256 * 1024)	/* per client; a full DUMPALL fits many times */
/* Connections beyond the cap are accepted and closed at once (logged within
 * the complaint budget). upsd always has room: SOCK_RESERVED_CLIENTS more
 * are kept for peers running as root, as the driver's user or as the owner
 * of the socket's directory, which is who upsd runs as. One descriptor is
 * kept spare, so accept() never fails for want of one: a client that
 * arrives when the process is out of descriptors is still accepted, and
 * served if it is upsd's kin, closed at once otherwise. */
#define SOCK_MAX_CLIENTS_DEFAULT	64
#define SOCK_RESERVED_CLIENTS		8

struct sock_client {
	int fd;
	struct sockproto_session sess;	/* parser (only mid-request), broadcast, logout */
	char *out;		/* pending output is out[outoff .. outoff+outlen); freed when empty */
	size_t outlen;
	size_t outoff, outcap;
	uint64_t logout_deadline_ms;
	bool dead;		/* closed; unlinked and freed by the next handle() */
	struct sock_client *next;
};

struct sock_server {
	int listen_fd;
	char path[108];
	struct sock_client *clients;
	size_t nclients;
	size_t max_clients;	/* the cap; SOCK_MAX_CLIENTS_DEFAULT, may be changed after open */
	int spare_fd;		/* a dup of the listener, closed to make room for one accept */
	uid_t dir_uid;		/* owner of the socket's directory */
	dev_t sock_dev;		/* the socket file we made: only it is unlinked at close */
	ino_t sock_ino;
	size_t outbuf_limit;	/* bytes per client */
	struct state_tree *st;
	bool stale;		/* NUT starts stale until the first good read */
	struct sock_handlers handlers;
	const struct logger *log;	/* may be NULL in tests */
	struct sockproto_loglimit loglim;	/* complaints from all clients */
	struct sockproto_ctx *serving;	/* the request being served, for handlers */
	/* accept() out of descriptors: listener not polled until a client
	 * leaves or accept_retry_ms passes; logged once per episode */
	bool accept_paused;
	bool accept_err_logged;
	uint64_t accept_retry_ms;
	size_t ndead;		/* dead clients awaiting unlink */
	/* counters, for logs and tests */
	unsigned long dropped_slow;
	unsigned long dropped_closed;
	unsigned long refused;	/* over the cap, or out of descriptors */
};

/*
 * Create the listener at path with this mode and group ((gid_t)-1: the
 * process's), replacing a stale socket file there. The file is made in a
 * private directory and renamed into place, so no chmod/chown goes by a
 * path someone else can swap. On failure -1 with err naming the path.
 */
int sock_server_open_group(struct sock_server *srv, const char *path, mode_t mode, gid_t group,
			   struct state_tree *st, const struct sock_handlers *h,
			   const struct logger *lg, char *err, size_t errlen);
/* The same with the process's group. */
int sock_server_open(struct sock_server *srv, const char *path, mode_t mode,
		     struct state_tree *st, const struct sock_handlers *h,
		     const struct logger *lg, char *err, size_t errlen);
/* Close every client and the listener; unlink the socket file if it is
 * still the one we made (not one a newer instance replaced it with). */
void sock_server_close(struct sock_server *srv);

/* Number of pollfd slots sock_server_pollfds() may fill. */
size_t sock_server_nfds(const struct sock_server *srv);
/* Fill pfd[0..n-1]: the listener and every client (POLLIN, plus POLLOUT
 * when output is pending). Returns n. */
size_t sock_server_pollfds(const struct sock_server *srv, struct pollfd *pfd, size_t room);
/* Process poll results for the n entries filled above. now_ms: monotonic. */
void sock_server_handle(struct sock_server *srv, const struct pollfd *pfd, size_t n,
			uint64_t now_ms);
/* Earliest monotonic ms at which sock_server_handle must run again
 * (LOGOUT close), or 0 for none. */
uint64_t sock_server_next_deadline(const struct sock_server *srv);

/* For an INSTCMD/SET handler about to log why it refuses the request:
 * false when the client (or all clients together) used up the log budget;
 * the complaint is then counted in the next summary line. */
bool sock_server_may_log(struct sock_server *srv);

/* Feed bytes as if read from client c (used by handle(); public for tests). */
void sock_server_client_input(struct sock_server *srv, struct sock_client *c,
			      const char *buf, size_t len, uint64_t now_ms);

/*
 * Broadcasts to every client with broadcasts on; values are escaped exactly
 * as in dumps. Each tries to write at once and queues what does not fit.
 */
void sock_broadcast_setinfo(struct sock_server *srv, const char *name);	/* current value from st */
void sock_broadcast_delinfo(struct sock_server *srv, const char *name);
void sock_broadcast_setflags(struct sock_server *srv, const char *name);
void sock_broadcast_addcmd(struct sock_server *srv, const char *cmd);
void sock_broadcast_delcmd(struct sock_server *srv, const char *cmd);
/* DATAOK / DATASTALE only on a transition, as NUT. */
void sock_server_set_stale(struct sock_server *srv, bool stale);

/* Write out pending output to all clients, waiting at most timeout_ms in total
 * (used just before exit so a TRACKING reply reaches its client). */
void sock_server_flush(struct sock_server *srv, int timeout_ms);

#endif
