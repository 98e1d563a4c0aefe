/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NUT driver socket protocol, without sockets: tokenize a client's
 * bytes, serve each request from the state tree and the handlers, format
 * the reply. See sockproto.h for the contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sockproto.h"

/* ---- strbuf --------------------------------------------------------------- */

static void strbuf_reserve(struct strbuf *sb, size_t more)
{
	size_t ncap;
	char *p;

	if (sb->failed || sb->len + more + 1 <= sb->cap)
		return;
	ncap = sb->cap ? sb->cap : 256;
	while (ncap < sb->len + more + 1)
		ncap *= 2;
	p = realloc(sb->buf, ncap);
	if (!p) {
		sb->failed = true;
		return;
	}
	sb->buf = p;
	sb->cap = ncap;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	strbuf_reserve(sb, (size_t)n);
	if (sb->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_quoted(struct strbuf *sb, const char *value)
{
	char probe[1];
	size_t need = tok_encode(probe, sizeof(probe), value);

	strbuf_reserve(sb, need + 2);
	if (sb->failed)
		return;
	sb->buf[sb->len++] = '"';
	tok_encode(sb->buf + sb->len, need + 1, value);
	sb->len += need;
	sb->buf[sb->len++] = '"';
	sb->buf[sb->len] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

/* ---- the log budget ----------------------------------------------------------- */

uint64_t sockproto_log_tick(const struct logger *log, struct sockproto_loglimit *lim,
			    uint64_t now_ms)
{
	if (lim->window_end && now_ms >= lim->window_end) {
		if (lim->suppressed && log)
			log_msg(log, LOG_NOTICE,
				"socket clients: %lu more bad requests not logged in the last %d s "
				"(at most %d per client and %d in all are logged per %d s)",
				lim->suppressed, SOCKPROTO_LOG_WINDOW_MS / 1000,
				SOCKPROTO_LOG_PER_CLIENT, SOCKPROTO_LOG_PER_SERVER,
				SOCKPROTO_LOG_WINDOW_MS / 1000);
		lim->suppressed = 0;
		lim->used = 0;
		lim->window_end = 0;	/* the next complaint opens a window */
	}
	return lim->suppressed ? lim->window_end : 0;
}

/* Room for one more in this window? Opens a window when none is open. */
static bool window_has_room(struct sockproto_loglimit *lim, unsigned max, uint64_t now_ms)
{
	if (lim->window_end == 0 || now_ms >= lim->window_end) {
		lim->window_end = now_ms + SOCKPROTO_LOG_WINDOW_MS;
		lim->used = 0;
	}
	return lim->used < max;
}

bool sockproto_may_log(struct sockproto_ctx *ctx)
{
	struct sockproto_loglimit *all = ctx->loglim;
	struct sockproto_loglimit *one = ctx->sess ? &ctx->sess->lim : NULL;
	bool room = true;

	if (all) {
		sockproto_log_tick(ctx->log, all, ctx->now_ms);
		room = window_has_room(all, SOCKPROTO_LOG_PER_SERVER, ctx->now_ms);
	}
	if (one && !window_has_room(one, SOCKPROTO_LOG_PER_CLIENT, ctx->now_ms))
		room = false;
	if (!room) {
		if (one) {
			one->suppressed++;
			one->suppressed_total++;
		}
		if (all) {
			all->suppressed++;
			all->suppressed_total++;
		}
		return false;
	}
	if (one) {
		one->used++;
		one->logged_total++;
	}
	if (all) {
		all->used++;
		all->logged_total++;
	}
	return true;
}

static void complain(struct sockproto_ctx *ctx, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A bad request, logged within the budget with the client named. */
static void complain(struct sockproto_ctx *ctx, int prio, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (!sockproto_may_log(ctx) || !ctx->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->sess)
		log_msg(ctx->log, prio, "%s (socket client fd %d)", msg, ctx->sess->id);
	else
		log_msg(ctx->log, prio, "%s", msg);
}

/* ---- sessions --------------------------------------------------------------- */

void sockproto_session_init(struct sockproto_session *sess, int id)
{
	memset(sess, 0, sizeof(*sess));
	sess->broadcast = true;
	sess->id = id;
}

void sockproto_session_idle(struct sockproto_session *sess)
{
	if (sess->tok && !tok_pending(sess->tok)) {
		free(sess->tok);
		sess->tok = NULL;
	}
}

void sockproto_session_free(struct sockproto_session *sess)
{
	free(sess->tok);
	sess->tok = NULL;
}

/* ---- lines ---------------------------------------------------------------------- */

void sockproto_fmt_setinfo(struct strbuf *sb, const struct st_var *v)
{
	strbuf_printf(sb, "SETINFO %s ", v->name);
	strbuf_quoted(sb, v->value);
	strbuf_printf(sb, "\n");
}

void sockproto_fmt_setflags(struct strbuf *sb, const struct st_var *v)
{
	char words[64];

	state_flags_words(v->flags, words, sizeof(words));
	strbuf_printf(sb, "SETFLAGS %s%s%s\n", v->name, words[0] ? " " : "", words);
}

static void fmt_node(struct strbuf *sb, const struct st_var *v)
{
	sockproto_fmt_setinfo(sb, v);
	if (v->aux != 0)
		strbuf_printf(sb, "SETAUX %s %ld\n", v->name, v->aux);
	if (v->flags != 0)
		sockproto_fmt_setflags(sb, v);
}

/* A tracking id goes out as the word it came in as; quoted only if needed. */
static void fmt_tracking(struct strbuf *sb, const char *id, int result)
{
	if (id[0] && !strpbrk(id, " \t\r\n\"\\#="))
		strbuf_printf(sb, "TRACKING %s", id);
	else {
		strbuf_printf(sb, "TRACKING ");
		strbuf_quoted(sb, id);
	}
	strbuf_printf(sb, " %d\n", result);
}

/* ---- requests ------------------------------------------------------------------ */

struct request {
	struct sockproto_ctx *ctx;
	struct strbuf *out;
	const char (*arg)[TOK_MAX_WORDLEN + 1];
	size_t nargs;
	enum sockproto_action action;
};

static void dump_start(struct request *rq)
{
	if (rq->ctx->stale)
		strbuf_printf(rq->out, "DATASTALE\n");
}

static void dump_end(struct request *rq)
{
	if (!rq->ctx->stale)
		strbuf_printf(rq->out, "DATAOK\n");
	strbuf_printf(rq->out, "DUMPDONE\n");
}

static bool cmd_dumpall(struct request *rq)
{
	const struct state_tree *st = rq->ctx->st;
	size_t i;

	dump_start(rq);
	for (i = 0; st && i < st->nvars; i++)
		fmt_node(rq->out, &st->vars[i]);
	for (i = 0; st && i < st->ncmds; i++)
		strbuf_printf(rq->out, "ADDCMD %s\n", st->cmds[i]);
	dump_end(rq);
	return true;
}

static void dump_one(struct request *rq, const char *name)
{
	const struct st_var *v = rq->ctx->st ? state_find(rq->ctx->st, name) : NULL;

	dump_start(rq);
	if (v)
		fmt_node(rq->out, v);
	dump_end(rq);
}

static bool cmd_dumpstatus(struct request *rq)
{
	dump_one(rq, "ups.status");
	return true;
}

static bool cmd_dumpvalue(struct request *rq)
{
	if (rq->nargs < 2)
		return false;
	dump_one(rq, rq->arg[1]);
	return true;
}

static bool cmd_ping(struct request *rq)
{
	strbuf_printf(rq->out, "PONG\n");
	return true;
}

static bool cmd_getpid(struct request *rq)
{
	strbuf_printf(rq->out, "PID %ld\n", (long)getpid());
	return true;
}

static bool cmd_logout(struct request *rq)
{
	strbuf_printf(rq->out, "OK Goodbye\n");
	rq->ctx->sess->logout = true;
	rq->action = SOCKPROTO_LOGOUT;
	return true;
}

static bool cmd_nobroadcast(struct request *rq)
{
	rq->ctx->sess->broadcast = false;
	return true;
}

static bool cmd_broadcast(struct request *rq)
{
	rq->ctx->sess->broadcast = rq->nargs < 2 || strtol(rq->arg[1], NULL, 10) >= 1;
	return true;
}

static void tracking_reply(struct request *rq, const char *id, int result)
{
	if (id && result != SOCK_CMD_NO_REPLY)
		fmt_tracking(rq->out, id, result);
}

static bool is_tracking(const char *word)
{
	return strcasecmp(word, "TRACKING") == 0;
}

/* INSTCMD <cmd> [<param>] [TRACKING <id>]: 2, 3, 4 or 5 words (spec 4.4). */
static bool cmd_instcmd(struct request *rq)
{
	const struct sock_handlers *h = &rq->ctx->handlers;
	const char *param = NULL, *id = NULL;
	int result;

	switch (rq->nargs) {
	case 2:
		break;
	case 3:
		param = rq->arg[2];
		break;
	case 4:
		if (!is_tracking(rq->arg[2]))
			goto malformed;
		id = rq->arg[3];
		break;
	case 5:
		if (!is_tracking(rq->arg[3]))
			goto malformed;
		param = rq->arg[2];
		id = rq->arg[4];
		break;
	default:
		goto malformed;
	}
	if (h->instcmd) {
		result = h->instcmd(h->ctx, rq->arg[1], param);
	} else {
		complain(rq->ctx, LOG_NOTICE, "Got INSTCMD '%s', but driver lacks a handler",
			 rq->arg[1]);
		result = SOCK_CMD_UNKNOWN;
	}
	tracking_reply(rq, id, result);
	return true;
malformed:
	complain(rq->ctx, LOG_NOTICE, "Malformed INSTCMD request (%zu words)", rq->nargs);
	return false;
}

/* SET <var> <value> [TRACKING <id>]: at least 3 words; with 5, arg[3] is TRACKING. */
static bool cmd_set(struct request *rq)
{
	const struct sock_handlers *h = &rq->ctx->handlers;
	const char *id = NULL;
	int result;

	if (rq->nargs < 3)
		return false;
	if (rq->nargs == 5) {
		if (!is_tracking(rq->arg[3])) {
			complain(rq->ctx, LOG_NOTICE, "Got SET %s with unsupported parameters",
				 rq->arg[1]);
			return false;
		}
		id = rq->arg[4];
	}
	if (h->setvar) {
		result = h->setvar(h->ctx, rq->arg[1], rq->arg[2]);
	} else {
		complain(rq->ctx, LOG_NOTICE, "Got SET %s, but driver lacks a handler", rq->arg[1]);
		result = SOCK_CMD_NO_REPLY;
	}
	tracking_reply(rq, id, result);
	return true;
}

static const struct sock_command {
	const char *name;
	bool (*run)(struct request *rq);	/* false: not understood */
} sock_commands[] = {
	{ "DUMPALL", cmd_dumpall },
	{ "DUMPSTATUS", cmd_dumpstatus },
	{ "DUMPVALUE", cmd_dumpvalue },
	{ "PING", cmd_ping },
	{ "GETPID", cmd_getpid },
	{ "LOGOUT", cmd_logout },
	{ "NOBROADCAST", cmd_nobroadcast },
	{ "BROADCAST", cmd_broadcast },
	{ "INSTCMD", cmd_instcmd },
	{ "SET", cmd_set },
};

static void log_unknown(struct request *rq)
{
	char words[512];
	size_t len = 0, i;

	words[0] = '\0';
	for (i = 0; i < rq->nargs && len < sizeof(words); i++)
		len += (size_t)snprintf(words + len, sizeof(words) - len, "%s'%s'",
					i ? " " : "", rq->arg[i]);
	complain(rq->ctx, LOG_INFO, "Unknown command on socket: %s", words);
}

static enum sockproto_action serve(struct sockproto_ctx *ctx, const struct tokenizer *tok,
				   struct strbuf *out)
{
	struct request rq = {
		.ctx = ctx, .out = out, .arg = (const char (*)[TOK_MAX_WORDLEN + 1])tok->words,
		.nargs = tok->nwords, .action = SOCKPROTO_NONE,
	};
	size_t i;

	if (rq.nargs == 0)	/* empty or comment-only line: nothing to say */
		return SOCKPROTO_NONE;
	for (i = 0; i < sizeof(sock_commands) / sizeof(sock_commands[0]); i++) {
		if (strcasecmp(rq.arg[0], sock_commands[i].name) != 0)
			continue;
		if (sock_commands[i].run(&rq))
			return rq.action;
		break;
	}
	log_unknown(&rq);
	return SOCKPROTO_NONE;
}

/* White space between requests changes no parser state: no parser needed. */
static bool is_idle_byte(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

enum sockproto_action sockproto_feed(struct sockproto_ctx *ctx, const char *buf, size_t len,
				     size_t *used, struct strbuf *out)
{
	struct sockproto_session *s = ctx->sess;
	size_t i;

	*used = len;
	if (s->logout)
		return SOCKPROTO_LOGOUT;
	for (i = 0; i < len; i++) {
		if (!s->tok) {
			if (is_idle_byte(buf[i]))
				continue;
			s->tok = malloc(sizeof(*s->tok));
			if (!s->tok) {
				complain(ctx, LOG_ERR, "out of memory for a socket request");
				return SOCKPROTO_CLOSE;
			}
			tok_init(s->tok);
		}
		switch (tok_feed(s->tok, buf[i])) {
		case TOK_MORE:
			break;
		case TOK_LINE:
			*used = i + 1;
			return serve(ctx, s->tok, out);
		case TOK_ERROR:
			complain(ctx, LOG_NOTICE, "Parse error on socket: %s; rest of the read dropped",
				 s->tok->errmsg);
			tok_reset(s->tok);
			return SOCKPROTO_DISCARD;
		}
	}
	return SOCKPROTO_NONE;
}

enum sockproto_action sockproto_handle_line(struct sockproto_ctx *ctx, const char *line,
					    size_t len, struct strbuf *out)
{
	enum sockproto_action act = SOCKPROTO_NONE;
	size_t off = 0, used;

	while (off < len) {
		act = sockproto_feed(ctx, line + off, len - off, &used, out);
		off += used;
		if (act != SOCKPROTO_NONE)
			break;
	}
	return act;
}
