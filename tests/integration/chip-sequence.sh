#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The status sequence OL -> OB -> LB OB -> LB OL -> OL of every upstype
# (as status-sequence.sh) under every chip model of the modem-line shim
# (MODEMSIM_CHIP), with all delays 0 and with the default delays, through
# the real upsd and upsc. The 48 drivers of one chip run together under one
# upsd. On cdc-acm, whose TIOCMGET always says CTS set, every type that
# reads CTS must be refused at start. What the driver says of the port
# (driver.port.*) is checked through upsc once per chip.
# CHIPS="8250 cp210x" and TYPES="1 5" limit the run.

# shellcheck disable=SC2317 # run_chip runs through chips_run
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "chip models are genericups-only (driver.port.*)"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"

TYPES=${TYPES:-$(seq 0 23)}

# delays 0: as status-sequence.sh, NUT's behaviour
mapfile -t NODELAYS < <(nodebounce_args)

# reads_cts TYPE: the type's profile reads CTS (OL or LB)
reads_cts()
{
	[ "${SEQ_OL_LINE[$1]}" = CTS ] || [ "${SEQ_LB_LINE[$1]}" = CTS ]
}

# refuse_cts CHIP TYPES...: each driver must exit 1 at start naming CTS and
# cdc_acm; all run at once (-F: one that wrongly starts is cut at 10 s).
refuse_cts()
{
	local chip=$1 t id
	local -A pid
	shift
	for t in "$@"; do
		id="${chip//-/}r$t"
		sim_init "$id"
		sim_set "$(seq_lines "$t" 1 0)"
		(
			run_driver -s "$id" -x "port=$SIM_PORT" -x "upstype=$t" -u root -F \
				>"$T/$id.out" 2>&1 </dev/null
			echo $? >"$T/$id.rc"
		) &
		pid[$t]=$!
	done
	for t in "$@"; do
		id="${chip//-/}r$t"
		wait "${pid[$t]}"
		expect_fail_output "$chip, type $t (reads CTS): refused at start" \
			"(kernel driver cdc_acm) cannot report CTS" \
			"$(cat "$T/$id.rc")" "$(cat "$T/$id.out")"
	done
}

# run_chip CHIP: the sequence of every type that can run on CHIP, with both
# delay sets, under a fresh upsd.
run_chip()
{
	local chip=$1 id=${1//-/} t refused=() allowed=() one ups lines
	: >"$NUT_CONFPATH/ups.conf"
	for t in $TYPES; do
		if [ "$chip" = cdc-acm ] && reads_cts "$t"; then
			refused+=("$t")
		else
			allowed+=("$t")
		fi
	done
	[ ${#refused[@]} -gt 0 ] && refuse_cts "$chip" "${refused[@]}"
	for t in "${allowed[@]}"; do
		seq_add "${id}z$t" "$t" "$chip, delays 0, type $t"
	done
	seq_start "${NODELAYS[@]}"
	for t in "${allowed[@]}"; do
		seq_add "${id}d$t" "$t" "$chip, default delays, type $t"
	done
	seq_start
	[ ${#SEQ_STARTED[@]} -gt 0 ] || return 0
	start_upsd || bail_out "upsd does not start"

	seq_sequence

	one=${SEQ_STARTED[0]}
	is "$(upsc_get driver.port.type "$one")" "$chip" "$chip: driver.port.type via upsc"
	is "$(upsc_get driver.port.driver "$one")" "${CHIP_SYSFS[$chip]}" \
		"$chip: driver.port.driver via upsc"
	is "$(upsc_get driver.port.events "$one")" "${CHIP_EVENTS[$chip]}" \
		"$chip: driver.port.events via upsc"
	is "$(upsc_get driver.port.counters "$one")" "${CHIP_COUNTERS[$chip]}" \
		"$chip: driver.port.counters via upsc"
	# every type's own lines: the edges of them the chip does not report
	for ups in "${SEQ_STARTED[@]}"; do
		[[ $ups == "${id}z"* ]] || continue
		t=${SEQ_TYPE[$ups]}
		lines=("${SEQ_OL_LINE[$t]}" "${SEQ_LB_LINE[$t]}")
		[ "$t" = 23 ] && lines+=(RNG DSR)
		is "$(upsc_get driver.port.polled "$ups")" "$(chip_polled "$chip" "${lines[@]}")" \
			"$chip, type $t (reads ${lines[*]}): driver.port.polled via upsc"
	done

	seq_stop
	stop_pids "$UPSD_PID"
}

chips_run run_chip

done_testing
