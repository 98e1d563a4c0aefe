/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver socket server: listener, per-client tokenizer and bounded
 * output buffer, the NUT driver socket commands and the broadcasts.
 *
 * Clients live in a singly linked list in pollfd order. A client is never
 * freed while someone may still walk the list (a handler can broadcast and
 * so drop clients while input of another client is being processed): it is
 * marked dead, its fd closed and nclients lowered at once, and it is
 * unlinked and freed at the end of the next sock_server_handle().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "sockserver.h"

#define SOCK_READ_SIZE		4096
#define SOCK_LISTEN_BACKLOG	16
#define SOCK_LOGOUT_GRACE_MS	1000
#define SOCK_ACCEPT_RETRY_MS	1000
#define SOCK_ACCEPT_BURST	256	/* accepts (or refusals) per handle() call */

/* ---- logging (the logger is optional) ---------------------------------- */

static void sock_log(const struct sock_server *srv, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sock_debug(const struct sock_server *srv, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sock_log(const struct sock_server *srv, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!srv->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(srv->log, prio, "%s", msg);
}

static void sock_debug(const struct sock_server *srv, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!srv->log || srv->log->debug < level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug(srv->log, level, "%s", msg);
}

/* ---- clients: output ----------------------------------------------------- */

static void client_kill(struct sock_server *srv, struct sock_client *c)
{
	close(c->fd);
	c->dead = true;
	srv->nclients--;
	srv->ndead++;
	/* a descriptor is free again: let accept() try */
	srv->accept_paused = false;
}

static void client_drop_closed(struct sock_server *srv, struct sock_client *c, const char *why)
{
	if (c->dead)
		return;
	sock_debug(srv, 2, "socket client fd %d gone: %s", c->fd, why);
	srv->dropped_closed++;
	client_kill(srv, c);
}

static void client_drop_slow(struct sock_server *srv, struct sock_client *c, size_t more)
{
	sock_log(srv, LOG_WARNING,
		 "dropping socket client fd %d: %zu bytes of output pending, %zu more exceed the limit of %zu",
		 c->fd, c->outlen, more, srv->outbuf_limit);
	srv->dropped_slow++;
	client_kill(srv, c);
}

/* Queue bytes after the pending output; false if the client was dropped. */
static bool client_queue(struct sock_server *srv, struct sock_client *c,
			 const char *data, size_t len)
{
	size_t ncap;
	char *p;

	if (c->outlen + len > srv->outbuf_limit) {
		client_drop_slow(srv, c, len);
		return false;
	}
	if (c->outoff && c->outoff + c->outlen + len > c->outcap) {
		memmove(c->out, c->out + c->outoff, c->outlen);
		c->outoff = 0;
	}
	if (c->outlen + len > c->outcap) {
		ncap = c->outcap ? c->outcap : 4096;
		while (ncap < c->outlen + len)
			ncap *= 2;
		p = realloc(c->out, ncap);
		if (!p) {
			client_drop_slow(srv, c, len);
			return false;
		}
		c->out = p;
		c->outcap = ncap;
	}
	memcpy(c->out + c->outoff + c->outlen, data, len);
	c->outlen += len;
	return true;
}

/* One non-blocking send; returns bytes written, or -1 if the client was dropped. */
static ssize_t client_write(struct sock_server *srv, struct sock_client *c,
			    const char *data, size_t len)
{
	ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w >= 0)
		return w;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	client_drop_closed(srv, c, strerror(errno));
	return -1;
}

/* Send now what the socket takes, queue the rest (in order after any pending). */
static void client_send(struct sock_server *srv, struct sock_client *c,
			const char *data, size_t len)
{
	ssize_t w = 0;

	if (c->dead || len == 0)
		return;
	if (c->outlen == 0) {
		w = client_write(srv, c, data, len);
		if (w < 0 || (size_t)w == len)
			return;
	}
	client_queue(srv, c, data + w, len - (size_t)w);
}

static void client_send_sb(struct sock_server *srv, struct sock_client *c, struct strbuf *sb)
{
	if (sb->failed) {
		sock_log(srv, LOG_ERR, "out of memory formatting a reply for socket client fd %d", c->fd);
		return;
	}
	client_send(srv, c, sb->buf, sb->len);
}

static void client_flush_pending(struct sock_server *srv, struct sock_client *c)
{
	ssize_t w;

	if (c->dead || c->outlen == 0)
		return;
	w = client_write(srv, c, c->out + c->outoff, c->outlen);
	if (w <= 0)
		return;
	c->outoff += (size_t)w;
	c->outlen -= (size_t)w;
	if (c->outlen == 0) {
		/* an idle client keeps no buffer */
		free(c->out);
		c->out = NULL;
		c->outoff = c->outcap = 0;
	}
}

/* ---- broadcasts --------------------------------------------------------- */

static void broadcast(struct sock_server *srv, struct strbuf *sb)
{
	struct sock_client *c;

	if (sb->failed) {
		sock_log(srv, LOG_ERR, "out of memory formatting a broadcast");
		return;
	}
	for (c = srv->clients; c; c = c->next)
		if (!c->dead && c->sess.broadcast)
			client_send(srv, c, sb->buf, sb->len);
}

void sock_broadcast_setinfo(struct sock_server *srv, const char *name)
{
	const struct st_var *v = state_find(srv->st, name);
	struct strbuf sb = { 0 };

	if (!v)
		return;
	sockproto_fmt_setinfo(&sb, v);
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

void sock_broadcast_delinfo(struct sock_server *srv, const char *name)
{
	struct strbuf sb = { 0 };

	strbuf_printf(&sb, "DELINFO %s\n", name);
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

void sock_broadcast_setflags(struct sock_server *srv, const char *name)
{
	const struct st_var *v = state_find(srv->st, name);
	struct strbuf sb = { 0 };

	if (!v)
		return;
	sockproto_fmt_setflags(&sb, v);
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

void sock_broadcast_addcmd(struct sock_server *srv, const char *cmd)
{
	struct strbuf sb = { 0 };

	strbuf_printf(&sb, "ADDCMD %s\n", cmd);
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

void sock_broadcast_delcmd(struct sock_server *srv, const char *cmd)
{
	struct strbuf sb = { 0 };

	strbuf_printf(&sb, "DELCMD %s\n", cmd);
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

void sock_server_set_stale(struct sock_server *srv, bool stale)
{
	struct strbuf sb = { 0 };

	if (srv->stale == stale)
		return;
	srv->stale = stale;
	strbuf_printf(&sb, stale ? "DATASTALE\n" : "DATAOK\n");
	broadcast(srv, &sb);
	strbuf_free(&sb);
}

/* ---- requests from clients ----------------------------------------------- */

static void ctx_for(struct sock_server *srv, struct sock_client *c, uint64_t now_ms,
		    struct sockproto_ctx *ctx)
{
	*ctx = (struct sockproto_ctx){
		.st = srv->st, .stale = srv->stale, .handlers = srv->handlers, .log = srv->log,
		.loglim = &srv->loglim, .sess = c ? &c->sess : NULL, .now_ms = now_ms,
	};
}

bool sock_server_may_log(struct sock_server *srv)
{
	struct sockproto_ctx none;

	if (srv->serving)
		return sockproto_may_log(srv->serving);
	ctx_for(srv, NULL, monotime_ms(), &none);
	return sockproto_may_log(&none);
}

void sock_server_client_input(struct sock_server *srv, struct sock_client *c,
			      const char *buf, size_t len, uint64_t now_ms)
{
	struct strbuf out = { 0 };
	struct sockproto_ctx ctx;
	size_t off = 0, used;

	ctx_for(srv, c, now_ms, &ctx);
	while (off < len && !c->dead && !c->sess.logout) {
		enum sockproto_action act;

		srv->serving = &ctx;
		ctx.stale = srv->stale;	/* a handler may have changed it */
		act = sockproto_feed(&ctx, buf + off, len - off, &used, &out);
		srv->serving = NULL;
		off += used;
		client_send_sb(srv, c, &out);
		strbuf_reset(&out);
		if (act == SOCKPROTO_LOGOUT)
			c->logout_deadline_ms = now_ms + SOCK_LOGOUT_GRACE_MS;
		else if (act == SOCKPROTO_CLOSE)
			client_drop_closed(srv, c, "out of memory");
		else if (act == SOCKPROTO_DISCARD)
			break;
	}
	strbuf_free(&out);
	sockproto_session_idle(&c->sess);
}

/* ---- clients: events ------------------------------------------------------ */

static void client_read(struct sock_server *srv, struct sock_client *c, uint64_t now_ms)
{
	char buf[SOCK_READ_SIZE];
	ssize_t r = read(c->fd, buf, sizeof(buf));

	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_drop_closed(srv, c, strerror(errno));
		return;
	}
	if (r == 0) {
		client_drop_closed(srv, c, "end of file");
		return;
	}
	sock_server_client_input(srv, c, buf, (size_t)r, now_ms);
}

static void client_event(struct sock_server *srv, struct sock_client *c, short revents,
			 uint64_t now_ms)
{
	if (revents & (POLLERR | POLLNVAL)) {
		client_drop_closed(srv, c, revents & POLLERR ? "POLLERR" : "POLLNVAL");
		return;
	}
	if (revents & POLLOUT)
		client_flush_pending(srv, c);
	if (c->dead)
		return;
	if ((revents & POLLIN) && !c->sess.logout)
		client_read(srv, c, now_ms);
	else if (revents & POLLHUP)
		client_drop_closed(srv, c, "hangup");
}

/* A client that said LOGOUT leaves once its output is out, or at its deadline. */
static void client_check_logout(struct sock_server *srv, struct sock_client *c, uint64_t now_ms)
{
	if (c->dead || !c->sess.logout)
		return;
	if (c->outlen != 0 && now_ms < c->logout_deadline_ms)
		return;
	sock_debug(srv, 2, "socket client fd %d logged out", c->fd);
	client_kill(srv, c);
}

static void client_free(struct sock_client *c)
{
	sockproto_session_free(&c->sess);
	free(c->out);
	free(c);
}

static void reap_dead(struct sock_server *srv)
{
	struct sock_client **pp = &srv->clients;

	while (srv->ndead && *pp) {
		struct sock_client *c = *pp;

		if (c->dead) {
			*pp = c->next;
			client_free(c);
			srv->ndead--;
		} else {
			pp = &c->next;
		}
	}
}

/* ---- listener -------------------------------------------------------------- */

static void accept_failed(struct sock_server *srv, int e, uint64_t now_ms)
{
	if (!srv->accept_err_logged)
		sock_log(srv, LOG_ERR, "accept on %s failed: %s; new clients wait for a free descriptor",
			 srv->path, strerror(e));
	srv->accept_err_logged = true;
	srv->accept_paused = true;
	srv->accept_retry_ms = now_ms + SOCK_ACCEPT_RETRY_MS;
}

/* The descriptor kept free so that accept() never fails for want of one. */
static void spare_fd_take(struct sock_server *srv)
{
	if (srv->spare_fd < 0 && srv->listen_fd >= 0)
		srv->spare_fd = fcntl(srv->listen_fd, F_DUPFD_CLOEXEC, 0);
}

/* root, the driver's own user and the owner of the socket's directory: upsd
 * runs as one of them */
static bool peer_is_upsd_kin(const struct sock_server *srv, int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return false;
	return uc.uid == 0 || uc.uid == geteuid() || uc.uid == srv->dir_uid;
}

/* Accepted, then closed at once: the client sees end of file, not a hang. */
static void refuse(struct sock_server *srv, int fd, const char *why, uint64_t now_ms)
{
	struct sockproto_ctx ctx;

	close(fd);
	srv->refused++;
	ctx_for(srv, NULL, now_ms, &ctx);
	if (sockproto_may_log(&ctx))
		sock_log(srv, LOG_WARNING, "socket %s: client refused: %s", srv->path, why);
}

static bool accept_one(struct sock_server *srv, uint64_t now_ms)
{
	struct sock_client *c;
	bool kin, spent_spare = false;
	char why[128];
	size_t limit;
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && srv->spare_fd >= 0) {
		close(srv->spare_fd);
		srv->spare_fd = -1;
		spent_spare = true;
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;

		/* EMFILE comes before the queue is looked at: maybe no one was waiting */
		if (spent_spare)
			spare_fd_take(srv);
		errno = e;
		if (spent_spare && (e == EAGAIN || e == EWOULDBLOCK))
			return false;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_failed(srv, errno, now_ms);
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			 errno != ECONNABORTED)
			sock_log(srv, LOG_WARNING, "accept on %s failed: %s", srv->path, strerror(errno));
		return false;
	}
	kin = peer_is_upsd_kin(srv, fd);
	limit = srv->max_clients + (kin ? SOCK_RESERVED_CLIENTS : 0);
	if (srv->nclients >= limit || (spent_spare && !kin)) {
		if (spent_spare)
			snprintf(why, sizeof(why), "out of descriptors (%zu clients)", srv->nclients);
		else
			snprintf(why, sizeof(why), "%zu clients connected, at most %zu (%d more for upsd)",
				 srv->nclients, srv->max_clients, SOCK_RESERVED_CLIENTS);
		refuse(srv, fd, why, now_ms);
		spare_fd_take(srv);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		accept_failed(srv, ENOMEM, now_ms);
		return false;
	}
	srv->accept_err_logged = false;
	c->fd = fd;
	sockproto_session_init(&c->sess, fd);
	c->next = srv->clients;
	srv->clients = c;
	srv->nclients++;
	sock_debug(srv, 2, "socket client fd %d connected%s", fd, kin ? " (upsd's user)" : "");
	return true;
}

static void accept_clients(struct sock_server *srv, uint64_t now_ms)
{
	int i;

	spare_fd_take(srv);
	for (i = 0; i < SOCK_ACCEPT_BURST; i++)
		if (!accept_one(srv, now_ms))
			break;
}

/* ---- public: life cycle ---------------------------------------------------- */

/* what: "cannot bind socket" style text naming the step; the errno text follows */
static int open_fail(char *err, size_t errlen, const char *what, const char *path)
{
	int e = errno;

	if (err && errlen)
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	errno = e;
	return -1;
}

/* A fresh directory only we can write, next to the socket's final place. */
static int private_dir_make(int dirfd, const char *base, char *name, size_t namelen)
{
	struct stat sb;
	unsigned attempt;
	int fd;

	for (attempt = 0; attempt < 100; attempt++) {
		snprintf(name, namelen, ".%s.%ld.%u", base, (long)getpid(),
			 (unsigned)(monotime_ms() & 0xffffff) + attempt);
		if (mkdirat(dirfd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	if (attempt == 100)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	/* a directory swapped in between mkdirat and openat is not ours */
	if (fstat(fd, &sb) < 0 || sb.st_uid != geteuid() || (sb.st_mode & 0077)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
fail:
	unlinkat(dirfd, name, AT_REMOVEDIR);
	return -1;
}

/* bind(fd, "<privdir>/s") by a relative name: the private directory may be
 * longer than sun_path allows, and no path outside it is looked up. */
static int bind_in(int fd, int privfd, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "s" };
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), rc, e;
	mode_t old_mask;

	if (cwd < 0)
		return -1;
	if (fchdir(privfd) < 0) {
		e = errno;
		close(cwd);
		errno = e;
		return -1;
	}
	old_mask = umask(~mode & 0777);	/* the file is born with its mode */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (fchdir(cwd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	close(cwd);
	errno = e;
	return rc;
}

/*
 * The socket file is made without trusting its directory, which the
 * driver's group may write: it is bound inside a fresh private directory
 * (ours, 0700), born with its mode (umask at bind), given its group there
 * (fchownat, no symlink followed), and then renamed into place, which also
 * replaces a stale socket in one step. A chmod or chown by the final path
 * could instead be turned onto any file by a symlink or hard link swapped
 * in after bind(). Its device and inode are kept, so that close unlinks
 * only this socket, never one a newer instance put there.
 */
static int listener_create(struct sock_server *srv, const char *path, mode_t mode, gid_t group,
			   char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[sizeof(srv->path)], priv[sizeof(srv->path) + 48];
	int fd = -1, dirfd = -1, privfd = -1, rc = -1;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return open_fail(err, errlen, "cannot create socket for", path);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &sb) < 0) {
		open_fail(err, errlen, "cannot open the directory of socket", path);
		goto out;
	}
	srv->dir_uid = sb.st_uid;
	privfd = private_dir_make(dirfd, base, priv, sizeof(priv));
	if (privfd < 0) {
		open_fail(err, errlen, "cannot make a private directory for socket", path);
		goto out;
	}
	if (bind_in(fd, privfd, mode) < 0) {
		open_fail(err, errlen, "cannot bind socket", path);
		goto out;
	}
	if (group != (gid_t)-1 && fchownat(privfd, "s", (uid_t)-1, group, AT_SYMLINK_NOFOLLOW) < 0)
		sock_log(srv, LOG_WARNING, "cannot give socket %s to group %ld: %s; it keeps its group",
			 path, (long)group, strerror(errno));
	if (fstatat(privfd, "s", &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		open_fail(err, errlen, "cannot stat socket", path);
		goto out;
	}
	srv->sock_dev = sb.st_dev;
	srv->sock_ino = sb.st_ino;
	if (listen(fd, SOCK_LISTEN_BACKLOG) < 0) {
		open_fail(err, errlen, "cannot listen on socket", path);
		goto out;
	}
	if (renameat(privfd, "s", dirfd, base) < 0) {
		open_fail(err, errlen, "cannot put socket in place", path);
		goto out;
	}
	rc = 0;
out:
	if (privfd >= 0) {
		if (rc < 0)
			unlinkat(privfd, "s", 0);
		close(privfd);
		unlinkat(dirfd, priv, AT_REMOVEDIR);
	}
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_server_open_group(struct sock_server *srv, const char *path, mode_t mode, gid_t group,
			   struct state_tree *st, const struct sock_handlers *h,
			   const struct logger *lg, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);

	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = -1;
	srv->spare_fd = -1;
	srv->outbuf_limit = SOCK_OUTBUF_DEFAULT;
	srv->max_clients = SOCK_MAX_CLIENTS_DEFAULT;
	srv->st = st;
	srv->stale = true;
	srv->log = lg;
	if (h)
		srv->handlers = *h;
	if (len == 0 || len >= sizeof(sa.sun_path) || len >= sizeof(srv->path)) {
		if (err && errlen)
			snprintf(err, errlen, "socket path %s: %s (%zu bytes, at most %zu)", path,
				 len ? "too long" : "empty", len, sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	srv->listen_fd = listener_create(srv, path, mode, group, err, errlen);
	if (srv->listen_fd < 0)
		return -1;
	memcpy(srv->path, path, len + 1);
	spare_fd_take(srv);
	return 0;
}

int sock_server_open(struct sock_server *srv, const char *path, mode_t mode,
		     struct state_tree *st, const struct sock_handlers *h,
		     const struct logger *lg, char *err, size_t errlen)
{
	return sock_server_open_group(srv, path, mode, (gid_t)-1, st, h, lg, err, errlen);
}

void sock_server_close(struct sock_server *srv)
{
	struct sock_client *c, *next;
	struct stat sb;

	for (c = srv->clients; c; c = next) {
		next = c->next;
		if (!c->dead)
			close(c->fd);
		client_free(c);
	}
	srv->clients = NULL;
	srv->nclients = 0;
	srv->ndead = 0;
	/* Only our own socket, checked while we still hold it bound (so its
	 * inode cannot be reused): a newer instance may have put its socket
	 * in its place. */
	if (srv->path[0] && lstat(srv->path, &sb) == 0 && sb.st_dev == srv->sock_dev &&
	    sb.st_ino == srv->sock_ino && S_ISSOCK(sb.st_mode))
		unlink(srv->path);
	srv->path[0] = '\0';
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = -1;
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	srv->spare_fd = -1;
	if (srv->log)
		sockproto_log_tick(srv->log, &srv->loglim, UINT64_MAX);
}

/* ---- public: the poll loop --------------------------------------------------- */

size_t sock_server_nfds(const struct sock_server *srv)
{
	return 1 + srv->nclients;
}

size_t sock_server_pollfds(const struct sock_server *srv, struct pollfd *pfd, size_t room)
{
	const struct sock_client *c;
	size_t n = 0;

	if (room == 0)
		return 0;
	pfd[n].fd = srv->listen_fd;
	pfd[n].events = srv->accept_paused ? 0 : POLLIN;
	pfd[n++].revents = 0;
	for (c = srv->clients; c && n < room; c = c->next) {
		if (c->dead)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (short)((c->sess.logout ? 0 : POLLIN) | (c->outlen ? POLLOUT : 0));
		pfd[n++].revents = 0;
	}
	return n;
}

/* The client of pfd entry fd, walking on from *pos (the list is in pfd order). */
static struct sock_client *client_at(struct sock_client **pos, int fd)
{
	struct sock_client *c;

	for (c = *pos; c; c = c->next) {
		if (c->fd == fd) {
			*pos = c->next;
			return c;
		}
	}
	return NULL;
}

void sock_server_handle(struct sock_server *srv, const struct pollfd *pfd, size_t n,
			uint64_t now_ms)
{
	struct sock_client *pos = srv->clients, *c;
	bool listener_ready = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pfd[i].fd < 0 || pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == srv->listen_fd) {
			listener_ready = pfd[i].revents & POLLIN;
			continue;
		}
		c = client_at(&pos, pfd[i].fd);
		if (c && !c->dead)
			client_event(srv, c, pfd[i].revents, now_ms);
	}
	for (c = srv->clients; c; c = c->next)
		client_check_logout(srv, c, now_ms);
	if (srv->ndead)
		spare_fd_take(srv);	/* a descriptor is free again: keep it spare first */
	reap_dead(srv);
	if (srv->accept_paused && now_ms >= srv->accept_retry_ms)
		srv->accept_paused = false;
	if (listener_ready && !srv->accept_paused)
		accept_clients(srv, now_ms);
	sockproto_log_tick(srv->log, &srv->loglim, now_ms);
}

uint64_t sock_server_next_deadline(const struct sock_server *srv)
{
	const struct sock_client *c;
	uint64_t next = srv->accept_paused ? srv->accept_retry_ms : 0;
	uint64_t summary = srv->loglim.suppressed ? srv->loglim.window_end : 0;

	if (summary && (next == 0 || summary < next))
		next = summary;

	for (c = srv->clients; c; c = c->next)
		if (c->sess.logout && !c->dead && (next == 0 || c->logout_deadline_ms < next))
			next = c->logout_deadline_ms;
	return next;
}

void sock_server_flush(struct sock_server *srv, int timeout_ms)
{
	uint64_t deadline = monotime_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	struct sock_client **who = NULL, *c;
	struct pollfd *pfd = NULL;
	size_t n, i;

	if (srv->nclients == 0)
		return;
	who = calloc(srv->nclients, sizeof(*who));
	pfd = calloc(srv->nclients, sizeof(*pfd));
	if (!who || !pfd)
		goto out;
	for (;;) {
		uint64_t now = monotime_ms();

		n = 0;
		for (c = srv->clients; c && n < srv->nclients; c = c->next) {
			if (c->dead || c->outlen == 0)
				continue;
			who[n] = c;
			pfd[n].fd = c->fd;
			pfd[n].events = POLLOUT;
			pfd[n++].revents = 0;
		}
		if (n == 0 || now >= deadline)
			break;
		if (poll(pfd, n, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				client_drop_closed(srv, who[i], "hangup while flushing");
			else if (pfd[i].revents & POLLOUT)
				client_flush_pending(srv, who[i]);
		}
	}
out:
	free(who);
	free(pfd);
}
