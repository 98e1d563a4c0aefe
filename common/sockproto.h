/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NUT driver socket protocol (spec nut-compat.md 4.3/4.4) as a pure
 * layer: request bytes and the state in, reply bytes and an action out. No
 * sockets, no file descriptors: the transport (common/sockserver.c) owns
 * those, feeds what it reads and sends what comes out. The unit tests and
 * the fuzzer drive this layer directly.
 *
 * Side effects, all through what the caller hands in: the INSTCMD/SET
 * handlers (which may broadcast through the transport), and complaints
 * (unknown command, parse error, malformed request) logged through the
 * logger under a rate limit (struct sockproto_loglimit below).
 *
 * Fuzzing entry point (a whole input as one read() from one client):
 *
 *	struct state_tree st;            state_init(&st); ...
 *	struct sockproto_loglimit lim = { 0 };
 *	struct sockproto_session sess;   sockproto_session_init(&sess, 0);
 *	struct sockproto_ctx ctx = { .st = &st, .sess = &sess, .loglim = &lim };
 *	struct strbuf out = { 0 };
 *	sockproto_handle_line(&ctx, data, size, &out);
 *	sockproto_session_free(&sess); strbuf_free(&out);
 *
 * Without handlers, INSTCMD answers "unknown" and SET is dropped (as NUT
 * without a driver handler); with log == NULL nothing is logged.
 */
#ifndef SOCKPROTO_H
#define SOCKPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "nut_tokenizer.h"
#include "state.h"

/* Complaints (bad requests) are logged at most this often: per client, and
 * from all clients together; the rest are counted and summed up in one line
 * once the window has passed. Empty lines are never logged. */
#define SOCKPROTO_LOG_WINDOW_MS		10000
#define SOCKPROTO_LOG_PER_CLIENT	5
#define SOCKPROTO_LOG_PER_SERVER	50

/* ---- a growable string for replies ------------------------------------- */

struct strbuf {
	char *buf;		/* NUL-terminated when len > 0 */
	size_t len, cap;
	bool failed;		/* out of memory: the text is incomplete */
};

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a value in quotes, escaped (tok_encode) as in dumps and broadcasts. */
void strbuf_quoted(struct strbuf *sb, const char *value);
/* Empty it, keeping the memory (and clearing failed). */
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

/* ---- what the driver plugs in ------------------------------------------ */

/* TRACKING result codes (spec 4.3) */
enum sock_cmd_result {
	SOCK_CMD_HANDLED = 0,
	SOCK_CMD_UNKNOWN = 1,
	SOCK_CMD_INVALID = 2,
	SOCK_CMD_FAILED = 3,
	SOCK_CMD_CONVERSION_FAILED = 4,
	SOCK_CMD_NO_REPLY = -1,	/* SET without a handler: NUT sends no TRACKING */
};

struct sock_handlers {
	/* INSTCMD cmd [param]: return an enum sock_cmd_result. */
	int (*instcmd)(void *ctx, const char *cmd, const char *param);
	/* SET var value: return an enum sock_cmd_result. */
	int (*setvar)(void *ctx, const char *var, const char *value);
	void *ctx;
};

/* ---- the log budget ------------------------------------------------------ */

struct sockproto_loglimit {
	uint64_t window_end;	/* monotonic ms; 0: no window open */
	unsigned used;		/* complaints logged in this window */
	unsigned long suppressed;	/* not logged in this window */
	/* totals, for tests and statistics */
	unsigned long logged_total, suppressed_total;
};

/* ---- one connection ---------------------------------------------------- */

struct sockproto_session {
	/* Parser state, only while a request is partly read: NULL between
	 * requests, so an idle connection costs a few dozen bytes. */
	struct tokenizer *tok;
	bool broadcast;		/* receives live broadcasts (NOBROADCAST/BROADCAST) */
	bool logout;		/* LOGOUT seen: read nothing more */
	int id;			/* names the client in logs ("client fd 7") */
	struct sockproto_loglimit lim;	/* this client's complaints */
};

void sockproto_session_init(struct sockproto_session *sess, int id);
/* Drop the parser if no request is partly read (call after each read). */
void sockproto_session_idle(struct sockproto_session *sess);
void sockproto_session_free(struct sockproto_session *sess);

/* ---- serving requests -------------------------------------------------- */

struct sockproto_ctx {
	const struct state_tree *st;
	bool stale;			/* DATASTALE instead of DATAOK in dumps */
	struct sock_handlers handlers;	/* unset: no handler (see above) */
	const struct logger *log;	/* NULL: complaints are only counted */
	struct sockproto_loglimit *loglim;	/* shared by all clients; may be NULL */
	struct sockproto_session *sess;	/* the client being served */
	uint64_t now_ms;		/* monotonic, for LOGOUT and the log budget */
};

enum sockproto_action {
	SOCKPROTO_NONE,		/* send the reply, go on with the rest */
	SOCKPROTO_LOGOUT,	/* send the reply, read no more, close after a grace period */
	SOCKPROTO_DISCARD,	/* parse error: drop the rest of this read (as NUT) */
	SOCKPROTO_CLOSE,	/* out of memory for the parser: close the connection */
};

/*
 * Feed bytes from one read() until one request is complete and served, a
 * parse error, or the bytes run out. *used: the bytes consumed. The reply
 * (possibly nothing) is appended to out. Serving one request per call lets
 * the transport send each reply before a handler of the next request
 * broadcasts, so a client sees the lines in the order NUT sends them.
 */
enum sockproto_action sockproto_feed(struct sockproto_ctx *ctx, const char *buf, size_t len,
				     size_t *used, struct strbuf *out);

/*
 * All of line[0..len) as one read() from ctx->sess: every complete request
 * in it is served in order, replies appended to out; a request without its
 * final LF waits in the session for more bytes. Stops at LOGOUT, at a parse
 * error (the rest is dropped, as NUT) and on CLOSE; returns that action, or
 * SOCKPROTO_NONE. Any bytes are accepted (NUL included).
 */
enum sockproto_action sockproto_handle_line(struct sockproto_ctx *ctx, const char *line,
					    size_t len, struct strbuf *out);

/*
 * May the request being served log a complaint? (Handlers that refuse a
 * request use it through sock_server_may_log.) False: it is counted, and
 * summed up in one line after the window. Counts against the client's and
 * the shared budget. ctx->sess may be NULL (a complaint about no client).
 */
bool sockproto_may_log(struct sockproto_ctx *ctx);
/* Log the summary of a window that has passed, if anything was suppressed.
 * Returns the monotonic ms at which to call again, or 0. */
uint64_t sockproto_log_tick(const struct logger *log, struct sockproto_loglimit *lim,
			    uint64_t now_ms);

/* ---- lines for dumps and broadcasts ------------------------------------ */

void sockproto_fmt_setinfo(struct strbuf *sb, const struct st_var *v);
/* "SETFLAGS name [RW] [STRING] [NUMBER]": bare for an immutable-only var. */
void sockproto_fmt_setflags(struct strbuf *sb, const struct st_var *v);

#endif
