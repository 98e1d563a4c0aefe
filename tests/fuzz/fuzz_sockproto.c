/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the driver socket protocol layer (common/sockproto.c),
 * without sockets: a client's bytes and a state tree in, reply bytes, the
 * handlers' calls and the session out.
 *
 * Input: byte 0 sets the scene (bit 0 stale, bit 1 INSTCMD/SET handlers
 * installed, bits 2-4 the handlers' result, bit 5 a shared log budget,
 * bit 6 a logger); the rest is what the client sends, cut into reads at
 * each 0xff byte. Each read is served twice, as the transport does it
 * (sockproto_feed, one request per call, then sockproto_session_idle) and
 * with sockproto_handle_line, each against its own copy of the state.
 * Checked, beyond "does not crash":
 * - both ways give the same reply bytes, handler calls, session and log
 *   counters;
 * - the reply is exactly what a model of spec nut-compat.md 4.2-4.5 expects
 *   (DUMPALL/DUMPSTATUS/DUMPVALUE nodes in order with escaped values, PONG,
 *   PID, OK Goodbye, TRACKING only when asked for and answered, nothing for
 *   unknown or malformed requests, the rest of a read dropped after a parse
 *   error, nothing at all after LOGOUT), with the same handler calls;
 * - every reply line is printable, ends in LF, and tokenizes back to its
 *   words: the value of each SETINFO is the value in the state, the id of
 *   each TRACKING the id that was sent;
 * - one feed call serves at most one request and consumes up to its LF;
 * - an idle session keeps no parser, a partly read request keeps one;
 * - every complaint is either logged or counted, within the per-client and
 *   shared budgets.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "nut_tokenizer.h"
#include "sockproto.h"
#include "state.h"
#include "fuzz.h"

#define READ_SEP	0xff

static const int results[8] = {
	SOCK_CMD_HANDLED, SOCK_CMD_UNKNOWN, SOCK_CMD_INVALID, SOCK_CMD_FAILED,
	SOCK_CMD_CONVERSION_FAILED, SOCK_CMD_NO_REPLY, SOCK_CMD_HANDLED, SOCK_CMD_INVALID,
};

/* Variables the fake SET handler takes (as the driver's own handler would). */
static const char *const settable[] = { "driver.debug", "ups.delay.shutdown", "battery.charge.low" };

/* ---- one side: a state tree, handlers that record their calls ------------ */

struct world {
	struct state_tree st;
	int result;
	char *calls;		/* "I cmd|param\n", "S var|value\n", ... */
	size_t ncalls, callslen, callscap;
};

static void world_note(struct world *w, char kind, const char *a, const char *b)
{
	size_t need = strlen(a) + (b ? strlen(b) : 0) + 8;

	if (w->callslen + need > w->callscap) {
		w->callscap = (w->callslen + need) * 2;
		w->calls = realloc(w->calls, w->callscap);
		if (!w->calls)
			abort();
	}
	w->callslen += (size_t)snprintf(w->calls + w->callslen, w->callscap - w->callslen,
					"%c %s%s%s\n", kind, a, b ? "|" : "", b ? b : "");
	w->ncalls++;
}

static bool is_settable(const char *var)
{
	size_t i;

	for (i = 0; i < sizeof(settable) / sizeof(settable[0]); i++)
		if (!strcasecmp(var, settable[i]))
			return true;
	return false;
}

static void world_set(struct world *w, const char *var, const char *value)
{
	if (w->result == SOCK_CMD_HANDLED && is_settable(var))
		FUZZ_CHECK(state_set(&w->st, var, value) != ST_ERROR, "state_set failed");
}

static int on_instcmd(void *ctx, const char *cmd, const char *param)
{
	struct world *w = ctx;

	world_note(w, 'I', cmd, param);
	return w->result;
}

static int on_setvar(void *ctx, const char *var, const char *value)
{
	struct world *w = ctx;

	world_note(w, 'S', var, value);
	world_set(w, var, value);
	return w->result;
}

static void world_init(struct world *w, int result)
{
	memset(w, 0, sizeof(*w));
	w->result = result;
	state_init(&w->st);
	/* values that need escaping, flags, aux, an override, commands */
	state_set(&w->st, "ups.status", "OL LB");
	state_set(&w->st, "driver.name", "genericups");
	state_set(&w->st, "ups.mfr", "APC \"Back\\UPS\" #1");
	state_set(&w->st, "device.serial", "");
	state_set(&w->st, "ups.delay.shutdown", "20");
	state_set_flags(&w->st, "ups.delay.shutdown", ST_FLAG_RW | ST_FLAG_STRING);
	state_set_aux(&w->st, "ups.delay.shutdown", 10);
	state_set(&w->st, "driver.debug", "0");
	state_set_flags(&w->st, "driver.debug", ST_FLAG_RW | ST_FLAG_NUMBER);
	state_set_aux(&w->st, "driver.debug", -3);
	state_set_immutable(&w->st, "ups.model", "Over ride");
	state_add_cmd(&w->st, "shutdown.return");
	state_add_cmd(&w->st, "driver.killpower");
	state_add_cmd(&w->st, "Load.Off");
}

static void world_free(struct world *w)
{
	state_free(&w->st);
	free(w->calls);
}

/* ---- the model: spec 4.2-4.5, written apart from sockproto.c -------------- */

struct model {
	struct world w;
	bool handlers, stale;
	struct tokenizer tok;
	bool logout, broadcast;
	unsigned long complaints;
	struct strbuf out;
};

/* Escape as pconf_encode does: a backslash before '#', '\' and '"'. */
static void model_quoted(struct strbuf *sb, const char *v)
{
	char *esc = malloc(2 * strlen(v) + 3), *p = esc;

	if (!esc)
		abort();
	*p++ = '"';
	for (; *v; v++) {
		if (*v == '#' || *v == '\\' || *v == '"')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '"';
	*p = '\0';
	strbuf_printf(sb, "%s", esc);
	free(esc);
}

static void model_node(struct model *m, const struct st_var *v)
{
	strbuf_printf(&m->out, "SETINFO %s ", v->name);
	model_quoted(&m->out, v->value);
	strbuf_printf(&m->out, "\n");
	if (v->aux != 0)
		strbuf_printf(&m->out, "SETAUX %s %ld\n", v->name, v->aux);
	if (v->flags != 0)	/* fixed order; IMMUTABLE never sent */
		strbuf_printf(&m->out, "SETFLAGS %s%s%s%s\n", v->name,
			      v->flags & ST_FLAG_RW ? " RW" : "",
			      v->flags & ST_FLAG_STRING ? " STRING" : "",
			      v->flags & ST_FLAG_NUMBER ? " NUMBER" : "");
}

static void model_dump(struct model *m, const char *only, bool all)
{
	size_t i;

	if (m->stale)
		strbuf_printf(&m->out, "DATASTALE\n");
	for (i = 0; i < m->w.st.nvars; i++) {
		const struct st_var *v = &m->w.st.vars[i];

		if (i > 0)
			FUZZ_CHECK(strcasecmp(m->w.st.vars[i - 1].name, v->name) < 0,
				   "state not in case-insensitive order at '%s'", v->name);
		if (all || !strcasecmp(v->name, only))
			model_node(m, v);
	}
	for (i = 0; all && i < m->w.st.ncmds; i++)
		strbuf_printf(&m->out, "ADDCMD %s\n", m->w.st.cmds[i]);
	if (!m->stale)
		strbuf_printf(&m->out, "DATAOK\n");
	strbuf_printf(&m->out, "DUMPDONE\n");
}

static void model_tracking(struct model *m, const char *id, int result)
{
	if (!id || result == SOCK_CMD_NO_REPLY)
		return;
	/* NUT sends the id bare; one that would not read back as one word is quoted */
	if (id[0] && !strpbrk(id, " \t\r\n\"\\#="))
		strbuf_printf(&m->out, "TRACKING %s %d\n", id, result);
	else {
		strbuf_printf(&m->out, "TRACKING ");
		model_quoted(&m->out, id);
		strbuf_printf(&m->out, " %d\n", result);
	}
}

static bool model_instcmd(struct model *m, const struct tokenizer *t)
{
	const char *param = NULL, *id = NULL;
	int result = SOCK_CMD_UNKNOWN;

	if (t->nwords == 3) {
		param = t->words[2];
	} else if (t->nwords == 4 && !strcasecmp(t->words[2], "TRACKING")) {
		id = t->words[3];
	} else if (t->nwords == 5 && !strcasecmp(t->words[3], "TRACKING")) {
		param = t->words[2];
		id = t->words[4];
	} else if (t->nwords != 2) {
		m->complaints++;	/* "Malformed INSTCMD request", then unknown */
		return false;
	}
	if (m->handlers) {
		world_note(&m->w, 'I', t->words[1], param);
		result = m->w.result;
	} else {
		m->complaints++;	/* "driver lacks a handler" */
	}
	model_tracking(m, id, result);
	return true;
}

static bool model_set(struct model *m, const struct tokenizer *t)
{
	const char *id = NULL;
	int result = SOCK_CMD_NO_REPLY;

	if (t->nwords < 3)
		return false;
	if (t->nwords == 5) {
		if (strcasecmp(t->words[3], "TRACKING")) {
			m->complaints++;	/* "unsupported parameters", then unknown */
			return false;
		}
		id = t->words[4];
	}
	if (m->handlers) {
		world_note(&m->w, 'S', t->words[1], t->words[2]);
		world_set(&m->w, t->words[1], t->words[2]);
		result = m->w.result;
	} else {
		m->complaints++;
	}
	model_tracking(m, id, result);
	return true;
}

/* One request; false when it is not understood (no reply, a complaint). */
static bool model_request(struct model *m, const struct tokenizer *t)
{
	const char *cmd = t->words[0];

	if (!strcasecmp(cmd, "DUMPALL"))
		model_dump(m, NULL, true);
	else if (!strcasecmp(cmd, "DUMPSTATUS"))
		model_dump(m, "ups.status", false);
	else if (!strcasecmp(cmd, "DUMPVALUE") && t->nwords >= 2)
		model_dump(m, t->words[1], false);
	else if (!strcasecmp(cmd, "PING"))
		strbuf_printf(&m->out, "PONG\n");
	else if (!strcasecmp(cmd, "GETPID"))
		strbuf_printf(&m->out, "PID %ld\n", (long)getpid());
	else if (!strcasecmp(cmd, "LOGOUT")) {
		strbuf_printf(&m->out, "OK Goodbye\n");
		m->logout = true;
	} else if (!strcasecmp(cmd, "NOBROADCAST"))
		m->broadcast = false;
	else if (!strcasecmp(cmd, "BROADCAST"))
		m->broadcast = t->nwords < 2 || strtol(t->words[1], NULL, 10) >= 1;
	else if (!strcasecmp(cmd, "INSTCMD"))
		return model_instcmd(m, t);
	else if (!strcasecmp(cmd, "SET"))
		return model_set(m, t);
	else
		return false;
	return true;
}

/* One read; returns the action the layer must report for it. */
static enum sockproto_action model_read(struct model *m, const uint8_t *buf, size_t len)
{
	size_t i;

	if (m->logout)
		return SOCKPROTO_LOGOUT;
	for (i = 0; i < len; i++) {
		switch (tok_feed(&m->tok, (char)buf[i])) {
		case TOK_MORE:
			break;
		case TOK_LINE:
			if (m->tok.nwords > 0 && !model_request(m, &m->tok))
				m->complaints++;	/* "Unknown command on socket" */
			if (m->logout)
				return SOCKPROTO_LOGOUT;
			break;
		case TOK_ERROR:
			m->complaints++;
			tok_reset(&m->tok);
			return SOCKPROTO_DISCARD;
		}
	}
	return SOCKPROTO_NONE;
}

/* ---- the layer under test ------------------------------------------------------ */

struct side {
	struct world w;
	struct sockproto_session sess;
	struct sockproto_loglimit shared;
	struct logger log;
	struct sockproto_ctx ctx;
	struct strbuf out;
};

static void side_init(struct side *s, uint8_t scene)
{
	world_init(&s->w, results[(scene >> 2) & 7]);
	sockproto_session_init(&s->sess, 7);
	memset(&s->shared, 0, sizeof(s->shared));
	log_init(&s->log, "fuzz");
	s->log.quiet = 7;	/* format every complaint, print none */
	memset(&s->out, 0, sizeof(s->out));
	s->ctx = (struct sockproto_ctx){
		.st = &s->w.st, .stale = scene & 1, .sess = &s->sess,
		.loglim = (scene & 0x20) ? &s->shared : NULL,
		.log = (scene & 0x40) ? &s->log : NULL,
	};
	if (scene & 2)
		s->ctx.handlers = (struct sock_handlers){
			.instcmd = on_instcmd, .setvar = on_setvar, .ctx = &s->w,
		};
}

static void side_free(struct side *s)
{
	sockproto_session_free(&s->sess);
	strbuf_free(&s->out);
	world_free(&s->w);
}

static void check_budget(const struct side *s)
{
	FUZZ_CHECK(s->sess.lim.used <= SOCKPROTO_LOG_PER_CLIENT, "client logged %u in a window",
		   s->sess.lim.used);
	FUZZ_CHECK(s->shared.used <= SOCKPROTO_LOG_PER_SERVER, "all logged %u in a window",
		   s->shared.used);
}

static void check_reply_lines(const char *buf, size_t len, const struct state_tree *st);

/* As sock_server_client_input() does: one request per call, then idle. */
static enum sockproto_action serve_by_feed(struct side *s, const uint8_t *buf, size_t len)
{
	enum sockproto_action act = SOCKPROTO_NONE;
	size_t off = 0, used;

	while (off < len && !s->sess.logout) {
		size_t before = s->out.len;

		used = 0;
		act = sockproto_feed(&s->ctx, (const char *)buf + off, len - off, &used, &s->out);
		FUZZ_CHECK(used >= 1 && used <= len - off, "feed used %zu of %zu", used, len - off);
		if (act == SOCKPROTO_NONE && off + used < len)
			FUZZ_CHECK(buf[off + used - 1] == '\n',
				   "a request served before its LF (byte %#x)", buf[off + used - 1]);
		if (act == SOCKPROTO_NONE && off + used == len && buf[len - 1] != '\n')
			FUZZ_CHECK(s->out.len == before, "a reply without a complete request");
		if (s->out.len > before)
			check_reply_lines(s->out.buf + before, s->out.len - before, &s->w.st);
		off += used;
		check_budget(s);
		if (act == SOCKPROTO_DISCARD || act == SOCKPROTO_CLOSE)
			break;
	}
	if (s->sess.logout)
		act = SOCKPROTO_LOGOUT;
	sockproto_session_idle(&s->sess);
	return act;
}

/* ---- checks on the reply bytes ------------------------------------------------- */

/* The reply to one request: whole printable lines that tokenize back to their
 * words; each SETINFO carries the value the state holds now. */
static void check_reply_lines(const char *buf, size_t len, const struct state_tree *st)
{
	static struct tokenizer t;
	size_t i;

	if (len == 0)
		return;
	FUZZ_CHECK(buf[len - 1] == '\n', "reply to one request does not end in LF");
	tok_init(&t);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		FUZZ_CHECK(c == '\n' || (c >= 0x20 && c <= 0x7e), "reply byte %#x", c);
		if (tok_feed(&t, (char)c) != TOK_LINE)
			continue;
		FUZZ_CHECK(t.nwords > 0, "empty reply line");
		if (!strcmp(t.words[0], "SETINFO")) {
			const char *v = t.nwords == 3 ? state_get(st, t.words[1]) : NULL;

			FUZZ_CHECK(v && !strcmp(v, t.words[2]),
				   "SETINFO %s reads back as '%s', the state holds '%s'",
				   t.words[1], t.nwords == 3 ? t.words[2] : "?", v ? v : "(none)");
		} else if (!strcmp(t.words[0], "TRACKING")) {
			FUZZ_CHECK(t.nwords == 3, "TRACKING line of %zu words", t.nwords);
		}
	}
	FUZZ_CHECK(tok_finish(&t) == TOK_MORE, "reply ends inside a line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side *a, *b;
	struct model *m;
	uint8_t scene;
	size_t start, end;
	uint64_t now = 1000;

	if (size < 1)
		return 0;
	scene = data[0];
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	m = malloc(sizeof(*m));
	if (!a || !b || !m)
		abort();
	side_init(a, scene);
	side_init(b, scene);
	memset(m, 0, sizeof(*m));
	world_init(&m->w, results[(scene >> 2) & 7]);
	m->handlers = scene & 2;
	m->stale = scene & 1;
	m->broadcast = true;
	tok_init(&m->tok);

	for (start = 1; start <= size; start = end + 1) {
		const uint8_t *buf = data + start;
		size_t len;
		enum sockproto_action act_a, act_b, want;

		for (end = start; end < size && data[end] != READ_SEP; end++)
			;
		len = end - start;
		now += 3000;	/* a log window is 10 s: some reads share one */
		a->ctx.now_ms = b->ctx.now_ms = now;
		if (len == 0)
			continue;
		want = model_read(m, buf, len);
		act_a = serve_by_feed(a, buf, len);
		act_b = sockproto_handle_line(&b->ctx, (const char *)buf, len, &b->out);
		sockproto_session_idle(&b->sess);
		check_budget(b);

		FUZZ_CHECK(act_a == want && act_b == want, "read at %zu: actions %d (feed), %d "
			   "(handle_line), model %d", start, act_a, act_b, want);
		FUZZ_CHECK(a->out.len == m->out.len && (m->out.len == 0 ||
			   !memcmp(a->out.buf, m->out.buf, m->out.len)),
			   "read at %zu: reply\n%.*s---\nmodel expects\n"
			   "%.*s---", start, (int)a->out.len, a->out.buf ? a->out.buf : "",
			   (int)m->out.len, m->out.buf ? m->out.buf : "");
		FUZZ_CHECK(b->out.len == a->out.len &&
			   (a->out.len == 0 || !memcmp(a->out.buf, b->out.buf, a->out.len)),
			   "read at %zu: handle_line replies differ from feed", start);
		FUZZ_CHECK(a->sess.logout == m->logout && b->sess.logout == m->logout,
			   "logout: %d %d, model %d", a->sess.logout, b->sess.logout, m->logout);
		FUZZ_CHECK(a->sess.broadcast == m->broadcast && b->sess.broadcast == m->broadcast,
			   "broadcast: %d %d, model %d", a->sess.broadcast, b->sess.broadcast,
			   m->broadcast);
		FUZZ_CHECK((a->sess.tok != NULL) == (tok_pending(&m->tok) != 0) &&
			   (b->sess.tok != NULL) == (a->sess.tok != NULL),
			   "after a read: parser %s, %s, but a request is %s",
			   a->sess.tok ? "kept" : "dropped", b->sess.tok ? "kept" : "dropped",
			   tok_pending(&m->tok) ? "partly read" : "not pending");
		FUZZ_CHECK(!a->out.failed && !b->out.failed, "reply buffer failed");
		/* each read's reply is compared on its own */
		strbuf_reset(&a->out);
		strbuf_reset(&b->out);
		strbuf_reset(&m->out);
	}

	FUZZ_CHECK(a->w.callslen == m->w.callslen &&
		   (m->w.callslen == 0 || !memcmp(a->w.calls, m->w.calls, m->w.callslen)),
		   "handler calls\n%.*s---\nmodel expects\n%.*s---", (int)a->w.callslen,
		   a->w.calls ? a->w.calls : "", (int)m->w.callslen, m->w.calls ? m->w.calls : "");
	FUZZ_CHECK(b->w.callslen == a->w.callslen &&
		   (a->w.callslen == 0 || !memcmp(a->w.calls, b->w.calls, a->w.callslen)),
		   "handle_line handler calls differ from feed");
	FUZZ_CHECK(a->sess.lim.logged_total + a->sess.lim.suppressed_total == m->complaints &&
		   b->sess.lim.logged_total + b->sess.lim.suppressed_total == m->complaints,
		   "complaints: logged %lu + suppressed %lu, model %lu",
		   a->sess.lim.logged_total, a->sess.lim.suppressed_total, m->complaints);
	if (scene & 0x20)
		FUZZ_CHECK(a->shared.logged_total + a->shared.suppressed_total == m->complaints,
			   "shared budget: logged %lu + suppressed %lu, model %lu",
			   a->shared.logged_total, a->shared.suppressed_total, m->complaints);

	side_free(a);
	side_free(b);
	world_free(&m->w);
	strbuf_free(&m->out);
	free(a);
	free(b);
	free(m);
	return 0;
}
