#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs a genericups driver (ours or NUT's /lib/nut/genericups) under the
# modemsim shim once per row of a truth table and compares the ups.status it
# prints with the expected one. Prints TAP; exits 1 on any mismatch.
#
# usage: nut-truth-table.sh DRIVER_BINARY TRUTH_TABLE_FILE MODEMSIM_SO
#
# Table rows: TYPE BITS_HEX "STATUS" (CTS 0x020 DCD 0x040 RNG 0x080 DSR 0x100);
# lines starting with # and blank lines are ignored.
#
# Each row: -s sim -x port=P -x upstype=T -u root -d 1. "-d 1" (dump after
# one more poll, then exit) and not "-d 0": NUT 2.8.0 reads -d 0 as "no
# dump" and goes to the background as a normal driver.
# Knobs: JOBS (parallel rows, default 2 x CPUs), ROW_TIMEOUT (s, default 20),
# TRUTH_KEEP=1 keeps the scratch dir.

set -u

usage()
{
	echo "usage: $0 DRIVER_BINARY TRUTH_TABLE_FILE MODEMSIM_SO" >&2
	exit 2
}

[ $# -eq 3 ] || usage
driver=$1
table=$2
shim=$3
[ -x "$driver" ] || { echo "$0: driver '$driver' is not an executable" >&2; exit 2; }
[ -r "$table" ] || { echo "$0: cannot read truth table '$table'" >&2; exit 2; }
[ -r "$shim" ] || { echo "$0: cannot read shim '$shim'" >&2; exit 2; }
case $shim in /*) ;; *) shim=$PWD/$shim ;; esac

jobs_max=${JOBS:-$(($(nproc 2>/dev/null || echo 1) * 2))}
row_timeout=${ROW_TIMEOUT:-20}
work=$(mktemp -d /tmp/nut-truth-table.XXXXXX) || exit 2
cleanup()
{
	local -a pids
	mapfile -t pids < <(jobs -p)
	[ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	[ "${TRUTH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The state-file text for input bits.
state_text()
{
	local bits=$1
	printf 'CTS=%d DCD=%d RNG=%d DSR=%d\n' $(((bits >> 5) & 1)) \
		$(((bits >> 6) & 1)) $(((bits >> 7) & 1)) $(((bits >> 8) & 1))
}

# Run the driver for row n; leaves n.status (the ups.status value, or
# nothing) and n.err (its stderr) in the scratch dir.
run_row()
{
	local n=$1 type=$2 bits=$3 dir=$work/$1
	mkdir -p "$dir"
	state_text "$bits" >"$dir/state"
	env LD_PRELOAD="$shim" MODEMSIM_PORT="$dir/ttyFAKE0" \
		MODEMSIM_STATE="$dir/state" MODEMSIM_LOG="$dir/log" \
		timeout "$row_timeout" "$driver" -s sim -x port="$dir/ttyFAKE0" \
		-x upstype="$type" -u root -d 1 >"$dir/out" 2>"$dir/err" </dev/null
	echo $? >"$dir/rc"
	sed -n 's/^ups\.status: //p' "$dir/out" >"$dir/status"
}

start=$EPOCHREALTIME
n=0
running=0
declare -a row_type row_bits row_want
while read -r line; do
	case $line in '' | '#'*) continue ;; esac
	if [[ ! $line =~ ^([0-9]+)[[:space:]]+(0x[0-9a-fA-F]+)[[:space:]]+\"([^\"]*)\"[[:space:]]*$ ]]; then
		echo "$0: $table: bad row '$line'" >&2
		exit 2
	fi
	n=$((n + 1))
	row_type[n]=${BASH_REMATCH[1]}
	row_bits[n]=${BASH_REMATCH[2]}
	row_want[n]=${BASH_REMATCH[3]}
	run_row "$n" "${row_type[n]}" "${row_bits[n]}" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
done <"$table"
wait

pass=0
fail=0
for ((i = 1; i <= n; i++)); do
	got=$(cat "$work/$i/status" 2>/dev/null)
	desc=$(printf 'type %s bits 0x%03x "%s"' "${row_type[i]}" "$((row_bits[i]))" "${row_want[i]}")
	if [ "$got" = "${row_want[i]}" ]; then
		pass=$((pass + 1))
		echo "ok $i - $desc"
	else
		fail=$((fail + 1))
		echo "not ok $i - $desc"
		echo "#   got \"$got\" (exit $(cat "$work/$i/rc" 2>/dev/null))"
		tail -n 3 "$work/$i/err" 2>/dev/null | sed 's/^/#   stderr: /'
	fi
done
echo "1..$n"
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "# $driver: $pass of $n rows agree ($fail differ) in ${elapsed}s"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
