#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The driver's -k paths against the modem-line shim log: over the socket
# of a running driver, and direct for a raise-lines type (5), a drop-all
# type (4), a BREAK type (11), an unsupported type (8) and type 8 with an
# SD override. The SD line sequences are compared with NUT 2.8.0's own
# genericups -k on the same ups.conf and shim. A normal start, reload and
# stop must never write anything but the CP mask.

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"

need_lines
[ "${USE_SIMPORT:-0}" = 1 ] && skip_all "needs the modem-line shim log"
NUT_DRIVER=${NUT_DRIVER:-/lib/nut/genericups}
sim_init
sim_set "CTS=1 DCD=1"

mono()
{
	perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC \
		-e 'printf "%.6f\n", clock_gettime(CLOCK_MONOTONIC)'
}

# kill_k DRIVER: DRIVER -a myups -k with the shim; sets KOUT, KRC, KPID
# (the pid that opened the port, or ""), KSEQ (its TIOCMSET values),
# KBRK (its BREAK event) and KHOLD_MS (last TIOCMSET to exit, upper bound).
kill_k()
{
	local before end
	before=$(wc -l <"$SIM_LOG" 2>/dev/null || echo 0)
	KOUT=$(MODEMSIM_FAST_BREAK=1 drv_env timeout -k 2 20 "$1" -a myups -k -u root 2>&1)
	KRC=$?
	end=$(mono)
	KPID=$(tail -n "+$((before + 1))" "$SIM_LOG" 2>/dev/null | awk '$3 == "OPEN" { print $2; exit }')
	KSEQ="" KBRK="" KHOLD_MS=-1
	[ -n "$KPID" ] || return 0
	KSEQ=$(tiocmset_seq "$KPID")
	KBRK=$(sim_events "$KPID" 'BRK|BREAK' | awk '{ print $3, $4 }')
	KHOLD_MS=$(sim_events "$KPID" '^TIOCMSET$' |
		awk -v e="$end" 'END { printf "%d\n", (e - $1) * 1000 }')
}

# break_ms "TCSENDBREAK 4901" -> 5000 (glibc rounds up to 100 ms); TCSBRKP n -> n*100
break_ms()
{
	case $1 in
	"TCSENDBREAK "*) echo $(((${1#* } + 99) / 100 * 100)) ;;
	"TCSBRKP "*) echo $((${1#* } * 100)) ;;
	*) echo "none" ;;
	esac
}

# 1. -k over the socket of a running driver
write_ups_conf myups upstype=5 sdtime=2
start_driver myups || bail_out "driver does not start"
sock=$(driver_sock myups)
kill_k "$GENERICUPS"
is "$KRC" 0 "-k via the running driver exits 0"
like "$KOUT" "running driver" "-k says it used the running driver"
is "$KPID" "" "-k did not open the port itself"
wait_for 5 eval '! kill -0 $DRIVER_PID 2>/dev/null'
ok "running driver exits after killpower" eval '! kill -0 $DRIVER_PID 2>/dev/null'
ok "its socket is removed" test ! -e "$sock"
is "$(tiocmset_seq "$DRIVER_PID")" "0x002 0x006" "running driver wrote CP then SD (TIOCMSET 0x002, 0x006)"
hold=$(span_ms "$DRIVER_PID" "TIOCMSET 0x006" CLOSE)
diag "socket -k: SD held $hold ms before the port closed"
ok "SD held >= sdtime (2 s) before exit ($hold ms)" test "$hold" -ge 2000 -a "$hold" -lt 3500

# 2. direct -k, one type of each class, against NUT's own -k
# type extra-options expected-TIOCMSET-sequence expected-break-ms
while read -r ty extra want wantbrk; do
	[ "$extra" = - ] && extra=
	want=${want//_/ }
	# shellcheck disable=SC2086
	write_ups_conf myups "upstype=$ty" $extra
	kill_k "$GENERICUPS"
	ours_seq=$KSEQ ours_brk=$(break_ms "$KBRK") ours_hold=$KHOLD_MS
	is "$KRC" 0 "type $ty${extra:+ $extra}: direct -k exits 0"
	is "$ours_seq" "$want" "type $ty${extra:+ $extra}: TIOCMSET sequence CP, SD"
	is "$ours_brk" "$wantbrk" "type $ty${extra:+ $extra}: BREAK length"
	if [ -x "$NUT_DRIVER" ]; then
		kill_k "$NUT_DRIVER"
		is "$ours_seq / $ours_brk" "$KSEQ / $(break_ms "$KBRK")" \
			"type $ty${extra:+ $extra}: same lines and BREAK as NUT 2.8.0 -k"
	fi
	if [[ $extra == *sdtime=1* ]]; then
		diag "type $ty direct -k: SD write to exit $ours_hold ms"
		ok "type $ty: SD held >= sdtime (1 s) ($ours_hold ms)" test "$ours_hold" -ge 1000 -a "$ours_hold" -lt 2500
	fi
done <<'EOF'
5 sdtime=1 0x002_0x006 none
4 - 0x004_0x000 none
11 - 0x002 5000
8 SD=RTS 0x002_0x004 none
EOF

# 3. unsupported type: exit 1 naming the type, port untouched
write_ups_conf myups upstype=8
kill_k "$GENERICUPS"
is "$KRC" 1 "type 8: -k exits 1"
like "$KOUT" "upstype 8|type 8" "type 8: message names the type"
is "$KSEQ" "" "type 8: no line written"

# 4. a normal start, reload and stop write only the CP mask
for ty_cp in 5:0x002 4:0x004 11:0x002; do
	ty=${ty_cp%:*} cp=${ty_cp#*:}
	write_ups_conf myups "upstype=$ty"
	: >"$SIM_LOG"
	start_driver myups || bail_out "type $ty driver does not start"
	sleep 0.3
	kill -HUP "$DRIVER_PID"
	sleep 0.5
	ok "type $ty: driver alive after SIGHUP reload" kill -0 "$DRIVER_PID"
	stop_pid "$DRIVER_PID"
	is "$(awk '$3 ~ /^TIOC|^TCS/ { print $3, $4 }' "$SIM_LOG" | sort -u | tr '\n' ' ')" "TIOCMSET $cp " \
		"type $ty: start, reload, stop wrote only CP ($cp)"
done

done_testing
