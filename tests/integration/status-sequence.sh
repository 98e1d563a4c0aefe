#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Drive the modem lines of one driver per upstype through
# OL -> OB -> LB OB -> LB OL -> OL and watch ups.status through the real
# NUT upsd/upsc. All drivers share one upsd and step together.
# TYPES="5 1" limits the types; default: every type 0-23.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines

# type: OL line, its value when on line; LB line, its value when low
# (spec 1.2, "code" column). Type 23 also has RB=-RNG, BYPASS=-DSR.
declare -A OL_LINE OL_VAL LB_LINE LB_VAL
while read -r t ol olv lb lbv; do
	OL_LINE[$t]=$ol OL_VAL[$t]=$olv LB_LINE[$t]=$lb LB_VAL[$t]=$lbv
done <<'EOF'
0 CTS 0 DCD 1
1 RNG 0 DCD 1
2 CTS 0 DCD 1
3 CTS 0 DCD 1
4 CTS 1 DCD 0
5 CTS 1 DCD 0
6 CTS 1 DCD 0
7 CTS 1 DCD 0
8 CTS 1 DCD 0
9 DCD 0 CTS 1
10 CTS 1 DCD 0
11 CTS 0 DCD 0
12 CTS 0 DCD 1
13 DCD 1 CTS 0
14 DCD 1 CTS 0
15 CTS 1 DCD 0
16 CTS 1 DCD 0
17 CTS 1 DCD 0
18 CTS 1 DCD 1
19 CTS 1 DCD 0
20 CTS 0 DCD 1
21 CTS 1 DCD 0
22 CTS 1 DCD 0
23 CTS 1 DCD 0
EOF

TYPES=${TYPES:-$(seq 0 23)}

# lines_for TYPE ONLINE LOWBATT -> "CTS=. DCD=. RNG=. DSR=."
lines_for()
{
	local t=$1 online=$2 low=$3
	local -A v=([CTS]=0 [DCD]=0 [RNG]=0 [DSR]=0)

	# Unused lines stay low; type 23 keeps RNG/DSR high (RB, BYPASS off).
	[ "$t" = 23 ] && v[RNG]=1 v[DSR]=1
	if [ "$online" = 1 ]; then
		v[${OL_LINE[$t]}]=${OL_VAL[$t]}
	else
		v[${OL_LINE[$t]}]=$((1 - OL_VAL[$t]))
	fi
	if [ "$low" = 1 ]; then
		v[${LB_LINE[$t]}]=${LB_VAL[$t]}
	else
		v[${LB_LINE[$t]}]=$((1 - LB_VAL[$t]))
	fi
	printf 'CTS=%s DCD=%s RNG=%s DSR=%s\n' "${v[CTS]}" "${v[DCD]}" "${v[RNG]}" "${v[DSR]}"
}

set_all()
{
	local t
	for t in $TYPES; do
		sim_set "$(lines_for "$t" "$1" "$2")" "$T/lines-t$t"
	done
}

: >"$NUT_CONFPATH/ups.conf"
for t in $TYPES; do
	sim_init "t$t"
	sim_set "$(lines_for "$t" 1 0)"
	add_ups_section "ups$t" "upstype=$t"
done

mapfile -t extra < <(nodebounce_args)
started=
for t in $TYPES; do
	sim_init "t$t"
	if start_driver "ups$t" "${extra[@]}"; then
		started+=" $t"
	else
		not_ok "type $t: driver starts"
	fi
done
start_upsd || bail_out "upsd does not start"

# Up to ~5 s per step: NUT polls every 2 s, upsd learns it at once.
step()
{
	local online=$1 low=$2 want=$3 t
	set_all "$online" "$low"
	for t in $started; do
		is_upsc ups.status "$want" 6 "type $t: lines $(lines_for "$t" "$online" "$low") -> ups.status '$want'" "ups$t"
	done
}

for t in $started; do
	is_upsc ups.status OL 8 "type $t: starts on line (OL)" "ups$t"
done
step 0 0 "OB"
step 0 1 "LB OB"
step 1 1 "LB OL"
step 1 0 "OL"

# Both named types must keep their own mfr/model through upsd.
for t in $started; do
	case $t in
	5) is "$(upsc_get ups.mfr ups5)" TrippLite "type 5: ups.mfr via upsd" ;;
	23) is "$(upsc_get ups.model ups23)" "Generic FTTx Battery Backup" "type 23: ups.model via upsd" ;;
	esac
done

done_testing
