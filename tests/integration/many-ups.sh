#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Many UPSes on one host: 16 drivers of mixed upstypes, one process per UPS,
# under one upsd, with the driver's default debounce. Half read the
# modem-line shim, half our own `port = sim:<file>` source. The UPSes do not
# step together: the even ones run OL -> OB -> LB OB -> LB OL -> OL one step
# ahead of the odd ones, so each check through upsc also proves that no
# UPS's lines leak into another's status. CPU, wakeups and memory of 16
# drivers next to 16 of NUT's are bench/many-ups.sh's.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines
is_ours || skip_all "port = sim:<file> is this project's driver only"

TYPES=(0 1 2 3 4 5 6 7 9 10 12 13 14 19 21 23)
UPSES=()
: >"$NUT_CONFPATH/ups.conf"
for i in "${!TYPES[@]}"; do
	ups=u$i
	UPSES+=("$ups")
	if [ $((i % 4)) -ge 2 ] || [ -z "$MODEMSIM_SO" ]; then
		seq_add "$ups" "${TYPES[$i]}" "$ups (type ${TYPES[$i]}, sim:)" "port=sim:$T/lines-$ups"
	else
		seq_add "$ups" "${TYPES[$i]}" "$ups (type ${TYPES[$i]}, shim)"
	fi
done
seq_start
start_upsd || bail_out "upsd does not start"
is "${#SEQ_STARTED[@]}" 16 "16 drivers running, one per UPS"

listed=$("$UPSC" -l "127.0.0.1:$UPSD_PORT" 2>/dev/null | grep -v '^Init SSL' | sort | tr '\n' ' ')
is "$listed" "$(printf '%s\n' "${UPSES[@]}" | sort | tr '\n' ' ')" "upsc -l lists the 16 UPSes"

# step A-ONLINE A-LOW A-WANT B-ONLINE B-LOW B-WANT: set every UPS's lines
# (A: even index, B: odd), then each must show its own status via upsd.
step()
{
	local i ups want desc
	for i in "${!UPSES[@]}"; do
		ups=${UPSES[$i]}
		if [ $((i % 2)) -eq 0 ]; then
			sim_set "$(seq_lines "${SEQ_TYPE[$ups]}" "$1" "$2")" "$T/lines-$ups"
		else
			sim_set "$(seq_lines "${SEQ_TYPE[$ups]}" "$4" "$5")" "$T/lines-$ups"
		fi
	done
	for i in "${!UPSES[@]}"; do
		ups=${UPSES[$i]}
		if [ $((i % 2)) -eq 0 ]; then
			want=$3 desc="$1 $2"
		else
			want=$6 desc="$4 $5"
		fi
		is_upsc ups.status "$want" 10 "${SEQ_LABEL[$ups]}: online/low $desc -> '$want'" "$ups"
	done
}

start=$(now_ms)
seq_step - - OL 10
step 0 0 OB 1 0 OL
step 0 1 "LB OB" 0 0 OB
step 1 1 "LB OL" 0 1 "LB OB"
step 1 0 OL 1 1 "LB OL"
step 1 0 OL 1 0 OL
diag "16 UPSes through the sequence in $(($(now_ms) - start)) ms"

# each UPS kept its own identity through upsd
bad=
for ups in "${UPSES[@]}"; do
	[ "$(upsc_get ups.model "$ups")" = "$(driver_value "$ups" ups.model)" ] || bad+=" $ups"
done
is "${bad# }" "" "every UPS's ups.model via upsd is its own driver's"

seq_stop
done_testing
