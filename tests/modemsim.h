/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modemsim: an LD_PRELOAD library that gives a program a serial port with
 * modem lines. A pty has none (TIOCMGET on a pty fails with ENOTTY), so
 * opening the faked path returns the slave of a fresh pty (termios, poll,
 * read, flock work for real) and the modem-line ioctls on that fd are
 * answered from a text file the test writes.
 *
 * Usage:
 *   LD_PRELOAD=tests/.libs/modemsim.so MODEMSIM_PORT=/dev/ttyFAKE0 \
 *   MODEMSIM_STATE=/tmp/t/state MODEMSIM_LOG=/tmp/t/log  program ...
 *
 * Environment (read once, at the first intercepted call):
 *   MODEMSIM_PORT        exact path to fake (need not exist). open, open64,
 *                        openat, openat64 and the fortified __open_2,
 *                        __open64_2, __openat_2, __openat64_2 on it return
 *                        a pty slave opened with the caller's flags.
 *   MODEMSIM_STATE       input-line file (below). Unset: all inputs 0.
 *   MODEMSIM_LOG         event log, appended (below). Unset: no log.
 *   MODEMSIM_LOG_READS=1 also log every TIOCMGET.
 *   MODEMSIM_FAST_BREAK=1  do not sleep for the length of a BREAK.
 *   MODEMSIM_NO_MIWAIT=1   TIOCMIWAIT fails with EINVAL (no line waits).
 *   MODEMSIM_NO_ICOUNT=1   TIOCGICOUNT fails with ENOTTY (no counters).
 *   MODEMSIM_OPEN_LINES  outputs raised by every open, hex; default 0x006
 *                        (DTR|RTS, as the Linux tty layer does when the
 *                        baud rate is not B0). 0 keeps the lines as they were.
 *
 * State file (MODEMSIM_STATE), whitespace-separated NAME=VALUE words, read
 * again on every modem ioctl; replace it atomically (write + rename) or
 * rewrite it in place (an empty file is ignored, so the moment between
 * truncate and write is not seen as every line dropping):
 *   CTS=1 DCD=0 RNG=0 DSR=0   input levels; a missing name is 0.
 *                             Aliases: CD, CAR = DCD; RI = RNG.
 *   ERR=EIO                   every modem ioctl (TIOCM*, TIOCMIWAIT,
 *                             TIOCGICOUNT, breaks) fails with that errno
 *                             (EIO, ENXIO, ENODEV, ETIMEDOUT, EPERM,
 *                             EBUSY, EAGAIN, ENOTTY, or a number).
 *   GONE=1                    device unplugged: open of the port fails with
 *                             ENOENT, modem ioctls and tcgetattr/tcsetattr
 *                             on open fake fds fail with EIO. Level-based:
 *                             once GONE is gone, both work again.
 *   PULSE=CTS,DCD             those lines pulsed and came back: their
 *                             TIOCGICOUNT counters go up by 2, levels stay.
 *                             Applied once per distinct file content, so
 *                             add SEQ=n to make a repeated pulse distinct.
 *   SEQ=n                     ignored (makes contents distinct).
 *   # ...                     comment to the end of the line.
 * A level change seen between two reads counts 1 on that line's counter.
 * Counters are per process and start at 0 at the first read.
 *
 * Outputs file: MODEMSIM_STATE with ".out" appended is rewritten
 * atomically whenever the outputs change (and at every open), as
 *   DTR=1 RTS=0 BREAK=0
 * Outputs are per process; TIOCMGET reports them (DTR 0x002, RTS 0x004)
 * together with the inputs from the state file.
 *
 * Log (MODEMSIM_LOG): one line per event, written with one write() to an
 * O_APPEND fd (lines of several processes never interleave):
 *   <CLOCK_MONOTONIC s.nnnnnnnnn> <pid> <EVENT> [<args>]
 * Events:
 *   OPEN <path>            the port was opened (a fake fd created)
 *   CLOSE                  a fake fd was closed
 *   TIOCMSET 0x%03x        value as passed; likewise TIOCMBIS, TIOCMBIC
 *   TIOCMGET 0x%03x        only with MODEMSIM_LOG_READS=1; the answer
 *   TCSBRK <arg>           arg 0 = a 250 ms BREAK, else a drain (no-op)
 *   TCSBRKP <arg>          BREAK of arg * 100 ms (0 = 250 ms)
 *   TIOCSBRK / TIOCCBRK    BREAK on / off (BREAK= in the outputs file)
 *   TCSENDBREAK <duration> from tcsendbreak(3): glibc's meaning, a BREAK of
 *                          250 ms for duration <= 0, else
 *                          ceil(duration / 100) * 100 ms (4901 -> 5 s);
 *                          logged once (no TCSBRKP line with it).
 * Only ioctls that succeed are logged. A BREAK sleeps its real length
 * (unless MODEMSIM_FAST_BREAK=1) with BREAK=1 in the outputs file, and
 * fails with EINTR if a signal arrives meanwhile.
 *
 * TIOCMIWAIT (arg: mask of TIOCM_CTS|TIOCM_CD|TIOCM_RNG|TIOCM_DSR) blocks
 * until the counter of a watched line moves (a level change or a PULSE),
 * watching the state file's folder with inotify and re-reading at least
 * every 50 ms. -1/EINTR when a signal handler runs (always, SA_RESTART or
 * not), -1/EIO when GONE or ERR appear.
 *
 * flock(2) on a fake fd locks MODEMSIM_STATE with ".lock" appended instead
 * (one lock per open of the port), so that two processes opening the port
 * conflict as they would on one device; every open makes its own pty.
 * MODEMSIM_NO_SHARED_LOCK=1 (or no MODEMSIM_STATE) locks the pty instead.
 * Tracked fds: open* creates them, dup/dup2/dup3/fcntl(F_DUPFD*) share them,
 * close/close_range/closefrom drop them (fstat guards against the rest).
 *
 * Every other call, and every fd that is not fake, goes to the real libc.
 */
#ifndef MODEMSIM_H
#define MODEMSIM_H

#define MODEMSIM_ENV_PORT	"MODEMSIM_PORT"
#define MODEMSIM_ENV_STATE	"MODEMSIM_STATE"
#define MODEMSIM_ENV_LOG	"MODEMSIM_LOG"
#define MODEMSIM_ENV_LOG_READS	"MODEMSIM_LOG_READS"
#define MODEMSIM_ENV_FAST_BREAK	"MODEMSIM_FAST_BREAK"
#define MODEMSIM_ENV_NO_MIWAIT	"MODEMSIM_NO_MIWAIT"
#define MODEMSIM_ENV_NO_ICOUNT	"MODEMSIM_NO_ICOUNT"
#define MODEMSIM_ENV_OPEN_LINES	"MODEMSIM_OPEN_LINES"
#define MODEMSIM_ENV_NO_SHARED_LOCK	"MODEMSIM_NO_SHARED_LOCK"

#define MODEMSIM_OUT_SUFFIX	".out"
#define MODEMSIM_LOCK_SUFFIX	".lock"
#define MODEMSIM_POLL_MS	50	/* TIOCMIWAIT re-reads at least this often without inotify */
#define MODEMSIM_IDLE_POLL_MS	1000	/* ... and with inotify watching the state file */

#endif
