#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-all.sh: every genericups benchmark, side by side with NUT's own
# genericups, under the same modem-line simulator (tests/modemsim.so).
# Prints a table and writes it to bench/results-<date>.txt.
#
# Environment (defaults in brackets):
#   BUILD    build tree holding genericups and tests/.libs/modemsim.so [repo root]
#   OURS     our driver [$BUILD/genericups]     SHIM  the simulator [$BUILD/tests/.libs/modemsim.so]
#   NUT      NUT's driver [/lib/nut/genericups] UPSD  NUT's upsd [/lib/nut/upsd]
#   WORK     scratch directory [mktemp]         RESULTS  output file [bench/results-<date>.txt]
#   IDLE_SECS [60]  EVENT_N [500]  POLL_INST [4]  POLL_N [50 per instance]
#   FAN_CLIENTS [1000]  FAN_N_OURS [50]  FAN_N_NUT [20]
#   OB_N_OURS [40]  LB_N_OURS [25]  OB_N_NUT [25]  LB_N_NUT [25]
#   OURS_ALT, OURS_ALT_LABEL  a second build of ours, for one more memory row
#   MODEMSIM_CHIP [8250]  the simulated chip (chip-latency.sh compares them;
#            8250 reports CTS and DCD at once, as the figures here assume)
set -u
export MODEMSIM_CHIP=${MODEMSIM_CHIP:-8250}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO}
OURS=${OURS:-$BUILD/genericups}
SHIM=${SHIM:-$BUILD/tests/.libs/modemsim.so}
NUT=${NUT:-/lib/nut/genericups}
UPSD=${UPSD:-/lib/nut/upsd}
WORK=${WORK:-$(mktemp -d /tmp/genericups-bench.XXXXXX)}
RESULTS=${RESULTS:-$HERE/results-$(date +%Y-%m-%d).txt}
IDLE_SECS=${IDLE_SECS:-60}
EVENT_N=${EVENT_N:-500}
POLL_INST=${POLL_INST:-4}
POLL_N=${POLL_N:-50}
FAN_CLIENTS=${FAN_CLIENTS:-1000}
FAN_N_OURS=${FAN_N_OURS:-50}
FAN_N_NUT=${FAN_N_NUT:-20}
OB_N_OURS=${OB_N_OURS:-40}
LB_N_OURS=${LB_N_OURS:-25}
OB_N_NUT=${OB_N_NUT:-25}
LB_N_NUT=${LB_N_NUT:-25}
PORT=/dev/ttyFAKE0
BIN=$WORK/bin

die() { echo "run-all.sh: $*" >&2; exit 1; }

for f in "$OURS" "$SHIM" "$NUT" "$UPSD"; do
	[ -e "$f" ] || die "$f: not found (set BUILD, OURS, SHIM, NUT or UPSD)"
done
command -v strace >/dev/null || die "strace: not installed"
ulimit -n 4096 || die "cannot raise the descriptor limit to 4096"

# kill_listed FILE WORD: kill the pids in FILE still running a program named WORD
# (a pid that ended may have been reused by something else)
kill_listed() {
	local p
	for p in $(cat "$1" 2>/dev/null); do
		grep -qa "$2" "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null
	done
}

# Drivers go first (NUT 2.8.0 spins on a client that leaves), then upsd.
cleanup() {
	kill_listed "$WORK/driver.pids" genericups
	sleep 0.2
	kill_listed "$WORK/other.pids" upsd
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_tools() {
	mkdir -p "$BIN"
	for t in latency fanout simfloor; do
		gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BIN/$t" "$HERE/$t.c" ||
			die "$t.c: build failed"
	done
}

# new_line DIR: a private state-file folder (the shim watches the folder)
new_line() {
	rm -rf "$1"
	mkdir -p "$1/s" "$1/line" "$1/conf"
	echo "CTS=1 DCD=1" > "$1/line/state"
}

# start_driver DIR BINARY UPSNAME [--sim] [driver options...]; the pid goes to DIR/pid.
# --sim: our own built-in simulated source (port=sim:FILE, same file format),
# without the shim: what the driver costs with no simulator in the way.
start_driver() {
	local dir=$1 bin=$2 name=$3 i port=$PORT preload=$SHIM
	shift 3
	new_line "$dir"
	if [ "${1:-}" = --sim ]; then
		shift
		port=sim:$dir/line/state
		preload=
	fi
	(
		cd "$dir" || exit 1
		export NUT_STATEPATH=$dir/s LD_PRELOAD=$preload MODEMSIM_PORT=$PORT \
			MODEMSIM_STATE=$dir/line/state
		exec "$bin" -s "$name" -x port="$port" -x upstype=5 -u root -F "$@" \
			> "$dir/driver.log" 2>&1
	) &
	echo $! > "$dir/pid"
	echo $! >> "$WORK/driver.pids"
	for i in $(seq 100); do
		[ -S "$dir/s/genericups-$name" ] && break
		sleep 0.05
	done
	[ -S "$dir/s/genericups-$name" ] || die "$bin did not create its socket; see $dir/driver.log"
}

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		[ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
	done
	die "no free TCP port"
}

# start_upsd DIR: NUT's upsd on its own config, attached to the driver of DIR
start_upsd() {
	local dir=$1
	printf '[b]\n\tdriver = genericups\n\tport = %s\n\tupstype = 5\n' "$PORT" > "$dir/conf/ups.conf"
	printf 'LISTEN 127.0.0.1 %s\n' "$(free_port)" > "$dir/conf/upsd.conf"
	printf '[mon]\n\tpassword = bench\n\tupsmon primary\n' > "$dir/conf/upsd.users"
	chmod 600 "$dir/conf/"*
	NUT_STATEPATH=$dir/s NUT_CONFPATH=$dir/conf "$UPSD" -u root -F > "$dir/upsd.log" 2>&1 &
	echo $! >> "$WORK/other.pids"
}

pidof_dir() { cat "$1/pid"; }

# --- the measurements -------------------------------------------------------

# latency_job DIR LABEL MODE N PAUSE SEED DRIVER [driver options...]
latency_job() {
	local dir=$1 label=$2 mode=$3 n=$4 pause=$5 seed=$6 bin=$7
	shift 7
	start_driver "$dir" "$bin" a "$@"
	"$BIN/latency" -S "$dir/s/genericups-a" -f "$dir/line/state" -m "$mode" -n "$n" \
		-p "$pause" -r "$seed" -t 15000 -l "$label" -o "$dir/raw" -K "$(pidof_dir "$dir")" \
		> "$dir/result" 2> "$dir/latency.err"
}

fanout_job() {
	local dir=$1 label=$2 n=$3 pause=$4 bin=$5
	shift 5
	start_driver "$dir" "$bin" a "$@"
	"$BIN/fanout" -S "$dir/s/genericups-a" -f "$dir/line/state" -c "$FAN_CLIENTS" -n "$n" -w \
		-p "$pause" -t 10000 -l "$label" -K "$(pidof_dir "$dir")" \
		> "$dir/result" 2> "$dir/fanout.err"
}

# memory DIR LABEL: VmRSS, VmHWM and Pss of the driver of DIR
memory() {
	local pid
	pid=$(pidof_dir "$1")
	awk -v l="$2" '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{printf "%-28s VmRSS=%d kB VmHWM=%d kB", l, r, h}' \
		"/proc/$pid/status"
	awk '/^Pss:/{printf " Pss=%d kB\n", $2}' "/proc/$pid/smaps_rollup"
}

# idle_summary DIR LABEL: per-minute system calls from the strace -C -f file
idle_summary() {
	local dir=$1 label=$2 pid
	pid=$(pidof_dir "$dir")
	awk -v pid="$pid" -v l="$label" -v secs="$IDLE_SECS" -v st="$dir/line/state" '
		/^% time/ { table = 1 }
		table && $NF == "total" { total = $4 + 0 }
		!table && $2 ~ /^[a-z0-9_]+\(/ {
			if ($1 == pid) main++; else other++
			if ($1 == pid && index($0, "openat(AT_FDCWD, \"" st "\"")) sim++
			if ($1 == pid && $2 ~ /^(write|sendto)\(/ && index($0, "PONG")) pong++
		}
		END {
			# a state-file open in the main thread is the shim answering one
			# TIOCMGET with newfstatat+openat+read+read+close: 5 calls for 1 ioctl.
			adj = main - 4 * sim
			f = 60 / secs
			printf "%-28s strace total=%d  main thread=%d  other threads (shim TIOCMIWAIT loop)=%d  shim TIOCMGETs=%d  PONGs to upsd=%d\n", l, total * f, main * f, other * f, sim * f, pong * f
			printf "%-28s => without the simulator ~%d calls per minute, ~%d beyond answering upsd PINGs\n", l, adj * f, (adj - 3 * pong) * f
		}' "$dir/strace.txt"
}

idle_job() {
	local d_ours=$WORK/idle-ours d_nut=$WORK/idle-nut
	start_driver "$d_ours" "$OURS" b
	start_driver "$d_nut" "$NUT" b
	start_upsd "$d_ours"
	start_upsd "$d_nut"
	if [ -n "${OURS_ALT:-}" ]; then
		start_driver "$WORK/idle-alt" "$OURS_ALT" b
		start_upsd "$WORK/idle-alt"
	fi
	sleep 3		# startup done, upsd connected and dumped
	{ memory "$d_ours" "ours"; memory "$d_nut" "NUT 2.8.0"; 
	  [ -z "${OURS_ALT:-}" ] || memory "$WORK/idle-alt" "ours (${OURS_ALT_LABEL:-OURS_ALT})"; } > "$WORK/memory.result"
	timeout -s INT "$IDLE_SECS" strace -C -f -qq -o "$d_ours/strace.txt" -p "$(pidof_dir "$d_ours")" &
	s1=$!
	timeout -s INT "$IDLE_SECS" strace -C -f -qq -o "$d_nut/strace.txt" -p "$(pidof_dir "$d_nut")" &
	wait "$s1" $!
	sleep 0.5
	grep -q 'Connected to UPS' "$d_ours/upsd.log" || echo "WARNING: upsd never connected to ours" >&2
	grep -q 'Connected to UPS' "$d_nut/upsd.log" || echo "WARNING: upsd never connected to NUT" >&2
	{
		idle_summary "$d_ours" "ours (event mode)"
		idle_summary "$d_nut" "NUT 2.8.0 (polls every 2 s)"
		for d in "$d_ours" "$d_nut"; do
			echo "--- strace -c table, $(basename "$d") ($IDLE_SECS s):"
			awk '/^% time/{t=1} t' "$d/strace.txt"
		done
	} > "$WORK/idle.result"
}

# --- run ---------------------------------------------------------------------

build_tools
START=$(date +%s)
{
	echo "genericups benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
	echo "ours: $OURS ($("$OURS" -V 2>&1 | head -1))"
	echo "NUT:  $NUT ($("$NUT" -V 2>&1 | head -1))"
	echo "simulator: $SHIM; upstype 5 (OL = CTS set, LB = DCD clear)"
} > "$WORK/header"
cat "$WORK/header"
echo "phase 1 (quiet): simulator floor, event mode, fan-out of ours..."

# Phase 1: the millisecond measurements, nothing else running.
new_line "$WORK/floor"
LD_PRELOAD=$SHIM MODEMSIM_PORT=$PORT MODEMSIM_STATE=$WORK/floor/line/state \
	"$BIN/simfloor" -P $PORT -f "$WORK/floor/line/state" -n 300 -p 20 \
	-l "simulator floor" > "$WORK/floor/result"
latency_job "$WORK/ev" "ours event (delays 0)" toggle "$EVENT_N" 20 1 "$OURS" \
	-x obconfirm=0 -x olconfirm=0 -x lbconfirm=0
latency_job "$WORK/ev-sim" "ours event, port=sim:" toggle "$EVENT_N" 20 2 "$OURS" --sim \
	-x obconfirm=0 -x olconfirm=0 -x lbconfirm=0
fanout_job "$WORK/fan-ours" "ours" "$FAN_N_OURS" 20 "$OURS" -x obconfirm=0 -x olconfirm=0 -x lbconfirm=0
fanout_job "$WORK/fan-sim" "ours port=sim:" "$FAN_N_OURS" 20 "$OURS" --sim \
	-x obconfirm=0 -x olconfirm=0 -x lbconfirm=0

# Phase 2: the second-scale measurements, in parallel to fit in the time.
echo "phase 2 (parallel, ~2 min): idle cost, memory, polling, default delays, fan-out of NUT..."
idle_job &
for i in $(seq "$POLL_INST"); do
	latency_job "$WORK/poll-ours-$i" "ours poll" toggle "$POLL_N" 2000 $((10 + i)) "$OURS" \
		-x pollonly -x obconfirm=0 -x olconfirm=0 -x lbconfirm=0 &
	latency_job "$WORK/poll-nut-$i" "NUT poll" toggle "$POLL_N" 2000 $((20 + i)) "$NUT" &
done
latency_job "$WORK/ob-ours" "ours sustained OB (defaults)" ob "$OB_N_OURS" 2000 31 "$OURS" &
latency_job "$WORK/lb-ours" "ours sustained LB (defaults)" lb "$LB_N_OURS" 500 32 "$OURS" &
latency_job "$WORK/ob-nut" "NUT sustained OB" ob "$OB_N_NUT" 2000 33 "$NUT" &
latency_job "$WORK/lb-nut" "NUT sustained LB" lb "$LB_N_NUT" 2000 34 "$NUT" &
fanout_job "$WORK/fan-nut" "NUT 2.8.0" "$FAN_N_NUT" 2000 "$NUT" &
wait

# --- the table ---------------------------------------------------------------
row() { [ -s "$1" ] && cat "$1" || echo "$2: NO RESULT (see ${1%/*}/*.err, ${1%/*}/driver.log)"; }
pct() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1" | head -1; }
{
	cat "$WORK/header"
	echo
	echo "== Latency: line change (state-file rename) -> SETINFO ups.status on the driver socket"
	echo "   (port=sim: rows: our built-in file source, no shim; every other row goes through the shim)"
	row "$WORK/ev/result" "ours event"
	row "$WORK/ev-sim/result" "ours event port=sim:"
	"$BIN/latency" -R -l "ours poll (pollinterval 2)" "$WORK"/poll-ours-*/raw
	"$BIN/latency" -R -l "NUT poll (pollinterval 2)" "$WORK"/poll-nut-*/raw
	row "$WORK/floor/result" "simulator floor"
	echo "   (polling: $POLL_INST drivers x $POLL_N changes each, pooled; pause before a change uniform 0-2 s)"
	echo
	echo "== Sustained OB / LB with the default delays (ours: OB confirmed 1 s, LB confirmed 1.5 s)"
	row "$WORK/ob-ours/result" "ours OB"
	row "$WORK/ob-nut/result" "NUT OB"
	row "$WORK/lb-ours/result" "ours LB"
	row "$WORK/lb-nut/result" "NUT LB"
	echo
	echo "== Fan-out: $FAN_CLIENTS clients, rename -> the last client has the status"
	echo "   (spread: first client -> last client, which leaves out the simulator's wake-up)"
	row "$WORK/fan-ours/result" "ours fan-out"
	row "$WORK/fan-sim/result" "ours fan-out port=sim:"
	row "$WORK/fan-nut/result" "NUT fan-out"
	echo
	echo "== Resident memory after startup (upsd attached)"
	row "$WORK/memory.result" "memory"
	echo
	echo "== Idle cost: system calls per minute, upsd attached, no line changes ($IDLE_SECS s strace -C -f)"
	row "$WORK/idle.result" "idle"
	echo
	echo "== Goals"
	p99of() { awk -v pat="$2" 'index($0, pat) && !/spread/' "$1" | sed -n 's/.* p99=\([0-9.]*\).*/\1/p' | head -1; }
	awk -v ev="$(p99of "$WORK/ev/result" event)" -v evs="$(p99of "$WORK/ev-sim/result" event)" \
	    -v fl="$(p99of "$WORK/floor/result" floor)" \
	    -v fo="$(p99of "$WORK/fan-ours/result" "c=$FAN_CLIENTS ")" -v fs="$(p99of "$WORK/fan-ours/result" +stuck)" \
	    -v fos="$(p99of "$WORK/fan-sim/result" "c=$FAN_CLIENTS ")" -v fss="$(p99of "$WORK/fan-sim/result" +stuck)" '
		function verdict(ok) { return ok ? "PASS" : "FAIL" }
		BEGIN {
			printf "event p99 < 5 ms: %s through the shim (%.3f ms; the shim alone: p99 %.3f ms); %s with port=sim: (%.3f ms)\n",
				verdict(ev < 5), ev, fl, verdict(evs < 5), evs
			printf "fan-out p99 < 20 ms: %s through the shim (%.3f ms, with a stuck client %.3f ms); %s with port=sim: (%.3f ms, stuck %.3f ms)\n",
				verdict(fo < 20), fo, fs, verdict(fos < 20), fos, fss
		}'
	awk '/=>/ { n++; k = 0; for (i = 1; i <= NF; i++) if ($i ~ /^~/) v[n, ++k] = substr($i, 2) + 0 }
		END { if (n == 2) printf "idle calls <= NUT/10: %s (%d vs %d per minute without the simulator; %d vs %d beyond upsd PINGs)\n",
			(v[1, 1] <= v[2, 1] / 10 ? "PASS" : "FAIL"), v[1, 1], v[2, 1], v[1, 2], v[2, 2] }' "$WORK/idle.result"
	awk '/VmRSS/ { n++; for (i = 1; i <= NF; i++) { if ($i ~ /^VmRSS=/) r[n] = substr($i, 7) + 0; if ($i ~ /^Pss=/) p[n] = substr($i, 5) + 0 } }
		END { if (n >= 2) printf "memory <= NUT: %s (VmRSS %d vs %d kB, Pss %d vs %d kB)\n",
			(r[1] <= r[2] && p[1] <= p[2] ? "PASS" : "FAIL"), r[1], r[2], p[1], p[2]
		      if (n == 3) printf "memory <= NUT, second build: %s (VmRSS %d vs %d kB, Pss %d vs %d kB)\n",
			(r[3] <= r[2] && p[3] <= p[2] ? "PASS" : "FAIL"), r[3], r[2], p[3], p[2] }' "$WORK/memory.result"
	echo
	echo "run time: $(( $(date +%s) - START )) s; raw files in $WORK"
} | tee "$RESULTS"
