#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Talk to the driver's unix socket directly (no upsd): the NUT driver socket
# protocol, 2.8.3+ command set (spec section 4). Checks that NUT 2.8.0 cannot
# pass (commands it lacks) are skipped when the driver is NUT's.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines

NUT_SKIP="nut 2.8.0"
SERIAL='ab"c\d#e'
SERIAL_ESC='ab\"c\\d\#e'
ON="CTS=1 DCD=1"     # type 4: OL = CTS set, LB = DCD clear
OFF="CTS=0 DCD=1"

sim_init
sim_set "$ON"
write_ups_conf myups upstype=4 "serial=$SERIAL"
mapfile -t extra < <(nodebounce_args)
start_driver myups "${extra[@]}" || bail_out "driver does not start"
SOCK=$(driver_sock myups)

# talk CMDS [SECONDS]: one connection, the reply as text
talk()
{
	printf '%b' "$1" | sock_talk "$SOCK" "${2:-0.5}"
}

# --- DUMPALL ---------------------------------------------------------------------
dump=$(talk 'DUMPALL\n')
contains "$dump" 'SETINFO ups.status "OL"' "DUMPALL has SETINFO ups.status"
contains "$dump" 'SETINFO driver.name "genericups"' "DUMPALL has driver.name genericups"
contains "$dump" "SETINFO ups.serial \"$SERIAL_ESC\"" "DUMPALL escapes \\ \" # in values"
is "$(tail -n 2 <<<"$dump" | tr '\n' ' ')" "DATAOK DUMPDONE " "DUMPALL ends with DATAOK, DUMPDONE"
names=$(awk '$1 == "SETINFO" { print tolower($2) }' <<<"$dump")
is "$names" "$(LC_ALL=C sort <<<"$names")" "DUMPALL variables in case-insensitive order"
last_setinfo=$(grep -n '^SETINFO' <<<"$dump" | tail -n 1 | cut -d: -f1)
first_addcmd=$(grep -n '^ADDCMD' <<<"$dump" | head -n 1 | cut -d: -f1)
if [ -n "$first_addcmd" ]; then
	ok "DUMPALL lists ADDCMDs after the variables" test "$first_addcmd" -gt "$last_setinfo"
	cmds=$(awk '$1 == "ADDCMD" { print tolower($2) }' <<<"$dump")
	is "$cmds" "$(LC_ALL=C sort <<<"$cmds")" "DUMPALL commands sorted"
fi

# --- simple queries ----------------------------------------------------------------
is "$(talk 'PING\n')" "PONG" "PING -> PONG"
is "$(talk 'ping\n')" "PONG" "commands are case-insensitive"

if is_ours; then
	is "$(talk 'DUMPSTATUS\n' | tr '\n' '|')" 'SETINFO ups.status "OL"|DATAOK|DUMPDONE|' \
		"DUMPSTATUS"
	is "$(talk 'DUMPVALUE driver.name\n' | tr '\n' '|')" \
		'SETINFO driver.name "genericups"|DATAOK|DUMPDONE|' "DUMPVALUE driver.name"
	is "$(talk 'DUMPVALUE no.such.var\n' | tr '\n' '|')" 'DATAOK|DUMPDONE|' \
		"DUMPVALUE of an unknown variable"
	is "$(talk 'GETPID\n')" "PID $DRIVER_PID" "GETPID -> PID <driver pid>"
else
	for d in DUMPSTATUS "DUMPVALUE driver.name" "DUMPVALUE of an unknown variable" GETPID; do
		skip "$d" "$NUT_SKIP"
	done
fi

# --- one long connection --------------------------------------------------------------
sock_open "$SOCK"

sock_mark
sim_set "$OFF"
if sock_wait '^SETINFO ups.status "OB"$' 5; then
	pass "line change broadcast as SETINFO ups.status \"OB\""
else
	not_ok "line change broadcast" "$(sock_since)" 'SETINFO ups.status "OB"'
fi

if is_ours; then
	sock_send NOBROADCAST
	sleep 0.2
	sock_mark
	sim_set "$ON"
	# the driver did see it: another connection reads the new status
	wait_for 5 sh -c "printf 'DUMPSTATUS\n' | socat -t0.5 - UNIX-CONNECT:$SOCK | grep -qx 'SETINFO ups.status \"OL\"'"
	sleep 0.5
	unlike "$(sock_since)" 'ups\.status' "NOBROADCAST: no status broadcast"
	sock_send PING
	if sock_wait '^PONG$' 2; then
		pass "NOBROADCAST: own replies still sent"
	else
		not_ok "NOBROADCAST: own replies still sent" "$(sock_since)" PONG
	fi
	sock_send BROADCAST
	sleep 0.2
	sock_mark
	sim_set "$OFF"
	if sock_wait '^SETINFO ups.status "OB"$' 5; then
		pass "BROADCAST: broadcasts resume"
	else
		not_ok "BROADCAST: broadcasts resume" "$(sock_since)" 'SETINFO ups.status "OB"'
	fi
else
	for d in "NOBROADCAST: no status broadcast" "NOBROADCAST: own replies still sent" \
		"BROADCAST: broadcasts resume"; do
		skip "$d" "$NUT_SKIP"
	done
fi

# expect_reply DESC SEND ERE: send one line, wait up to 3 s for a matching line
expect_reply()
{
	local desc=$1 send=$2 want=$3
	if ! is_ours; then
		skip "$desc" "$NUT_SKIP"
		return
	fi
	sock_mark
	sock_send "$send"
	if sock_wait "$want" 3; then
		pass "$desc"
	else
		not_ok "$desc" "$(sock_since)" "a line matching /$want/"
	fi
}

expect_reply "INSTCMD unknown command -> TRACKING 1" 'INSTCMD foo.bar TRACKING x' '^TRACKING x 1$'
expect_reply "SET driver.debug 0 -> TRACKING 0" 'SET driver.debug 0 TRACKING t' '^TRACKING t 0$'
expect_reply "SET driver.flag.allow_killpower 1 -> TRACKING 0" \
	'SET driver.flag.allow_killpower 1 TRACKING k' '^TRACKING k 0$'
expect_reply "driver.flag.allow_killpower reads 1" 'DUMPVALUE driver.flag.allow_killpower' \
	'^SETINFO driver.flag.allow_killpower "1"$'
expect_reply "INSTCMD driver.reload-or-error (no change) -> TRACKING 0" \
	'INSTCMD driver.reload-or-error TRACKING r' '^TRACKING r 0$'

# A parse error drops that read only; a PING in the next write is answered.
sock_mark
sock_send '"ab#c"'
sleep 0.3
sock_send PING
if sock_wait '^PONG$' 3; then
	pass "bad line then PING in a separate write -> PONG"
else
	not_ok "bad line then PING in a separate write -> PONG" "$(sock_since)" PONG
fi

sock_mark
sock_send 'FROBNICATE the ups'
sleep 1
# the periodic driver.stats broadcasts may land here; they are not replies
is "$(sock_since | grep -v '^SETINFO driver\.stats\.')" "" "unknown command: no reply"
sock_send PING
if sock_wait '^PONG$' 3; then
	pass "unknown command: connection still serves PING"
else
	not_ok "unknown command: connection still serves PING" "$(sock_since)" PONG
fi

# Broadcast escaping: change the serial and reload, if the driver allows it.
if is_ours; then
	write_ups_conf myups upstype=4 'serial=x"y\z#w'
	sock_mark
	sock_send 'INSTCMD driver.reload-or-error TRACKING e'
	sock_wait '^TRACKING e ' 3
	if sock_since | grep -q '^TRACKING e 0$'; then
		sock_wait '^SETINFO ups.serial ' 2
		is "$(sock_since | grep '^SETINFO ups.serial ')" 'SETINFO ups.serial "x\"y\\z\#w"' \
			"broadcast values are escaped like dumps"
	elif sock_since | grep -q '^TRACKING e 2$'; then
		skip "broadcast values are escaped like dumps" "serial change not reloadable (TRACKING e 2)"
	else
		not_ok "reload-or-error with a changed serial answers" "$(sock_since)" "TRACKING e 0 or 2"
	fi
	write_ups_conf myups upstype=4 "serial=$SERIAL"
else
	skip "broadcast values are escaped like dumps" "$NUT_SKIP (sends them raw)"
fi

if is_ours; then
	sock_mark
	sock_send LOGOUT
	if sock_wait '^OK Goodbye$' 3; then
		pass "LOGOUT -> OK Goodbye"
	else
		not_ok "LOGOUT -> OK Goodbye" "$(sock_since)" "OK Goodbye"
	fi
	if wait_for 4 eval '! sock_alive'; then
		pass "LOGOUT: the driver closes the connection"
	else
		not_ok "LOGOUT: the driver closes the connection" "still open after 4 s"
	fi
else
	skip "LOGOUT -> OK Goodbye" "$NUT_SKIP"
	skip "LOGOUT: the driver closes the connection" "$NUT_SKIP"
fi
sock_close

ok "driver still running after the session" kill -0 "$DRIVER_PID"
is "$(talk 'PING\n')" "PONG" "a new connection is served afterwards"

done_testing
