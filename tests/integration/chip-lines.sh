#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every edge of every input line reaches the driver socket under every chip
# model of the modem-line shim (MODEMSIM_CHIP), whether the chip's kernel
# driver reports that edge or not. One driver per line, whose profile reads
# only that line (OL = the line, everything else none), all delays 0 (as
# nodebounce_args), and -i 60: neither the old pollinterval nor the 60 s safety read can explain
# an answer within 3 s, only a TIOCMIWAIT wake-up or the linepoll timer.
# The four drivers of one chip run together.
# Also: driver.port.* per chip and line; CTS refused on cdc-acm; and, to
# show the shim is as hostile as the kernel, an 8250 RNG rising edge is NOT
# seen within 3 s when linepoll is 60 s.
# CHIPS="8250 cp210x" limits the chips.

# shellcheck disable=SC2317 # run_chip runs through chips_run
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "chip models are genericups-only (driver.port.*, linepoll)"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"

LINES="CTS DCD RNG DSR"
WITHIN=3	# seconds; the safety read comes after 60
ONLY_LINE=(upstype=0 LB=none RB=none BYPASS=none)
mapfile -t NODELAYS < <(nodebounce_args)

# only_line LINE VALUE: the state file words with LINE at VALUE, the rest 0
only_line()
{
	local l out=
	for l in $LINES; do
		if [ "$l" = "$1" ]; then out+="$l=$2 "; else out+="$l=0 "; fi
	done
	echo "${out% }"
}

# edge CHIP EDGE VALUE WANT UPS...: set each UPS's line (its name ends in
# the line) to VALUE at once; each must send ups.status WANT within WITHIN s.
# A UPS listed in NOT_SEEN must not send it within WITHIN s.
edge()
{
	local chip=$1 what=$2 value=$3 want=$4 ups l t0 now left times=
	local -A at
	shift 4
	for ups in "$@" $NOT_SEEN; do
		listen_mark "$ups"
	done
	t0=$(now_ms)
	for ups in "$@" $NOT_SEEN; do
		l=${ups: -3}
		sim_set "$(only_line "$l" "$value")" "$T/lines-$ups"
	done
	left=$#
	while [ "$left" -gt 0 ]; do
		now=$(now_ms)
		for ups in "$@"; do
			[ -n "${at[$ups]:-}" ] && continue
			if listen_seen "$ups" "^SETINFO ups.status \"$want\"\$"; then
				at[$ups]=$((now - t0))
				left=$((left - 1))
			fi
		done
		[ "$now" -ge $((t0 + WITHIN * 1000)) ] && break
		sleep 0.02
	done
	for ups in "$@"; do
		l=${ups: -3}
		if [ -n "${at[$ups]:-}" ]; then
			pass "$chip: $l $what reaches the socket (ups.status $want) within $WITHIN s"
			times+=" $l ${at[$ups]} ms,"
		else
			not_ok "$chip: $l $what reaches the socket within $WITHIN s" \
				"$(listen_since "$ups")" "SETINFO ups.status \"$want\""
		fi
	done
	[ -n "$times" ] && diag "$chip, $what:${times%,}"
	for ups in $NOT_SEEN; do
		left=$((t0 + WITHIN * 1000 - $(now_ms)))
		[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
		l=${ups: -3}
		# the driver must be alive and still say the old status
		now=$(driver_value "$ups" ups.status)
		if listen_seen "$ups" "^SETINFO ups.status \"$want\"\$" || [ "$now" = "$want" ] ||
			[ -z "$now" ]; then
			not_ok "$chip, linepoll 60 s: $l $what must not be seen within $WITHIN s" \
				"ups.status '$now'; socket: $(listen_since "$ups")" \
				"the old status (the chip does not report the edge)"
		else
			pass "$chip, linepoll 60 s: $l $what is not seen within $WITHIN s (the chip does not report it)"
		fi
	done
}

# refuse_cts CHIP: a profile reading CTS exits 1 at start naming CTS and the port's driver.
refuse_cts()
{
	local chip=$1 out rc
	sim_init "${chip//-/}refuse"
	out=$(run_driver -s "${chip//-/}refuse" -x "port=$SIM_PORT" -x upstype=0 -x OL=CTS \
		-x LB=none -x RB=none -x BYPASS=none -u root -F 2>&1 </dev/null)
	rc=$?
	expect_fail_output "$chip: OL=CTS is refused at start" \
		"(kernel driver ${CHIP_SYSFS[$chip]}) cannot report CTS" "$rc" "$out"
}

# run_chip CHIP: one driver per line, a rising and a falling edge each.
run_chip()
{
	local chip=$1 id=${1//-/} l ups started=() pids=()
	NOT_SEEN=
	: >"$NUT_CONFPATH/ups.conf"
	for l in $LINES; do
		if [ "$chip" = cdc-acm ] && [ "$l" = CTS ]; then
			refuse_cts "$chip"
			skip "$chip: CTS rising edge reaches the socket" "cdc-acm has no CTS (always reads set): profile refused"
			skip "$chip: CTS falling edge reaches the socket" "cdc-acm has no CTS (always reads set): profile refused"
			continue
		fi
		ups="$id$l"
		sim_init "$ups"
		sim_set "$(only_line "$l" 0)"
		add_ups_section "$ups" "OL=$l" "${ONLY_LINE[@]}"
		started+=("$ups")
	done
	if [ "$chip" = 8250 ]; then
		sim_init "${id}nopollRNG"
		sim_set "$(only_line RNG 0)"
		add_ups_section "${id}nopollRNG" OL=RNG "${ONLY_LINE[@]}" linepoll=60
		NOT_SEEN="${id}nopollRNG"
	fi
	for ups in "${started[@]}" $NOT_SEEN; do
		sim_init "$ups"
		launch_driver "$ups" -i 60 "${NODELAYS[@]}"
		pids+=("$DRIVER_PID")
	done
	set -- "${pids[@]}"
	for ups in "${started[@]}" $NOT_SEEN; do
		if ! driver_ready "$ups" "$1" "$T/driver-$ups.log" ||
			! listen_open "$ups" "$(driver_sock "$ups")"; then
			bail_out "$chip: driver $ups does not start or answer"
		fi
		shift
	done

	for ups in "${started[@]}"; do
		l=${ups: -3}
		is "$(driver_value "$ups" ups.status)" OB "$chip: OL=$l, $l clear: starts OB"
		is "$(driver_value "$ups" driver.port.type)" "$chip" "$chip: OL=$l: driver.port.type"
		is "$(driver_value "$ups" driver.port.events)" "${CHIP_EVENTS[$chip]}" \
			"$chip: OL=$l: driver.port.events"
		is "$(driver_value "$ups" driver.port.polled)" "$(chip_polled "$chip" "$l")" \
			"$chip: OL=$l: driver.port.polled"
	done

	edge "$chip" "rising edge" 1 OL "${started[@]}"
	NOT_SEEN=
	edge "$chip" "falling edge" 0 OB "${started[@]}"

	for ups in "${started[@]}" "${id}nopollRNG"; do
		listen_close "$ups"
	done
	stop_pids "${pids[@]}"
}

chips_run run_chip

done_testing
