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
 *   MODEMSIM_PORT_LIST=1 MODEMSIM_PORT is a ':'-separated list of paths
 *                        sharing one line state (a USB adapter that comes
 *                        back under another tty name), and an open fails
 *                        with ENOENT unless the path exists: stacked before
 *                        umockdev's preload, the node must exist in its
 *                        test bed (tests/usbbed.py).
 *   MODEMSIM_STATE       input-line file (below). Unset: all inputs 0.
 *   MODEMSIM_LOG         event log, appended (below). Unset: no log.
 *   MODEMSIM_LOG_READS=1 also log every TIOCMGET.
 *   MODEMSIM_FAST_BREAK=1  do not sleep for the length of a BREAK.
 *   MODEMSIM_NO_MIWAIT=1   TIOCMIWAIT fails with EINVAL (no line waits).
 *   MODEMSIM_NO_ICOUNT=1   TIOCGICOUNT fails with ENOTTY (no counters).
 *   MODEMSIM_OPEN_LINES  outputs raised by every open, hex; default 0x006
 *                        (DTR|RTS, as the Linux tty layer does when the
 *                        baud rate is not B0). 0 keeps the lines as they were.
 *   MODEMSIM_CHIP        the kernel driver the port behaves like (below):
 *                        ftdi (the default when unset or empty), 8250,
 *                        pl2303, ch341, cp210x, cdc-acm, unknown. Any other
 *                        value: a message on stderr and every open of the
 *                        port fails with EINVAL.
 *   MODEMSIM_CABLE       a simulated cable and UPS instead of fixed lines
 *                        (below): an upstype, then overrides, as
 *                        "5", "1 OL=-DSR LB=CTS" or "0 CP=DTR OL=-DSR
 *                        LB=CTS SD=RTS". A bad value: a message on stderr
 *                        and every open of the port fails with EINVAL.
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
 *                             EBUSY, EAGAIN, ENOTTY, EINVAL, EPROTO,
 *                             EOVERFLOW, or a number).
 *   WAITERR=EPROTO            only TIOCMIWAIT fails, with that errno (same
 *                             names); TIOCMGET, TIOCGICOUNT etc. work. A
 *                             wait already blocked returns it at its next
 *                             re-read (at once through inotify, else within
 *                             MODEMSIM_POLL_MS). Level-based like ERR.
 *   GONE=1                    device unplugged: open of the port fails with
 *                             ENOENT, modem ioctls and tcgetattr/tcsetattr
 *                             on open fake fds fail with EIO. Level-based:
 *                             once GONE is gone, both work again.
 *   PULSE=CTS,DCD             those lines pulsed and came back (one edge
 *                             each way): levels stay, counters move as
 *                             the chip counts the two edges (ftdi: +2).
 *                             Applied once per distinct file content, so
 *                             add SEQ=n to make a repeated pulse distinct.
 *   SEQ=n                     ignored (makes contents distinct).
 *   UPS=mains                 with MODEMSIM_CABLE: the UPS's state, mains
 *                             (the default), battery, low (on battery,
 *                             low battery) or pulled (the cable pulled
 *                             from the UPS); CTS= etc. are then ignored.
 *   # ...                     comment to the end of the line.
 * A level change seen between two reads is one edge on that line; the chip
 * decides which edges count on its TIOCGICOUNT counter (below); with ftdi
 * every edge counts 1, so a PULSE counts 2. Counters are per process and
 * start at 0 at the first read.
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
 *   CHIP <name>            after the first OPEN in a process: the model
 *   CLOSE                  a fake fd was closed
 *   TIOCMSET 0x%03x        value as passed; likewise TIOCMBIS, TIOCMBIC
 *   TIOCMGET 0x%03x        only with MODEMSIM_LOG_READS=1; the answer
 *   LINES 0x%03x 0x%03x    the input levels changed (before, after) as
 *                          this process's port saw them: the edges its chip
 *                          counted. A state file rewritten twice between two
 *                          reads shows no change, as a pulse between two
 *                          samples of the hardware.
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
 * until the counter of a watched line moves (as the chip counts it),
 * watching the state file's folder with inotify and re-reading at least
 * every 50 ms. -1/EINTR when a signal handler runs (always, SA_RESTART or
 * not), -1/EIO when GONE appears (every chip: the USB ones as
 * drivers/usb/serial/generic.c usb_serial_generic_tiocmiwait does; the
 * real cdc-acm wait_serial_change says ENODEV, or 0 when TIOCM_CD is
 * watched: not modelled), -1/<errno> when ERR or WAITERR appear.
 * TIOCGSERIAL fails with EIO once the device is GONE (a hung-up tty),
 * whatever ERR says.
 *
 * Chip models (MODEMSIM_CHIP), following mainline Linux:
 *   ftdi     drivers/usb/serial/ftdi_sio.c. TIOCMGET current (ftdi_tiocmget,
 *            a control transfer). Every edge of every line counts
 *            (ftdi_process_packet: status byte diff -> icount). TIOCMIWAIT
 *            on all four lines (usb_serial_generic_tiocmiwait), but the
 *            status only arrives with the bulk-in packets, sent when the
 *            latency timer (16 ms default, ftdi_port_probe) expires: a wait
 *            that sees its change returns only at the next multiple of
 *            MODEMSIM_FTDI_LATENCY_MS of CLOCK_MONOTONIC (EINTR if a signal
 *            arrives meanwhile). TIOCGICOUNT works
 *            (usb_serial_generic_get_icount). TIOCGSERIAL: .type 0
 *            (PORT_UNKNOWN, usb-serial.c serial_get_serial), .baud_base
 *            24000000 (ftdi_determine_type, 48 MHz / 2).
 *   8250     drivers/tty/serial/8250/8250_port.c serial8250_modem_status:
 *            icount.cts, .dsr, .dcd count both edges (DCTS, DDSR, DDCD;
 *            serial_core.c uart_handle_cts_change/uart_handle_dcd_change),
 *            icount.rng counts only RI set -> clear (TERI), so a PULSE=RNG
 *            counts 1 on rng, 2 on the others. serial_core.c
 *            uart_wait_modem_status: a wait ends only when a watched counter
 *            moved since the wait began, so RI clear -> set never ends one.
 *            TIOCGICOUNT works. TIOCGSERIAL (uart_get_info): .type 4
 *            (PORT_16550A), .line 0, .port 0x3f8, .irq 4, .baud_base 115200,
 *            .xmit_fifo_size 16.
 *   pl2303   drivers/usb/serial/pl2303.c pl2303_update_line_status, and
 *   ch341    drivers/usb/serial/ch341.c ch341_update_status: every edge
 *            counts, TIOCMIWAIT on all lines (usb_serial_generic_tiocmiwait);
 *            TIOCGICOUNT fails with ENOTTY (no get_icount: usb-serial.c
 *            serial_get_icount; 5.13+). TIOCGSERIAL .type 0.
 *   cp210x   drivers/usb/serial/cp210x.c: modem-status events are not
 *            implemented (cp210x_process_char, ES_MSR "unimplemented"), so
 *            TIOCMIWAIT fails at once with ENOTTY (no tiocmiwait) and
 *            TIOCGICOUNT succeeds (usb_serial_generic_get_icount, 5.9+) with
 *            every line counter 0 forever. TIOCMGET current
 *            (cp210x_tiocmget). TIOCGSERIAL .type 0.
 *   cdc-acm  drivers/usb/class/cdc-acm.c. TIOCMGET always has TIOCM_CTS
 *            (acm_tty_tiocmget). A SERIAL_STATE notification carries DSR,
 *            DCD and RI only; acm_process_notification, per notification
 *            (one per re-read that changed DSR, DCD or RI, two per PULSE of
 *            one of them): oldcount = iocount, then dsr++ / dcd++ for a
 *            changed line, and rng++ when RI is set in the new state
 *            ("if (newctrl & ..._RING_SIGNAL)"): RI clear -> set counts,
 *            set -> clear does not, a PULSE=RNG counts 1, and a DSR or DCD
 *            change while RI is held set counts on rng too. icount.cts never
 *            moves. TIOCMIWAIT (wait_serial_change) looks only at DSR, DCD
 *            and RI (a CTS bit in the mask is ignored) and compares with
 *            acm->oldcount, which every check sets to the counters it saw
 *            (per process here), not with a copy taken when the wait began:
 *            a change after the previous wait returned ends the next wait at
 *            once. As each notification sets oldcount too, a wait sees only
 *            the last notification before it: DSR, then DCD changing between
 *            two waits (two re-reads) does not end a following DSR wait.
 *            TIOCGICOUNT works (acm_tty_get_icount). TIOCGSERIAL
 *            (get_serial_info) .type 0.
 *   unknown  a driver the program does not know: ftdi without the latency,
 *            sysfs driver "mystery_uart", TIOCGSERIAL fails with ENOTTY.
 * MODEMSIM_NO_MIWAIT and MODEMSIM_NO_ICOUNT apply on top of any chip; a
 * missing ioctl fails the same way whatever the state file says.
 *
 * sysfs: readlink, readlinkat, __readlink_chk and __readlinkat_chk of
 * exactly "/sys/dev/char/MAJ:MIN/device/driver", where MAJ:MIN is the
 * st_rdev of a pty slave the shim handed out and still has open, answer
 * like readlink(2) (the target cut to the buffer size, no NUL, the length
 * returned; EINVAL for a size of 0) with:
 *   ftdi     ../../../../../bus/usb-serial/drivers/ftdi_sio
 *   pl2303   ../../../../../bus/usb-serial/drivers/pl2303
 *   ch341    ../../../../../bus/usb-serial/drivers/ch341-uart
 *   cp210x   ../../../../../bus/usb-serial/drivers/cp210x
 *   cdc-acm  ../../../../../bus/usb/drivers/cdc_acm
 *   8250     ../../../bus/platform/drivers/serial8250
 *   unknown  ../../../bus/platform/drivers/mystery_uart
 * so the driver's name is the basename. Every other path goes to libc.
 *
 * Simulated cables (MODEMSIM_CABLE): the input lines follow the cable's
 * profile (drivers/cable_profile.c) read as wiring, as drivers/cablefit.h
 * models it for the cable wizard. The cable is powered while every line of
 * its CP is raised (extra lines do not unpower it; the lines open(2)
 * raises count); powered, its lines read what OL, LB, RB and BYPASS say for
 * the UPS state (mains: on line, not low; battery: on battery; low: on
 * battery, low battery; RB and BYPASS never), lines it does not read stay
 * clear; unpowered or pulled, every input is clear. A change of the
 * outputs changes the inputs at once, counted as the chip counts edges.
 * A TIOCMSET/TIOCMBIS/TIOCMBIC of the program that makes the outputs its
 * exact SD mask (from another mask), a BREAK for SD=ST, or every line
 * dropped after its CP lines were written (SD=0) is its shutdown signal:
 * logged as SHUTDOWN <how> ups=<state>. On battery or low the UPS obeys:
 * every line reads clear until the state file says mains again (logged
 * as CABLE UPS on again). It reads its shutdown input as a level: a signal
 * still held (outputs equal to the exact SD mask) when the state goes from
 * mains to battery or low is obeyed too. The lines open(2) raises are never
 * a signal by themselves.
 *   SHUTDOWN lines 0x004 ups=mains   an exact mask
 *   SHUTDOWN lines dropped ups=battery   SD=0
 *   SHUTDOWN break ups=low          SD=ST
 *   SHUTDOWN held 0x006 ups=battery   held through the unplug
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
#define MODEMSIM_ENV_PORT_LIST	"MODEMSIM_PORT_LIST"
#define MODEMSIM_ENV_OPEN_LINES	"MODEMSIM_OPEN_LINES"
#define MODEMSIM_ENV_NO_SHARED_LOCK	"MODEMSIM_NO_SHARED_LOCK"
#define MODEMSIM_ENV_CHIP	"MODEMSIM_CHIP"
#define MODEMSIM_ENV_CABLE	"MODEMSIM_CABLE"

#define MODEMSIM_OUT_SUFFIX	".out"
#define MODEMSIM_LOCK_SUFFIX	".lock"
#define MODEMSIM_POLL_MS	50	/* TIOCMIWAIT re-reads at least this often without inotify */
#define MODEMSIM_IDLE_POLL_MS	1000	/* ... and with inotify watching the state file */
#define MODEMSIM_FTDI_LATENCY_MS	16	/* ftdi: waits end on multiples of this */
#define MODEMSIM_SYSFS_DRIVER_FMT	"/sys/dev/char/%u:%u/device/driver"

#endif
