#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Drive the modem lines of one driver per upstype through
# OL -> OB -> LB OB -> LB OL -> OL and watch ups.status through the real
# NUT upsd/upsc. All drivers share one upsd and step together.
# TYPES="5 1" limits the types; default: every type 0-23.
# The table of lines per type is lib.sh's (seq_lines).

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines

TYPES=${TYPES:-$(seq 0 23)}

: >"$NUT_CONFPATH/ups.conf"
for t in $TYPES; do
	seq_add "ups$t" "$t" "type $t"
done

mapfile -t extra < <(nodebounce_args)
seq_start "${extra[@]}"
start_upsd || bail_out "upsd does not start"

seq_sequence

# Both named types must keep their own mfr/model through upsd.
for ups in "${SEQ_STARTED[@]}"; do
	case ${SEQ_TYPE[$ups]} in
	5) is "$(upsc_get ups.mfr ups5)" TrippLite "type 5: ups.mfr via upsd" ;;
	23) is "$(upsc_get ups.model ups23)" "Generic FTTx Battery Backup" "type 23: ups.model via upsd" ;;
	esac
done

done_testing
