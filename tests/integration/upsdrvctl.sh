#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian's upsdrvctl 2.8.0 drives our genericups through a private ups.conf
# (driverpath = our staged driver dir): start (socket, PID file, data via
# upsd), stop (socket and PID file gone), shutdown (SD lines in the shim
# log), and a bad configuration makes start fail.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ -x "$UPSDRVCTL" ] || skip_all "no $UPSDRVCTL"
sim_init
sim_set "CTS=1 DCD=1"
sock=$(driver_sock myups)
pidf="$NUT_ALTPIDPATH/genericups-myups.pid"

write_ups_conf myups upstype=5
with_driverpath

out=$(upsdrvctl -u root start myups 2>&1)
is "$?" 0 "upsdrvctl start exits 0"
ok "driver socket exists after start" test -S "$sock"
pid=$(cat "$pidf" 2>/dev/null)
ok "PID file names a live driver ($pid)" kill -0 "${pid:-0}"
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 10 "upsc via upsd: ups.status OL"
is "$(upsc_get ups.mfr)" TrippLite "upsc via upsd: ups.mfr"
sim_set "CTS=0 DCD=1"
is_upsc ups.status OB 5 "line change reaches upsc: OB"

out=$(upsdrvctl stop myups 2>&1)
is "$?" 0 "upsdrvctl stop exits 0"
wait_for 5 eval '! kill -0 $pid 2>/dev/null'
ok "driver process gone after stop" eval '! kill -0 $pid 2>/dev/null'
ok "socket removed after stop" test ! -e "$sock"
ok "PID file removed after stop" test ! -e "$pidf"

if [ "${USE_SIMPORT:-0}" != 1 ]; then
	: >"$SIM_LOG"
	out=$(upsdrvctl -u root shutdown myups 2>&1)
	is "$?" 0 "upsdrvctl shutdown exits 0" || diag "$out"
	is "$(awk '$3 == "TIOCMSET" { printf "%s ", $4 }' "$SIM_LOG")" "0x002 0x006 " \
		"shutdown wrote CP then SD (TIOCMSET 0x002 0x006)"

	write_ups_conf myups upstype=8
	with_driverpath
	: >"$SIM_LOG"
	out=$(upsdrvctl -u root shutdown myups 2>&1)
	rc=$?
	ok "type 8: upsdrvctl shutdown fails (exit $rc)" test "$rc" -ne 0
	is "$(awk '$3 == "TIOCMSET"' "$SIM_LOG")" "" "type 8: no line written"
else
	skip "upsdrvctl shutdown" "needs the shim log"
fi

# bad configurations: start must fail and leave nothing running
for bad in upstype=99 frobnicate=1 "upstype=5 sdtime=abc"; do
	# shellcheck disable=SC2086
	write_ups_conf myups $bad
	with_driverpath
	upsdrvctl -u root start myups >/dev/null 2>&1
	rc=$?
	ok "bad config '$bad': upsdrvctl start fails (exit $rc)" test "$rc" -ne 0
	ok "bad config '$bad': no socket left" test ! -e "$sock"
	kill_strays
done

done_testing
