#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A pulled cable is not a power failure, with NUT 2.8.0's upsd and a primary
# upsmon (SHUTDOWNCMD writes a marker), upstype 5 (Tripp-Lite Lan 2.2:
# OL = CTS set, LB = DCD clear, so a pulled cable, every input clear, reads
# "LB OB"):
#  1. the cable pulled for 10 s from on line: no FSD, no SHUTDOWNCMD; upsmon
#     reports the communication problem (COMMBAD), then COMMOK;
#  2. pulled and left: the host shuts down after deadcablehold (default 30 s);
#  3. booted with the cable pulled: no shutdown for 65 s, then plugging it in
#     gives OL;
#  4. a real outage, OB then LB 5 s later: shuts down as before;
#  5. OB and LB 100 ms apart (inside deadcablewindow): taken as a pulled
#     cable: stale, then believed after the hold (10 s here) and shut down.
# Ours only (NUT's driver has no such detection).

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

is_ours || skip_all "pulled-cable detection is genericups-only"
need_lines
[ -x "$UPSMON" ] || skip_all "no $UPSMON"

ONLINE="CTS=1 DCD=1"
ONBATT="CTS=0 DCD=1"
PULLED="CTS=0 DCD=0"

# setup LINES [VAR=VALUE...]: driver, upsd and a primary upsmon, lines first
setup()
{
	local lines=$1
	shift
	rm -f "$MON_MARKER"
	sim_set "$lines"
	write_ups_conf myups upstype=5 "$@"
	start_driver myups || bail_out "driver does not start"
	start_upsd || bail_out "upsd does not start"
	add_mon_user || bail_out "upsd does not accept the upsmon user"
	start_upsmon myups
}

teardown()
{
	stop_pid "$UPSMON_PID"
	stop_pid "$UPSD_PID"
	stop_pid "$DRIVER_PID"
}

shutdown_ran()
{
	test -s "$MON_MARKER"
}

upsmon_said()	# upsmon_said ERE: upsmon's log has a matching line
{
	grep -Eq "$1" "$UPSMON_LOG"
}

# --- 1. pulled for 10 s --------------------------------------------------------
sim_init
setup "$ONLINE"
is_upsc ups.status OL 10 "1: starts on line"
sim_set "$PULLED"
t0=$(now_ms)
if wait_for 5 upsmon_said 'Communications with UPS .* lost'; then
	pass "1: pulled: upsmon reports COMMBAD (communications lost)"
	diag "1: pull -> COMMBAD: $(($(now_ms) - t0)) ms"
else
	not_ok "1: pulled: upsmon reports COMMBAD" "$(tail -n 5 "$UPSMON_LOG")"
fi
like "$(upsc_get ups.status)" "[Ss]tale" "1: pulled: upsd says the data is stale"
sleep $((10 - ($(now_ms) - t0) / 1000))
ok "1: pulled 10 s: no SHUTDOWNCMD" test ! -e "$MON_MARKER"
unlike "$(cat "$UPSMON_LOG")" "on battery|battery is low|[Ff]orced shutdown" \
	"1: pulled 10 s: upsmon saw no OB, no LB, no FSD"
like "$(cat "$DRIVER_LOG")" "went clear at once: the cable looks disconnected" \
	"1: the driver log says the cable looks disconnected, naming the port"
like "$(cat "$DRIVER_LOG")" "lines CTS\\+DCD" "1: ... and the lines"
mark=$(wc -l <"$UPSMON_LOG")
sim_set "$ONLINE"
is_upsc ups.status OL 5 "1: plugged back in: OL"
if wait_for 5 bash -c "tail -n +$((mark + 1)) '$UPSMON_LOG' | grep -q 'Communications with UPS .* established'"; then
	pass "1: plugged back in: upsmon reports COMMOK"
else
	not_ok "1: plugged back in: upsmon reports COMMOK" "$(tail -n 5 "$UPSMON_LOG")"
fi
like "$(cat "$DRIVER_LOG")" "input lines alive again" "1: the driver log says the cable is back"

# --- 2. pulled and left: shut down after the default hold (30 s) -------------
sim_set "$PULLED"
t0=$(now_ms)
sleep 25
ok "2: pulled 25 s (< deadcablehold 30 s): no SHUTDOWNCMD yet" test ! -e "$MON_MARKER"
if wait_for 20 shutdown_ran; then
	pass "2: pulled and left: SHUTDOWNCMD after the hold"
	diag "2: pull -> SHUTDOWNCMD: $(($(head -n 1 "$MON_MARKER") - t0)) ms (hold 30 s + obconfirm 1 s + lbconfirm 1.5 s)"
else
	not_ok "2: pulled and left: SHUTDOWNCMD after the hold" "$(tail -n 5 "$UPSMON_LOG")"
fi
like "$(cat "$DRIVER_LOG")" "still clear after 30000 ms \\(deadcablehold\\): believing" \
	"2: the driver log says the lines are believed after the hold"
teardown

# --- 3. booted with the cable pulled ---------------------------------------------
setup "$PULLED"
t0=$(now_ms)
like "$(cat "$DRIVER_LOG")" "clear at start-up: the cable looks disconnected" \
	"3: the driver log says the cable looks disconnected at start-up"
like "$(upsc_get ups.status)" "[Ss]tale" "3: upsd says the data is stale"
sleep 65
ok "3: booted pulled: no SHUTDOWNCMD for 65 s" test ! -e "$MON_MARKER"
unlike "$(cat "$UPSMON_LOG")" "on battery|battery is low|[Ff]orced shutdown" \
	"3: booted pulled: upsmon saw no OB, no LB, no FSD"
like "$(cat "$UPSMON_LOG")" "Communications with UPS .* lost|UPS .* is unavailable|[Dd]ata stale" \
	"3: upsmon reports the UPS unavailable"
diag "3: upsmon said: $(grep -E 'ommunication|unavailable|stale' "$UPSMON_LOG" | sort -u | head -n 3)"
sim_set "$ONLINE"
is_upsc ups.status OL 5 "3: plugged in after 65 s: OL"
teardown

# --- 4. a real outage: OB, then LB 5 s later ---------------------------------------
setup "$ONLINE"
is_upsc ups.status OL 10 "4: starts on line"
sim_set "$ONBATT"
is_upsc ups.status OB 5 "4: OB"
sleep 4
t0=$(now_ms)
sim_set "$PULLED"
if wait_for 10 shutdown_ran; then
	pass "4: OB then LB 5 s later: SHUTDOWNCMD"
	diag "4: LB -> SHUTDOWNCMD: $(($(head -n 1 "$MON_MARKER") - t0)) ms"
else
	not_ok "4: OB then LB 5 s later: SHUTDOWNCMD" "$(tail -n 5 "$UPSMON_LOG")"
fi
is_upsc ups.status "FSD LB OB" 5 "4: FSD on upsd"
unlike "$(cat "$DRIVER_LOG")" "cable looks disconnected" "4: not taken for a pulled cable"
teardown

# --- 5. OB and LB 100 ms apart: inside the window ----------------------------------
setup "$ONLINE" deadcablehold=10
is_upsc ups.status OL 10 "5: starts on line"
sim_set "$ONBATT"
sleep 0.1
t0=$(now_ms)
sim_set "$PULLED"
sleep 5
ok "5: OB and LB 100 ms apart: no SHUTDOWNCMD within 5 s" test ! -e "$MON_MARKER"
like "$(upsc_get ups.status)" "[Ss]tale" "5: the data is stale meanwhile"
like "$(cat "$DRIVER_LOG")" "cable looks disconnected" "5: taken for a pulled cable"
if wait_for 15 shutdown_ran; then
	pass "5: still all clear after deadcablehold (10 s): SHUTDOWNCMD"
	diag "5: LB -> SHUTDOWNCMD: $(($(head -n 1 "$MON_MARKER") - t0)) ms (an outage this fast is shut down deadcablehold later)"
else
	not_ok "5: SHUTDOWNCMD after the hold" "$(tail -n 5 "$UPSMON_LOG")"
fi
teardown

done_testing
