/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upscable: the cable wizard. Finds the upstype of a contact-closure UPS
 * cable by watching the lines while the user unplugs the mains, and prints
 * the ups.conf section. It never raises a line combination that is the
 * shutdown signal of a remaining candidate without asking, and then only on
 * mains; on battery it changes the lines only to safe combinations.
 *
 * The reasoning is drivers/cablefit.c (pure); the profile table, override
 * parser and line sources are the driver's own (libgenericups).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cable_profile.h"
#include "cablefit.h"
#include "deadcable.h"
#include "line_source.h"
#include "log.h"
#include "portlist.h"

#define PROG		"upscable"
#define MAX_PORTS	64
#define LIVE_READ_MS	100	/* lines read this often when the port cannot notify */
#define RECORD_MAGIC	"upscable-recording 1"

struct config {
	const char *port;	/* -p */
	const char *record;	/* -r */
	const char *replay;	/* -R */
	const char *name;	/* -n: the ups.conf section */
	bool json;		/* -j */
	bool list;		/* -l */
	unsigned settle_ms;	/* -s */
};

struct wizard {
	struct config cfg;
	struct logger log;
	struct line_source src;
	bool open;
	int watch_fd;
	char port[PATH_MAX];		/* as opened */
	char port_conf[256];		/* as ups.conf should name it */
	char driver[64];
	unsigned reported;
	/* what was seen and answered */
	struct cf_obs obs[CF_MAX_OBS];
	size_t nobs;
	uint32_t allowed;
	char brand[64], cable[64];
	uint32_t confirmed_danger;	/* candidates endangered by confirmed trials */
	unsigned declined[CF_NSTATES];	/* combinations refused, per state (CF_COMBO_BIT) */
	/* the lines */
	unsigned prev;			/* outputs written last */
	unsigned bits;			/* last reading */
	bool have_bits;
	uint32_t changes[CABLE_NINPUTS];	/* changes the wizard saw */
	bool have_counts;			/* the port's own counters (TIOCGICOUNT) */
	struct line_counts counts0;		/* ... when the port was opened */
	/* stdin, line by line, without stdio buffering (poll sees what is left) */
	char in[512];
	size_t inlen;
	bool overlong;			/* dropping the rest of a line too long to be an answer */
	FILE *rec;
	bool quiet;			/* replaying: no remarks, only the result */
	const char *prompt;		/* the question waiting for an answer, or NULL */
	int sigfd;			/* signalfd of SIGINT, SIGTERM, SIGHUP; -1: none */
};

/* The wizard whose port an early exit (die, a stop signal) must leave
 * holding no shutdown signal: exit(3) and signal handlers take no argument.
 * NULL when no port is open, or once the walk has ended. */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_port(struct wizard *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void hold_safe_at_exit(struct wizard *w);

/* Copy src into dst of len bytes, cut to fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void vsay_error(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay_error(fmt, ap);
	va_end(ap);
	exit(1);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void note(const struct wizard *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A remark on an answer: shown live, not when replaying. */
static void note(const struct wizard *w, const char *fmt, ...)
{
	va_list ap;

	if (w->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void record(struct wizard *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void record(struct wizard *w, const char *fmt, ...)
{
	va_list ap;

	if (w->rec == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(w->rec, fmt, ap);
	va_end(ap);
	fputc('\n', w->rec);
	fflush(w->rec);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *mask_text(unsigned m, char *buf, size_t len)
{
	return cable_mask_name(m, buf, len);
}

/* ---- the lines, live ------------------------------------------------------ */

static void show_lines(struct wizard *w, const char *why)
{
	struct timespec ts;
	struct line_counts c;
	struct tm tm;
	char outs[24], cnt[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	cnt[0] = '\0';
	if (w->have_counts && w->src.ops->counts(&w->src, &c) == 0)
		snprintf(cnt, sizeof(cnt), " (port: %u %u %u %u)", c.cts - w->counts0.cts,
			 c.dcd - w->counts0.dcd, c.rng - w->counts0.rng, c.dsr - w->counts0.dsr);
	if (w->prompt != NULL)
		say("\n");	/* a change while a question waits: below it, then ask again */
	say("  %02d:%02d:%02d.%03ld  CTS=%d DCD=%d RNG=%d DSR=%d  changes CTS %u DCD %u "
	    "RNG %u DSR %u%s  raised: %s%s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, !!(w->bits & ML_CTS), !!(w->bits & ML_DCD),
	    !!(w->bits & ML_RNG), !!(w->bits & ML_DSR), w->changes[0], w->changes[1],
	    w->changes[2], w->changes[3], cnt, mask_text(w->prev, outs, sizeof(outs)),
	    why ? "  " : "", why ? why : "");
	if (w->prompt != NULL)
		say("%s > ", w->prompt);
}

/* Read the lines; show them when they changed (or when asked). */
static void read_lines(struct wizard *w, bool show)
{
	unsigned bits;
	int rc, i;

	rc = w->src.ops->get(&w->src, &bits);
	if (rc < 0)
		die_port(w, "port %s: reading the lines (TIOCMGET) failed: %s", w->port, strerror(-rc));
	bits &= ML_INPUTS;
	if (w->have_bits && bits != w->bits) {
		for (i = 0; i < CABLE_NINPUTS; i++)
			if ((bits ^ w->bits) & cable_inputs[i].bit)
				w->changes[i]++;
		show = true;
	}
	w->bits = bits;
	w->have_bits = true;
	if (show)
		show_lines(w, NULL);
}

/* Wait up to ms for stdin (returns true when a line may be there), showing
 * line changes meanwhile. ms < 0: until stdin. */
static bool wait_input(struct wizard *w, int ms, bool want_stdin)
{
	uint64_t end = ms < 0 ? 0 : now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = want_stdin ? 0 : -1, .events = POLLIN },
			{ .fd = w->watch_fd, .events = POLLIN },
			{ .fd = w->sigfd, .events = POLLIN },
		};
		int timeout = LIVE_READ_MS, rc;
		uint64_t t = now_ms();
		struct signalfd_siginfo si;

		if (ms >= 0 && t >= end)
			return false;
		if (ms >= 0 && end - t < (uint64_t)timeout)
			timeout = (int)(end - t);
		if (!w->open)
			p[1].fd = -1;
		rc = poll(p, 3, timeout);
		if (rc < 0 && errno != EINTR)
			die_port(w, "poll: %s", strerror(errno));
		if (rc > 0 && (p[2].revents & POLLIN) &&
		    read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			die_port(w, "stopped by %s before the wizard ended (nothing was decided)",
				 strsignal((int)si.ssi_signo));
		if (w->open) {
			if (rc > 0 && (p[1].revents & POLLIN))
				w->src.ops->watch_ack(&w->src);
			read_lines(w, false);
		}
		if (rc > 0 && (p[0].revents & (POLLIN | POLLHUP)))
			return true;
	}
}

/* One line from stdin into ans (trimmed). Dies at the end of input. */
static void read_answer(struct wizard *w, char *ans, size_t len)
{
	for (;;) {
		char *nl = memchr(w->in, '\n', w->inlen);
		ssize_t n;

		if (nl != NULL && w->overlong) {
			/* the tail of an overlong line is no answer: a 'y' there
			 * would confirm a shutdown signal nobody typed alone */
			memmove(w->in, nl + 1, w->inlen - (size_t)(nl - w->in) - 1);
			w->inlen -= (size_t)(nl - w->in) + 1;
			w->overlong = false;
			say("That line was too long to be an answer; please answer again.\n");
			if (w->prompt != NULL)
				say("%s > ", w->prompt);
			continue;
		}
		if (nl != NULL) {
			size_t k = (size_t)(nl - w->in), a = 0, b = k;

			while (a < b && (w->in[a] == ' ' || w->in[a] == '\t'))
				a++;
			while (b > a && (w->in[b - 1] == ' ' || w->in[b - 1] == '\r' ||
					 w->in[b - 1] == '\t'))
				b--;
			snprintf(ans, len, "%.*s", (int)(b - a), w->in + a);
			memmove(w->in, nl + 1, w->inlen - k - 1);
			w->inlen -= k + 1;
			return;
		}
		if (w->inlen == sizeof(w->in)) {
			w->inlen = 0;	/* an overlong line: drop it, up to its end */
			w->overlong = true;
		}
		wait_input(w, -1, true);
		n = read(0, w->in + w->inlen, sizeof(w->in) - w->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_port(w, "input ended before the wizard did (nothing was decided)");
		w->inlen += (size_t)n;
	}
}

static void ask(struct wizard *w, const char *prompt, char *ans, size_t len)
{
	say("%s > ", prompt);
	w->prompt = prompt;
	read_answer(w, ans, len);
	w->prompt = NULL;
	if (!isatty(0))
		say("%s\n", ans);	/* what a terminal would have echoed */
}

/* y, n, or (when allowed) '?': returns 'y', 'n' or '?'. */
static char ask_yn(struct wizard *w, const char *prompt, bool dunno)
{
	char ans[64];

	for (;;) {
		ask(w, prompt, ans, sizeof(ans));
		if (!strcasecmp(ans, "y") || !strcasecmp(ans, "yes"))
			return 'y';
		if (!strcasecmp(ans, "n") || !strcasecmp(ans, "no") || (!dunno && !ans[0]))
			return 'n';
		if (dunno && (!strcmp(ans, "?") || !ans[0]))
			return '?';
		say("Please answer y or n%s.\n", dunno ? " (or ? if you do not know)" : "");
	}
}

/* ---- outputs ------------------------------------------------------------ */

static void set_outputs(struct wizard *w, unsigned outputs)
{
	char m[24];
	int rc = w->src.ops->set(&w->src, outputs);

	if (rc < 0)
		die_port(w, "port %s: raising %s (TIOCMSET) failed: %s", w->port,
		    mask_text(outputs, m, sizeof(m)), strerror(-rc));
	w->prev = outputs;
}

static void add_obs(struct wizard *w, enum cf_state st)
{
	char in[48], out[24];
	struct cf_obs *o;

	if (w->nobs >= CF_MAX_OBS)
		die_port(w, "too many observations (%d)", CF_MAX_OBS);
	read_lines(w, false);
	o = &w->obs[w->nobs++];
	o->state = st;
	o->outputs = w->prev;
	o->inputs = w->bits & w->reported;
	mask_text(o->inputs, in, sizeof(in));
	mask_text(o->outputs, out, sizeof(out));
	record(w, "obs %s %s %s", cf_state_name(st), out, in);
	say("  seen: %s, %s raised: %s set\n", cf_state_name(st), out, in);
}

/* Raise outputs, let the lines settle, note what they say. */
static void trial(struct wizard *w, enum cf_state st, unsigned outputs)
{
	char m[24];
	char why[40];

	set_outputs(w, outputs);
	snprintf(why, sizeof(why), "(%s raised)", mask_text(outputs, m, sizeof(m)));
	show_lines(w, why);
	wait_input(w, (int)w->cfg.settle_ms, false);
	add_obs(w, st);
}

/* ---- candidates --------------------------------------------------------- */

static uint32_t fitting(const struct wizard *w)
{
	return cf_fitting_types(w->obs, w->nobs, w->reported);
}

/* The candidates whose shutdown signals count: fits allowed by the answers
 * (all fits when the answers exclude every one). */
static uint32_t candidates(const struct wizard *w)
{
	uint32_t f = fitting(w);

	return (f & w->allowed) ? f & w->allowed : f;
}

/* At exit: nobody watches the UPS any more and the port keeps its lines
 * after close (HUPCL is off), so hold nothing that an upstype the lines do
 * not exclude takes for its shutdown signal. */
static void hold_safe_at_exit(struct wizard *w)
{
	uint32_t danger;
	unsigned h;
	char was[24], now[24];

	if (!w->open)
		return;
	h = cf_hold_power(fitting(w), w->prev, w->prev, &danger);
	if (h == w->prev || w->src.ops->set(&w->src, h) < 0)
		return;
	fprintf(stderr, PROG ": port %s: on exit, holding %s instead of %s (a shutdown "
		"signal of a cable that still fits)\n", w->port, mask_text(h, now, sizeof(now)),
		mask_text(w->prev, was, sizeof(was)));
	w->prev = h;
}

/* An error while the port may be open: hold nothing dangerous, then exit. */
static void die_port(struct wizard *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay_error(fmt, ap);
	va_end(ap);
	hold_safe_at_exit(w);
	exit(1);
}

/* SIGINT, SIGTERM, SIGHUP are read from a signalfd in the one wait
 * (wait_input) and end the wizard through die_port(), which holds nothing
 * dangerous first. One ignored when the wizard started (nohup, a background
 * job) stays so. */
static void catch_stop_signals(struct wizard *w)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction old;
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaddset(&block, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	w->sigfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (w->sigfd < 0)
		die("signalfd: %s", strerror(errno));
}

/* The outputs under which the lines said the most (the likely cable power),
 * or dflt when no reading had a line set. */
static unsigned live_outputs(const struct wizard *w, unsigned dflt)
{
	unsigned best = dflt;
	int most = 0;
	size_t i;

	for (i = 0; i < w->nobs; i++) {
		int n = __builtin_popcount(w->obs[i].inputs);

		if (w->obs[i].state == CF_PULLED)
			continue;
		if (n > most || (n == most && n && w->obs[i].outputs == dflt)) {
			most = n;
			best = w->obs[i].outputs;
		}
	}
	return best;
}

/* Combinations under which some line was seen set. */
static unsigned live_combos(const struct wizard *w)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; i < w->nobs; i++)
		if (w->obs[i].state != CF_PULLED && w->obs[i].inputs)
			m |= 1u << cf_combo_index(w->obs[i].outputs);
	return m;
}

static const char *type_name(int t, char *buf, size_t len)
{
	const struct cable_profile *p = cable_profile_get(t);

	snprintf(buf, len, "%d (%s)", t, p->desc);
	return buf;
}

static void types_list(uint32_t m, char *buf, size_t len)
{
	size_t used = 0;
	int t;

	buf[0] = '\0';
	for (t = 0; t < CABLE_NTYPES && used < len; t++) {
		char one[128];
		int n;

		if (!(m & (1u << t)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     type_name(t, one, sizeof(one)));
		if (n > 0)
			used += (size_t)n;
	}
}

static void show_candidates(struct wizard *w, const char *after)
{
	uint32_t f = fitting(w), c = candidates(w);
	char txt[96], why[256];
	int t;

	say("\nAfter %s: %s\n", after, f ? "" : "no upstype fits these lines");
	if (!f)
		return;
	say("  upstypes that fit: %s\n", cf_types_text(f, txt, sizeof(txt)));
	if (c != f)
		say("  of those, your answers leave: %s\n", cf_types_text(c, txt, sizeof(txt)));
	for (t = 0; t < CABLE_NTYPES; t++) {
		if (!(c & (1u << t)))
			continue;
		cf_type_reason(t, w->obs, w->nobs, w->reported, why, sizeof(why));
		say("  %2d %-44.44s %s\n", t, cable_profile_get(t)->desc, why);
	}
}

/* ---- questions ---------------------------------------------------------- */

/* Letters and digits only, lower case: "Tripp-Lite" matches "TrippLite". */
static void squash(const char *s, char *out, size_t len)
{
	size_t k = 0;

	for (; *s && k + 1 < len; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			out[k++] = *s;
		else if (*s >= 'A' && *s <= 'Z')
			out[k++] = (char)(*s - 'A' + 'a');
	out[k] = '\0';
}

static uint32_t types_matching(const char *answer, bool by_mfr)
{
	char a[64], f[160];
	uint32_t m = 0;
	int t;

	squash(answer, a, sizeof(a));
	if (!a[0])
		return 0;
	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);

		squash(by_mfr ? p->mfr : p->desc, f, sizeof(f));
		if (by_mfr ? strncmp(f, a, strlen(a)) == 0 || strncmp(a, f, strlen(f)) == 0
			   : strstr(f, a) != NULL)
			m |= 1u << t;
	}
	return m;
}

/* Generic-brand types stay candidates whatever the brand. */
static uint32_t generic_types(void)
{
	return types_matching("Generic", true);
}

static void apply_brand(struct wizard *w, const char *brand)
{
	uint32_t m = types_matching(brand, true);
	char txt[96];

	if (!brand[0])
		return;
	snprintf(w->brand, sizeof(w->brand), "%s", brand);
	if (!m) {
		note(w, "No upstype in the table names the brand '%s': every type stays a candidate.\n",
		    brand);
		return;
	}
	w->allowed &= m | generic_types();
	note(w, "Brand '%s': upstypes %s (and the generic ones).\n", brand,
	    cf_types_text(m, txt, sizeof(txt)));
}

static void apply_cable(struct wizard *w, const char *cable)
{
	uint32_t m = types_matching(cable, false);
	char txt[96];

	if (!cable[0])
		return;
	snprintf(w->cable, sizeof(w->cable), "%s", cable);
	if (!m) {
		note(w, "No upstype in the table names the cable '%s'; the lines will tell.\n", cable);
		return;
	}
	w->allowed &= m;
	note(w, "Cable '%s': upstype %s.\n", cable, cf_types_text(m, txt, sizeof(txt)));
}

static void ask_brand_cable(struct wizard *w)
{
	char ans[64], mfrs[512] = "";
	size_t used = 0;
	int t, u;

	for (t = 0; t < CABLE_NTYPES; t++) {
		const char *m = cable_profile_get(t)->mfr;

		for (u = 0; u < t && strcmp(cable_profile_get(u)->mfr, m); u++)
			;
		if (u == t && used < sizeof(mfrs))
			used += (size_t)snprintf(mfrs + used, sizeof(mfrs) - used, "%s%s",
						 used ? ", " : "", m);
	}
	say("\nStep 2: what the wizard cannot see\n"
	    "Brands in the table: %s.\n", mfrs);
	ask(w, "Brand of the UPS (Enter if you do not know)", ans, sizeof(ans));
	record(w, "answer brand %s", ans[0] ? ans : "-");
	apply_brand(w, ans);
	say("The part number is usually embossed on a connector (docs/cables.md lists them).\n");
	ask(w, "Cable part number or name (Enter if you do not know)", ans, sizeof(ans));
	record(w, "answer cable %s", ans[0] ? ans : "-");
	apply_cable(w, ans);
}

/* ---- the steps ------------------------------------------------------------ */

static void danger_text(uint32_t danger, char *buf, size_t len)
{
	types_list(danger, buf, len);
}

static bool popcount_one(uint32_t m)
{
	return m && !(m & (m - 1));
}

/*
 * Ask whether the UPS is one of the endangered types; true when the answer
 * changed the candidates (the caller then chooses again), false when it
 * did not (unknown, or an answer already given: the lines fit only types
 * the user excluded) and the combination stays untried.
 */
static bool rule_out(struct wizard *w, const char *prompt, uint32_t danger)
{
	uint32_t before = candidates(w);
	char nums[96];

	switch (ask_yn(w, prompt, true)) {
	case 'n':
		record(w, "answer not %s", cf_types_text(danger, nums, sizeof(nums)));
		w->allowed &= ~danger;
		break;
	case 'y':
		record(w, "answer only %s", cf_types_text(danger, nums, sizeof(nums)));
		w->allowed &= danger;
		break;
	default:
		return false;
	}
	return candidates(w) != before;
}

/*
 * Lines change only while the UPS is on mains: to see the lines on battery
 * with a combination that is a candidate's shutdown signal (danger), or
 * that of a UPS no upstype describes (danger 0), the user plugs the mains
 * back in, confirms, the wizard raises it there, and the user unplugs again
 * with it held. The low-battery state cannot be brought back: not there.
 */
static void mains_cycle(struct wizard *w, enum cf_state st, unsigned outputs, uint32_t danger)
{
	unsigned *skip = &w->declined[st];
	char m[24], txt[1024], prompt[200], ans[16], nums[96];

	mask_text(outputs, m, sizeof(m));
	if (danger)
		danger_text(danger, txt, sizeof(txt));
	else
		snprintf(txt, sizeof(txt), "this UPS's own shutdown signal is unknown");
	say("\nThe next useful cable power, %s, %s%s.\n", m,
	    danger ? "is the shutdown signal of upstype " : "may be a shutdown signal: ", txt);
	if (st != CF_BATTERY) {
		say("I change the lines only while the UPS is on mains: not trying it here.\n");
		record(w, "decline %s %s", cf_state_name(st), m);
		*skip |= 1u << cf_combo_index(outputs);
		return;
	}
	say("I change the lines only while the UPS is on mains: you plug it back in, I raise "
	    "%s there, and you unplug it again.\n", m);
	snprintf(prompt, sizeof(prompt), "Plug back in, raise %s there, and unplug again? [y/n]", m);
	if (ask_yn(w, prompt, false) != 'y')
		goto declined;
	say("Plug the UPS back into the mains.\n");
	ask(w, "Press Enter when it is done", ans, sizeof(ans));
	add_obs(w, CF_MAINS);
	say("\nWARNING: %s %s%s. Some UPSes obey it even on mains power, and it stays "
	    "raised when you unplug the mains again: a UPS that obeys it then switches off.\n",
	    m, danger ? "is the shutdown signal of upstype " : "may be a shutdown signal: ", txt);
	snprintf(prompt, sizeof(prompt), "Is the UPS on mains now, and may I raise %s? [y/n]", m);
	if (ask_yn(w, prompt, false) != 'y')
		goto declined;
	record(w, "confirm mains %s for %s", m, danger ? cf_types_text(danger, nums, sizeof(nums))
						      : "-");
	w->confirmed_danger |= danger;
	trial(w, CF_MAINS, outputs);
	say("Unplug the UPS from the mains again (leave it switched on).\n");
	show_lines(w, NULL);
	ask(w, "Press Enter when it is done", ans, sizeof(ans));
	add_obs(w, st);
	return;
declined:
	record(w, "decline %s %s", cf_state_name(st), m);
	*skip |= 1u << cf_combo_index(outputs);
}

/*
 * No upstype fits: the overrides need the lines seen in this state under the
 * combination that made them live before. That is most likely the cable
 * power, but the shutdown signal of a UPS no upstype describes is unknown:
 * ask. true when a combination was tried or refused (choose again).
 */
static bool untested_power(struct wizard *w, enum cf_state st)
{
	unsigned live = live_combos(w), *skip = &w->declined[st];
	char m[24], prompt[400];
	int i;

	for (i = 0; i < CF_NCOMBOS; i++) {
		unsigned c = cf_combos[i];
		size_t k;
		bool seen = false;

		if (!(live & (1u << i)) || (*skip & (1u << i)))
			continue;
		for (k = 0; k < w->nobs && !seen; k++)
			seen = w->obs[k].state == st && w->obs[k].outputs == c;
		if (seen)
			continue;
		mask_text(c, m, sizeof(m));
		say("\nNo upstype fits these lines. %s made them live before, so it is likely "
		    "the cable power.\n", m);
		if (st != CF_MAINS) {
			mains_cycle(w, st, c, 0);
			return true;
		}
		snprintf(prompt, sizeof(prompt), "The shutdown signal of this UPS is unknown. "
			 "Is the UPS on mains now, and may I raise %s? [y/n]", m);
		if (ask_yn(w, prompt, false) == 'y') {
			record(w, "confirm %s %s for -", cf_state_name(st), m);
			trial(w, st, c);
		} else {
			record(w, "decline %s %s", cf_state_name(st), m);
			*skip |= 1u << i;
		}
		return true;
	}
	return false;
}

/* Try cable-power combinations in state st until none would tell more. */
static void trials(struct wizard *w, enum cf_state st)
{
	unsigned *skip = &w->declined[st];	/* asked once per state */
	struct cf_power p;
	char m[24], txt[1024], prompt[1400];

	for (;;) {
		uint32_t c = candidates(w);
		enum cf_power_verdict v = cf_next_power(w->obs, w->nobs, st, c, w->prev, *skip, &p);

		mask_text(p.outputs, m, sizeof(m));
		if (v == CF_POWER_DONE) {
			if (!c && st != CF_MAINS && untested_power(w, st))
				continue;
			return;
		}
		if (v == CF_POWER_SAFE) {
			uint32_t others = cf_shutdown_types(w->prev, p.outputs, CF_ALL_TYPES);

			if (others)
				say("Trying cable power %s: the shutdown signal of upstype %s, which "
				    "the lines or your answers exclude.\n", m,
				    cf_types_text(others, txt, sizeof(txt)));
			else
				say("Trying cable power %s (no upstype's shutdown signal).\n", m);
			trial(w, st, p.outputs);
			continue;
		}
		danger_text(p.danger, txt, sizeof(txt));
		if (v == CF_POWER_CONFIRM) {
			say("\nWARNING: raising %s is the shutdown signal of upstype %s. Some UPSes "
			    "obey it even on mains power.\n", m, txt);
			snprintf(prompt, sizeof(prompt), "Is the UPS on mains now, and may I raise %s?"
				 " [y/n]", m);
			if (ask_yn(w, prompt, false) == 'y') {
				char nums[96];

				record(w, "confirm %s %s for %s", cf_state_name(st), m,
				       cf_types_text(p.danger, nums, sizeof(nums)));
				w->confirmed_danger |= p.danger;
				trial(w, st, p.outputs);
			} else {
				record(w, "decline %s %s", cf_state_name(st), m);
				*skip |= 1u << cf_combo_index(p.outputs);
			}
			continue;
		}
		/* not on mains: lines change only on mains */
		mains_cycle(w, st, p.outputs, p.danger);
	}
}

/*
 * Before the user changes the UPS's state, hold a combination that is no
 * candidate's shutdown signal. false when there is none and the user cannot
 * rule the endangered types out: the wizard stops there.
 */
static bool hold_safely(struct wizard *w)
{
	char m[24], txt[1024], prompt[1400];

	for (;;) {
		uint32_t danger;
		unsigned h = cf_hold_power(candidates(w), w->prev, live_outputs(w, w->prev),
					   &danger);

		mask_text(h, m, sizeof(m));
		if (!danger) {
			if (h != w->prev) {
				say("Holding cable power %s while the UPS changes state.\n", m);
				set_outputs(w, h);
				wait_input(w, (int)w->cfg.settle_ms, false);
			}
			return true;
		}
		danger_text(danger, txt, sizeof(txt));
		say("\nEvery line combination I could hold is the shutdown signal of a remaining "
		    "candidate; the least dangerous, %s, is that of upstype %s.\n", m, txt);
		snprintf(prompt, sizeof(prompt), "Is your UPS %s %s? [y/n/?]",
			 popcount_one(danger) ? "that one:" : "one of these:", txt);
		if (!rule_out(w, prompt, danger)) {
			say("Then I stop here: going on could switch the UPS off.\n");
			return false;
		}
	}
}

static bool step(struct wizard *w, enum cf_state st, const char *title, const char *todo)
{
	char ans[64];

	say("\n%s\n", title);
	if (!hold_safely(w))
		return false;
	say("%s\n", todo);
	show_lines(w, NULL);
	ask(w, "Press Enter when it is done", ans, sizeof(ans));
	add_obs(w, st);
	if (st != CF_PULLED)
		trials(w, st);
	show_candidates(w, cf_state_name(st));
	return true;
}

/* ---- the port ----------------------------------------------------------- */

static void choose_port(struct wizard *w)
{
	struct portlist_entry *list = calloc(MAX_PORTS, sizeof(*list));
	char note[160], lines[48], ans[PATH_MAX];
	size_t n, i;

	if (list == NULL)
		die("out of memory");
	n = portlist_scan(list, MAX_PORTS, note, sizeof(note));
	say("Step 1: the port\n");
	if (note[0])
		say("(%s)\n", note);
	for (i = 0; i < n; i++)
		say("  [%zu] %-14s %s: %s driver reads %s; port = %s\n", i + 1, list[i].dev,
		    list[i].what, port_family_name(list[i].caps.family),
		    portlist_lines_text(list[i].caps.reported, lines, sizeof(lines)), list[i].port);
	if (!n)
		say("  no serial port found in sysfs\n");
	if (w->cfg.port != NULL) {
		snprintf(ans, sizeof(ans), "%s", w->cfg.port);
		say("Port: %s (from -p)\n", ans);
	} else {
		do
			ask(w, "Port: a number above, or a device path", ans, sizeof(ans));
		while (!ans[0]);
	}
	i = (size_t)strtoul(ans, NULL, 10);
	if (ans[0] >= '1' && ans[0] <= '9' && i >= 1 && i <= n) {
		snprintf(w->port, sizeof(w->port), "%s", list[i - 1].dev);
		snprintf(w->port_conf, sizeof(w->port_conf), "%s", list[i - 1].port);
	} else {
		snprintf(w->port, sizeof(w->port), "%s", ans);
		copy_str(w->port_conf, sizeof(w->port_conf), ans);
		for (i = 0; i < n; i++)	/* a tty typed by path: name it as stably */
			if (!strcmp(list[i].dev, ans))
				snprintf(w->port_conf, sizeof(w->port_conf), "%s", list[i].port);
	}
	free(list);
}

static void open_port(struct wizard *w)
{
	char err[512], lines[48], events[96];

	line_source_init(&w->src, w->port, &w->log);
	if (w->src.ops->open(&w->src, err, sizeof(err)) < 0)
		die("%s", err);
	w->open = true;
	/* open(2) raised DTR and RTS (the tty layer does): drop them at once */
	set_outputs(w, 0);
	w->reported = w->src.caps.reported;
	snprintf(w->driver, sizeof(w->driver), "%s",
		 w->src.caps.driver[0] ? w->src.caps.driver : "unknown");
	/* counters that never move (cp210x) would say nothing happened */
	w->have_counts = w->src.caps.counters &&
			 w->src.ops->counts(&w->src, &w->counts0) == 0;
	w->watch_fd = w->src.ops->watch_start(&w->src);
	say("Port %s: kernel driver %s (%s); reads %s; changes reported: %s\n", w->port,
	    w->driver, port_family_name(w->src.caps.family),
	    portlist_lines_text(w->reported, lines, sizeof(lines)),
	    w->watch_fd >= 0 ? port_events_text(&w->src.caps, events, sizeof(events))
			     : "none (read every 100 ms)");
	record(w, "port %s", w->port_conf);
	record(w, "driver %s", w->driver);
	record(w, "reported %s", mask_text(w->reported, lines, sizeof(lines)));
	read_lines(w, true);
}

/* ---- the answer ----------------------------------------------------------- */

/* The user picks among upstypes that read the lines alike (they differ in
 * the shutdown signal, which the wizard never sends). */
static void pick_equivalent(struct wizard *w, const struct cf_result *r)
{
	uint32_t among = (r->equivalent & w->allowed) ? r->equivalent & w->allowed : r->equivalent;
	char ans[64], sd[24];
	int t;

	if (popcount_one(among))
		return;
	say("\nThese upstypes read your lines alike; they differ in the shutdown signal:\n");
	for (t = 0; t < CABLE_NTYPES; t++) {
		const struct cable_profile *p = cable_profile_get(t);

		if (!(among & (1u << t)))
			continue;
		if (p->sd == SD_UNSUPPORTED)
			snprintf(sd, sizeof(sd), "none");
		else
			cable_mask_name((unsigned)p->sd, sd, sizeof(sd));
		say("  %2d %s %s: %s (SD=%s)\n", t, p->mfr, p->model, p->desc, sd);
	}
	for (;;) {
		char *end;
		long v;

		ask(w, "Which is your UPS? (its number; Enter if none of these or you do not know)",
		    ans, sizeof(ans));
		if (!ans[0]) {
			record(w, "answer type -");
			return;
		}
		v = strtol(ans, &end, 10);
		if (*end == '\0' && v >= 0 && v < CABLE_NTYPES && (among & (1u << v))) {
			record(w, "answer type %ld", v);
			w->allowed &= 1u << v;
			return;
		}
		say("'%s' is not one of the numbers above.\n", ans);
	}
}

/* JSON string. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_types(FILE *f, uint32_t m)
{
	int t, k = 0;

	fputc('[', f);
	for (t = 0; t < CABLE_NTYPES; t++)
		if (m & (1u << t))
			fprintf(f, "%s%d", k++ ? "," : "", t);
	fputc(']', f);
}

static const struct cable_profile *result_profile(const struct cf_result *r)
{
	if (r->kind == CF_RES_OVERRIDE)
		return &r->ov.prof;
	return r->kind == CF_RES_TYPE ? cable_profile_get(r->type) : NULL;
}

/* What the chosen profile makes of a pulled cable (every line clear). */
static void pulled_text(const struct cable_profile *p, char *buf, size_t len)
{
	char reads[16];

	switch (deadcable_pulled_outcome(p, reads, sizeof(reads))) {
	case DEADCABLE_PULLED_CAUGHT:
		snprintf(buf, len, "with the cable pulled every line reads clear, which this profile "
			 "maps to %s; genericups holds that as a suspected pulled cable (data stale, "
			 "no shutdown; deadcable = auto, see genericups(8) PULLED CABLE)", reads);
		break;
	case DEADCABLE_PULLED_UNNOTICED:
		snprintf(buf, len, "with the cable pulled every line reads clear, which this profile "
			 "maps to OL: a pulled cable goes unnoticed");
		break;
	case DEADCABLE_PULLED_PUBLISHED:
		snprintf(buf, len, "with the cable pulled every line reads clear, which this profile "
			 "maps to %s: not critical, so genericups publishes it as it reads (no "
			 "shutdown)", reads);
		break;
	}
}

/* Was the battery ever seen low? Without it the LB line is the base type's guess. */
static bool low_seen(const struct wizard *w)
{
	size_t i;

	for (i = 0; i < w->nobs; i++)
		if (w->obs[i].state == CF_LOW)
			return true;
	return false;
}

static void conf_section(const struct wizard *w, const struct cf_result *r, char *buf,
			 size_t len)
{
	const struct cable_profile *p = result_profile(r);
	char ov[256] = "", txt[96], cp[24], ol[24], lb[24], sd[24], extra[512] = "";
	char *line, *save = NULL;
	size_t used;

	if (p == NULL) {
		snprintf(buf, len, "# nothing decided: no upstype has been seen to fit yet\n");
		return;
	}
	cable_mask_name((unsigned)p->cp, cp, sizeof(cp));
	cable_cond_name(&p->ol, ol, sizeof(ol));
	cable_cond_name(&p->lb, lb, sizeof(lb));
	if (p->sd == SD_UNSUPPORTED)
		snprintf(sd, sizeof(sd), "none defined");
	else
		cable_mask_name((unsigned)p->sd, sd, sizeof(sd));
	if (r->kind == CF_RES_OVERRIDE) {
		cf_override_lines(&r->ov, ov, sizeof(ov));
		snprintf(extra, sizeof(extra), "\t# no upstype reads these lines: overrides on "
			 "upstype %d (%s)\n\t# SD stays upstype %d's (%s): the wizard never sends "
			 "one; check the UPS's manual\n", r->type, cable_profile_get(r->type)->desc,
			 r->type, sd);
	} else if (!popcount_one(r->equivalent)) {
		snprintf(extra, sizeof(extra), "\t# upstypes %s read these lines alike and differ "
			 "in the shutdown signal:\n\t# check it before relying on upsdrvctl shutdown\n",
			 cf_types_text(r->equivalent, txt, sizeof(txt)));
	}
	if (!low_seen(w)) {
		size_t e = strlen(extra);

		snprintf(extra + e, sizeof(extra) - e, "\t# LB NOT VERIFIED: the battery was never "
			 "seen low; LB=%s is upstype %d's.\n\t# Run upscable through low battery "
			 "before relying on this UPS to shut down\n", lb, r->type);
	}
	/* '=', blanks and '#' are words or comments outside quotes in ups.conf */
	used = (size_t)snprintf(buf, len, "[%s]\n\tdriver = genericups\n\tport = %s%s%s\n"
				"\tupstype = %d\n", w->cfg.name,
				strpbrk(w->port_conf, "= \t#") ? "\"" : "", w->port_conf,
				strpbrk(w->port_conf, "= \t#") ? "\"" : "", r->type);
	for (line = strtok_r(ov, "\n", &save); line && used < len;
	     line = strtok_r(NULL, "\n", &save))
		used += (size_t)snprintf(buf + used, len - used, "\t%s\n", line);
	if (used < len)
		snprintf(buf + used, len - used, "\t# %s%s%s%s\n\t# lines: CP=%s OL=%s LB=%s, "
			 "shutdown %s (found by upscable)\n%s", cable_profile_get(r->type)->desc,
			 w->cable[0] ? "; cable '" : "", w->cable, w->cable[0] ? "'" : "",
			 cp, ol, lb, sd, extra);
}

/* Fits the port cannot serve (cdc-acm has no CTS): say so, and why. */
static void note_unusable(const struct wizard *w, const struct cf_result *r)
{
	uint32_t m = 0;
	char txt[96], why[80] = "";
	int t;

	for (t = 0; t < CABLE_NTYPES; t++)
		if ((r->possible & (1u << t)) &&
		    !cf_usable(cable_profile_get(t), w->reported, why, sizeof(why)))
			m |= 1u << t;
	if (m)
		printf("The lines also fit upstype %s, which this port cannot serve: each %s. "
		       "Use a port or adapter that reports every line.\n",
		       cf_types_text(m, txt, sizeof(txt)), why);
}

static void print_result(struct wizard *w, const struct cf_result *r)
{
	const struct cable_profile *p = result_profile(r);
	char conf[2048], pulled[400], why[256], txt[96];

	conf_section(w, r, conf, sizeof(conf));
	if (p != NULL)
		pulled_text(p, pulled, sizeof(pulled));
	if (w->cfg.json) {
		char ov[256] = "";
		char *line, *save = NULL;
		int k = 0;

		printf("{\"result\":\"%s\",\"upstype\":%d,",
		       r->kind == CF_RES_TYPE ? "upstype" : r->kind == CF_RES_OVERRIDE ? "override"
										: "undecided", r->type);
		printf("\"overrides\":{");
		if (r->kind == CF_RES_OVERRIDE)
			cf_override_lines(&r->ov, ov, sizeof(ov));
		for (line = strtok_r(ov, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *eq = strstr(line, " = ");

			if (!eq)
				continue;
			*eq = '\0';
			printf("%s", k++ ? "," : "");
			json_str(stdout, line);
			putchar(':');
			json_str(stdout, eq + 3);
		}
		printf("},\"equivalent\":");
		json_types(stdout, r->equivalent);
		printf(",\"possible\":");
		json_types(stdout, r->possible);
		printf(",\"answers_ignored\":%s,\"port\":", r->answers_ignored ? "true" : "false");
		json_str(stdout, w->port_conf);
		printf(",\"observations\":%zu,\"lb_observed\":%s,\"confirmed_shutdown_of\":",
		       w->nobs, low_seen(w) ? "true" : "false");
		json_types(stdout, w->confirmed_danger);
		printf(",\"pulled_cable\":");
		json_str(stdout, p ? pulled : "");
		printf(",\"ups_conf\":");
		json_str(stdout, conf);
		printf("}\n");
		fflush(stdout);
		return;
	}
	printf("\n");
	note_unusable(w, r);
	if (r->kind == CF_RES_UNDECIDED) {
		printf("Result: undecided; upstypes not excluded: %s\n",
		       cf_types_text(r->possible, txt, sizeof(txt)));
		printf("%s", conf);
		fflush(stdout);
		return;
	}
	if (r->kind == CF_RES_TYPE) {
		cf_type_reason(r->type, w->obs, w->nobs, w->reported, why, sizeof(why));
		printf("Result: upstype %d (%s)\n  %s\n", r->type, cable_profile_get(r->type)->desc,
		       why);
		if (!popcount_one(r->equivalent))
			printf("  the same lines fit upstypes %s\n",
			       cf_types_text(r->equivalent, txt, sizeof(txt)));
		if (r->answers_ignored)
			printf("  (your answers named no fitting upstype: the lines decided)\n");
	} else {
		printf("Result: no upstype fits; overrides on upstype %d\n", r->type);
	}
	if (r->possible)
		printf("  not excluded, never seen powered: %s\n",
		       cf_types_text(r->possible, txt, sizeof(txt)));
	if (!low_seen(w))
		printf("Low battery: never seen, so the LB line is not verified (see the section).\n");
	printf("Pulled cable: %s.\n", pulled);
	printf("\n# ups.conf section (upscable):\n%s\n", conf);
	fflush(stdout);
}

/* ---- recordings ------------------------------------------------------------ */

static unsigned parse_mask(const char *what, const char *v, bool outputs, int lineno)
{
	struct line_cond c;
	char err[200];
	int m;

	if (outputs) {
		if (cable_parse_output("outputs", v, &m, err, sizeof(err)) < 0)
			die("recording line %d: %s: %s", lineno, what, err);
		return (unsigned)m;
	}
	if (cable_parse_input("inputs", v, &c, err, sizeof(err)) < 0)
		die("recording line %d: %s: %s", lineno, what, err);
	return c.val;
}

static uint32_t parse_types(const char *v, int lineno)
{
	uint32_t m = 0;
	char buf[128], *tok, *save = NULL, err[160];
	int t;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (cable_parse_upstype(tok, &t, err, sizeof(err)) < 0)
			die("recording line %d: %s", lineno, err);
		m |= 1u << t;
	}
	return m;
}

static void replay_answer(struct wizard *w, const char *a, int lineno)
{
	const char *v = strchr(a, ' ');

	v = v ? v + 1 : "";
	if (!strncmp(a, "brand ", 6))
		apply_brand(w, strcmp(v, "-") ? v : "");
	else if (!strncmp(a, "cable ", 6))
		apply_cable(w, strcmp(v, "-") ? v : "");
	else if (!strncmp(a, "not ", 4))
		w->allowed &= ~parse_types(v, lineno);
	else if (!strncmp(a, "only ", 5))
		w->allowed &= parse_types(v, lineno);
	else if (!strncmp(a, "type ", 5)) {
		if (strcmp(v, "-"))
			w->allowed &= parse_types(v, lineno);
	} else
		die("recording line %d: unknown answer '%s'", lineno, a);
}

static void replay(struct wizard *w)
{
	FILE *f = fopen(w->cfg.replay, "r");
	char line[512], a[64], b[64], c[64];
	int lineno = 0;

	if (f == NULL)
		die("cannot open recording %s: %s", w->cfg.replay, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n');

		lineno++;
		if (nl)
			*nl = '\0';
		else if (!feof(f))
			die("recording line %d: longer than %zu characters", lineno,
			    sizeof(line) - 2);
		if (lineno == 1) {
			if (strcmp(line, RECORD_MAGIC))
				die("%s: not an upscable recording (first line '%s')", w->cfg.replay,
				    line);
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "port ", 5)) {
			copy_str(w->port_conf, sizeof(w->port_conf), line + 5);
		} else if (!strncmp(line, "driver ", 7)) {
			copy_str(w->driver, sizeof(w->driver), line + 7);
		} else if (!strncmp(line, "reported ", 9)) {
			w->reported = parse_mask("reported", line + 9, false, lineno);
		} else if (!strncmp(line, "answer ", 7)) {
			replay_answer(w, line + 7, lineno);
		} else if (!strncmp(line, "confirm ", 8) || !strncmp(line, "decline ", 8)) {
			const char *types = strstr(line, " for ");

			/* confirm STATE OUTPUTS for TYPES: the candidates it endangered */
			if (!strncmp(line, "confirm ", 8) && types != NULL && strcmp(types, " for -"))
				w->confirmed_danger |= parse_types(types + 5, lineno);
		} else if (!strncmp(line, "obs ", 4)) {
			struct cf_obs *o;

			if (sscanf(line + 4, "%63s %63s %63s", a, b, c) != 3)
				die("recording line %d: 'obs STATE OUTPUTS INPUTS' expected", lineno);
			if (w->nobs >= CF_MAX_OBS)
				die("recording line %d: more than %d observations", lineno, CF_MAX_OBS);
			o = &w->obs[w->nobs];
			if (cf_state_parse(a, &o->state) < 0)
				die("recording line %d: unknown state '%s' (mains, battery, low, "
				    "pulled)", lineno, a);
			o->outputs = parse_mask("outputs", b, true, lineno);
			o->inputs = parse_mask("inputs", c, false, lineno);
			w->nobs++;
		} else {
			die("recording line %d: unknown record '%.40s'", lineno, line);
		}
	}
	if (lineno == 0)
		die("%s: not an upscable recording (empty)", w->cfg.replay);
	fclose(f);
}

/* ---- the whole walk ----------------------------------------------------- */

static void walk(struct wizard *w)
{
	struct cf_result r;
	char ans[16];
	bool ok, keep = false;

	say(PROG ": which upstype is this cable? The wizard watches the lines while you "
	    "unplug the UPS.\nRun it with nothing important plugged into the UPS.\n\n");
	choose_port(w);
	open_port(w);
	ask_brand_cable(w);
	ok = step(w, CF_MAINS, "Step 3: the UPS on mains",
		  "Make sure the UPS is plugged into the mains and switched on.");
	ok = ok && step(w, CF_BATTERY, "Step 4: mains unplugged",
			"Unplug the UPS from the mains now (leave it switched on); the lines "
			"below change as it goes on battery.");
	if (ok && ask_yn(w, "\nStep 5 (optional): wait until the UPS signals low battery? It "
			 "can take many minutes. [y/n]", false) == 'y')
		ok = step(w, CF_LOW, "Step 5: low battery",
			  "Keep the UPS on battery until it signals low battery (it beeps "
			  "faster).");
	if (ok)
		ok = step(w, CF_MAINS, "Mains back", "Plug the UPS back into the mains.");
	if (ok && ask_yn(w, "\nStep 6 (optional): pull the cable out of the UPS to see what "
			 "that reads? [y/n]", false) == 'y') {
		ok = step(w, CF_PULLED, "Step 6: cable pulled",
			  "Pull the cable out of the UPS (leave it in the computer).");
		say("Plug the cable back into the UPS.\n");
		ask(w, "Press Enter when it is back", ans, sizeof(ans));
	}
	cf_decide(w->obs, w->nobs, w->reported, w->allowed, &r);
	if (r.kind == CF_RES_TYPE) {
		pick_equivalent(w, &r);
		cf_decide(w->obs, w->nobs, w->reported, w->allowed, &r);
	}
	/* leave the cable powered as the driver will, if that is safe */
	if (r.kind != CF_RES_UNDECIDED) {
		const struct cable_profile *p = result_profile(&r);
		unsigned cp = (unsigned)p->cp & (ML_DTR | ML_RTS);

		if (cf_shutdown_types(w->prev, cp, 1u << r.type) == 0 && r.kind == CF_RES_TYPE) {
			set_outputs(w, cp);
			keep = true;	/* the answer's cable power stays */
		}
	}
	if (!keep)
		hold_safe_at_exit(w);	/* nothing decided holds a shutdown signal */
	print_result(w, &r);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [-p PORT] [-r FILE] [-n NAME] [-s MS] [-j]\n"
		"       " PROG " -R FILE [-n NAME] [-j]\n"
		"       " PROG " -l\n"
		"Find the upstype of a contact-closure UPS cable by watching its lines, and\n"
		"print the ups.conf section for genericups(8).\n"
		"  -p PORT   the port (a device path); else the wizard lists them and asks\n"
		"  -r FILE   record the observations and answers to FILE\n"
		"  -R FILE   replay a recording: print its result, open no port\n"
		"  -j        print the result as JSON\n"
		"  -n NAME   the ups.conf section name (default 'ups')\n"
		"  -s MS     settle time after changing the cable power (default 500)\n"
		"  -l        list the serial ports and what their drivers report, and exit\n"
		"  -V        version\n");
}

static void parse_config(struct config *c, int argc, char **argv)
{
	int opt;

	memset(c, 0, sizeof(*c));
	c->name = "ups";
	c->settle_ms = 500;
	while ((opt = getopt(argc, argv, "p:r:R:jn:s:lhV")) != -1) {
		switch (opt) {
		case 'p': c->port = optarg; break;
		case 'r': c->record = optarg; break;
		case 'R': c->replay = optarg; break;
		case 'j': c->json = true; break;
		case 'n': c->name = optarg; break;
		case 's': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v > 60000)
				die("-s '%s': settle time in ms, 0 to 60000", optarg);
			c->settle_ms = (unsigned)v;
			break;
		}
		case 'l': c->list = true; break;
		case 'V': printf(PROG " " PACKAGE_VERSION "\n"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see -h)", argv[optind]);
	if (c->replay && (c->port || c->record))
		die("-R replays a recording: -p and -r do not go with it");
}

static void list_ports(void)
{
	struct portlist_entry list[MAX_PORTS];
	char note[160], lines[48], ev[96];
	size_t n = portlist_scan(list, MAX_PORTS, note, sizeof(note)), i;

	if (note[0])
		printf("(%s)\n", note);
	for (i = 0; i < n; i++)
		printf("%s\t%s\tdriver %s (%s)\treads %s\tevents %s\tport = %s\n", list[i].dev,
		       list[i].what, list[i].caps.driver[0] ? list[i].caps.driver : "unknown",
		       port_family_name(list[i].caps.family),
		       portlist_lines_text(list[i].caps.reported, lines, sizeof(lines)),
		       port_events_text(&list[i].caps, ev, sizeof(ev)), list[i].port);
	if (!n)
		printf("no serial port found in sysfs\n");
}

int main(int argc, char **argv)
{
	static struct wizard w;

	parse_config(&w.cfg, argc, argv);
	log_init(&w.log, PROG);
	w.allowed = CF_ALL_TYPES;
	w.watch_fd = -1;
	w.sigfd = -1;
	w.reported = ML_INPUTS;
	if (w.cfg.list) {
		list_ports();
		return 0;
	}
	if (w.cfg.replay) {
		struct cf_result r;

		snprintf(w.port_conf, sizeof(w.port_conf), "%s", "?");
		w.quiet = true;
		replay(&w);
		cf_decide(w.obs, w.nobs, w.reported, w.allowed, &r);
		print_result(&w, &r);
		return r.kind == CF_RES_UNDECIDED ? 2 : 0;
	}
	if (w.cfg.record) {
		w.rec = fopen(w.cfg.record, "w");
		if (w.rec == NULL)
			die("cannot write recording %s: %s", w.cfg.record, strerror(errno));
		record(&w, RECORD_MAGIC);
	}
	catch_stop_signals(&w);
	walk(&w);
	if (w.open) {
		w.src.ops->watch_stop(&w.src);
		line_source_close(&w.src);
	}
	if (w.rec)
		fclose(w.rec);
	return 0;
}
