#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# How the driver learns of line changes: waiting in TIOCMIWAIT (event mode),
# the fallback to reading every pollinterval when the port refuses
# TIOCMIWAIT, the pollonly flag; and what it makes of what it sees: pulses
# missed between reads (TIOCGICOUNT), the flap warning, filtered glitches,
# and the debug log of raw lines and pending changes. Ours only.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "genericups-only features"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"

ON="CTS=1 DCD=1"	# type 5: OL = CTS set, LB = DCD clear
OB="CTS=0 DCD=1"

value()	# value VAR: the driver's current value of VAR
{
	printf 'DUMPVALUE %s\n' "$1" | sock_talk "$(driver_sock myups)" 0.3 |
		sed -n "s/^SETINFO $1 \"\\(.*\\)\"\$/\\1/p"
}

has_value()	# has_value VAR VALUE: for wait_for
{
	[ "$(value "$1")" = "$2" ]
}

# run_mode NAME EXPECTED_LOG_RE DRIVER_ARGS...: a change from OL to OB must
# reach the socket; pollinterval is 60 s in event mode, so only an event
# can explain a quick answer.
run_mode()
{
	local name=$1 re=$2
	shift 2
	sim_set "$ON"
	write_ups_conf myups upstype=5 olconfirm=0
	start_driver myups -DDD "$@" || { not_ok "$name: driver starts"; return; }
	sock_open "$(driver_sock myups)"
	sleep 0.3
	sock_mark
	sim_set "$OB"
	if sock_wait '^SETINFO ups.status "OB"$' 10; then
		pass "$name: OL -> OB reaches the socket"
	else
		not_ok "$name: OL -> OB reaches the socket" "$(sock_since)" 'SETINFO ups.status "OB"'
	fi
	like "$(cat "$DRIVER_LOG")" "$re" "$name: log says how lines are watched"
	sock_close
	stop_pid "$DRIVER_PID"
}

sim_init
run_mode "event mode" "waiting for line changes" -i 60
MODEMSIM_NO_MIWAIT=1 run_mode "no TIOCMIWAIT" "does not support waiting for line changes" -i 1
run_mode "pollonly" "lines \\(timer\\)" -i 1 -x pollonly
unlike "$(cat "$DRIVER_LOG")" "waiting for line changes" "pollonly: no watcher started"

# --- pulses missed between reads: the counter moved, the level did not -------
sim_set "$ON"
write_ups_conf myups upstype=5 flapcount=4 flapwindow=60
start_driver myups -DDD || bail_out "driver does not start"
is "$(value driver.stats.pulses.missed)" 0 "no missed pulses at start"
sim_set "$ON PULSE=CTS SEQ=1"
if wait_for 5 has_value driver.stats.pulses.missed 1; then
	pass "a CTS pulse between reads is counted in driver.stats.pulses.missed"
else
	not_ok "a CTS pulse between reads is counted" "$(value driver.stats.pulses.missed)" 1
fi
sim_set "$ON PULSE=CTS,DCD SEQ=2"
if wait_for 5 has_value driver.stats.pulses.missed 3; then
	pass "pulses on two lines count twice"
else
	not_ok "pulses on two lines count twice" "$(value driver.stats.pulses.missed)" 3
fi
is "$(value ups.status)" OL "missed pulses do not change the status"

# --- flap warning: 4 changes of CTS within 60 s --------------------------------
is "$(value driver.stats.flapping)" none "not flapping at start"
for i in 1 2 3 4; do
	if [ $((i % 2)) -eq 1 ]; then sim_set "$OB"; else sim_set "$ON"; fi
	sleep 0.2
done
if wait_for 3 has_value driver.stats.flapping CTS; then
	pass "4 CTS changes in 60 s: driver.stats.flapping is CTS"
else
	not_ok "driver.stats.flapping is CTS" "$(value driver.stats.flapping)" CTS
fi
like "$(cat "$DRIVER_LOG")" "line CTS of .* changed 4 times within 60 s: check the cable" \
	"flap warning names the line and the likely causes"
is "$(grep -c 'line CTS of .* changed 4 times' "$DRIVER_LOG")" 1 "the flap warning is logged once"
if wait_for 3 has_value ups.status OL; then
	pass "flapping does not change the status logic (back to OL after olconfirm)"
else
	not_ok "flapping does not change the status logic" "$(value ups.status)" OL
fi

# --- a glitch: LB for 300 ms while on battery, shorter than lbconfirm ----------
sim_set "$OB"
wait_for 3 has_value ups.status OB
before=$(value driver.stats.glitches)
sim_set "CTS=0 DCD=0"
sleep 0.3
sim_set "$OB"
sleep 1.8
is "$(value ups.status)" OB "a 300 ms LB pulse on battery is not published"
is "$(value driver.stats.glitches)" $((before + 1)) "and is counted in driver.stats.glitches"
like "$(cat "$DRIVER_LOG")" 'pending: lines say "LB OB", published "OB"' \
	"debug log shows the pending change"
like "$(cat "$DRIVER_LOG")" 'lines \(change\): CTS=0 DCD=0' "debug log shows the raw lines (-DDD)"
done_testing
