#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Glitch immunity against NUT 2.8.0's upsd and a primary upsmon, upstype 5
# (OL = CTS set, LB = DCD clear). From OL, pulses of 5, 100 and 500 ms on
# the OB line (CTS), the LB line (DCD) and both; PULSES of each.
# Default delays: no pulse shorter than 1 s is published (obconfirm 1 s,
# lbconfirm 1.5 s; both lines at once from OL is a pulled cable, stale),
# so upsmon never notifies ONBATT, no FSD, no SHUTDOWNCMD; a sustained OB
# then LB still shuts down.
# All delays 0 and deadcable=off (NUT's behaviour, no upsmon): every pulse
# is published; counts as diagnostics.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ -x "$UPSMON" ] || skip_all "no $UPSMON"
PULSES=${PULSES:-10}
sim_init
OL_LINES="CTS=1 DCD=1"
sim_set "$OL_LINES"
mkfifo "$T/sleep.fifo"
exec {SLP}<>"$T/sleep.fifo"

# pulse LINES SECONDS: in-place rewrites (no fork) around a builtin sleep;
# the measured width (us) goes to $WIDTHS.
pulse()
{
	local a b
	a=${EPOCHREALTIME/./}
	if [ "${USE_SIMPORT:-0}" = 1 ]; then
		# our sim: reader wants whole files: rename (one fork)
		sim_set "$1"
		read -r -t "$2" -u "$SLP" _
		sim_set "$OL_LINES"
	else
		printf '%s\n' "$1" >"$SIM_STATE"
		read -r -t "$2" -u "$SLP" _
		printf '%s\n' "$OL_LINES" >"$SIM_STATE"
	fi
	b=${EPOCHREALTIME/./}
	WIDTHS+=" $((b - a))"
}

# published: status changes away from OL since the mark ("OB", "LB OL"...
# one per pulse that reached the socket), and those carrying LB.
published()
{
	sock_since | awk '/^SETINFO ups.status / {
		v = $0; sub(/^SETINFO ups.status "?/, "", v); sub(/"$/, "", v)
		if (v != "OL" && prev == "OL") n++
		if (v ~ /LB/) lb++
		prev = v
	} END { printf "%d %d\n", n, lb }' prev=OL
}

stat_of()
{
	echo DUMPALL | sock_talk "$(driver_sock myups)" 1 |
		awk -v k="$1" '$1 == "SETINFO" && $2 == k { gsub(/"/, "", $3); print $3 }'
}

# sim_log_lines: how many lines the shim's log has now (0 on our sim: port)
sim_log_lines()
{
	if [ -f "$SIM_LOG" ]; then wc -l <"$SIM_LOG"; else echo 0; fi
}

# seen_pulses FROM: CTS and DCD pulses the driver's port saw since log line
# FROM (its falling edges in the shim's LINES events): the pulses its chip
# counted. A pulse that came and went between two reads of the state file is
# not among them, as one between two samples of real hardware.
seen_pulses()
{
	local n=0 _ts pid ev before after fell
	[ -f "$SIM_LOG" ] || { echo 0; return; }
	while read -r _ts pid ev before after; do
		[ "$pid" = "$DRIVER_PID" ] && [ "$ev" = LINES ] || continue
		fell=$((before & ~after))
		n=$((n + ((fell & 0x020) != 0) + ((fell & 0x040) != 0)))
	done < <(tail -n +"$(($1 + 1))" "$SIM_LOG")
	echo "$n"
}

# run_group NAME LINES WIDTH GAP: PULSES pulses, prints diagnostics, sets
# PUB (published pulses) and PUB_LB (broadcasts with LB).
run_group()
{
	local from
	WIDTHS=
	sock_mark
	from=$(sim_log_lines)
	for _ in $(seq "$PULSES"); do
		pulse "$2" "$3"
		read -r -t "$4" -u "$SLP" _
	done
	sleep 0.3
	read -r PUB PUB_LB < <(published)
	SEEN=$(seen_pulses "$from")
	diag "$(printf '%-4s %5s s: pulses sent %d, published %d (LB %d), width us %s' \
		"$1" "$3" "$PULSES" "$PUB" "$PUB_LB" \
		"$(tr ' ' '\n' <<<"$WIDTHS" | sort -n | awk 'NF { a[n++] = $1 } END { printf "min %d max %d", a[0], a[n-1] }')")"
}

# groups GAP-OB GAP-LB OB-EXP LB-EXP BOTH-EXP WIDTH...: every group for each
# width; pulses of 100 ms and more must be published the expected number of
# times. 5 ms pulses can come and go between two reads: PUB5 counts the line
# pulses (both = 2) published.
groups()
{
	local gob=$1 glb=$2 eob=$3 elb=$4 eboth=$5 width
	shift 5
	PUB5=0 SEEN5=0
	for width in "$@"; do
		run_group OB "CTS=0 DCD=1" "$width" "$gob"
		check_group OB "$width" "$eob" 1
		run_group LB "CTS=1 DCD=0" "$width" "$glb"
		check_group LB "$width" "$elb" 1
		run_group both "CTS=0 DCD=0" "$width" "$gob"
		check_group both "$width" "$eboth" 2
		LB_SEEN=$((LB_SEEN + PUB_LB))
	done
}

check_group()
{
	if [ "$2" = 0.005 ]; then
		PUB5=$((PUB5 + PUB * $4))
		SEEN5=$((SEEN5 + SEEN))
	elif [ "$PUB" != "$3" ]; then
		GROUP_FAIL+="$1 $2 s: $PUB/$3 published; "
	fi
}

# --- 1. default delays, upsd + primary upsmon --------------------------------
write_ups_conf myups upstype=5
start_driver myups || bail_out "driver does not start"
start_upsd || bail_out "upsd does not start"
add_mon_user || bail_out "upsd does not accept the upsmon user"
start_upsmon myups
is_upsc ups.status OL 10 "default delays: OL"
sock_open "$(driver_sock myups)"
t0=$(now_ms)
GROUP_FAIL="" LB_SEEN=0
# gaps: 0.3 s after OB pulses (none is published, so no olconfirm to wait for),
# 0.1 s after LB ones; 900 ms is the longest
# pulse that obconfirm (1 s) must filter, with 100 ms of room.
groups 0.3 0.1 0 0 0 0.005 0.1 0.5 0.9
glitches=$(stat_of driver.stats.glitches)
diag "default delays: $((($(now_ms) - t0) / 1000)) s of pulses, glitches counted $glitches"
is "$GROUP_FAIL" "" "default delays: no pulse of 100-900 ms published (OB, LB, both)"
is "$PUB5" 0 "default delays: no 5 ms pulse published"
is "$LB_SEEN" 0 "default delays: LB never published"
ok "default delays: the OB pulses are counted in driver.stats.glitches" \
	test "${glitches:-0}" -ge $((4 * PULSES))
sleep 2
unlike "$(cat "$UPSMON_LOG")" "on battery" "default delays: upsmon never notified ONBATT"
ok "default delays: no SHUTDOWNCMD" test ! -e "$MON_MARKER"
unlike "$(upsc_get ups.status)" FSD "default delays: no FSD on upsd"
unlike "$(cat "$UPSMON_LOG")" "battery is low|shutdown" "default delays: upsmon never saw LB"
sim_set "CTS=0 DCD=1"
sleep 1
t0=$(now_ms)
sim_set "CTS=0 DCD=0"
if wait_for 15 test -s "$MON_MARKER"; then
	pass "sustained OB then LB: SHUTDOWNCMD runs"
	diag "LB->SHUTDOWNCMD: $(($(head -n 1 "$MON_MARKER") - t0)) ms"
else
	not_ok "sustained OB then LB: SHUTDOWNCMD runs" "$(tail -n 10 "$UPSMON_LOG")"
fi
is_upsc ups.status "FSD LB OB" 5 "sustained OB then LB: FSD on upsd"
sock_close
stop_pid "$UPSMON_PID"
stop_pid "$UPSD_PID"
stop_pid "$DRIVER_PID"

# --- 2. all delays 0, driver only ------------------------------------------------
sim_set "$OL_LINES"
write_ups_conf myups upstype=5 obconfirm=0 olconfirm=0 lbconfirm=0 rbconfirm=0 bypassconfirm=0 \
	deadcable=off
start_driver myups || bail_out "driver does not start with zero delays"
sock_open "$(driver_sock myups)"
GROUP_FAIL="" LB_SEEN=0
groups 0.1 0.1 "$PULSES" "$PULSES" "$PULSES" 0.005 0.1 0.5
missed=$(stat_of driver.stats.pulses.missed)
diag "zero delays: glitches counted $(stat_of driver.stats.glitches), 5 ms line pulses published $PUB5, missed $missed"
is "$GROUP_FAIL" "" "zero delays: every 100/500 ms pulse published"
if [ "${USE_SIMPORT:-0}" = 1 ]; then
	is "$PUB5" "$((4 * PULSES))" "zero delays: every 5 ms pulse published (sim: port)"
else
	# every pulse the port saw is accounted for; one wholly between two
	# reads of the state file is not seen by the port either
	diag "zero delays: 5 ms line pulses sent $((4 * PULSES)), seen by the port $SEEN5"
	ok "zero delays: the port saw most 5 ms pulses (the check below is not vacuous)" \
		test "$SEEN5" -ge "$((2 * PULSES))"
	is "$((PUB5 + missed))" "$SEEN5" "zero delays: each 5 ms line pulse the port saw published or counted missed"
	# a pulse wholly between two reads (the shim moves the counters only)
	# must show in driver.stats.pulses.missed without another level change
	sim_set "$OL_LINES PULSE=CTS"
	sleep 0.5
	is "$(stat_of driver.stats.pulses.missed)" "$((missed + 1))" \
		"pulse between two reads counted in driver.stats.pulses.missed at once"
fi
sock_close

done_testing
