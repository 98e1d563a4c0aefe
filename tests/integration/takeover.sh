#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A second instance for the same UPS takes over: 20 restarts (foreground,
# daemonised, upsdrvctl start) always leave exactly one driver serving upsd.
# An old instance that exits late leaves the new one's socket and PID file
# alone. Root trusts nothing in the state directory: a PID file naming
# another process (or 4294967297, which a cast makes PID 1) is never
# signalled, at takeover or by -c; the PID file and the sim: output file are
# never written through a symlink. Signals at start: SIGHUP/SIGUSR1 before
# the signalfd exists and SIGUSR2 on a sim: port do not kill the driver.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ "${USE_SIMPORT:-0}" = 1 ] && skip_all "needs the modem-line shim"
is_ours || skip_all "tests this driver's takeover"
sim_init
sim_set "CTS=1 DCD=1"
SOCK=$(driver_sock myups)
PIDF="$NUT_ALTPIDPATH/genericups-myups.pid"
RESTARTS=${TAKEOVER_RESTARTS:-20}

# drivers_for UPS: PIDs of this test's live drivers serving UPS (not -k, -c).
drivers_for()
{
	local f pid args
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		grep -qzxF "GUPS_ITEST_TAG=$T" "/proc/$pid/environ" 2>/dev/null || continue
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && continue
		args=$(tr '\0' ' ' <"$f" 2>/dev/null)
		[[ $args == *genericups\ * ]] || continue
		[[ $args == *"-a $1 "* ]] || continue
		[[ $args == *" -k "* || $args == *" -c "* ]] && continue
		echo "$pid"
	done
}

# pong: the driver socket answers PING (bounded: a stopped driver's backlog
# fills, and then a plain connect would block)
# gone PID: exited (a zombie counts: a daemon's parent may never reap it)
gone()
{
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

alive()
{
	! gone "$1"
}

pong()
{
	[ "$(printf 'PING\n' | timeout -k 1 2 socat -t0.3 - "UNIX-CONNECT:$SOCK" 2>/dev/null)" = PONG ]
}

# one_driver OLDPID: the old driver is gone, exactly one serves myups, and its
# socket answers.
one_driver()
{
	local n
	n=$(drivers_for myups | wc -l)
	[ "$n" = 1 ] || return 1
	[ -z "$1" ] || gone "$1" || return 1
	[ "$(drivers_for myups)" != "$1" ] && pong
}

write_ups_conf myups upstype=5
with_driverpath
: >"$T/restarts.log"

# --- 1. twenty restarts ---------------------------------------------------------------
launch_driver myups || bail_out "driver does not start"
driver_ready myups "$DRIVER_PID" "$DRIVER_LOG" || bail_out "driver does not start"
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 15 "upsd serves the first driver: OL"

good=0 bad=
for i in $(seq "$RESTARTS"); do
	old=$(drivers_for myups | head -n 1)
	case $((i % 3)) in
	1)
		how="foreground"
		LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE \
			MODEMSIM_LOG=$SIM_LOG "$GENERICUPS" -a myups -u root -F >>"$T/restarts.log" 2>&1 &
		track_pid $!
		;;
	2)
		how="daemonised"
		drv_env timeout -k 2 30 "$GENERICUPS" -a myups -u root >>"$T/restarts.log" 2>&1
		;;
	0)
		how="upsdrvctl start"
		upsdrvctl -u root start myups >>"$T/restarts.log" 2>&1
		;;
	esac
	if wait_for 15 one_driver "$old"; then
		good=$((good + 1))
	else
		bad+=" $i ($how: drivers now: $(drivers_for myups | tr '\n' ' '))"
	fi
done
is "$good/$RESTARTS" "$RESTARTS/$RESTARTS" \
	"$RESTARTS restarts (foreground, daemonised, upsdrvctl) each left exactly one driver" ||
	diag "failed restarts:$bad
$(grep -iE 'lock|not taking|did not' "$T/restarts.log" | tail -n 5)"
unlike "$(cat "$T/restarts.log")" "is locked|did not release|did not exit" \
	"no restart met a locked port or an old driver that would not exit"
is_upsc ups.status OL 15 "upsd serves the last driver: OL"
sim_set "CTS=0 DCD=1"
is_upsc ups.status OB 10 "the last driver follows the lines: OB"
sim_set "CTS=1 DCD=1"
last=$(drivers_for myups)
diag "last driver: PID $last; takeover times: $(grep -o 'after [0-9]* ms' "$T/restarts.log" |
	awk '{ print $2 }' | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "min %d, median %d, max %d ms", a[1], a[int((NR + 1) / 2)], a[NR] }')"
upsdrvctl stop myups >/dev/null 2>&1
wait_for 5 eval '[ -z "$(drivers_for myups)" ]'
kill_strays
stop_pid "$UPSD_PID"

# --- 2. an old instance exiting late leaves the new one's files alone --------------------
# A runs for myups on the main port; its socket and PID file are moved aside so
# that B, on a second port, starts without a takeover; then A exits.
launch_driver myups -F	# -FF: with a PID file
A=$DRIVER_PID
driver_ready myups "$A" "$DRIVER_LOG" || bail_out "driver A does not start"
wait_for 5 test -f "$PIDF"
mkdir -p "$T/aside"
mv "$SOCK" "$PIDF" "$T/aside/"
main_port=$SIM_PORT
sim_init second
sim_set "CTS=1 DCD=1"
LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE MODEMSIM_LOG=$SIM_LOG \
	"$GENERICUPS" -a myups -u root -FF -x "port=$SIM_PORT" >"$T/driver-B.log" 2>&1 &
B=$!
track_pid "$B"
driver_ready myups "$B" "$T/driver-B.log" || bail_out "driver B does not start"
wait_for 5 test -f "$PIDF"
stop_pid "$A"
ok "the old instance exiting late left the new one's socket" test -S "$SOCK"
ok "... which still answers" pong
is "$(cat "$PIDF" 2>/dev/null)" "$B" "the old instance exiting late left the new one's PID file"
stop_pid "$B"
ok "the new instance removes its own socket" test ! -e "$SOCK"
ok "the new instance removes its own PID file" test ! -e "$PIDF"
sim_init main
[ "$SIM_PORT" = "$main_port" ] || bail_out "sim_init main: $SIM_PORT"

# --- 3. a PID file naming another process is never signalled --------------------------
# a decoy: a process of this test that is no genericups
GUPS_DECOY=1 sleep 1000 &
decoy=$!
track_pid "$decoy"

printf '%s\n' "$decoy" >"$PIDF"
out=$(drv_env timeout -k 2 20 "$GENERICUPS" -a myups -u root 2>&1)
rc=$?
is "$rc" 0 "start with a PID file naming a sleep: the driver starts"
ok "... and does not signal the sleep" alive "$decoy"
like "$out" "PID file .*genericups-myups.pid names PID $decoy \(sleep" \
	"... and says which process the PID file names"
pid=$(cat "$PIDF" 2>/dev/null)
ok "... and its PID file names the new driver when the parent returns ($pid)" eval '[ "$pid" != "$decoy" ] && alive "$pid"'
kill_strays_but_decoy()
{
	local p
	for p in $(drivers_for myups); do stop_pid "$p"; done
}
kill_strays_but_decoy

printf '%s\n' "$decoy" >"$PIDF"
out=$("$GENERICUPS" -a myups -c reload 2>&1)
rc=$?
is "$rc" 1 "-c reload with a PID file naming a sleep fails (exit 1)"
ok "... without signalling the sleep" alive "$decoy"
like "$out" "PID file .*genericups-myups.pid names PID $decoy \(sleep.*not signalling" \
	"... naming the PID file and the process found"
printf '%s\n' "$decoy" >"$PIDF"
"$GENERICUPS" -a myups -c reload-or-exit >/dev/null 2>&1
ok "-c reload-or-exit does not signal it either" alive "$decoy"
stop_pid "$decoy"

# -c reload reaches a real driver through its PID file
launch_driver myups -F	# -FF: with a PID file
driver_ready myups "$DRIVER_PID" "$DRIVER_LOG" || bail_out "driver does not start"
wait_for 5 test -f "$PIDF"
out=$("$GENERICUPS" -a myups -c reload 2>&1)
is "$?" 0 "-c reload signals the driver its PID file names" || diag "$out"
wait_for 5 grep -q "reloading the configuration" "$DRIVER_LOG"
ok "... which reloads" grep -q "reloading the configuration" "$DRIVER_LOG"
stop_pid "$DRIVER_PID"

# 4294967297 would be PID 1 after a cast to pid_t: in a private PID namespace
# whose PID 1 records the signals it gets, neither the takeover nor -c sends one
if unshare -pf --mount-proc true 2>/dev/null; then
	cat >"$T/pid1.py" <<'EOF'
import signal, subprocess, sys
got = []
for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):
    signal.signal(s, lambda n, f: got.append(signal.Signals(n).name))
out = open(sys.argv[1], "w")
for cmd in sys.argv[2].split(";"):
    subprocess.call(cmd.split(), stdout=out, stderr=out)
print("PID 1 got: %s" % (" ".join(got) or "nothing"), file=out)
EOF
	printf '4294967297\n' >"$PIDF"
	drv_env unshare -pf --mount-proc python3 "$T/pid1.py" "$T/pid1.out" \
		"timeout -s TERM 2 $GENERICUPS -a myups -u root -F;$GENERICUPS -a myups -c reload;$GENERICUPS -a myups -c reload-or-exit"
	out=$(cat "$T/pid1.out")
	contains "$out" "PID 1 got: nothing" "PID file 4294967297: neither takeover nor -c signals PID 1"
	like "$out" "'4294967297' is not a process ID" "... and the driver says the PID file is bad"
else
	skip "PID file 4294967297 is not PID 1" "no PID namespace (unshare -p)"
	skip "PID file 4294967297 message" "no PID namespace (unshare -p)"
fi
rm -f "$PIDF"

# --- 4. no symlink is followed as root ---------------------------------------------------
printf 'keep me\n' >"$T/precious"
chmod 0600 "$T/precious"
ln -sf "$T/precious" "$PIDF"
launch_driver myups -F	# -FF: with a PID file
driver_ready myups "$DRIVER_PID" "$DRIVER_LOG" || bail_out "driver does not start"
wait_for 5 eval '[ "$(cat "$PIDF" 2>/dev/null)" = "$DRIVER_PID" ]'
is "$(cat "$T/precious")" "keep me" "the PID file is not written through a symlink"
is "$(stat -c %a "$T/precious")" 600 "... nor chmod'ed through it"
ok "the PID file is a regular file naming the driver" \
	eval '[ -f "$PIDF" ] && [ ! -L "$PIDF" ] && [ "$(cat "$PIDF")" = "$DRIVER_PID" ]'
stop_pid "$DRIVER_PID"

simfile="$T/simlines"
printf 'CTS=1 DCD=1 RNG=0 DSR=0\n' >"$simfile"
printf 'keep me\n' >"$T/precious-tmp"
printf 'keep me\n' >"$T/precious-out"
ln -sf "$T/precious-tmp" "$simfile.out.tmp"
ln -sf "$T/precious-out" "$simfile.out"
"$GENERICUPS" -a myups -u root -F -x "port=sim:$simfile" >"$T/driver-sim.log" 2>&1 &
simdrv=$!
track_pid "$simdrv"
driver_ready myups "$simdrv" "$T/driver-sim.log" || bail_out "sim: driver does not start"
is "$(cat "$T/precious-tmp") / $(cat "$T/precious-out")" "keep me / keep me" \
	"sim: outputs are not written through symlinks (PATH.out.tmp, PATH.out)"
ok "sim: PATH.out is a regular file with the CP lines" \
	eval '[ ! -L "$simfile.out" ] && grep -q "DTR=1 RTS=0" "$simfile.out"'

# --- 5. signals ---------------------------------------------------------------------------
kill -USR2 "$simdrv"
sleep 0.5
ok "SIGUSR2 does not kill a driver on a sim: port" alive "$simdrv"
ok "... which still answers" pong
stop_pid "$simdrv"

# SIGHUP and SIGUSR1 before the signalfd exists: the new instance is still
# starting while it waits for a stopped old one (2 s for a PONG, then SIGTERM
# and SIGCONT to the PID its PID file names)
launch_driver myups -F	# -FF: with a PID file
A=$DRIVER_PID
driver_ready myups "$A" "$DRIVER_LOG" || bail_out "driver does not start"
wait_for 5 test -f "$PIDF"
kill -STOP "$A"
t0=$(now_ms)
LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE MODEMSIM_LOG=$SIM_LOG \
	"$GENERICUPS" -a myups -u root -F >"$T/driver-new.log" 2>&1 &
new=$!
track_pid "$new"
sleep 0.5
kill -HUP "$new"
sleep 0.3
kill -USR1 "$new"
wait_for 10 gone "$A"
ok "the stopped old driver was terminated (SIGTERM, SIGCONT)" gone "$A"
wait_for 10 eval 'pong && [ "$(drivers_for myups)" = "$new" ]'
ms=$(($(now_ms) - t0))
ok "SIGHUP and SIGUSR1 during start-up did not kill the new driver" alive "$new" ||
	diag "$(tail -n 5 "$T/driver-new.log")"
ok "it took over from the stopped driver within 10 s ($ms ms)" \
	eval 'pong && [ "$(drivers_for myups)" = "$new" ] && [ '"$ms"' -lt 10000 ]'
stop_pid "$new"

# a stopped old driver without a PID file: the new one gives up at once, no hang
launch_driver myups
A=$DRIVER_PID
driver_ready myups "$A" "$DRIVER_LOG" || bail_out "driver does not start"
kill -STOP "$A"
t0=$(now_ms)
out=$(drv_env timeout -k 2 30 "$GENERICUPS" -a myups -u root -F 2>&1)
rc=$? ms=$(($(now_ms) - t0))
is "$rc" 1 "a stopped old driver without a PID file: the new one exits 1"
ok "... within 2 s + 1 s ($ms ms)" test "$ms" -lt 3000
like "$out" "does not answer" "... saying the old driver does not answer"
like "$out" "locked" "... and that the port is locked"
kill -CONT "$A"
ok "the old driver still runs" alive "$A"
stop_pid "$A"

# --- 6. taking over from NUT's own genericups -------------------------------------------
# NUT 2.8.0 ignores GETPID and INSTCMD driver.exit without a word: a PING
# after each request shows that at once, and its PID file is used
NUT_DRIVER=${NUT_DRIVER:-/lib/nut/genericups}
if [ -x "$NUT_DRIVER" ]; then
	drv_env timeout -k 2 20 "$NUT_DRIVER" -a myups -u root >"$T/driver-nut.log" 2>&1
	wait_for 5 test -s "$PIDF"
	nutpid=$(cat "$PIDF" 2>/dev/null)
	t0=$(now_ms)
	out=$(drv_env timeout -k 2 30 "$GENERICUPS" -a myups -u root 2>&1)
	rc=$? ms=$(($(now_ms) - t0))
	is "$rc" 0 "takes over from NUT's genericups 2.8.0 (PID ${nutpid:-?})" || diag "$out"
	ok "... within 1 s, not waiting on replies NUT never sends ($ms ms)" test "$ms" -lt 1000
	ok "... which has exited" gone "${nutpid:-0}"
	wait_for 5 pong
	ok "... and the new driver answers" pong
	for p in $(drivers_for myups); do stop_pid "$p"; done
else
	skip "takeover from NUT's genericups" "no $NUT_DRIVER"
fi

done_testing
