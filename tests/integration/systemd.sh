#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# systemd integration without a running systemd: the installed
# genericups@.service passes `systemd-analyze verify` and rates 2.5 or lower
# in `systemd-analyze security --offline=yes` (the figure is printed as a
# TAP comment; systemd-sandbox.sh runs the unit under a real systemd), and
# the driver speaks sd_notify (READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1)
# to a NOTIFY_SOCKET of ours when started the way the unit starts it
# (-FF -a NAME).

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "tests our own unit and sd_notify"
stage=$(cd "$(dirname "$GENERICUPS")/../.." && pwd)
unit=$(find "$stage" -name 'genericups@.service' -print -quit 2>/dev/null)

if [ -z "$unit" ]; then
	not_ok "genericups@.service is installed next to the driver" "" "$stage/.../genericups@.service"
elif ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify" "systemd-analyze not installed"
else
	pass "genericups@.service is installed"
	cp "$unit" "$T/genericups@test.service"
	out=$(cd "$T" && systemd-analyze verify "$T/genericups@test.service" 2>&1)
	# a missing /run/nut or user on a build machine is not the unit's fault
	errs=$(grep -vE "^$|nut-driver@|man:|Unknown section|\\.target" <<<"$out")
	is "$errs" "" "systemd-analyze verify reports nothing"
	like "$(cat "$unit")" "ExecStart=$GENERICUPS " "ExecStart runs the installed driver"
	# "+": the sandbox leaves root no CAP_KILL, and the driver is nut by then
	like "$(cat "$unit")" 'ExecReload=\+/bin/kill -HUP \$MAINPID' "reload is SIGHUP, sent with full privileges"
	like "$(cat "$unit")" 'ProtectSystem=strict' "hardened: ProtectSystem"
	like "$(cat "$unit")" 'DevicePolicy=closed' "hardened: device access limited"
	# The exposure figure (tests/integration/systemd-sandbox.sh runs the
	# unit under a real systemd with this sandbox).
	if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
		sec=$(cd "$T" && systemd-analyze security --offline=yes "$T/genericups@test.service" 2>&1)
		score=$(sed -n 's/^.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' <<<"$sec")
		diag "systemd-analyze security: ${score:-(none)}"
		if [ -n "$score" ] && awk -v s="${score% *}" 'BEGIN { exit !(s <= 2.5) }'; then
			pass "systemd-analyze security: exposure ${score% *} <= 2.5"
		else
			not_ok "systemd-analyze security: exposure <= 2.5" "$(grep -E '✗|Overall' <<<"$sec")"
		fi
	else
		skip "systemd-analyze security" "systemd-analyze without --offline (systemd < 250)"
	fi
	notify_unit=no
	grep -q '^Type=notify' "$unit" && notify_unit=yes
fi

# --- sd_notify -------------------------------------------------------------------
# built with libsystemd <=> the installed unit is Type=notify
if [ "${notify_unit:-no}" != yes ]; then
	skip "sd_notify messages" "driver built without libsystemd (unit is Type=forking)"
	done_testing
fi
unlike "$(ldd "$GENERICUPS" 2>/dev/null)" libsystemd \
	"libsystemd is not linked: it is loaded only under systemd"
need_lines
sim_init
sim_set "CTS=1 DCD=1"
write_ups_conf myups upstype=5
NOTIFY_LOG="$T/notify.log"
socat -u UNIX-RECVFROM:"$T/notify.sock",fork - >"$NOTIFY_LOG" 2>/dev/null &
track_pid $!
wait_for 3 test -S "$T/notify.sock"
pre=
[ "${USE_SIMPORT:-0}" != 1 ] && pre=$MODEMSIM_SO
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 LD_PRELOAD=$pre \
	MODEMSIM_PORT=${SIM_PORT:-} MODEMSIM_STATE=${SIM_STATE:-} \
	"$GENERICUPS" -FF -a myups -u root >"$T/driver.log" 2>&1 &
pid=$!
track_pid "$pid"
if wait_for 5 grep -q 'READY=1' "$NOTIFY_LOG"; then
	pass "READY=1 sent after start-up"
else
	not_ok "READY=1 sent after start-up" "$(cat "$NOTIFY_LOG")" READY=1
fi
ok "-FF writes the PID file (systemd's PIDFile=)" test -f "$NUT_ALTPIDPATH/genericups-myups.pid"
sleep 0.5
like "$(cat "$NOTIFY_LOG")" 'WATCHDOG=1' "WATCHDOG=1 sent while WATCHDOG_USEC is set"
kill -HUP "$pid"
ok "SIGHUP: RELOADING=1" wait_for 3 grep -q 'RELOADING=1' "$NOTIFY_LOG"
kill -TERM "$pid"
ok "SIGTERM: STOPPING=1" wait_for 3 grep -q 'STOPPING=1' "$NOTIFY_LOG"
ok "driver exits on SIGTERM" wait_for 3 bash -c "! kill -0 $pid 2>/dev/null"
ok "socket removed on exit" test ! -e "$NUT_STATEPATH/genericups-myups"
ok "PID file removed on exit" test ! -e "$NUT_ALTPIDPATH/genericups-myups.pid"
done_testing
