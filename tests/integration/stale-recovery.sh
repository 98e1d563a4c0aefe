#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Line-read errors make the data stale, once; recovery brings the new status
# and then DATAOK (spec 2.8, 3.6, 4.7). Seen from upsd/upsc and from a
# second client on the driver socket. Needs the modem-line shim (ERR=, GONE=).

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"

ON="CTS=1 DCD=1"     # type 4: OL = CTS set, LB = DCD clear
OFF="CTS=0 DCD=1"
STALE_TEXT="Error: Data stale"

sim_init
sim_set "$ON"
write_ups_conf myups upstype=4
mapfile -t extra < <(nodebounce_args)
start_driver myups "${extra[@]}" || bail_out "driver does not start"
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 8 "upsc sees OL"

# net_get VAR: upsd's raw protocol answer to GET VAR
net_get()
{
	printf 'GET VAR myups %s\nLOGOUT\n' "$1" |
		socat -t1 - "TCP:127.0.0.1:$UPSD_PORT" 2>/dev/null | head -n 1
}

sock_open "$(driver_sock myups)"
sleep 0.3

# --- ERR=EIO: the status read fails -------------------------------------------
sock_mark
sim_set "$ON ERR=EIO"
if sock_wait '^DATASTALE$' 5; then
	pass "ERR=EIO: driver sends DATASTALE"
else
	not_ok "ERR=EIO: driver sends DATASTALE" "$(sock_since)" DATASTALE
fi
is_upsc ups.status "$STALE_TEXT" 5 "ERR=EIO: upsc reports data stale"
is "$(net_get ups.status)" "ERR DATA-STALE" "ERR=EIO: upsd answers ERR DATA-STALE"
sleep 4.5 # two more NUT polls
is "$(sock_since | grep -c '^DATASTALE$')" 1 "DATASTALE sent once while the error lasts"
unlike "$(sock_since)" 'DATAOK' "no DATAOK while the error lasts"

dump=$(printf 'DUMPALL\n' | sock_talk "$(driver_sock myups)" 0.5)
is "$(head -n 1 <<<"$dump")" DATASTALE "DUMPALL while stale starts with DATASTALE"
unlike "$dump" 'DATAOK' "DUMPALL while stale has no DATAOK"
is "$(tail -n 1 <<<"$dump")" DUMPDONE "DUMPALL while stale ends with DUMPDONE"

# Recovery with a changed status: the new status comes before DATAOK.
sock_mark
sim_set "$OFF"
if sock_wait '^DATAOK$' 6; then
	pass "recovery: driver sends DATAOK"
else
	not_ok "recovery: driver sends DATAOK" "$(sock_since)" DATAOK
fi
is "$(sock_since | grep -E '^(DATAOK|SETINFO ups\.status)' | tr '\n' '|')" \
	'SETINFO ups.status "OB"|DATAOK|' "recovery: new status, then DATAOK"
is_upsc ups.status OB 5 "recovery: upsc works again and sees OB"
is "$(net_get ups.status)" 'VAR myups ups.status "OB"' "recovery: upsd answers GET VAR"

# --- GONE=1: the port vanishes --------------------------------------------------
sock_mark
sim_set "$OFF GONE=1"
if sock_wait '^DATASTALE$' 6; then
	pass "GONE=1: driver sends DATASTALE"
else
	not_ok "GONE=1: driver sends DATASTALE" "$(sock_since)" DATASTALE
fi
is_upsc ups.status "$STALE_TEXT" 5 "GONE=1: upsc reports data stale"
sleep 2.5
ok "GONE=1: driver keeps running" kill -0 "$DRIVER_PID"

sock_mark
sim_set "$ON"
# ours re-opens the port with a back-off: allow a few seconds
if sock_wait '^DATAOK$' 12; then
	pass "port back: driver sends DATAOK"
	is_upsc ups.status OL 5 "port back: upsc sees OL again"
elif is_ours; then
	not_ok "port back: driver sends DATAOK" "$(sock_since)" DATAOK
	not_ok "port back: upsc sees OL again" "$(upsc_get ups.status)" OL
else
	skip "port back: driver sends DATAOK" "nut 2.8.0 does not re-open the port"
	skip "port back: upsc sees OL again" "nut 2.8.0 does not re-open the port"
fi

sock_close
ok "driver still running at the end" kill -0 "$DRIVER_PID"

done_testing
