#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# chip-latency.sh: time from a modem-line change to the driver socket's
# `SETINFO ups.status` broadcast, per simulated chip (MODEMSIM_CHIP), per input
# line and per edge, for our genericups and NUT 2.8.0's, in one run.
# Prints one table and writes it to bench/results-chips-<date>.txt.
#
# Each cell makes one line the status line: -x OL=<line> -x LB=none (the line
# set = OL) and -x OL=-<line> (the line set = OB), each toggled by
# `latency -m line`, so every edge is measured both as OB->OL and as OL->OB;
# the two drivers' samples are pooled. Ours runs with all delays 0.
#
# Environment (defaults in brackets):
#   BUILD    build tree holding genericups and tests/.libs/modemsim.so [repo root]
#   OURS     our driver [$BUILD/genericups]   SHIM  the simulator [$BUILD/tests/.libs/modemsim.so]
#   NUT      NUT's driver [/lib/nut/genericups]
#   WORK     scratch directory [mktemp]       RESULTS  output file [bench/results-chips-<date>.txt]
#   BUILD_DESC  what the build is, for the header [the repository's HEAD commit]
set -u

# --- settings ----------------------------------------------------------------
CHIPS=${CHIPS:-"ftdi 8250 pl2303 ch341 cdc-acm cp210x unknown"}
LINES=${LINES:-"CTS DCD RNG DSR"}
N_OURS=${N_OURS:-100}		# samples per cell (chip, line, edge) for ours, half per polarity
N_NUT=${N_NUT:-50}		# the same for NUT (its 2 s poll: ~2 s per sample)
NUT_CHIPS=${NUT_CHIPS:-"8250 cp210x"}	# NUT only calls TIOCMGET: the chip barely matters
# Chips whose every edge is read on our linepoll timer (no usable TIOCMIWAIT):
# their drivers run all at once, beside the NUT drivers, in phase 2. Every
# other cell runs alone, one driver at a time, in phase 1.
PARALLEL_CHIPS=${PARALLEL_CHIPS:-"cp210x unknown"}
PAUSE_MS=${PAUSE_MS:-20}	# random pause 0-PAUSE_MS before an edge the port reports
POLLED_PAUSE=${POLLED_PAUSE:-30-230}	# ... before an edge ours reads on its timer (linepoll 200 ms)
NUT_PAUSE_MS=${NUT_PAUSE_MS:-2000}	# ... for NUT: anywhere in its 2 s poll
TIMEOUT_MS=${TIMEOUT_MS:-15000}
# Wait after the driver's socket appears before the first change: a change in
# the first milliseconds, before the watcher thread is in its first
# TIOCMIWAIT, can go unseen until the 60 s safety read (see README).
START_WAIT=${START_WAIT:-0.5}
# Ours: all delays 0; deadcable=off because with one line in the profile,
# every edge to "line clear" would look like a pulled cable (held as stale).
OURS_OPTS=${OURS_OPTS:-"-x olconfirm=0 -x obconfirm=0 -x deadcable=off"}

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO}
OURS=${OURS:-$BUILD/genericups}
SHIM=${SHIM:-$BUILD/tests/.libs/modemsim.so}
NUT=${NUT:-/lib/nut/genericups}
WORK=${WORK:-$(mktemp -d /tmp/genericups-chips.XXXXXX)}
RESULTS=${RESULTS:-$HERE/results-chips-$(date +%Y-%m-%d).txt}
PORT=/dev/ttyFAKE0
BIN=$WORK/bin

die() { echo "chip-latency.sh: $*" >&2; exit 1; }

for f in "$OURS" "$SHIM" "$NUT"; do
	[ -e "$f" ] || die "$f: not found (set BUILD, OURS, SHIM or NUT)"
done
grep -q MODEMSIM_CHIP "$SHIM" || die "$SHIM: this simulator has no chip models (MODEMSIM_CHIP)"
[ "$(id -u)" = 0 ] || die "needs root (the drivers run with -u root)"

# kill_listed FILE WORD: kill the pids in FILE still running a program named WORD
kill_listed() {
	local p
	while read -r p; do
		grep -qa "$2" "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null
	done < "$1"
}
cleanup() {
	[ -e "$WORK/driver.pids" ] && kill_listed "$WORK/driver.pids" genericups
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_tools() {
	mkdir -p "$BIN"
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BIN/latency" \
		"$HERE/latency.c" || die "latency.c: build failed"
}

# cpu_sample: "busy total" jiffies of all CPUs, from /proc/stat
cpu_sample() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }

# cpu_busy "B0 T0" "B1 T1": percent of all CPUs busy in between
cpu_busy() {
	local b0 t0 b1 t1
	read -r b0 t0 <<< "$1"
	read -r b1 t1 <<< "$2"
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }'
}

# cell_job KIND CHIP LINE POLARITY SEED: one driver, one line toggled.
# POLARITY is "" (the line set = OL) or "-" (the line set = OB). The result
# goes to DIR/result; DIR/refused if the driver refused the profile at start.
cell_job() {
	local kind=$1 chip=$2 line=$3 pol=$4 seed=$5 bin n pause
	local dir=$WORK/$kind-$chip-$line${pol:+-inv} pid
	local opts=(-x OL="$pol$line" -x LB=none)

	rm -rf "$dir"
	mkdir -p "$dir/s" "$dir/line"
	echo "CTS=0 DCD=0 RNG=0 DSR=0" > "$dir/line/state"
	if [ "$kind" = ours ]; then
		bin=$OURS n=$N_OURS pause=$PAUSE_MS
		# shellcheck disable=SC2206  # word-split on purpose
		opts+=($OURS_OPTS)
	else
		bin=$NUT n=$N_NUT pause=$NUT_PAUSE_MS
	fi
	(
		cd "$dir" || exit 1
		export NUT_STATEPATH=$dir/s LD_PRELOAD=$SHIM MODEMSIM_PORT=$PORT \
			MODEMSIM_STATE=$dir/line/state MODEMSIM_CHIP=$chip
		exec "$bin" -s a -x port=$PORT -x upstype=5 "${opts[@]}" -u root -F \
			> "$dir/driver.log" 2>&1
	) &
	pid=$!
	echo "$pid" >> "$WORK/driver.pids"
	for _ in $(seq 100); do
		[ -S "$dir/s/genericups-a" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -S "$dir/s/genericups-a" ]; then
		wait "$pid" 2>/dev/null
		if grep -q "cannot report $line" "$dir/driver.log"; then
			touch "$dir/refused"
		else
			echo "$kind $chip $pol$line: no socket; see $dir/driver.log" >&2
		fi
		return
	fi
	sleep "$START_WAIT"
	"$BIN/latency" -S "$dir/s/genericups-a" -f "$dir/line/state" -m line -L "$pol$line" \
		-n "$n" -p "$pause" -P "$POLLED_PAUSE" -r "$seed" -t "$TIMEOUT_MS" \
		-l "$kind $chip $pol$line" -o "$dir/raw" -K "$pid" \
		> "$dir/result" 2> "$dir/latency.err"
	# latency kills the driver when it finishes, not when it gives up
	echo "$pid" > "$dir/pid"
	kill_listed "$dir/pid" genericups
	wait "$pid" 2>/dev/null
}

# cell_pair KIND CHIP LINE SEED: both polarities, one after the other
cell_pair() {
	cell_job "$1" "$2" "$3" "" "$4"
	cell_job "$1" "$2" "$3" - $(($4 + 1))
}

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# --- run ---------------------------------------------------------------------

build_tools
START=$(date +%s)
{
	echo "genericups: line change -> SETINFO ups.status on the driver socket, per chip model"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
	echo "ours: $OURS ($("$OURS" -V 2>&1 | head -1)), ${BUILD_DESC:-repo at $(git -C "$REPO" log -1 --format='%h "%s"' 2>/dev/null)}"
	echo "NUT:  $NUT ($("$NUT" -V 2>&1 | head -1))"
	echo "simulator: $SHIM"
	echo "cells: upstype 5 with -x OL=<line> and -x OL=-<line>, -x LB=none; ours with $OURS_OPTS, linepoll default (0.2 s)"
	echo "samples per cell: ours $N_OURS, NUT $N_NUT (half as OB->OL, half as OL->OB)"
	echo "pause before an edge: 0-$PAUSE_MS ms (event), $POLLED_PAUSE ms (edges ours reads on its timer), 0-$NUT_PAUSE_MS ms (NUT)"
	echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
} > "$WORK/header"
cat "$WORK/header"

seed=1
cpu0=$(cpu_sample)
echo "phase 1 (one driver at a time): ours on $(for c in $CHIPS; do in_list "$c" "$PARALLEL_CHIPS" || printf '%s ' "$c"; done)"
for chip in $CHIPS; do
	in_list "$chip" "$PARALLEL_CHIPS" && continue
	for line in $LINES; do
		seed=$((seed + 2))
		cell_pair ours "$chip" "$line" "$seed"
	done
done
cpu1=$(cpu_sample)
P1_SECS=$(( $(date +%s) - START ))

echo "phase 2 (all at once): ours on $PARALLEL_CHIPS, NUT on $NUT_CHIPS"
P2_DRIVERS=0
P2_JOBS=()
# start_both KIND CHIP LINE: both polarities in the background
start_both() {
	seed=$((seed + 2))
	cell_job "$1" "$2" "$3" "" "$seed" &
	P2_JOBS+=($!)
	cell_job "$1" "$2" "$3" - $((seed + 1)) &
	P2_JOBS+=($!)
	P2_DRIVERS=$((P2_DRIVERS + 2))
}
for chip in $CHIPS; do
	in_list "$chip" "$PARALLEL_CHIPS" || continue
	for line in $LINES; do
		start_both ours "$chip" "$line"
	done
done
for chip in $NUT_CHIPS; do
	for line in $LINES; do
		start_both nut "$chip" "$line"
	done
done
wait "${P2_JOBS[@]}"
cpu2=$(cpu_sample)
P2_SECS=$(( $(date +%s) - START - P1_SECS ))

# --- the table ---------------------------------------------------------------

# fmt MS: 3 significant-ish digits
fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else if (v < 10) printf "%.2f", v; else if (v < 1000) printf "%.1f", v; else printf "%.0f", v }'; }
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<< "$1"; }

# cell KIND CHIP LINE EDGE: "| via | n | p50 | p99 | max " for the pooled polarities
cell() {
	local kind=$1 chip=$2 line=$3 edge=$4 d=$WORK/$1-$2-$3 out via raws=() f t
	if [ -e "$d/refused" ] || [ -e "$d-inv/refused" ]; then
		printf '| refused | | | | '
		return
	fi
	for f in "$d/raw.$edge" "$d-inv/raw.$edge"; do
		[ -s "$f" ] && raws+=("$f")
	done
	if [ ${#raws[@]} -eq 0 ]; then
		printf '| NO RESULT | | | | '
		return
	fi
	out=$("$BIN/latency" -R -l x "${raws[@]}")
	# how ours learns of the edge, as the driver said (both polarities agree)
	via=$(cat "$d/result" "$d-inv/result" 2>/dev/null |
		sed -n "s/.* $edge \[\([a-z+]*\)\] .*/\1/p" | sort -u | paste -sd/)
	[ "$kind" = nut ] && via=poll
	t=$(cat "$d/result" "$d-inv/result" 2>/dev/null |
		sed -n 's/.* TIMEOUTS=\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t + 0 }')
	[ "$t" -gt 0 ] && via="$via, $t timeouts"
	[ ${#raws[@]} -lt 2 ] && via="$via, one polarity"
	printf '| %s | %s | %s | %s | %s ' "$via" "$(field "$out" n)" "$(fmt "$(field "$out" p50)")" \
		"$(fmt "$(field "$out" p99)")" "$(fmt "$(field "$out" max)")"
}

{
	cat "$WORK/header"
	echo
	echo "All times in ms, rename of the state file -> the broadcast read by the client."
	echo "via (as the driver publishes it in driver.port.polled and driver.port.events):"
	echo "  event = TIOCMIWAIT wakes ours; timer = ours reads that edge every linepoll (0.2 s);"
	echo "  timer+wait = both, TIOCMIWAIT not trusted (unknown kernel driver); poll = NUT's TIOCMGET every 2 s."
	echo
	echo "| driver | chip | line | rising: via | n | p50 | p99 | max | falling: via | n | p50 | p99 | max |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for chip in $CHIPS; do
		for line in $LINES; do
			printf '| ours | %s | %s ' "$chip" "$line"
			cell ours "$chip" "$line" rising
			cell ours "$chip" "$line" falling
			echo "|"
		done
	done
	for chip in $NUT_CHIPS; do
		for line in $LINES; do
			printf '| NUT 2.8.0 | %s | %s ' "$chip" "$line"
			cell nut "$chip" "$line" rising
			cell nut "$chip" "$line" falling
			echo "|"
		done
	done
	echo
	echo "phase 1: ours on every chip not in \"$PARALLEL_CHIPS\", one driver at a time, ${P1_SECS} s; CPU busy $(cpu_busy "$cpu0" "$cpu1")% of $(nproc) CPUs (everything on the machine)"
	echo "phase 2: ours on \"$PARALLEL_CHIPS\" and NUT on \"$NUT_CHIPS\", all $P2_DRIVERS drivers at once, $P2_SECS s; CPU busy $(cpu_busy "$cpu1" "$cpu2")% of $(nproc) CPUs"
	echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "run time: $(( $(date +%s) - START )) s; raw files in $WORK"
} | tee "$RESULTS"
