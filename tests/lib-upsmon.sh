# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the protection-chain tests that run NUT's own upsmon and
# upsdrvctl (sourced after tests/lib.sh, never run).
#
# upsmon 2.8.0 writes its PID file to the fixed /run/nut/upsmon.pid, so it
# runs in a private mount namespace with a scratch dir bound on /run/nut
# (the mount disappears with the namespace's last process). A stub `wall`
# comes first in PATH. SHUTDOWNCMD appends a wall-clock ms stamp to
# $MON_MARKER; POWERDOWNFLAG is $MON_FLAG.
#
#   UPSMON UPSDRVCTL   NUT's upsmon and upsdrvctl (default /lib/nut/upsmon,
#                      /sbin/upsdrvctl)

UPSMON=${UPSMON:-/lib/nut/upsmon}
UPSDRVCTL=${UPSDRVCTL:-/sbin/upsdrvctl}
MON_USER=monuser
MON_PASS=monpass
MON_MARKER="$T/shutdowncmd.marker"
MON_FLAG="$T/killpower.flag"

mkdir -p "$T/bin" "$T/monrun"
printf '#!/bin/sh\ncat >/dev/null\n' >"$T/bin/wall"
printf '#!/bin/sh\ndate +%%s%%3N >>"%s"\n' "$MON_MARKER" >"$T/bin/shutdowncmd"
chmod 0755 "$T/bin/wall" "$T/bin/shutdowncmd"
export PATH="$T/bin:$PATH"

# drv_env CMD...: run CMD with the shim environment of the current SIM_*
# lines (as start_driver does), so drivers it spawns see the fake port.
drv_env()
{
	local pre=
	[ -n "$MODEMSIM_SO" ] && [ "${USE_SIMPORT:-0}" != 1 ] && pre=$MODEMSIM_SO
	LD_PRELOAD=$pre MODEMSIM_PORT=${SIM_PORT:-} MODEMSIM_STATE=${SIM_STATE:-} \
		MODEMSIM_LOG=${SIM_LOG:-} "$@"
}

# with_driverpath: put `driverpath = <dir of $GENERICUPS>` first in ups.conf
# (upsdrvctl reads globals only before the first section).
with_driverpath()
{
	local f="$NUT_CONFPATH/ups.conf"
	{
		printf 'driverpath = "%s"\nmaxstartdelay = 20\n' "$(dirname "$GENERICUPS")"
		cat "$f"
	} >"$f.new" && mv -f "$f.new" "$f"
}

# upsdrvctl ARGS...: Debian's upsdrvctl with the shim env, 30 s cap.
upsdrvctl()
{
	drv_env timeout -k 2 30 "$UPSDRVCTL" "$@"
}

_mon_login()
{
	local out
	out=$(printf 'USERNAME %s\nPASSWORD %s\nLOGOUT\n' "$MON_USER" "$MON_PASS" |
		socat -t1 - "TCP:127.0.0.1:$UPSD_PORT" 2>/dev/null)
	[ "$(grep -c '^OK' <<<"$out")" -ge 2 ]
}

# add_mon_user: give upsd (started by start_upsd) an `upsmon primary` user
# and reload it (SIGHUP); wait until the login works.
add_mon_user()
{
	printf '[%s]\n\tpassword = %s\n\tupsmon primary\n' "$MON_USER" "$MON_PASS" \
		>>"$NUT_CONFPATH/upsd.users"
	kill -HUP "$UPSD_PID"
	wait_for 10 _mon_login
}

# start_upsmon UPS: NUT's upsmon as the primary of UPS on our upsd, in the
# foreground of a private mount namespace. Sets UPSMON_PID, UPSMON_LOG.
start_upsmon()
{
	UPSMON_LOG="$T/upsmon.log"
	rm -f "$MON_FLAG" "$T/monrun/upsmon.pid"
	cat >"$NUT_CONFPATH/upsmon.conf" <<EOF
RUN_AS_USER root
MONITOR $1@127.0.0.1:$UPSD_PORT 1 $MON_USER $MON_PASS primary
MINSUPPLIES 1
SHUTDOWNCMD "$T/bin/shutdowncmd"
POWERDOWNFLAG "$MON_FLAG"
POLLFREQ 1
POLLFREQALERT 1
HOSTSYNC 1
DEADTIME 15
FINALDELAY 0
EOF
	chmod 0600 "$NUT_CONFPATH/upsmon.conf"
	unshare -m --propagation private sh -c \
		'mount --bind "$1" /run/nut && exec "$2" -F -p' \
		sh "$T/monrun" "$UPSMON" >"$UPSMON_LOG" 2>&1 &
	UPSMON_PID=$!
	track_pid "$UPSMON_PID"
	# ready once it has logged in (upsd counts it as a client)
	wait_for 10 grep -q 'Communications with UPS .* established\|UPS: .* (primary)' \
		"$UPSMON_LOG" || sleep 2
}

# upsmon_flag_set: `upsmon -K` (exit 0 while POWERDOWNFLAG exists).
upsmon_flag_set()
{
	"$UPSMON" -K >/dev/null 2>&1
}

# sim_events PID [EVENT-ERE]: the shim log lines of one process.
sim_events()
{
	awk -v p="$1" -v re="${2:-.}" '$2 == p && $3 ~ re' "$SIM_LOG"
}

# sim_pids EVENT-ERE: pids (in log order, unique) that logged a matching event.
sim_pids()
{
	awk -v re="$1" '$3 ~ re && !seen[$2]++ { print $2 }' "$SIM_LOG"
}

# tiocmset_seq PID: that process's TIOCMSET values on one line.
tiocmset_seq()
{
	sim_events "$1" '^TIOCMSET$' | awk '{ printf "%s%s", sep, $4; sep = " " } END { print "" }'
}

# span_ms PID EVENT1 EVENT2: ms from PID's last EVENT1 to its last EVENT2
# (lines "<ts> <pid> <event> <arg>"; EVENT is "NAME" or "NAME ARG").
span_ms()
{
	awk -v p="$1" -v a="$2" -v b="$3" '
		$2 != p { next }
		{ ev = $3; full = $3 " " $4 }
		ev == a || full == a { ta = $1 }
		ev == b || full == b { tb = $1 }
		END { if (ta == "" || tb == "") print -1; else printf "%d\n", (tb - ta) * 1000 }
	' "$SIM_LOG"
}
