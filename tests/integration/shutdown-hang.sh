#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The shutdown path never hangs. -k against a stopped driver, a socket that
# accepts and never answers, and a socket whose listen backlog is full must
# finish within its deadlines and still shut the UPS down through the port
# (the -k process's own CP then SD writes in the shim log); -c gives up with
# an error. INSTCMD shutdown.default obeys driver.flag.allow_killpower; while
# the SD lines are held for sdtime the driver keeps answering PING, and
# after the hold it exits. -k through a running driver returns once the
# driver has held the lines and exited.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ "${USE_SIMPORT:-0}" = 1 ] && skip_all "needs the modem-line shim log"
is_ours || skip_all "tests this driver's deadlines"
command -v python3 >/dev/null || skip_all "needs python3 for the silent listeners"
sim_init
sim_set "CTS=1 DCD=1"
SOCK=$(driver_sock myups)
SDTIME=2

# kill_k: genericups -a myups -k with the shim and a 30 s cap; sets KOUT, KRC,
# KMS (wall time), KPID (the pid that opened the port itself, or "") and
# KSEQ (its TIOCMSET values).
kill_k()
{
	local before t0
	before=$(wc -l <"$SIM_LOG" 2>/dev/null || echo 0)
	t0=$(now_ms)
	KOUT=$(drv_env timeout -k 2 30 "$GENERICUPS" -a myups -k -u root 2>&1)
	KRC=$?
	KMS=$(($(now_ms) - t0))
	KPID=$(tail -n "+$((before + 1))" "$SIM_LOG" 2>/dev/null | awk '$3 == "OPEN" { print $2; exit }')
	KSEQ=
	[ -n "$KPID" ] && KSEQ=$(tiocmset_seq "$KPID")
}

# gone PID: exited (a zombie child of this shell counts)
gone()
{
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# check_fallback WHAT: -k gave up on the socket in time and did the work itself
check_fallback()
{
	is "$KRC" 0 "$1: -k exits 0"
	ok "$1: -k finished within its deadline ($KMS ms; 3 s + sdtime $SDTIME s + 2 s)" \
		test "$KMS" -lt $((3000 + SDTIME * 1000 + 2000))
	like "$KOUT" "did not answer|did not take killpower" "$1: -k says the driver did not answer"
	like "$KOUT" "through port .* directly" "$1: -k says it uses the port directly"
	is "$KSEQ" "0x002 0x006" "$1: -k itself wrote CP then SD (TIOCMSET 0x002 0x006)"
	diag "$1: -k took $KMS ms"
}

# listener MODE: a python process at $SOCK that never answers.
#   accept: accepts every connection, reads nothing, says nothing
#   backlog: listen(0), never accepts, and fills its own backlog
listener()
{
	cat >"$T/listener.py" <<'EOF'
import os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(0)
keep = []
if mode == "backlog":
    for _ in range(64):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except (BlockingIOError, InterruptedError):
            break
        keep.append(c)
    print("backlog full after %d connections" % len(keep), flush=True)
else:
    print("accepting", flush=True)
while True:
    if mode == "accept":
        conn, _ = s.accept()
        keep.append(conn)
    else:
        time.sleep(1)
EOF
	python3 "$T/listener.py" "$SOCK" "$1" >"$T/listener.out" 2>&1 &
	LISTENER_PID=$!
	track_pid "$LISTENER_PID"
	# python and 64 connects can take seconds on a loaded machine
	wait_for 30 test -s "$T/listener.out" || bail_out "the test's listener did not start"
	diag "listener: $(cat "$T/listener.out")"
}

write_ups_conf myups upstype=5 sdtime=$SDTIME

# --- 1. -k against a stopped driver ----------------------------------------------
start_driver myups || bail_out "driver does not start"
kill -STOP "$DRIVER_PID"
kill_k
check_fallback "stopped driver"
kill -CONT "$DRIVER_PID"
stop_pid "$DRIVER_PID"

# --- 2. a socket that accepts and never answers ------------------------------------
rm -f "$SOCK"
listener accept
kill_k
check_fallback "silent listener"

# -c through the socket gives up too, with an error naming the socket
t0=$(now_ms)
out=$(timeout -k 2 30 "$GENERICUPS" -a myups -c exit 2>&1)
rc=$? ms=$(($(now_ms) - t0))
is "$rc" 1 "silent listener: -c exit fails (exit 1)"
ok "silent listener: -c exit gives up within 3 s + 1 s ($ms ms)" test "$ms" -lt 4000
contains "$out" "$SOCK" "silent listener: -c error names the socket"
stop_pid "$LISTENER_PID"
rm -f "$SOCK"

# --- 3. a full listen backlog -------------------------------------------------------
listener backlog
kill_k
check_fallback "full backlog"
like "$KOUT" "backlog" "full backlog: -k names the full backlog"
stop_pid "$LISTENER_PID"
rm -f "$SOCK"

# --- 4. INSTCMD shutdown.default and driver.killpower in a running driver ----------
SDTIME=3
write_ups_conf myups upstype=5 sdtime=$SDTIME
: >"$SIM_LOG"
start_driver myups || bail_out "driver does not start"
sock_open "$SOCK"
sock_mark
sock_send "INSTCMD shutdown.default TRACKING sd1"
if sock_wait "^TRACKING sd1 " 2; then
	is "$(sock_since | awk '$2 == "sd1" { print $3 }')" 2 \
		"shutdown.default refused (TRACKING 2) while allow_killpower is 0"
else
	not_ok "shutdown.default refused (TRACKING 2) while allow_killpower is 0" "no reply"
fi
sleep 0.3
is "$(tiocmset_seq "$DRIVER_PID")" "0x002" "refused shutdown.default wrote no SD"
ok "driver alive after the refusal" kill -0 "$DRIVER_PID"

sock_mark
sock_send "SET driver.flag.allow_killpower 1 TRACKING a1"
sock_wait "^TRACKING a1 0" 2
sock_mark
t0=$(now_ms)
sock_send "INSTCMD shutdown.default TRACKING sd2"
sock_wait "^TRACKING sd2 " 3
ms=$(($(now_ms) - t0))
is "$(sock_since | awk '$2 == "sd2" { print $3 }')" 0 "shutdown.default accepted once allowed"
ok "its TRACKING reply does not wait for sdtime ($ms ms)" test "$ms" -lt 1500
pongs=0
for _ in 1 2 3 4; do
	sleep 0.4
	[ "$(printf 'PING\n' | sock_talk "$SOCK" 0.3)" = PONG ] && pongs=$((pongs + 1))
done
is "$pongs" 4 "PING answered during the ${SDTIME} s hold (4 of 4 within 0.3 s)"
wait_for $((SDTIME + 3)) gone "$DRIVER_PID"
ok "the driver exits after the hold (lines left as written)" gone "$DRIVER_PID"
is "$(tiocmset_seq "$DRIVER_PID")" "0x002 0x006" "shutdown.default wrote CP then SD, nothing after"
hold=$(span_ms "$DRIVER_PID" "TIOCMSET 0x006" CLOSE)
ok "SD held >= sdtime ($SDTIME s) before the port closed ($hold ms)" \
	test "$hold" -ge $((SDTIME * 1000)) -a "$hold" -lt $((SDTIME * 1000 + 1500))
sock_close

# driver.killpower: the same hold, PING answered
start_driver myups || bail_out "driver does not start"
sock_open "$SOCK"
sock_send "SET driver.flag.allow_killpower 1 TRACKING a2"
sock_wait "^TRACKING a2 0" 2
sock_mark
sock_send "INSTCMD driver.killpower TRACKING kp1"
sock_wait "^TRACKING kp1 " 3
is "$(sock_since | awk '$2 == "kp1" { print $3 }')" 0 "driver.killpower accepted"
sleep 0.5
is "$(printf 'PING\n' | sock_talk "$SOCK" 0.3)" PONG "PING answered during the killpower hold"
wait_for $((SDTIME + 3)) gone "$DRIVER_PID"
ok "the driver exits after the killpower hold" gone "$DRIVER_PID"
sock_close

# driver.killpower with a BREAK (type 11): the BREAK is begun and ended by the
# loop's timer (TIOCSBRK ... TIOCCBRK), not a blocking tcsendbreak, so PING
# is answered while it lasts
write_ups_conf myups upstype=11
sim_set "CTS=0 DCD=1"
: >"$SIM_LOG"
start_driver myups || bail_out "driver does not start (type 11)"
sock_open "$SOCK"
sock_send "SET driver.flag.allow_killpower 1 TRACKING a3"
sock_wait "^TRACKING a3 0" 2
sock_mark
sock_send "INSTCMD driver.killpower TRACKING kp2"
sock_wait "^TRACKING kp2 " 3
is "$(sock_since | awk '$2 == "kp2" { print $3 }')" 0 "type 11: driver.killpower accepted"
pongs=0
for _ in 1 2 3 4; do
	sleep 0.8
	[ "$(printf 'PING\n' | sock_talk "$SOCK" 0.3)" = PONG ] && pongs=$((pongs + 1))
done
is "$pongs" 4 "type 11: PING answered during the 5 s BREAK (4 of 4 within 0.3 s)"
wait_for 5 gone "$DRIVER_PID"
ok "type 11: the driver exits after the BREAK" gone "$DRIVER_PID"
brk=$(span_ms "$DRIVER_PID" TIOCSBRK TIOCCBRK)
ok "type 11: a BREAK of 5 s, begun and ended by the loop ($brk ms)" \
	test "$brk" -ge 5000 -a "$brk" -lt 6500
sock_close
write_ups_conf myups upstype=5 sdtime=$SDTIME
sim_set "CTS=1 DCD=1"

# --- 5. -k through a running driver returns after the driver's hold ---------------
start_driver myups || bail_out "driver does not start"
kill_k
is "$KRC" 0 "-k via the running driver exits 0"
is "$KPID" "" "-k via the running driver did not open the port"
ok "-k returned after the driver's ${SDTIME} s hold and exit ($KMS ms)" \
	test "$KMS" -ge $((SDTIME * 1000)) -a "$KMS" -lt $((SDTIME * 1000 + 3000))
# -k sees the driver close its socket, a moment before the process ends
wait_for 1 gone "$DRIVER_PID"
ok "the driver is gone within 1 s of -k returning" gone "$DRIVER_PID"

done_testing
