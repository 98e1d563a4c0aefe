#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole protection chain with NUT 2.8.0's own tools: upsdrvctl starts
# our driver, upsd serves it, a primary upsmon watches it. The lines go OB,
# then LB: upsmon must set FSD and run SHUTDOWNCMD. Then the halt-script
# half: `upsmon -K` sees POWERDOWNFLAG and `upsdrvctl shutdown` makes the
# driver write the SD lines (held sdtime) - after `upsdrvctl stop`, or over
# the socket of the still running driver. Types 5 (raise lines), 11 (BREAK)
# and 8 (no shutdown); the -k lines are compared with NUT's genericups -k.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ "${USE_SIMPORT:-0}" = 1 ] && skip_all "needs the modem-line shim log"
{ [ -x "$UPSMON" ] && [ -x "$UPSDRVCTL" ]; } || skip_all "no $UPSMON or $UPSDRVCTL"
NUT_DRIVER=${NUT_DRIVER:-/lib/nut/genericups}
sim_init
export MODEMSIM_FAST_BREAK=1

mono()
{
	perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC \
		-e 'printf "%.6f\n", clock_gettime(CLOCK_MONOTONIC)'
}

# new_log_pid_of EVENT-ERE FROM-LINE: first pid logging EVENT after line FROM.
new_log_pid_of()
{
	tail -n "+$(($2 + 1))" "$SIM_LOG" | awk -v re="$1" '$3 ~ re { print $2; exit }'
}

# drill TYPE MODE OL-LINES OB-LINES LB-LINES SD-SEQ
#   MODE stop: `upsdrvctl stop` first, -k opens the port itself
#   MODE socket: the driver keeps running, -k asks it over the socket
#   SD-SEQ: TIOCMSET values expected from shutdown ("-" = none, "brk" = BREAK)
drill()
{
	local ty=$1 mode=$2 ol=$3 ob=$4 lb=$5 sd=$6 t0 ms pid rc out
	local name="type $ty ($mode)" sdpid end hold from
	diag "--- $name"
	sim_set "$ol"
	: >"$SIM_LOG"
	rm -f "$MON_MARKER"
	if [ "$ty" = 5 ]; then
		write_ups_conf myups "upstype=$ty" sdtime=2
	else
		write_ups_conf myups "upstype=$ty"
	fi
	with_driverpath
	upsdrvctl -u root start myups >/dev/null 2>&1 || {
		not_ok "$name: upsdrvctl starts the driver"
		return
	}
	pid=$(cat "$NUT_ALTPIDPATH/genericups-myups.pid")
	start_upsd || bail_out "upsd does not start"
	add_mon_user || bail_out "upsd does not accept the upsmon user"
	start_upsmon myups
	ok "$name: no POWERDOWNFLAG before the drill" eval '! upsmon_flag_set'
	is_upsc ups.status OL 10 "$name: OL"
	sim_set "$ob"
	is_upsc ups.status OB 5 "$name: OB"
	sleep 1
	t0=$(now_ms)
	sim_set "$lb"
	if wait_for 20 test -s "$MON_MARKER"; then
		ms=$(($(head -n 1 "$MON_MARKER") - t0))
		pass "$name: upsmon ran SHUTDOWNCMD"
		diag "LB->SHUTDOWNCMD: $ms ms"
	else
		not_ok "$name: upsmon ran SHUTDOWNCMD" "$(tail -n 20 "$UPSMON_LOG")"
	fi
	is_upsc ups.status "FSD LB OB" 5 "$name: upsd shows FSD"
	ok "$name: upsmon -K sees POWERDOWNFLAG" upsmon_flag_set
	# halt script: upsmon and upsd go first
	stop_pid "$UPSMON_PID"
	stop_pid "$UPSD_PID"
	if [ "$mode" = stop ]; then
		upsdrvctl stop myups >/dev/null 2>&1
		wait_for 5 eval '! kill -0 $pid 2>/dev/null'
		ok "$name: upsdrvctl stop ends the driver" eval '! kill -0 $pid 2>/dev/null'
	fi
	from=$(wc -l <"$SIM_LOG")
	out=$(upsdrvctl -u root shutdown myups 2>&1)
	rc=$?
	end=$(mono)
	if [ "$sd" = - ]; then
		ok "$name: upsdrvctl shutdown fails (exit $rc)" test "$rc" -ne 0
		is "$(tail -n "+$((from + 1))" "$SIM_LOG" | awk '$3 ~ /TIOCMSET|BRK|BREAK/ && $4 != "0x002"')" "" \
			"$name: no line write but CP (0x002)"
		return
	fi
	is "$rc" 0 "$name: upsdrvctl shutdown exits 0" || diag "$out"
	if [ "$sd" = brk ]; then
		like "$(tail -n "+$((from + 1))" "$SIM_LOG" | awk '$3 ~ /BRK|BREAK/ { print $3, $4 }')" \
			'^(TCSBRKP 50|TCSENDBREAK (49|50)[0-9]{2})$' "$name: shutdown sent a 5 s BREAK"
		sdpid=$(new_log_pid_of 'BRK|BREAK' "$from")
	else
		sdpid=$(new_log_pid_of "TIOCMSET" "$from")
		[ "$mode" = socket ] && sdpid=$(awk -v v="$sd" '$3 == "TIOCMSET" && $4 == v { p = $2 } END { print p }' "$SIM_LOG")
		is "$(awk -v p="$sdpid" '$2 == p && $3 == "TIOCMSET" { print $4 }' "$SIM_LOG" | tail -n 1)" "$sd" \
			"$name: last line write is SD (TIOCMSET $sd)"
		if [ "$mode" = socket ]; then
			is "$sdpid" "$pid" "$name: the running driver wrote SD"
			is "$(new_log_pid_of OPEN "$from")" "" "$name: -k did not open the port itself"
			hold=$(span_ms "$sdpid" "TIOCMSET $sd" CLOSE)
			wait_for 3 eval '! kill -0 $pid 2>/dev/null'
			ok "$name: driver exited after killpower" eval '! kill -0 $pid 2>/dev/null'
		else
			hold=$(sim_events "$sdpid" '^TIOCMSET$' | awk -v e="$end" 'END { printf "%d\n", (e - $1) * 1000 }')
		fi
		diag "SD write to driver exit: $hold ms (sdtime 2 s)"
		ok "$name: SD held >= sdtime ($hold ms)" test "$hold" -ge 2000 -a "$hold" -lt 4000
	fi
	# NUT 2.8.0's -k on the same ups.conf and shim writes the same lines
	if [ "$mode" = stop ] && [ -x "$NUT_DRIVER" ]; then
		local ours nut
		ours=$(sim_events "$sdpid" 'TIOCMSET|BRK|BREAK' | awk '{ print $3 }' | tr '\n' ' ')
		ours+=$(tiocmset_seq "$sdpid")
		from=$(wc -l <"$SIM_LOG")
		drv_env timeout 20 "$NUT_DRIVER" -a myups -k -u root >/dev/null 2>&1
		sdpid=$(new_log_pid_of OPEN "$from")
		nut=$(sim_events "$sdpid" 'TIOCMSET|BRK|BREAK' | awk '{ print $3 }' | tr '\n' ' ')
		nut+=$(tiocmset_seq "$sdpid")
		is "$ours" "$nut" "$name: same line writes as NUT 2.8.0 genericups -k"
	fi
}

drill 5 stop "CTS=1 DCD=1" "CTS=0 DCD=1" "CTS=0 DCD=0" 0x006
drill 5 socket "CTS=1 DCD=1" "CTS=0 DCD=1" "CTS=0 DCD=0" 0x006
drill 11 stop "CTS=0 DCD=1" "CTS=1 DCD=1" "CTS=1 DCD=0" brk
drill 8 stop "CTS=1 DCD=1" "CTS=0 DCD=1" "CTS=0 DCD=0" -

done_testing
