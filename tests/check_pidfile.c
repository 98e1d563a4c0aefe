/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PID file as root meets it in a state directory others can write: a
 * strict PID parser (4294967297 is not PID 1), the command-line check that
 * decides whether a process is a genericups serving a UPS, creation that
 * never follows a symlink, and removal only by the instance that wrote it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidfile.h"
#include "check_main.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- pidfile_parse --------------------------------------------------------- */

static const struct {
	const char *text;
	long pid;	/* -1: refused */
} parse_cases[] = {
	{ "1234\n", 1234 },
	{ "1234", 1234 },
	{ "2\n", 2 },
	{ "1234 \n", 1234 },
	{ "4194304\n", 4194304 },
	{ "2147483647\n", 2147483647L },
	{ "2147483648\n", -1 },		/* > INT_MAX */
	{ "4294967297\n", -1 },		/* (pid_t) cast would make it PID 1 */
	{ "4294967296\n", -1 },		/* ... or PID 0: every process of the group */
	{ "18446744073709551617\n", -1 },
	{ "99999999999999999999999999\n", -1 },
	{ "1\n", -1 },			/* init */
	{ "0\n", -1 },
	{ "-1\n", -1 },			/* kill(-1) signals everything */
	{ "-1234\n", -1 },
	{ "+1234\n", -1 },
	{ " 1234\n", -1 },
	{ "0x10\n", -1 },
	{ "12a4\n", -1 },
	{ "1234\n5678\n", -1 },
	{ "1234 junk\n", -1 },
	{ "", -1 },
	{ "\n", -1 },
	{ "abc", -1 },
};

START_TEST(test_parse)
{
	pid_t pid = 77;
	int rc = pidfile_parse(parse_cases[_i].text, &pid);

	if (parse_cases[_i].pid < 0) {
		ck_assert_msg(rc == -1, "'%s' accepted as %ld", parse_cases[_i].text, (long)pid);
		ck_assert_int_eq(pid, 77);
	} else {
		ck_assert_msg(rc == 0, "'%s' refused", parse_cases[_i].text);
		ck_assert_int_eq(pid, parse_cases[_i].pid);
	}
}
END_TEST

/* ---- cmdline_serves_ups ---------------------------------------------------- */

static const struct {
	const char *argv;	/* words separated by '|' */
	bool serves;
} cmdline_cases[] = {
	{ "/lib/nut/genericups|-a|myups", true },
	{ "genericups|-a|myups|-u|nut", true },
	{ "genericups|-amyups", true },
	{ "genericups|-FFamyups", true },
	{ "genericups|-DD|-a|myups", true },
	{ "genericups|-u|nut|-a|myups", true },
	{ "genericups|-s|myups|-x|port=/dev/ttyS0|-x|upstype=5", true },
	{ "/usr/bin/valgrind|--leak-check=full|/tmp/b/genericups|-a|myups|-F", true },
	{ "genericups|-a|other", false },
	{ "genericups|-a|myups2", false },
	{ "genericups|-u|myups", false },		/* a user, not the UPS */
	{ "genericups|-umyups", false },
	{ "genericups|-x|myups", false },
	{ "genericups|-a|myups|-k", false },		/* a -k run, not a driver */
	{ "genericups|-ka|myups", false },
	{ "genericups|-a|myups|-c|reload", false },
	{ "genericups|-d|1|-a|myups", false },
	{ "genericups|-a", false },
	{ "genericups|--|-a|myups", false },
	{ "genericups|stray|-a|myups", false },	/* options end at the first word */
	{ "usbhid-ups|-a|myups", false },
	{ "bash|-c|genericups -a myups", false },
	{ "sleep|1000", false },
	{ "/tmp/genericups.sh|-a|myups", false },
	{ "", false },
};

static size_t to_cmdline(const char *words, char *buf, size_t len)
{
	size_t n = strlen(words), i;

	ck_assert_uint_lt(n + 1, len);
	for (i = 0; i < n; i++)
		buf[i] = words[i] == '|' ? '\0' : words[i];
	buf[n] = '\0';
	return n ? n + 1 : 0;
}

START_TEST(test_cmdline)
{
	char buf[256];
	size_t len = to_cmdline(cmdline_cases[_i].argv, buf, sizeof(buf));

	ck_assert_msg(cmdline_serves_ups(buf, len, "genericups", "myups") ==
		      cmdline_cases[_i].serves, "'%s': want %s", cmdline_cases[_i].argv,
		      cmdline_cases[_i].serves ? "serves" : "does not serve");
}
END_TEST

START_TEST(test_cmdline_unterminated)
{
	/* the kernel NUL-terminates each word; a last word without one is not trusted */
	const char buf[] = { 'g', 'e', 'n', 'e', 'r', 'i', 'c', 'u', 'p', 's', '\0',
			     '-', 'a', '\0', 'm', 'y', 'u', 'p', 's' };

	ck_assert(!cmdline_serves_ups(buf, sizeof(buf), "genericups", "myups"));
}
END_TEST

/* ---- process_serves_ups on real processes ---------------------------------- */

static size_t read_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len, f);
		fclose(f);
	}
	return n;
}

/* Start argv and wait until it has exec'd (its command line is no longer
 * ours; slow under valgrind). */
static pid_t spawn(char *const argv[])
{
	char self[4096], child[4096];
	size_t nself = read_cmdline(getpid(), self, sizeof(self)), n;
	pid_t pid = fork();
	int i;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		n = read_cmdline(pid, child, sizeof(child));
		if (n && (n != nself || memcmp(self, child, n)))
			break;
		usleep(10000);
	}
	usleep(50000);	/* a script's interpreter, then the script's own start */
	return pid;
}

/* Wait until pid is a zombie or gone. */
static void wait_exited(pid_t pid)
{
	int i;

	for (i = 0; i < 200 && !process_has_exited(pid); i++)
		usleep(10000);
}

START_TEST(test_process_checks)
{
	char *sleep_argv[] = { "/bin/sleep", "30", NULL };
	char what[512];
	bool gone = true;
	pid_t pid;
	int st;

	/* PID 1 is not a genericups, and the message names what it is */
	ck_assert(!process_serves_ups(1, "genericups", "myups", &gone, what, sizeof(what)));
	ck_assert(!gone);
	ck_assert_msg(strncmp(what, "PID 1 (", 7) == 0, "what: %s", what);

	/* a live process with another command line */
	pid = spawn(sleep_argv);
	ck_assert(!process_serves_ups(pid, "genericups", "myups", &gone, what, sizeof(what)));
	ck_assert(!gone);
	ck_assert_msg(strstr(what, "sleep 30") != NULL, "what: %s", what);
	/* the same process, asked about a program named sleep serving UPS 30: no -a */
	ck_assert(!process_serves_ups(pid, "sleep", "30", &gone, what, sizeof(what)));

	/* a zombie has exited */
	kill(pid, SIGKILL);
	wait_exited(pid);
	ck_assert(process_has_exited(pid));
	ck_assert(!process_serves_ups(pid, "genericups", "myups", &gone, what, sizeof(what)));
	ck_assert(gone);
	waitpid(pid, &st, 0);
	ck_assert(process_has_exited(pid));
	ck_assert(!process_has_exited(getpid()));
}
END_TEST

START_TEST(test_process_serves)
{
	/* a process whose command line is "genericups -a myups": a copy of sleep
	 * under that name (the check is by command line, as for a wrapper) */
	char dir[] = "/tmp/check_pidfile.XXXXXX", prog[64];
	char *argv[] = { prog, "-a", "myups", NULL };
	char what[512];
	bool gone;
	FILE *f;
	pid_t pid;
	int st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/genericups", dir);
	/* a shell that stays (no exec of a last command): its cmdline stays */
	f = fopen(prog, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\nsleep 30\nexit 0\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(prog, 0755), 0);
	pid = spawn(argv);
	/* /bin/sh runs the script: cmdline is "/bin/sh DIR/genericups -a myups" */
	ck_assert_msg(process_serves_ups(pid, "genericups", "myups", &gone, what, sizeof(what)),
		      "not recognised: %s", what);
	ck_assert(!process_serves_ups(pid, "genericups", "other", &gone, what, sizeof(what)));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	unlink(prog);
	rmdir(dir);
}
END_TEST

/* ---- files ------------------------------------------------------------------- */

static char tdir[64];

static void tdir_setup(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/check_pidfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static void tdir_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tdir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

START_TEST(test_create_and_read)
{
	char path[128], err[256], buf[64];
	struct pidfile_id id;
	struct stat sb;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/genericups-myups.pid", tdir);
	ck_assert_int_eq(pidfile_create(path, 4321, &id, err, sizeof(err)), 0);
	read_text(path, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4321\n");
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0644);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), 0);
	ck_assert_int_eq(pid, 4321);
	/* replacing an old file works */
	ck_assert_int_eq(pidfile_create(path, 4322, &id, err, sizeof(err)), 0);
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), 0);
	ck_assert_int_eq(pid, 4322);
}
END_TEST

START_TEST(test_create_never_follows_symlinks)
{
	char path[128], tmp[160], target[128], target2[128], err[256], buf[64];
	struct pidfile_id id;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/genericups-myups.pid", tdir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	snprintf(target, sizeof(target), "%s/precious", tdir);
	snprintf(target2, sizeof(target2), "%s/precious2", tdir);
	write_text(target, "keep me\n");
	write_text(target2, "keep me too\n");
	ck_assert_int_eq(chmod(target, 0600), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(symlink(target2, tmp), 0);	/* the temporary name too */
	ck_assert_int_eq(pidfile_create(path, 4321, &id, err, sizeof(err)), 0);
	read_text(target, buf, sizeof(buf));
	ck_assert_str_eq(buf, "keep me\n");
	read_text(target2, buf, sizeof(buf));
	ck_assert_str_eq(buf, "keep me too\n");
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(lstat(target, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);	/* not chmod'ed through the link */
}
END_TEST

START_TEST(test_read_refuses)
{
	char path[128], link[160], err[256];
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/genericups-myups.pid", tdir);
	errno = 0;
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);

	write_text(path, "4294967297\n");
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, "'4294967297'"), "err: %s", err);
	ck_assert_int_eq(pid, 0);

	{
		FILE *f = fopen(path, "w");	/* "12\034\n": an embedded NUL */

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite("12\0" "34\n", 1, 6, f), 6);
		fclose(f);
		ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), -1);
	}

	/* a symlink is not followed */
	write_text(path, "1234\n");
	snprintf(link, sizeof(link), "%s/link.pid", tdir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(pidfile_read(link, &pid, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ELOOP);

	/* a FIFO does not block */
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_remove_own_only)
{
	char path[128], err[256];
	struct pidfile_id old_id, new_id;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/genericups-myups.pid", tdir);
	ck_assert_int_eq(pidfile_create(path, 1111, &old_id, err, sizeof(err)), 0);
	/* a new instance takes over and writes its own */
	ck_assert_int_eq(pidfile_create(path, 2222, &new_id, err, sizeof(err)), 0);
	/* the old one exits late: it must leave the new one's file alone */
	ck_assert_int_eq(pidfile_remove_own(path, &old_id), 0);
	ck_assert_int_eq(pidfile_read(path, &pid, err, sizeof(err)), 0);
	ck_assert_int_eq(pid, 2222);
	ck_assert_int_eq(pidfile_remove_own(path, &new_id), 1);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(pidfile_remove_own(path, &new_id), 0);
}
END_TEST

static Suite *pidfile_suite(void)
{
	Suite *s = suite_create("pidfile");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, NCASES(parse_cases));
	tcase_add_loop_test(tc, test_cmdline, 0, NCASES(cmdline_cases));
	tcase_add_test(tc, test_cmdline_unterminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("processes");
	tcase_add_test(tc, test_process_checks);
	tcase_add_test(tc, test_process_serves);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, tdir_setup, tdir_teardown);
	tcase_add_test(tc, test_create_and_read);
	tcase_add_test(tc, test_create_never_follows_symlinks);
	tcase_add_test(tc, test_read_refuses);
	tcase_add_test(tc, test_remove_own_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(pidfile_suite());
}
