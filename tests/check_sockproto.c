/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket protocol layer without sockets: bytes in, reply bytes, action,
 * handler calls and complaints out. Most cases are rows of a table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockproto.h"
#include "check_main.h"

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct state_tree st;
static struct sockproto_loglimit lim;
static struct sockproto_session sess;
static struct sockproto_ctx ctx;
static struct strbuf out;

/* what the handlers saw, and what they answer */
static struct {
	int calls;
	char what[16], name[64], param[64];
	bool has_param;
	int result;
} seen;

static void record(const char *what, const char *a, const char *b)
{
	seen.calls++;
	snprintf(seen.what, sizeof(seen.what), "%s", what);
	snprintf(seen.name, sizeof(seen.name), "%s", a);
	seen.has_param = b != NULL;
	snprintf(seen.param, sizeof(seen.param), "%s", b ? b : "");
}

static int on_instcmd(void *hctx, const char *cmd, const char *param)
{
	ck_assert_ptr_eq(hctx, &seen);
	record("INSTCMD", cmd, param);
	return seen.result;
}

static int on_setvar(void *hctx, const char *var, const char *value)
{
	ck_assert_ptr_eq(hctx, &seen);
	record("SET", var, value);
	return seen.result;
}

static void fill_small_tree(void)
{
	state_set(&st, "ups.status", "OL");
	state_set(&st, "ups.serial", "ab\"c\\d#e");
	state_set(&st, "driver.name", "genericups");
	state_set_immutable(&st, "ups.mfr", "Over ride");
	state_set(&st, "ups.id", "x y");
	state_set_flags(&st, "ups.id", ST_FLAG_RW | ST_FLAG_STRING);
	state_set_aux(&st, "ups.id", 32);
	state_add_cmd(&st, "shutdown.default");
	state_add_cmd(&st, "driver.reload");
}

static void setup(void)
{
	state_init(&st);
	fill_small_tree();
	memset(&lim, 0, sizeof(lim));
	memset(&seen, 0, sizeof(seen));
	memset(&out, 0, sizeof(out));
	sockproto_session_init(&sess, 7);
	ctx = (struct sockproto_ctx){
		.st = &st, .stale = false, .loglim = &lim, .sess = &sess, .now_ms = 1000,
		.handlers = { .instcmd = on_instcmd, .setvar = on_setvar, .ctx = &seen },
	};
}

static void teardown(void)
{
	sockproto_session_free(&sess);
	strbuf_free(&out);
	state_free(&st);
}

static enum sockproto_action feed(const char *in)
{
	return sockproto_handle_line(&ctx, in, strlen(in), &out);
}

static const char *reply(void)
{
	return out.len ? out.buf : "";
}

/* ---- the request table ------------------------------------------------------ */

static const char dumpall_ok[] =
	"SETINFO driver.name \"genericups\"\n"
	"SETINFO ups.id \"x y\"\n"
	"SETAUX ups.id 32\n"
	"SETFLAGS ups.id RW STRING\n"
	"SETINFO ups.mfr \"Over ride\"\n"
	"SETFLAGS ups.mfr\n"
	"SETINFO ups.serial \"ab\\\"c\\\\d\\#e\"\n"
	"SETINFO ups.status \"OL\"\n"
	"ADDCMD driver.reload\n"
	"ADDCMD shutdown.default\n"
	"DATAOK\n"
	"DUMPDONE\n";

static const struct proto_case {
	const char *in;
	const char *reply;
	enum sockproto_action action;
	unsigned complaints;	/* logged */
	int result;		/* the handler's answer */
	const char *called;	/* "INSTCMD name param" / "SET name value"; NULL: no call */
} proto_cases[] = {
	{ "PING\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "ping extra words\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "PING\r\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "  \t PING\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "PI\\\nNG\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "PING\nPING\n", "PONG\nPONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "PING", "", SOCKPROTO_NONE, 0, 0, NULL },	/* waits for its LF */
	{ "DUMPALL\n", dumpall_ok, SOCKPROTO_NONE, 0, 0, NULL },
	{ "dumpall extra\n", dumpall_ok, SOCKPROTO_NONE, 0, 0, NULL },
	{ "DUMPSTATUS\n", "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "DUMPVALUE ups.id\n",
	  "SETINFO ups.id \"x y\"\nSETAUX ups.id 32\nSETFLAGS ups.id RW STRING\nDATAOK\nDUMPDONE\n",
	  SOCKPROTO_NONE, 0, 0, NULL },
	{ "DUMPVALUE UPS.SERIAL\n", "SETINFO ups.serial \"ab\\\"c\\\\d\\#e\"\nDATAOK\nDUMPDONE\n",
	  SOCKPROTO_NONE, 0, 0, NULL },
	{ "DUMPVALUE nosuch\n", "DATAOK\nDUMPDONE\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "DUMPVALUE\nPING\n", "PONG\n", SOCKPROTO_NONE, 1, 0, NULL },
	{ "FOO bar\nPING\n", "PONG\n", SOCKPROTO_NONE, 1, 0, NULL },
	{ "DELINFO ups.status\n", "", SOCKPROTO_NONE, 1, 0, NULL },
	/* empty and comment-only lines: no reply, no log */
	{ "\n\n\r\n \n", "", SOCKPROTO_NONE, 0, 0, NULL },
	{ "# comment\n\"\"\n", "", SOCKPROTO_NONE, 1, 0, NULL },	/* "" is one empty word */
	{ "# comment\nPING\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	{ "\x01\x02\x7f\n", "", SOCKPROTO_NONE, 0, 0, NULL },	/* dropped bytes, no words */
	/* parse error: the rest of the read is dropped, as NUT */
	{ "\"abc#\"\nPING\n", "", SOCKPROTO_DISCARD, 1, 0, NULL },
	{ "PING\n\"#\nPING\n", "PONG\n", SOCKPROTO_DISCARD, 1, 0, NULL },
	{ "GETPID extra\n", NULL, SOCKPROTO_NONE, 0, 0, NULL },	/* PID checked below */
	{ "LOGOUT\nPING\n", "OK Goodbye\n", SOCKPROTO_LOGOUT, 0, 0, NULL },
	{ "NOBROADCAST\nPING\n", "PONG\n", SOCKPROTO_NONE, 0, 0, NULL },
	/* INSTCMD: 2, 3, 4 or 5 words */
	{ "INSTCMD a.b\n", "", SOCKPROTO_NONE, 0, 0, "INSTCMD a.b" },
	{ "INSTCMD a.b p\n", "", SOCKPROTO_NONE, 0, 0, "INSTCMD a.b p" },
	{ "INSTCMD a.b TRACKING id1\n", "TRACKING id1 1\n", SOCKPROTO_NONE, 0, 1, "INSTCMD a.b" },
	{ "instcmd a.b tracking id1\n", "TRACKING id1 0\n", SOCKPROTO_NONE, 0, 0, "INSTCMD a.b" },
	{ "INSTCMD a.b \"p q\" TRACKING id2\n", "TRACKING id2 3\n", SOCKPROTO_NONE, 0, 3,
	  "INSTCMD a.b p q" },
	{ "INSTCMD a.b p TRACKING \"x y\"\n", "TRACKING \"x y\" 2\n", SOCKPROTO_NONE, 0, 2,
	  "INSTCMD a.b p" },
	{ "INSTCMD a.b p TRACKING \"\"\n", "TRACKING \"\" 0\n", SOCKPROTO_NONE, 0, 0, "INSTCMD a.b p" },
	{ "INSTCMD a.b TRACKING t\n", "", SOCKPROTO_NONE, 0, SOCK_CMD_NO_REPLY, "INSTCMD a.b" },
	/* malformed: one line for the malformed request, one for the unknown command */
	{ "INSTCMD a.b p q\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	{ "INSTCMD a.b p q r\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	{ "INSTCMD a.b TRACKING x y\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	{ "INSTCMD a.b p TRACKING x y\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	{ "INSTCMD\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	/* SET: at least 3 words; with 5, the 4th is TRACKING */
	{ "SET\n", "", SOCKPROTO_NONE, 1, 0, NULL },
	{ "SET ups.id\n", "", SOCKPROTO_NONE, 1, 0, NULL },
	{ "SET ups.id v\n", "", SOCKPROTO_NONE, 0, 0, "SET ups.id v" },
	{ "SET ups.id \"x y\" TRACKING t2\n", "TRACKING t2 0\n", SOCKPROTO_NONE, 0, 0,
	  "SET ups.id x y" },
	{ "set ups.id v tracking t3\n", "TRACKING t3 4\n", SOCKPROTO_NONE, 0, 4, "SET ups.id v" },
	{ "SET ups.id v TRACKING t4\n", "", SOCKPROTO_NONE, 0, SOCK_CMD_NO_REPLY, "SET ups.id v" },
	{ "SET ups.id v w x\n", "", SOCKPROTO_NONE, 2, 0, NULL },
	{ "SET ups.id v w\n", "", SOCKPROTO_NONE, 0, 0, "SET ups.id v" },
	{ "SET ups.id v TRACKING\n", "", SOCKPROTO_NONE, 0, 0, "SET ups.id v" },
};

START_TEST(test_requests)
{
	const struct proto_case *tc = &proto_cases[_i];
	enum sockproto_action act;
	char called[160] = "";

	seen.result = tc->result;
	act = sockproto_handle_line(&ctx, tc->in, strlen(tc->in), &out);
	ck_assert_msg(act == tc->action, "%s: action %d, want %d", tc->in, act, tc->action);
	if (tc->reply)
		ck_assert_str_eq(reply(), tc->reply);
	ck_assert_msg(lim.logged_total == tc->complaints, "%s: %lu complaints, want %u", tc->in,
		      lim.logged_total, tc->complaints);
	ck_assert_uint_eq(sess.lim.logged_total, tc->complaints);
	if (seen.calls)
		snprintf(called, sizeof(called), "%s %s%s%s", seen.what, seen.name,
			 seen.has_param ? " " : "", seen.param);
	ck_assert_str_eq(called, tc->called ? tc->called : "");
	ck_assert_int_le(seen.calls, 1);
}
END_TEST

START_TEST(test_dump_stale)
{
	ctx.stale = true;
	feed("DUMPSTATUS\nDUMPVALUE nosuch\n");
	ck_assert_str_eq(reply(), "DATASTALE\nSETINFO ups.status \"OL\"\nDUMPDONE\nDATASTALE\nDUMPDONE\n");
}
END_TEST

START_TEST(test_getpid)
{
	char want[32];

	snprintf(want, sizeof(want), "PID %ld\n", (long)getpid());
	feed("GETPID\n");
	ck_assert_str_eq(reply(), want);
}
END_TEST

START_TEST(test_no_handlers)
{
	ctx.handlers = (struct sock_handlers){ 0 };
	feed("INSTCMD x TRACKING a\nSET v 1 TRACKING b\nPING\n");
	ck_assert_str_eq(reply(), "TRACKING a 1\nPONG\n");
	ck_assert_int_eq(seen.calls, 0);
	ck_assert_uint_eq(lim.logged_total, 2);	/* "lacks a handler", twice */
}
END_TEST

START_TEST(test_no_state)
{
	ctx.st = NULL;
	ctx.loglim = NULL;
	feed("DUMPALL\nDUMPVALUE x\nFOO\n");
	ck_assert_str_eq(reply(), "DATAOK\nDUMPDONE\nDATAOK\nDUMPDONE\n");
}
END_TEST

/* ---- one request per feed ---------------------------------------------------- */

START_TEST(test_feed_one_request_at_a_time)
{
	static const char in[] = "PING\nDUMPSTATUS\n\n";
	size_t used, off = 0;

	ck_assert_int_eq(sockproto_feed(&ctx, in, sizeof(in) - 1, &used, &out), SOCKPROTO_NONE);
	ck_assert_uint_eq(used, 5);
	ck_assert_str_eq(reply(), "PONG\n");
	off += used;
	strbuf_reset(&out);
	ck_assert_int_eq(sockproto_feed(&ctx, in + off, sizeof(in) - 1 - off, &used, &out),
			 SOCKPROTO_NONE);
	ck_assert_uint_eq(used, 11);
	ck_assert_str_eq(reply(), "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE\n");
	off += used;
	strbuf_reset(&out);
	ck_assert_int_eq(sockproto_feed(&ctx, in + off, sizeof(in) - 1 - off, &used, &out),
			 SOCKPROTO_NONE);
	ck_assert_uint_eq(off + used, sizeof(in) - 1);
	ck_assert_str_eq(reply(), "");
}
END_TEST

START_TEST(test_after_logout)
{
	size_t used;

	ck_assert_int_eq(feed("LOGOUT\n"), SOCKPROTO_LOGOUT);
	ck_assert(sess.logout);
	strbuf_reset(&out);
	/* nothing more is read */
	ck_assert_int_eq(sockproto_feed(&ctx, "PING\n", 5, &used, &out), SOCKPROTO_LOGOUT);
	ck_assert_uint_eq(used, 5);
	ck_assert_str_eq(reply(), "");
}
END_TEST

START_TEST(test_broadcast_switch)
{
	static const struct {
		const char *cmd;
		bool on;
	} steps[] = {
		{ "NOBROADCAST\n", false }, { "BROADCAST\n", true }, { "BROADCAST 0\n", false },
		{ "BROADCAST 2\n", true }, { "nobroadcast\n", false }, { "BROADCAST -1\n", false },
		{ "broadcast 1\n", true }, { "BROADCAST x\n", false },
	};
	int i;

	ck_assert(sess.broadcast);
	for (i = 0; i < NELEM(steps); i++) {
		sockproto_handle_line(&ctx, steps[i].cmd, strlen(steps[i].cmd), &out);
		ck_assert_msg(sess.broadcast == steps[i].on, "%s", steps[i].cmd);
	}
	ck_assert_str_eq(reply(), "");
}
END_TEST

/* ---- memory: the parser exists only while a request is partly read --------- */

START_TEST(test_parser_only_mid_request)
{
	feed("\n\n  \r\n");
	ck_assert_ptr_null(sess.tok);	/* white space never needs one */
	feed("PI");
	ck_assert_ptr_nonnull(sess.tok);
	sockproto_session_idle(&sess);
	ck_assert_ptr_nonnull(sess.tok);	/* kept: "PI" waits for the rest */
	feed("NG\n");
	ck_assert_str_eq(reply(), "PONG\n");
	sockproto_session_idle(&sess);
	ck_assert_ptr_null(sess.tok);
	/* a quoted word runs on over LF: still mid-request */
	feed("SET ups.id \"a\n");
	sockproto_session_idle(&sess);
	ck_assert_ptr_nonnull(sess.tok);
	feed("b\"\n");
	ck_assert_str_eq(seen.param, "ab");
	sockproto_session_idle(&sess);
	ck_assert_ptr_null(sess.tok);
	/* a parse error leaves nothing pending */
	feed("\"#");
	sockproto_session_idle(&sess);
	ck_assert_ptr_null(sess.tok);
	/* an idle connection's whole protocol state */
	ck_assert_uint_lt(sizeof(struct sockproto_session), 128);
}
END_TEST

/* ---- the log budget ------------------------------------------------------------ */

START_TEST(test_flood_of_newlines_is_silent)
{
	size_t n = 1 << 20;
	char *nl = malloc(n);

	ck_assert_ptr_nonnull(nl);
	memset(nl, '\n', n);
	ck_assert_int_eq(sockproto_handle_line(&ctx, nl, n, &out), SOCKPROTO_NONE);
	ck_assert_uint_eq(lim.logged_total + lim.suppressed_total, 0);
	ck_assert_ptr_null(sess.tok);
	free(nl);
}
END_TEST

START_TEST(test_one_client_rate_limited)
{
	int i;

	for (i = 0; i < 100000; i++)
		feed("FOO\n");
	ck_assert_uint_eq(lim.logged_total, SOCKPROTO_LOG_PER_CLIENT);
	ck_assert_uint_eq(lim.suppressed_total, 100000 - SOCKPROTO_LOG_PER_CLIENT);
	ck_assert_uint_eq(sess.lim.suppressed_total, 100000 - SOCKPROTO_LOG_PER_CLIENT);
	/* the summary is due at the end of the window */
	ck_assert_uint_eq(sockproto_log_tick(NULL, &lim, ctx.now_ms), 1000 + SOCKPROTO_LOG_WINDOW_MS);
	ck_assert_uint_eq(sockproto_log_tick(NULL, &lim, ctx.now_ms + SOCKPROTO_LOG_WINDOW_MS), 0);
	ck_assert_uint_eq(lim.suppressed, 0);
	/* a new window: the client may complain again */
	ctx.now_ms += SOCKPROTO_LOG_WINDOW_MS;
	for (i = 0; i < 10; i++)
		feed("BAR\n");
	ck_assert_uint_eq(lim.logged_total, 2 * SOCKPROTO_LOG_PER_CLIENT);
	ck_assert_str_eq(reply(), "");
	/* and is still served */
	feed("PING\n");
	ck_assert_str_eq(reply(), "PONG\n");
}
END_TEST

START_TEST(test_all_clients_rate_limited)
{
	enum { NCLIENTS = 40 };
	struct sockproto_session many[NCLIENTS];
	int i, j;

	for (i = 0; i < NCLIENTS; i++) {
		sockproto_session_init(&many[i], 100 + i);
		ctx.sess = &many[i];
		for (j = 0; j < 20; j++)
			feed("INSTCMD\n");
	}
	ck_assert_uint_eq(lim.logged_total, SOCKPROTO_LOG_PER_SERVER);
	ck_assert_uint_eq(lim.suppressed_total, NCLIENTS * 20 * 2 - SOCKPROTO_LOG_PER_SERVER);
	for (i = 0; i < NCLIENTS; i++)
		sockproto_session_free(&many[i]);
}
END_TEST

/* What reaches the log: the client named, then one summary line. */
START_TEST(test_log_text)
{
	struct logger lg;
	char path[] = "/tmp/check_sockproto.XXXXXX", text[8192];
	int fd = mkstemp(path), saved = dup(2), i;
	FILE *f;
	size_t n;

	ck_assert_int_ge(fd, 0);
	log_init(&lg, "check_sockproto");
	ctx.log = &lg;
	fflush(stderr);
	dup2(fd, 2);
	for (i = 0; i < 1000; i++)
		feed("\n\nFOO 'x'\n");
	feed("\"#\"\n");
	ctx.now_ms += SOCKPROTO_LOG_WINDOW_MS;
	sockproto_log_tick(&lg, &lim, ctx.now_ms);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	ck_assert_ptr_nonnull(f);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	ck_assert_msg(strstr(text, "Unknown command on socket: 'FOO' ''x'' (socket client fd 7)"),
		      "%s", text);
	ck_assert_msg(strstr(text, "socket clients: 996 more bad requests not logged in the last 10 s"),
		      "%s", text);
	for (i = 0, n = 0; text[n]; n++)
		i += text[n] == '\n';
	ck_assert_int_eq(i, SOCKPROTO_LOG_PER_CLIENT + 1);
}
END_TEST

/* ---- any bytes --------------------------------------------------------------------- */

START_TEST(test_any_bytes)
{
	unsigned char buf[4096];
	unsigned seed = 12345;
	int round;
	size_t i;

	/* no crash, no leak (valgrind), and PING still answered after */
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (unsigned char)(seed >> 16);
		}
		sockproto_handle_line(&ctx, (const char *)buf, sizeof(buf), &out);
		ck_assert(!out.failed);
		if (sess.logout) {
			sockproto_session_free(&sess);
			sockproto_session_init(&sess, 7);
		}
	}
	sockproto_session_free(&sess);
	sockproto_session_init(&sess, 7);
	strbuf_reset(&out);
	feed("PING\n");
	ck_assert_str_eq(reply(), "PONG\n");
}
END_TEST

static Suite *sockproto_suite(void)
{
	Suite *s = suite_create("sockproto");
	TCase *tc = tcase_create("requests");
	TCase *tl = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_requests, 0, NELEM(proto_cases));
	tcase_add_test(tc, test_dump_stale);
	tcase_add_test(tc, test_getpid);
	tcase_add_test(tc, test_no_handlers);
	tcase_add_test(tc, test_no_state);
	tcase_add_test(tc, test_feed_one_request_at_a_time);
	tcase_add_test(tc, test_after_logout);
	tcase_add_test(tc, test_broadcast_switch);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, test_parser_only_mid_request);
	tcase_add_test(tl, test_flood_of_newlines_is_silent);
	tcase_add_test(tl, test_one_client_rate_limited);
	tcase_add_test(tl, test_all_clients_rate_limited);
	tcase_add_test(tl, test_log_text);
	tcase_add_test(tl, test_any_bytes);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	return check_main(sockproto_suite());
}
