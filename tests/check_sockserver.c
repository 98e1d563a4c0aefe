/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket server through real Unix sockets in a temporary directory:
 * the test is both upsd (client sockets) and the driver's poll loop
 * (pump() below drives sock_server_handle()).
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockserver.h"
#include "check_main.h"

static char tmpdir[64];
static char sockpath[128];
static struct state_tree st;
static struct sock_server srv;

/*
 * An attacker who can write the socket's directory swaps the bound path
 * for a symlink to a file of theirs choosing right after bind(), before
 * any chmod/chown by path. Armed only by the test that proves it fails.
 */
static const char *swap_after_bind;	/* symlink target, or NULL */

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc = (int)syscall(SYS_bind, fd, addr, len);

	if (rc == 0 && swap_after_bind) {
		unlink(sockpath);
		if (symlink(swap_after_bind, sockpath) < 0)
			abort();
	}
	return rc;
}

/* what the handlers saw, and what they answer */
static struct {
	int calls;
	char cmd[64], param[64];
	bool has_param;
	int result;
	bool broadcast_in_handler;
	bool ask_may_log;	/* the handler asks sock_server_may_log */
	int may_log_yes;
} seen;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void record(const char *a, const char *b)
{
	seen.calls++;
	snprintf(seen.cmd, sizeof(seen.cmd), "%s", a);
	seen.has_param = b != NULL;
	snprintf(seen.param, sizeof(seen.param), "%s", b ? b : "");
}

static int on_instcmd(void *ctx, const char *cmd, const char *param)
{
	ck_assert_ptr_eq(ctx, &seen);
	record(cmd, param);
	if (seen.ask_may_log && sock_server_may_log(&srv))
		seen.may_log_yes++;
	if (seen.broadcast_in_handler) {
		state_set(&st, "driver.state", cmd);
		sock_broadcast_setinfo(&srv, "driver.state");
	}
	return seen.result;
}

static int on_setvar(void *ctx, const char *var, const char *value)
{
	ck_assert_ptr_eq(ctx, &seen);
	record(var, value);
	return seen.result;
}

static const struct sock_handlers handlers = {
	.instcmd = on_instcmd, .setvar = on_setvar, .ctx = &seen,
};

static void setup(void)
{
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_sock.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/genericups-test", tmpdir);
	state_init(&st);
	memset(&seen, 0, sizeof(seen));
	ck_assert_msg(sock_server_open(&srv, sockpath, 0660, &st, &handlers, NULL,
				       err, sizeof(err)) == 0, "open: %s", err);
}

static void teardown(void)
{
	sock_server_close(&srv);
	state_free(&st);
	rmdir(tmpdir);
}

/* One turn of the driver's poll loop. Returns the number of ready fds. */
static int pump_on(struct sock_server *s, int timeout_ms)
{
	size_t room = sock_server_nfds(s);
	struct pollfd *pfd = calloc(room, sizeof(*pfd));
	size_t n;
	int rc;

	ck_assert_ptr_nonnull(pfd);
	n = sock_server_pollfds(s, pfd, room);
	rc = poll(pfd, n, timeout_ms);
	ck_assert_int_ge(rc, 0);
	sock_server_handle(s, pfd, n, now_ms());
	free(pfd);
	return rc;
}

static int pump(int timeout_ms)
{
	return pump_on(&srv, timeout_ms);
}

/* Run the loop until nothing is ready for a little while. */
static void pump_idle(void)
{
	int i;

	for (i = 0; i < 200 && pump(20) > 0; i++)
		;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_client(void)
{
	size_t before = srv.nclients;
	int fd = raw_connect(sockpath);
	int i;

	ck_assert_int_ge(fd, 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < 100 && srv.nclients == before; i++)
		pump(10);
	ck_assert_uint_eq(srv.nclients, before + 1);
	return fd;
}

static void send_str(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/*
 * Collect what fd receives until want bytes are there (then a little more,
 * so that extra output is caught) or 2 s pass. *eof tells if the peer closed.
 */
static char *collect(int fd, size_t want, bool *eof)
{
	static char buf[1 << 16];
	uint64_t end = now_ms() + 2000, extra = 0;
	size_t len = 0;

	*eof = false;
	while (now_ms() < end && len < sizeof(buf) - 1) {
		ssize_t r;

		pump(5);
		r = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (r == 0) {
			*eof = true;
			break;
		}
		if (r > 0)
			len += (size_t)r;
		if (len >= want && !extra)
			extra = now_ms() + 30;
		if (extra && now_ms() >= extra)
			break;
	}
	buf[len] = '\0';
	return buf;
}

static void expect_reply(int fd, const char *req, const char *want)
{
	bool eof;

	send_str(fd, req);
	ck_assert_str_eq(collect(fd, strlen(want), &eof), want);
	ck_assert(!eof);
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
	state_set(&st, "Device.Type", "ups");
	state_add_cmd(&st, "shutdown.default");
	state_add_cmd(&st, "driver.reload");
}

START_TEST(test_dumpall_exact)
{
	int fd;

	fill_small_tree();
	sock_server_set_stale(&srv, false);
	fd = connect_client();
	expect_reply(fd, "DUMPALL\n",
		     "SETINFO Device.Type \"ups\"\n"
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
		     "DUMPDONE\n");
	/* extra words ignored, lower case works, two commands in one write */
	expect_reply(fd, "dumpall extra words\nPING\n",
		     "SETINFO Device.Type \"ups\"\n"
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
		     "DUMPDONE\n"
		     "PONG\n");
	close(fd);
}
END_TEST

START_TEST(test_dump_stale)
{
	int fd;

	state_set(&st, "ups.status", "OL");
	fd = connect_client();
	ck_assert(srv.stale);	/* NUT starts stale */
	expect_reply(fd, "DUMPALL\n", "DATASTALE\nSETINFO ups.status \"OL\"\nDUMPDONE\n");
	expect_reply(fd, "DUMPSTATUS\n", "DATASTALE\nSETINFO ups.status \"OL\"\nDUMPDONE\n");
	expect_reply(fd, "DUMPVALUE nosuch\n", "DATASTALE\nDUMPDONE\n");
	close(fd);
}
END_TEST

static const struct dump_case {
	const char *req, *reply;
} dump_cases[] = {
	{ "DUMPSTATUS\n", "SETINFO ups.status \"OL\"\nDATAOK\nDUMPDONE\n" },
	{ "DUMPVALUE ups.id\n",
	  "SETINFO ups.id \"x y\"\nSETAUX ups.id 32\nSETFLAGS ups.id RW STRING\nDATAOK\nDUMPDONE\n" },
	{ "DUMPVALUE UPS.SERIAL\n", "SETINFO ups.serial \"ab\\\"c\\\\d\\#e\"\nDATAOK\nDUMPDONE\n" },
	{ "DUMPVALUE nosuch\n", "DATAOK\nDUMPDONE\n" },
	{ "DUMPVALUE\nPING\n", "PONG\n" },	/* no var: unknown, no reply */
	{ "PING\n", "PONG\n" },
	{ "ping extra words\n", "PONG\n" },
	{ "PI\\\nNG\n", "PONG\n" },		/* backslash-newline continues */
	{ "PING\r\n", "PONG\n" },
	{ "FOO bar\nPING\n", "PONG\n" },	/* unknown: no reply, still alive */
	{ "\n# comment\nPING\n", "PONG\n" },
	{ "DELINFO ups.status\nPING\n", "PONG\n" },
	{ "NOBROADCAST\nPING\n", "PONG\n" },
};

START_TEST(test_dumps_and_simple)
{
	const struct dump_case *tc = &dump_cases[_i];
	int fd;

	fill_small_tree();
	sock_server_set_stale(&srv, false);
	fd = connect_client();
	expect_reply(fd, tc->req, tc->reply);
	expect_reply(fd, "PING\n", "PONG\n");
	ck_assert_uint_eq(srv.nclients, 1);
	close(fd);
}
END_TEST

START_TEST(test_getpid)
{
	char want[32];
	int fd = connect_client();

	snprintf(want, sizeof(want), "PID %ld\n", (long)getpid());
	expect_reply(fd, "GETPID\n", want);
	close(fd);
}
END_TEST

START_TEST(test_logout)
{
	bool eof;
	int fd = connect_client();

	send_str(fd, "LOGOUT\nPING\n");
	ck_assert_str_eq(collect(fd, 11, &eof), "OK Goodbye\n");
	if (!eof)	/* the EOF may come in the next read */
		ck_assert_str_eq(collect(fd, 1, &eof), "");
	ck_assert(eof);
	ck_assert_uint_eq(srv.nclients, 0);
	ck_assert_uint_eq(srv.dropped_closed, 0);
	close(fd);
}
END_TEST

/* Fill the kernel buffer of a client that does not read; returns broadcasts sent. */
static int fill_until_queued(struct sock_client *c)
{
	char val[32];
	int i;

	for (i = 0; i < 1000000 && c->outlen == 0; i++) {
		snprintf(val, sizeof(val), "%d", i);
		state_set(&st, "ups.load", val);
		sock_broadcast_setinfo(&srv, "ups.load");
	}
	ck_assert_uint_gt(c->outlen, 0);
	return i;
}

START_TEST(test_logout_deadline)
{
	struct pollfd pfd[2];
	int fd = connect_client();
	struct sock_client *c = srv.clients;
	uint64_t t0;
	size_t n;

	fill_until_queued(c);
	t0 = now_ms();
	sock_server_client_input(&srv, c, "LOGOUT\n", 7, t0);
	ck_assert(c->sess.logout);
	ck_assert_uint_eq(sock_server_next_deadline(&srv), t0 + 1000);
	/* no POLLIN after LOGOUT, POLLOUT while output is pending */
	n = sock_server_pollfds(&srv, pfd, 2);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(pfd[1].fd, c->fd);
	ck_assert_int_eq(pfd[1].events, POLLOUT);
	pfd[1].revents = 0;
	sock_server_handle(&srv, pfd, n, t0 + 999);
	ck_assert_uint_eq(srv.nclients, 1);
	sock_server_handle(&srv, pfd, n, t0 + 1000);
	ck_assert_uint_eq(srv.nclients, 0);
	ck_assert_uint_eq(sock_server_next_deadline(&srv), 0);
	close(fd);
}
END_TEST

START_TEST(test_broadcast_switch)
{
	int fd = connect_client();
	static const struct {
		const char *cmd;
		bool on;
	} steps[] = {
		{ "NOBROADCAST\n", false }, { "BROADCAST\n", true }, { "BROADCAST 0\n", false },
		{ "BROADCAST 2\n", true }, { "nobroadcast\n", false }, { "BROADCAST -1\n", false },
		{ "broadcast 1\n", true },
	};
	size_t i;

	state_set(&st, "ups.status", "OL");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		send_str(fd, steps[i].cmd);
		pump_idle();
		sock_broadcast_setinfo(&srv, "ups.status");
		expect_reply(fd, "PING\n", steps[i].on ? "SETINFO ups.status \"OL\"\nPONG\n" : "PONG\n");
	}
	close(fd);
}
END_TEST

static const struct track_case {
	const char *req;
	int result;
	int calls;
	const char *cmd, *param;	/* param NULL: none passed */
	const char *reply;		/* before the PONG */
} track_cases[] = {
	{ "INSTCMD a.b\n", 0, 1, "a.b", NULL, "" },
	{ "INSTCMD a.b p\n", 0, 1, "a.b", "p", "" },
	{ "INSTCMD a.b TRACKING id1\n", 1, 1, "a.b", NULL, "TRACKING id1 1\n" },
	{ "instcmd a.b tracking id1\n", 0, 1, "a.b", NULL, "TRACKING id1 0\n" },
	{ "INSTCMD a.b \"p q\" TRACKING id2\n", 3, 1, "a.b", "p q", "TRACKING id2 3\n" },
	{ "INSTCMD a.b p TRACKING \"x y\"\n", 2, 1, "a.b", "p", "TRACKING \"x y\" 2\n" },
	{ "INSTCMD a.b p q\n", 0, 0, NULL, NULL, "" },		/* 4 words, no TRACKING */
	{ "INSTCMD a.b p q r\n", 0, 0, NULL, NULL, "" },	/* 5 words, arg[3] not TRACKING */
	{ "INSTCMD a.b TRACKING x y\n", 0, 0, NULL, NULL, "" },	/* TRACKING at [2] of 5 */
	{ "INSTCMD a.b p TRACKING x y\n", 0, 0, NULL, NULL, "" },	/* 6 words */
	{ "INSTCMD\n", 0, 0, NULL, NULL, "" },
	{ "INSTCMD a.b TRACKING t\n", SOCK_CMD_NO_REPLY, 1, "a.b", NULL, "" },
	{ "SET\n", 0, 0, NULL, NULL, "" },
	{ "SET ups.id\n", 0, 0, NULL, NULL, "" },
	{ "SET ups.id v\n", 0, 1, "ups.id", "v", "" },
	{ "SET ups.id \"x y\" TRACKING t2\n", 0, 1, "ups.id", "x y", "TRACKING t2 0\n" },
	{ "set ups.id v tracking t3\n", 4, 1, "ups.id", "v", "TRACKING t3 4\n" },
	{ "SET ups.id v TRACKING t4\n", SOCK_CMD_NO_REPLY, 1, "ups.id", "v", "" },
	{ "SET ups.id v w x\n", 0, 0, NULL, NULL, "" },		/* 5 words, arg[3] not TRACKING */
	{ "SET ups.id v w\n", 0, 1, "ups.id", "v", "" },		/* 4 words: extra ignored */
	{ "SET ups.id v TRACKING\n", 0, 1, "ups.id", "v", "" },
};

START_TEST(test_tracking_matrix)
{
	const struct track_case *tc = &track_cases[_i];
	char want[128];
	int fd = connect_client();

	seen.result = tc->result;
	snprintf(want, sizeof(want), "%sPONG\n", tc->reply);
	send_str(fd, tc->req);
	expect_reply(fd, "PING\n", want);
	ck_assert_int_eq(seen.calls, tc->calls);
	if (tc->calls) {
		ck_assert_str_eq(seen.cmd, tc->cmd);
		ck_assert_int_eq(seen.has_param, tc->param != NULL);
		if (tc->param)
			ck_assert_str_eq(seen.param, tc->param);
	}
	close(fd);
}
END_TEST

START_TEST(test_no_handlers)
{
	struct sock_server other;
	char path[160], err[256], buf[128];
	ssize_t r;
	int fd, i;

	snprintf(path, sizeof(path), "%s/other", tmpdir);
	ck_assert_int_eq(sock_server_open(&other, path, 0660, &st, NULL, NULL, err, sizeof(err)), 0);
	fd = raw_connect(path);
	ck_assert_int_ge(fd, 0);
	/* INSTCMD without a handler: unknown (1); SET without one: no reply */
	send_str(fd, "INSTCMD x TRACKING a\nSET v 1 TRACKING b\nPING\n");
	for (i = 0; i < 20; i++)
		pump_on(&other, 10);
	r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(r, 0);
	buf[r] = '\0';
	ck_assert_str_eq(buf, "TRACKING a 1\nPONG\n");
	close(fd);
	sock_server_close(&other);
}
END_TEST

START_TEST(test_handler_broadcasts_first)
{
	int fd = connect_client();

	seen.broadcast_in_handler = true;
	expect_reply(fd, "INSTCMD driver.reload TRACKING t\n",
		     "SETINFO driver.state \"driver.reload\"\nTRACKING t 0\n");
	close(fd);
}
END_TEST

START_TEST(test_parse_error)
{
	struct logger lg;
	int fd = connect_client();

	log_init(&lg, "check_sockserver");
	lg.quiet = 0;
	srv.log = &lg;
	/* as NUT: the rest of the read() after the error is dropped */
	send_str(fd, "\"abc#\"\nPING\n");
	pump_idle();
	expect_reply(fd, "PING\n", "PONG\n");
	send_str(fd, "\"abc#\n");
	pump_idle();
	expect_reply(fd, "PING\n", "PONG\n");
	ck_assert_uint_eq(srv.nclients, 1);
	close(fd);
}
END_TEST

START_TEST(test_broadcasts)
{
	int fd = connect_client();

	state_set(&st, "ups.serial", "ab\"c\\d#e");
	state_set(&st, "ups.id", "x");
	state_set_flags(&st, "ups.id", ST_FLAG_RW | ST_FLAG_NUMBER);
	state_set_immutable(&st, "ups.mfr", "M");
	sock_broadcast_setinfo(&srv, "ups.serial");
	sock_broadcast_setinfo(&srv, "nosuch");	/* nothing */
	sock_broadcast_setflags(&srv, "ups.id");
	sock_broadcast_setflags(&srv, "ups.mfr");
	sock_broadcast_delinfo(&srv, "ups.load");
	sock_broadcast_addcmd(&srv, "driver.reload");
	sock_broadcast_delcmd(&srv, "driver.reload");
	sock_server_set_stale(&srv, true);	/* already stale: nothing */
	sock_server_set_stale(&srv, false);
	sock_server_set_stale(&srv, false);
	sock_server_set_stale(&srv, true);
	expect_reply(fd, "PING\n",
		     "SETINFO ups.serial \"ab\\\"c\\\\d\\#e\"\n"
		     "SETFLAGS ups.id RW NUMBER\n"
		     "SETFLAGS ups.mfr\n"
		     "DELINFO ups.load\n"
		     "ADDCMD driver.reload\n"
		     "DELCMD driver.reload\n"
		     "DATAOK\n"
		     "DATASTALE\n"
		     "PONG\n");
	close(fd);
}
END_TEST

/* Read all available lines from fd, checking they are "ups.load" i, i+1, ... */
static void drain_sequence(int fd, int *next, char *part, size_t *plen)
{
	char buf[8192];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		ssize_t i;

		for (i = 0; i < r; i++) {
			char want[64];

			if (buf[i] != '\n') {
				ck_assert_uint_lt(*plen, 63);
				part[(*plen)++] = buf[i];
				continue;
			}
			part[*plen] = '\0';
			snprintf(want, sizeof(want), "SETINFO ups.load \"%d\"", *next);
			ck_assert_str_eq(part, want);
			(*next)++;
			*plen = 0;
		}
	}
}

START_TEST(test_slow_client_dropped)
{
	int slow = connect_client();
	int fast = connect_client();
	char val[32], part[64];
	size_t plen = 0;
	int i, end, next = 0;
	bool eof = false;

	srv.outbuf_limit = 8192;
	for (i = 0; i < 1000000 && srv.dropped_slow == 0; i++) {
		snprintf(val, sizeof(val), "%d", i);
		state_set(&st, "ups.load", val);
		sock_broadcast_setinfo(&srv, "ups.load");
		drain_sequence(fast, &next, part, &plen);
	}
	ck_assert_uint_eq(srv.dropped_slow, 1);
	ck_assert_uint_eq(srv.nclients, 1);
	/* the fast one keeps receiving */
	for (end = i + 2000; i < end; i++) {
		snprintf(val, sizeof(val), "%d", i);
		state_set(&st, "ups.load", val);
		sock_broadcast_setinfo(&srv, "ups.load");
		pump(0);
		drain_sequence(fast, &next, part, &plen);
	}
	pump_idle();
	drain_sequence(fast, &next, part, &plen);
	ck_assert_int_eq(next, i);
	ck_assert_uint_eq(srv.dropped_slow, 1);
	expect_reply(fast, "PING\n", "PONG\n");
	/* the slow one sees its data, then EOF */
	while (!eof && collect(slow, 1 << 30, &eof)[0])
		;
	ck_assert(eof);
	close(slow);
	close(fast);
}
END_TEST

START_TEST(test_closed_client_removed)
{
	int a = connect_client();
	int b = connect_client();

	ck_assert_uint_eq(srv.nclients, 2);
	close(a);
	pump(1000);	/* one loop turn is enough */
	ck_assert_uint_eq(srv.nclients, 1);
	ck_assert_uint_eq(srv.dropped_closed, 1);
	ck_assert_uint_eq(sock_server_nfds(&srv), 2);
	/* the loop does not spin on it: nothing ready now */
	ck_assert_int_eq(pump(50), 0);
	expect_reply(b, "PING\n", "PONG\n");
	close(b);
}
END_TEST

START_TEST(test_closed_with_pending_input)
{
	int a = connect_client();

	send_str(a, "SET ups.id v\n");
	close(a);
	pump_idle();
	ck_assert_int_eq(seen.calls, 1);	/* what came before the close is served */
	ck_assert_uint_eq(srv.nclients, 0);
}
END_TEST

START_TEST(test_socket_mode_and_close)
{
	struct stat sb;

	ck_assert_int_eq(stat(sockpath, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0660);
	sock_server_close(&srv);
	ck_assert_int_eq(stat(sockpath, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(srv.listen_fd, -1);
}
END_TEST

START_TEST(test_old_socket_replaced)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sock_server again;
	char path[160], err[256];
	struct stat sb;
	int fd;

	/* a socket file left by a dead driver is unlinked and bound again */
	snprintf(path, sizeof(path), "%s/old", tmpdir);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(raw_connect(path), -1);
	ck_assert_int_eq(sock_server_open(&again, path, 0600, &st, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	fd = raw_connect(path);
	ck_assert_int_ge(fd, 0);
	pump_on(&again, 100);
	ck_assert_uint_eq(again.nclients, 1);
	close(fd);
	sock_server_close(&again);
	ck_assert_int_eq(stat(path, &sb), -1);
}
END_TEST

START_TEST(test_path_too_long)
{
	struct sock_server bad;
	char path[200], err[512];

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(sock_server_open(&bad, path, 0660, &st, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	snprintf(path, sizeof(path), "%s/no/such/dir/sock", tmpdir);
	ck_assert_int_eq(sock_server_open(&bad, path, 0660, &st, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

static void *drain_thread(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];
	size_t total = 0;
	ssize_t r;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)r;
	return (void *)total;
}

START_TEST(test_flush)
{
	int fd = connect_client();
	struct sock_client *c = srv.clients;
	pthread_t th;
	void *got;

	fill_until_queued(c);
	ck_assert_uint_gt(c->outlen, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, drain_thread, &fd), 0);
	sock_server_flush(&srv, 5000);
	ck_assert_uint_eq(c->outlen, 0);
	sock_server_close(&srv);	/* EOF ends the thread */
	ck_assert_int_eq(pthread_join(th, &got), 0);
	ck_assert_uint_gt((size_t)got, 0);
	close(fd);
}
END_TEST

START_TEST(test_many_clients)
{
	enum { N = 1000 };
	static int fds[N];
	char want[64];
	struct rlimit rl;
	int i;

	/* both ends of every connection live in this process: more than the
	 * soft limit of 1024 a login shell (and so dpkg-buildpackage) gets */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * N + 64) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 2 * N + 64 ?
			      2 * N + 64 : rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	srv.max_clients = N;
	for (i = 0; i < N; i++)
		fds[i] = connect_client();
	ck_assert_uint_eq(srv.nclients, N);
	/* idle clients keep neither a parser nor an output buffer */
	for (struct sock_client *c = srv.clients; c; c = c->next) {
		ck_assert_ptr_null(c->sess.tok);
		ck_assert_ptr_null(c->out);
	}
	state_set(&st, "ups.status", "OB LB");
	sock_broadcast_setinfo(&srv, "ups.status");
	snprintf(want, sizeof(want), "SETINFO ups.status \"OB LB\"\n");
	for (i = 0; i < N; i++) {
		char buf[64];
		ssize_t r = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);

		ck_assert_int_eq(r, (ssize_t)strlen(want));
		buf[r] = '\0';
		ck_assert_str_eq(buf, want);
	}
	/* every other one leaves; the rest still answer */
	for (i = 0; i < N; i += 2)
		close(fds[i]);
	pump(100);
	ck_assert_uint_eq(srv.nclients, N / 2);
	for (i = 1; i < N; i += 2)
		send_str(fds[i], "PING\n");
	pump_idle();
	for (i = 1; i < N; i += 2) {
		char buf[16];
		ssize_t r = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);

		ck_assert_int_eq(r, 5);
		buf[r] = '\0';
		ck_assert_str_eq(buf, "PONG\n");
		close(fds[i]);
	}
}
END_TEST

static bool under_valgrind(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "vgpreload");
}

START_TEST(test_accept_out_of_fds)
{
	struct rlimit rl;
	int fds[16], n, i, lowest, limit;
	rlim_t saved;
	struct pollfd pfd[20];
	bool eof;

	/* leave five free descriptors: two clients fit (each costs two fds
	 * here, ours and the server's); the third one's server end takes the
	 * spare descriptor, and it is served all the same; a fourth cannot
	 * even connect (our end is out of descriptors) */
	ck_assert_int_ge(srv.spare_fd, 0);
	if (under_valgrind()) {	/* it keeps descriptors of its own under the limit */
		fprintf(stderr, "test_accept_out_of_fds: skipped under valgrind\n");
		return;
	}
	lowest = dup(0);
	close(lowest);
	for (i = 0, limit = lowest; i < 5; limit++)	/* some above lowest may be open */
		if (fcntl(limit, F_GETFD) < 0)
			i++;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	saved = rl.rlim_cur;
	rl.rlim_cur = (rlim_t)limit;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (n = 0; n < 16; n++) {
		fds[n] = raw_connect(sockpath);
		if (fds[n] < 0)
			break;
		for (i = 0; i < 3; i++)
			pump(10);
	}
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(srv.nclients, 3);
	ck_assert_int_eq(srv.spare_fd, -1);
	ck_assert_uint_eq(srv.refused, 0);
	/* the one that came in on the spare gets its DUMPALL answered */
	fcntl(fds[2], F_SETFL, fcntl(fds[2], F_GETFL) | O_NONBLOCK);
	send_str(fds[2], "DUMPALL\n");
	ck_assert_str_eq(collect(fds[2], 16, &eof), "DATASTALE\nDUMPDONE\n");
	/* a client leaves: the spare is taken again before the next accept */
	close(fds[0]);
	for (i = 0; i < 10; i++)
		pump(10);
	ck_assert_uint_eq(srv.nclients, 2);
	ck_assert_int_ge(srv.spare_fd, 0);
	/* now out of descriptors with no spare: accept pauses (no busy loop) */
	fds[0] = raw_connect(sockpath);
	ck_assert_int_ge(fds[0], 0);
	for (i = 0; i < 5; i++)
		pump(10);
	ck_assert_uint_eq(srv.nclients, 3);
	ck_assert_int_eq(srv.spare_fd, -1);
	close(fds[1]);
	for (i = 0; i < 5; i++)
		pump(10);
	ck_assert_uint_eq(srv.nclients, 2);
	sock_server_pollfds(&srv, pfd, 20);
	ck_assert_int_eq(pfd[0].events, POLLIN);
	ck_assert_int_ge(srv.spare_fd, 0);
	close(fds[0]);
	close(fds[2]);
	pump_idle();
	rl.rlim_cur = saved;	/* for CK_FORK=no runs */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}
END_TEST

/* Connect to path as uid 65534 in a child, and hand the connected fds back
 * (the peer credentials are those of the connecting process). */
static int connect_as_stranger(const char *path, int *fds, int n)
{
	int sv[2], status, got = 0;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		for (int i = 0; i < n; i++) {
			int fd = raw_connect(path);
			char byte = 'x';
			struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
			char cbuf[CMSG_SPACE(sizeof(int))];
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

			if (fd < 0)
				_exit(3);
			memset(cbuf, 0, sizeof(cbuf));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof(int));
			if (sendmsg(sv[1], &mh, 0) != 1)
				_exit(4);
			close(fd);
		}
		_exit(0);
	}
	close(sv[1]);
	while (got < n) {
		char byte, cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;

		if (recvmsg(sv[0], &mh, 0) != 1)
			break;
		cm = CMSG_FIRSTHDR(&mh);
		ck_assert_ptr_nonnull(cm);
		memcpy(&fds[got++], CMSG_DATA(cm), sizeof(int));
		pump(0);	/* the backlog holds 16 */
	}
	close(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	return got;
}

static void reopen_world_accessible(void)
{
	char err[256];

	sock_server_close(&srv);
	ck_assert_int_eq(chmod(tmpdir, 0711), 0);
	ck_assert_int_eq(sock_server_open(&srv, sockpath, 0666, &st, &handlers, NULL,
					  err, sizeof(err)), 0);
}

/* Strangers fill the cap; upsd's kin (root here) still get in and are served. */
START_TEST(test_cap_leaves_room_for_upsd)
{
	int strangers[8], kin[SOCK_RESERVED_CLIENTS + 1], i;
	bool eof;

	if (geteuid() != 0) {
		fprintf(stderr, "test_cap_leaves_room_for_upsd: not root, only the kin part\n");
		/* no strangers to be had: kin fill the cap in their place */
		srv.max_clients = 4;
		for (i = 0; i < 4; i++)
			strangers[i] = connect_client();
	} else {
		reopen_world_accessible();
		srv.max_clients = 4;
		ck_assert_int_eq(connect_as_stranger(sockpath, strangers, 6), 6);
		pump_idle();
		ck_assert_uint_eq(srv.nclients, 4);
		ck_assert_uint_eq(srv.refused, 2);
		/* the refused ones see end of file, not a hang */
		ck_assert_str_eq(collect(strangers[5], 1, &eof), "");
		ck_assert(eof);
		/* the admitted ones are served */
		fcntl(strangers[0], F_SETFL, fcntl(strangers[0], F_GETFL) | O_NONBLOCK);
		expect_reply(strangers[0], "PING\n", "PONG\n");
	}
	srv.max_clients = 4;
	state_set(&st, "ups.status", "OL");
	for (i = 0; i < SOCK_RESERVED_CLIENTS + 1; i++) {
		kin[i] = raw_connect(sockpath);
		ck_assert_int_ge(kin[i], 0);
		fcntl(kin[i], F_SETFL, fcntl(kin[i], F_GETFL) | O_NONBLOCK);
		pump_idle();
	}
	/* kin fill the cap (when no strangers did) and the reserve, then are refused too */
	ck_assert_uint_eq(srv.nclients, 4 + SOCK_RESERVED_CLIENTS);
	send_str(kin[SOCK_RESERVED_CLIENTS - 1], "DUMPALL\n");
	ck_assert_str_eq(collect(kin[SOCK_RESERVED_CLIENTS - 1], 40, &eof),
			 "DATASTALE\nSETINFO ups.status \"OL\"\nDUMPDONE\n");
	ck_assert_str_eq(collect(kin[SOCK_RESERVED_CLIENTS], 1, &eof), "");
	ck_assert(eof);
	for (i = 0; i < SOCK_RESERVED_CLIENTS + 1; i++)
		close(kin[i]);
	for (i = 0; i < (geteuid() == 0 ? 6 : 4); i++)
		close(strangers[i]);
}
END_TEST

/* 1 MiB of newlines and a stream of unknown commands: a few log lines, and
 * the connection lives on. */
START_TEST(test_flood_rate_limited)
{
	int fd = connect_client();
	static char flood[1 << 20];
	size_t off = 0;
	int i;

	memset(flood, '\n', sizeof(flood));
	while (off < sizeof(flood)) {
		ssize_t w = write(fd, flood + off, sizeof(flood) - off);

		if (w > 0)
			off += (size_t)w;
		pump(0);
	}
	pump_idle();
	ck_assert_uint_eq(srv.loglim.logged_total + srv.loglim.suppressed_total, 0);
	for (i = 0; i < 2000; i++) {
		send_str(fd, "FOO bar\n");
		if (i % 100 == 0)
			pump(0);
	}
	pump_idle();
	ck_assert_uint_eq(srv.loglim.logged_total, SOCKPROTO_LOG_PER_CLIENT);
	ck_assert_uint_eq(srv.loglim.suppressed_total, 2000 - SOCKPROTO_LOG_PER_CLIENT);
	/* the summary is due at the end of the window */
	ck_assert_uint_ne(sock_server_next_deadline(&srv), 0);
	expect_reply(fd, "PING\n", "PONG\n");
	ck_assert_ptr_null(srv.clients->sess.tok);
	close(fd);
}
END_TEST

/* A handler refusing requests logs within the client's budget. */
START_TEST(test_handler_log_budget)
{
	int fd = connect_client(), i;

	seen.ask_may_log = true;
	for (i = 0; i < 20; i++)
		send_str(fd, "INSTCMD driver.killpower\n");
	expect_reply(fd, "PING\n", "PONG\n");
	ck_assert_int_eq(seen.calls, 20);
	ck_assert_int_eq(seen.may_log_yes, SOCKPROTO_LOG_PER_CLIENT);
	ck_assert_uint_eq(srv.loglim.suppressed, 20 - SOCKPROTO_LOG_PER_CLIENT);
	/* outside a request: the shared budget only */
	ck_assert(sock_server_may_log(&srv));
	close(fd);
}
END_TEST

/* The mode is set at bind and no chmod/chown goes by the path: a symlink
 * swapped in after bind() leads nowhere. */
START_TEST(test_socket_file_not_by_path)
{
	char victim[160], err[256];
	struct stat sb;
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	sock_server_close(&srv);
	swap_after_bind = victim;
	ck_assert_int_eq(sock_server_open_group(&srv, sockpath, 0660, 4242, &st, &handlers, NULL,
						err, sizeof(err)), 0);
	swap_after_bind = NULL;
	ck_assert_int_eq(lstat(victim, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	ck_assert_uint_eq(sb.st_gid, getegid());
	ck_assert_int_eq(lstat(sockpath, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0660);
	if (geteuid() == 0)
		ck_assert_uint_eq(sb.st_gid, 4242);
	/* nothing else left in the directory: the private one is gone */
	ck_assert_int_eq(unlink(victim), 0);
	sock_server_close(&srv);
	ck_assert_int_eq(rmdir(tmpdir), 0);
	ck_assert_int_eq(mkdir(tmpdir, 0700), 0);
	ck_assert_int_eq(sock_server_open(&srv, sockpath, 0660, &st, &handlers, NULL,
					  err, sizeof(err)), 0);
}
END_TEST

/* A newer instance put its socket in place: closing the old one leaves it. */
START_TEST(test_close_leaves_a_newer_socket)
{
	struct sock_server newer;
	char tmp[160], err[256];
	struct stat before, after;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/newer", tmpdir);
	ck_assert_int_eq(sock_server_open(&newer, tmp, 0660, &st, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(rename(tmp, sockpath), 0);
	ck_assert_int_eq(stat(sockpath, &before), 0);
	sock_server_close(&srv);
	ck_assert_int_eq(stat(sockpath, &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	fd = raw_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	pump_on(&newer, 100);
	ck_assert_uint_eq(newer.nclients, 1);
	close(fd);
	/* the newer one's own path is sockpath now, not tmp: moved sockets
	 * are left in place */
	sock_server_close(&newer);
	unlink(sockpath);
	ck_assert_int_eq(sock_server_open(&srv, sockpath, 0660, &st, &handlers, NULL,
					  err, sizeof(err)), 0);
}
END_TEST

static Suite *sock_suite(void)
{
	Suite *s = suite_create("sockserver");
	TCase *tc = tcase_create("protocol");
	TCase *tr = tcase_create("robustness");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dumpall_exact);
	tcase_add_test(tc, test_dump_stale);
	tcase_add_loop_test(tc, test_dumps_and_simple, 0, sizeof(dump_cases) / sizeof(dump_cases[0]));
	tcase_add_test(tc, test_getpid);
	tcase_add_test(tc, test_logout);
	tcase_add_test(tc, test_logout_deadline);
	tcase_add_test(tc, test_broadcast_switch);
	tcase_add_loop_test(tc, test_tracking_matrix, 0, sizeof(track_cases) / sizeof(track_cases[0]));
	tcase_add_test(tc, test_no_handlers);
	tcase_add_test(tc, test_handler_broadcasts_first);
	tcase_add_test(tc, test_parse_error);
	tcase_add_test(tc, test_broadcasts);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_set_timeout(tr, 30);
	tcase_add_test(tr, test_slow_client_dropped);
	tcase_add_test(tr, test_closed_client_removed);
	tcase_add_test(tr, test_closed_with_pending_input);
	tcase_add_test(tr, test_socket_mode_and_close);
	tcase_add_test(tr, test_old_socket_replaced);
	tcase_add_test(tr, test_path_too_long);
	tcase_add_test(tr, test_flush);
	tcase_add_test(tr, test_many_clients);
	tcase_add_test(tr, test_accept_out_of_fds);
	tcase_add_test(tr, test_cap_leaves_room_for_upsd);
	tcase_add_test(tr, test_flood_rate_limited);
	tcase_add_test(tr, test_handler_log_budget);
	tcase_add_test(tr, test_socket_file_not_by_path);
	tcase_add_test(tr, test_close_leaves_a_newer_socket);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	return check_main(sock_suite());
}
