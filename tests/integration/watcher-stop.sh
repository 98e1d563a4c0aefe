#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A TIOCMIWAIT watcher that stops is never silent: an unexpected errno
# (WAITERR=EPROTO) or "not supported" (WAITERR=ENOTTY) while the lines can
# still be read makes the driver say so once and read the lines on the
# linepoll timer from then on; a wait that fails because the adapter is
# gone (GONE=1: EIO) makes the data stale at once, and the driver reopens
# the port when it is back. Type 5 (OL = CTS set, LB = DCD clear), chip
# ftdi, delays 0 (nodebounce_args) and -i 60: only the watcher or the linepoll timer can
# explain an answer within 3 s.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "genericups-only behaviour (linepoll, reopening the port)"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"

export MODEMSIM_CHIP=ftdi
ON="CTS=1 DCD=1"
OB="CTS=0 DCD=1"
WITHIN=3
mapfile -t NODELAYS < <(nodebounce_args)

# begin UPS: a type 5 driver on its own lines, and a client on its socket
begin()
{
	sim_init "$1"
	sim_set "$ON"
	write_ups_conf "$1" upstype=5
	start_driver "$1" -i 60 "${NODELAYS[@]}" || bail_out "$1: driver does not start"
	sock_open "$(driver_sock "$1")"
	sock_send PING
	sock_wait '^PONG$' 3 || bail_out "$1: no PONG on the driver socket"
	is "$(driver_value "$1" driver.port.polled)" none "$1: ftdi, watcher running: nothing polled"
}

end()
{
	sock_close
	untrack_pids "$SOCK_PID"
	stop_pids "$DRIVER_PID"
}

# status_within DESC WANT: ups.status WANT reaches the socket within WITHIN s
status_within()
{
	if sock_wait "^SETINFO ups.status \"$2\"\$" "$WITHIN"; then
		pass "$1"
	else
		not_ok "$1" "$(sock_since)" "SETINFO ups.status \"$2\" within $WITHIN s"
	fi
}

# log_count TEXT: lines of the driver log containing TEXT
log_count()
{
	grep -cF -- "$1" "$DRIVER_LOG"
}

# waiterr ERRNO TEXT: TIOCMIWAIT starts failing with ERRNO; the log says TEXT once.
waiterr()
{
	local err=$1 text=$2 ups
	ups="wait${err,,}"
	begin "$ups"
	sock_mark
	sim_set "$ON WAITERR=$err"
	if wait_for "$WITHIN" grep -qF -- "$text" "$DRIVER_LOG"; then
		pass "WAITERR=$err: the driver says so within $WITHIN s"
	else
		not_ok "WAITERR=$err: the driver says so within $WITHIN s" "$(cat "$DRIVER_LOG")" "a line with '$text'"
	fi
	sim_set "$OB WAITERR=$err"
	status_within "WAITERR=$err: then on battery reaches the socket within $WITHIN s (linepoll)" OB
	sock_mark
	sim_set "$ON WAITERR=$err"
	status_within "WAITERR=$err: and back on line within $WITHIN s" OL
	is "$(driver_value "$ups" driver.port.polled)" "CTS DCD" \
		"WAITERR=$err: driver.port.polled now names both lines of the profile"
	sleep 1
	is "$(log_count "$text")" 1 "WAITERR=$err: said exactly once"
	is "$(log_count "TIOCMIWAIT")" 1 "WAITERR=$err: no other TIOCMIWAIT line"
	unlike "$(sock_since)" '^DATASTALE' "WAITERR=$err: the data never goes stale (TIOCMGET works)"
	unlike "$(cat "$DRIVER_LOG")" "communications with UPS lost|opened again" \
		"WAITERR=$err: the port is not reopened"
	end
}

sim_init waiteproto
waiterr EPROTO "waiting for line changes on $SIM_PORT stopped (TIOCMIWAIT: Protocol error); reading the lines every 200 ms instead"
sim_init waitenotty
waiterr ENOTTY "port $SIM_PORT does not support waiting for line changes (TIOCMIWAIT: Inappropriate ioctl for device); reading the lines every 200 ms"

# --- GONE=1: the adapter is unplugged while the watcher waits ----------------------
begin gone
gone_text="communications with UPS lost: waiting for line changes on $SIM_PORT failed (TIOCMIWAIT: Input/output error): adapter unplugged?; reopening the port"
sock_mark
sim_set "$ON GONE=1"
if sock_wait '^DATASTALE$' 2; then
	pass "GONE=1: DATASTALE within 2 s (the waiting TIOCMIWAIT fails)"
else
	not_ok "GONE=1: DATASTALE within 2 s" "$(sock_since)" DATASTALE
fi
if wait_for 2 grep -qF -- "$gone_text" "$DRIVER_LOG"; then
	pass "GONE=1: the log says the adapter may be unplugged"
else
	not_ok "GONE=1: the log says the adapter may be unplugged" "$(cat "$DRIVER_LOG")" "$gone_text"
fi
sleep 1.5	# a reopen attempt fails meanwhile
ok "GONE=1: the driver keeps running" kill -0 "$DRIVER_PID"
is "$(log_count "$gone_text")" 1 "GONE=1: said once"

sock_mark
sim_set "$OB"
# reopened with a back-off from 1 s, doubling
if sock_wait '^DATAOK$' 12; then
	pass "adapter back: the driver reopens the port and sends DATAOK"
else
	not_ok "adapter back: the driver reopens the port and sends DATAOK" "$(sock_since)" DATAOK
fi
is "$(sock_since | grep -E '^(DATAOK|SETINFO ups.status)' | tr '\n' '|')" \
	'SETINFO ups.status "OB"|DATAOK|' "adapter back: the new status, then DATAOK"
like "$(cat "$DRIVER_LOG")" "port $SIM_PORT opened again" "adapter back: the log says the port is open again"
is "$(driver_value gone driver.port.polled)" none "adapter back: the watcher runs again (nothing polled)"
sock_mark
sim_set "$ON"
status_within "adapter back: a change reaches the socket within $WITHIN s" OL
end

done_testing
