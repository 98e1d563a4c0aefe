/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Simulated line source, port = "sim:PATH": the input lines are read from a
 * text file ("CTS=1 DCD=0 RNG=0 DSR=0") watched with inotify; the outputs are
 * written to PATH.out ("DTR=1 RTS=0 BREAK=0"). For demos and for rehearsing
 * a shutdown without touching the UPS.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cable_profile.h"
#include "line_source.h"

static int sim_open(struct line_source *ls, char *err, size_t errlen)
{
	int fd;

	fd = open(ls->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open simulated port file %s: %s",
			 ls->path, strerror(errno));
		return -1;
	}
	if (!ls->nolock && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "port sim:%s is locked by another process "
			 "(is another driver using it?)", ls->path);
		close(fd);
		return -1;
	}
	if (snprintf(ls->out_path, sizeof(ls->out_path), "%s.out", ls->path) >=
	    (int)sizeof(ls->out_path)) {
		snprintf(err, errlen, "simulated port file name %s is too long", ls->path);
		close(fd);
		return -1;
	}
	ls->fd = fd;
	ls->caps = port_caps_sim();
	return 0;
}

static int sim_get(struct line_source *ls, unsigned *bits)
{
	char buf[256], err[160];
	ssize_t n;
	int fd;

	/* by path, not ls->fd: tests and demos replace the file with rename() */
	fd = open(ls->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (line_text_parse(buf, bits, err, sizeof(err)) < 0) {
		log_msg(ls->log, LOG_WARNING, "simulated port %s: %s", ls->path, err);
		return -EINVAL;
	}
	*bits |= ls->outputs;
	return 0;
}

/*
 * Written as root before the privileges are dropped, in a directory others
 * may write: a new file (O_EXCL, O_NOFOLLOW) renamed over PATH.out, so that
 * no symlink planted at either name is followed.
 */
static int sim_write_outputs(struct line_source *ls, unsigned mask, int brk)
{
	char tmp[PATH_MAX + 8], text[40];
	int fd, len, attempt, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", ls->out_path);
	for (attempt = 0;; attempt++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST || attempt == 2)
			break;
		unlink(tmp);	/* a leftover, or a planted symlink: removed, not followed */
	}
	if (fd < 0)
		return -errno;
	len = snprintf(text, sizeof(text), "DTR=%d RTS=%d BREAK=%d\n", !!(mask & ML_DTR),
		       !!(mask & ML_RTS), brk);
	if (write(fd, text, (size_t)len) != len)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, ls->out_path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int sim_set(struct line_source *ls, unsigned mask)
{
	ls->outputs = mask & (ML_DTR | ML_RTS);
	return sim_write_outputs(ls, ls->outputs, 0);
}

static int sim_send_break(struct line_source *ls, unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	int rc;

	rc = sim_write_outputs(ls, ls->outputs, 1);
	if (rc < 0)
		return rc;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return sim_write_outputs(ls, ls->outputs, 0);
}

static int sim_set_break(struct line_source *ls, bool on)
{
	return sim_write_outputs(ls, ls->outputs, on ? 1 : 0);
}

static int sim_counts(struct line_source *ls, struct line_counts *c)
{
	(void)ls;
	(void)c;
	return -ENOTSUP;
}

static int sim_watch_start(struct line_source *ls)
{
	char dir[PATH_MAX];

	if (ls->wake_fd >= 0)
		return ls->wake_fd;
	snprintf(dir, sizeof(dir), "%s", ls->path);
	ls->wake_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ls->wake_fd < 0)
		return -1;
	/* the directory, so that a file replaced by rename() stays watched */
	ls->dir_wd = inotify_add_watch(ls->wake_fd, dirname(dir),
				       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				       IN_DELETE | IN_MOVED_FROM);
	if (ls->dir_wd < 0) {
		close(ls->wake_fd);
		ls->wake_fd = -1;
		return -1;
	}
	return ls->wake_fd;
}

static void sim_watch_ack(struct line_source *ls)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(ls->wake_fd, buf, sizeof(buf)) > 0)
		;
}

static void sim_watch_stop(struct line_source *ls)
{
	if (ls->wake_fd >= 0)
		close(ls->wake_fd);
	ls->wake_fd = -1;
	ls->dir_wd = -1;
}

const struct line_source_ops line_sim_ops = {
	.kind = "simulated",
	.open = sim_open,
	.close = line_source_close,
	.get = sim_get,
	.set = sim_set,
	.send_break = sim_send_break,
	.set_break = sim_set_break,
	.counts = sim_counts,
	.watch_start = sim_watch_start,
	.watch_ack = sim_watch_ack,
	.watch_stop = sim_watch_stop,
};
