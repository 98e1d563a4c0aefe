#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every bad configuration makes the driver exit 1 with a message that names
# the offending input. NUT 2.8.0 differs (e.g. exit 0 for an unknown
# variable): its behaviour is only recorded as SKIP lines.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines
sim_init
sim_set "CTS=1 DCD=1"
PORT=$(sim_port_value)

# conf TEXT: ups.conf from TEXT (printf %b), for -a myups
conf()
{
	printf '%b' "$1" | write_ups_conf_raw
}

# A good configuration first, so the failures below are about the input.
conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tupstype = 4\n"
out=$(run_driver -a myups -u root -d 1 2>&1 </dev/null)
rc=$?
is "$rc" 0 "good config: -d 1 exits 0"
like "$out" 'ups\.status: OL' "good config: -d 1 prints ups.status: OL"
like "$out" 'driver\.port\.events: ' "good config: -d 1 prints the driver.port variables"

conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tuptype = 5\n"
expect_fail_config "unknown variable 'uptype' in ups.conf" uptype -a myups
expect_fail_config "unknown variable on the command line" uptype \
	-s myups -x "port=$PORT" -x uptype=5

for bad in 24 abc -1; do
	conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tupstype = $bad\n"
	expect_fail_config "upstype = $bad" "$bad" -a myups
done
expect_fail_config "-x upstype=99" 99 -s myups -x "port=$PORT" -x upstype=99

conf "[myups]\n\tdriver = genericups\n\tupstype = 4\n"
expect_fail_config "missing port" port -a myups
expect_fail_config "missing port with -s" port -s myups -x upstype=4

for ov in "OL=CTX:CTX" "SD=DCD:DCD" "LB=:LB" "CP=CTS:CTS" "OL=CTS+BOGUS:BOGUS"; do
	kv=${ov%:*}
	needle=${ov##*:}
	conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tupstype = 4\n\t${kv%%=*} = \"${kv#*=}\"\n"
	expect_fail_config "override ${kv%%=*} = \"${kv#*=}\" is refused" "$needle" -a myups
done

conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tupstype = 4\n"
expect_fail_config "section not found (-a nosuch)" nosuch -a nosuch

conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tmodel = \"Model # 1\"\n\tupstype = 4\n"
expect_fail_config "unescaped # in quotes: error names ups.conf:4" "ups.conf:4" -a myups

conf "[myups]\n\tdriver = genericups\n\tport = \"$PORT\n\tupstype = 4\n"
expect_fail_config "unterminated quote: error names ups.conf" "ups.conf:" -a myups

conf "[myups]\n\tdriver = otherdriver\n\tport = \"$PORT\"\n\tupstype = 4\n"
expect_fail_config "section for another driver" otherdriver -a myups

for name in "a/b" ".." "../evil"; do
	conf "[$name]\n\tdriver = genericups\n\tport = \"$PORT\"\n\tupstype = 4\n"
	expect_fail_config "UPS name '$name' refused (-a)" "$name" -a "$name"
	expect_fail_config "UPS name '$name' refused (-s)" "$name" \
		-s "$name" -x "port=$PORT" -x upstype=4
done
ok "no file escaped the state dir" test ! -e "$T/evil" -a ! -e "$T/genericups-evil"

# A second driver on a port in use fails and names the port. The shim gives
# every open a fresh pty, so the holder here is flock(1) on a plain file,
# and the driver runs without the shim (it fails before any tty call).
PLAIN="$T/dev/ttyPLAIN"
: >"$PLAIN"
flock -n "$PLAIN" -c ": >'$T/locked'; exec sleep 60" &
track_pid $!
wait_for 10 test -e "$T/locked" || diag "flock(1) did not take the lock"
conf "[other]\n\tdriver = genericups\n\tport = \"$PLAIN\"\n\tupstype = 4\n"
MODEMSIM_SO='' expect_fail_config "port locked by another process is named" "$PLAIN" -a other

# ours: two real drivers on the same simulated source
if is_ours; then
	SIMPORT="sim:$T/lines-shared"
	sim_set "CTS=1 DCD=1" "$T/lines-shared"
	conf "[myups]\n\tdriver = genericups\n\tport = \"$SIMPORT\"\n\tupstype = 4\n[other]\n\tdriver = genericups\n\tport = \"$SIMPORT\"\n\tupstype = 4\n"
	if start_driver myups; then
		pass "first driver on $SIMPORT starts"
		expect_fail_config "second driver on the same port names it" "$T/lines-shared" -a other
		ok "first driver still running" kill -0 "$DRIVER_PID"
		ok "first driver's socket still there" test -S "$(driver_sock myups)"
	else
		not_ok "first driver on $SIMPORT starts"
	fi
else
	skip "second driver on the same sim: port" "nut 2.8.0 has no sim: ports"
fi

done_testing
