#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# many-ups.sh: the idle cost of a host with many contact-closure UPSes.
# N drivers of ours and N of NUT 2.8.0's /lib/nut/genericups run at the same
# time, one process per UPS, mixed upstypes, all under ONE upsd (as on a
# monitoring host with a multiport serial card). After a settle time the
# lines stay still for IDLE_SECS; for each set the script sums, over its
# drivers: CPU time of every thread (/proc/PID/task/*/schedstat, ns; the
# 10 ms ticks of utime+stime are too coarse for idle drivers), context switches of
# every thread (voluntary + involuntary, /proc/PID/task/*/status: each
# wake-up from sleep is one), VmRSS and Pss (smaps_rollup) at the end.
#
# Sets: "ours, shim" and "NUT, shim" read the modem-line simulator
# (tests/modemsim.so), like for like; the shim itself wakes a thread that
# waits in TIOCMIWAIT every 50 ms (it re-reads the state file), which a real
# port does not. "ours, sim:" is ours on its own port=sim:FILE source
# (inotify, no shim): the driver's own idle cost.
#
# Environment (defaults in brackets):
#   BUILD   build tree with genericups and tests/.libs/modemsim.so [repo root]
#   OURS [$BUILD/genericups]  SHIM [$BUILD/tests/.libs/modemsim.so]
#   NUT [/lib/nut/genericups]  UPSD [/lib/nut/upsd]
#   N [16] drivers per set   IDLE_SECS [60]   SETTLE_SECS [10]
#   SETS ["ours-shim ours-sim nut-shim"]   WORK [mktemp]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO}
OURS=${OURS:-$BUILD/genericups}
[ -x "$OURS" ] || OURS=$BUILD/stage/lib/nut/genericups
SHIM=${SHIM:-$BUILD/tests/.libs/modemsim.so}
NUT=${NUT:-/lib/nut/genericups}
UPSD=${UPSD:-/lib/nut/upsd}
N=${N:-16}
IDLE_SECS=${IDLE_SECS:-60}
SETTLE_SECS=${SETTLE_SECS:-10}
SETS=${SETS:-"ours-shim ours-sim nut-shim"}
WORK=${WORK:-$(mktemp -d /tmp/genericups-manyups.XXXXXX)}
# 16 upstypes, each with its on-line reading (CTS DCD RNG DSR), from
# tests/lib.sh's sequence table: every UPS idles on line
TYPES=(0 1 2 3 4 5 6 7 9 10 12 13 14 19 21 23)
declare -A OL_LINES=([0]="CTS=0 DCD=0" [1]="RNG=0 DCD=0" [2]="CTS=0 DCD=0" [3]="CTS=0 DCD=0"
	[4]="CTS=1 DCD=1" [5]="CTS=1 DCD=1" [6]="CTS=1 DCD=1" [7]="CTS=1 DCD=1" [9]="DCD=0 CTS=0"
	[10]="CTS=1 DCD=1" [12]="CTS=0 DCD=0" [13]="DCD=1 CTS=1" [14]="DCD=1 CTS=1"
	[19]="CTS=1 DCD=1" [21]="CTS=1 DCD=1" [23]="CTS=1 DCD=1 RNG=1 DSR=1")

die() { echo "many-ups.sh: $*" >&2; exit 1; }

for f in "$OURS" "$SHIM" "$NUT" "$UPSD"; do
	[ -e "$f" ] || die "$f: not found (set BUILD, OURS, SHIM, NUT or UPSD)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (drivers and upsd run with -u root)"

export NUT_CONFPATH=$WORK/etc NUT_STATEPATH=$WORK/run NUT_ALTPIDPATH=$WORK/run
mkdir -p "$NUT_CONFPATH" "$NUT_STATEPATH" "$WORK/lines" "$WORK/logs"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ups_name SET I
ups_name() { echo "${1//-/}$2"; }

# the ups.conf of every set, one section per UPS
: >"$NUT_CONFPATH/ups.conf"
for set in $SETS; do
	for i in $(seq 0 $((N - 1))); do
		name=$(ups_name "$set" "$i")
		t=${TYPES[$((i % ${#TYPES[@]}))]}
		echo "${OL_LINES[$t]}" >"$WORK/lines/$name"
		port=/dev/ttyFAKE-$name
		[ "$set" = ours-sim ] && port=sim:$WORK/lines/$name
		printf '[%s]\n\tdriver = genericups\n\tport = "%s"\n\tupstype = %s\n' \
			"$name" "$port" "$t" >>"$NUT_CONFPATH/ups.conf"
	done
done

declare -A SET_PIDS
start_set() {
	local set=$1 bin=$OURS pre=$SHIM i name pid
	[ "$set" = nut-shim ] && bin=$NUT
	[ "$set" = ours-sim ] && pre=
	for i in $(seq 0 $((N - 1))); do
		name=$(ups_name "$set" "$i")
		LD_PRELOAD=$pre MODEMSIM_PORT=/dev/ttyFAKE-$name MODEMSIM_STATE=$WORK/lines/$name \
			"$bin" -a "$name" -u root -F >"$WORK/logs/$name.log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		SET_PIDS[$set]+="$pid "
	done
}

for set in $SETS; do
	start_set "$set"
done
port=$(shuf -i 20000-40000 -n 1)
printf 'LISTEN 127.0.0.1 %s\n' "$port" >"$NUT_CONFPATH/upsd.conf"
printf '[mon]\n\tpassword = bench\n\tupsmon primary\n' >"$NUT_CONFPATH/upsd.users"
chmod 600 "$NUT_CONFPATH"/upsd.*
sleep 2
"$UPSD" -u root -F >"$WORK/logs/upsd.log" 2>&1 &
PIDS+=("$!")
sleep "$SETTLE_SECS"

nconn=$(grep -c 'Connected to UPS' "$WORK/logs/upsd.log")
total=$(( $(echo "$SETS" | wc -w) * N ))
[ "$nconn" -ge "$total" ] || echo "WARNING: upsd connected to $nconn of $total drivers" >&2
for set in $SETS; do
	for pid in ${SET_PIDS[$set]}; do
		kill -0 "$pid" 2>/dev/null || die "a driver of set $set (pid $pid) died; logs in $WORK/logs (KEEP=1)"
	done
done

# cpu_ns PID: time on CPU of all threads; ctxt PID: their context switches
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
ctxt() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}

declare -A T0 C0
for set in $SETS; do
	for pid in ${SET_PIDS[$set]}; do
		T0[$pid]=$(cpu_ns "$pid")
		C0[$pid]=$(ctxt "$pid")
	done
done
start=$(date +%s.%N)
sleep "$IDLE_SECS"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
calc() { awk "BEGIN { print $1 }"; }

printf '%d drivers per set, one upsd for all %d, idle %.1f s\n' "$N" "$total" "$secs"
printf '%-10s %8s %10s %13s %14s %10s %10s %8s\n' set threads "CPU ms" "CPU ms/min" "wakeups/min" \
	"RSS kB" "Pss kB" "Pss/drv"
for set in $SETS; do
	ns=0 cs=0 rss=0 pss=0 thr=0
	for pid in ${SET_PIDS[$set]}; do
		ns=$((ns + $(cpu_ns "$pid") - T0[$pid]))
		cs=$((cs + $(ctxt "$pid") - C0[$pid]))
		rss=$((rss + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")))
		pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")))
		thr=$((thr + $(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")))
	done
	printf '%-10s %8d %10.1f %13.1f %14.1f %10d %10d %8d\n' "$set" "$thr" \
		"$(calc "$ns / 1000000")" "$(calc "$ns / 1000000 * 60 / $secs")" \
		"$(calc "$cs * 60 / $secs")" \
		"$rss" "$pss" $((pss / N))
done
echo "ours: $OURS ($("$OURS" -V 2>&1 | head -n 1))"
echo "NUT:  $NUT ($("$NUT" -V 2>&1 | head -n 1))"
