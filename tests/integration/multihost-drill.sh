#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite: main-only
#
# Many machines on one UPS, with NUT 2.8.0's own network layer. Each host
# is a network namespace of its own on a private bridge (10.77.0.0/24,
# tests/lib-netns.sh): "primary" runs our driver (upstype 2 on the modem-line
# shim), the real upsd and upsmon as primary; s1..s8 run the real upsmon as
# secondaries, each with its own config, PID dir, SHUTDOWNCMD marker and a
# NOTIFYCMD that logs every notification with a timestamp; "lost" is a
# secondary whose cable is pulled at the switch.
#  1. A glitch on OB and LB shorter than the driver's confirmation: upsd
#     never shows anything but OL, nobody is notified, nobody shuts down.
#  2. Power failure, then low battery: the primary sets FSD, every secondary
#     sees it, runs SHUTDOWNCMD and logs out; only then the primary runs its
#     SHUTDOWNCMD, whose halt-script part (-k) makes the driver write the SD
#     lines (shim log). Figures per host; "lost" got COMMBAD and NOCOMM and,
#     never having seen the outage, stays up.
#  3. Cable of "lost" back in: COMMOK. The driver is killed mid-outage: every
#     host gets COMMBAD; after DEADTIME the UPS, last seen OB, counts as OB+LB
#     and every host shuts down; -k then opens the port itself.
# Every host's notifications are printed. Knob: NSEC (secondaries, default 8).

set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-upsmon.sh"
. "$(dirname "$0")/../lib-netns.sh"

netns_need
need_lines
[ "${USE_SIMPORT:-0}" = 1 ] && skip_all "needs the modem-line shim log"
[ -x "$UPSMON" ] || skip_all "no $UPSMON"

NSEC=${NSEC:-8}
# Small values make the drill fast; the docs give the values for real use.
HOSTSYNC=10
DEADTIME=6
NOCOMMWARN=3
UPSD_ADDR=10.77.0.1
SEC_USER=secmon
SEC_PASS=secpass
# type 2 (APC 940-0020B): OL = CTS clear, LB = DCD set, SD = DTR+RTS (0x006)
LINES_OL="CTS=0 DCD=0"
LINES_OB="CTS=1 DCD=0"
LINES_LB="CTS=1 DCD=1"
SD_MASK=0x006

SECS=()
for i in $(seq "$NSEC"); do
	SECS+=("s$i")
done
declare -A ADDR=([primary]=$UPSD_ADDR [lost]=10.77.0.99)
for i in $(seq "$NSEC"); do
	ADDR[s$i]=10.77.0.$((10 + i))
done
HOSTS=(primary "${SECS[@]}" lost)
declare -A MONPID

# realtime ms - monotonic ms: the shim log is stamped with CLOCK_MONOTONIC
MONO_OFF=$(perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC,CLOCK_REALTIME \
	-e 'printf "%d\n", (clock_gettime(CLOCK_REALTIME) - clock_gettime(CLOCK_MONOTONIC)) * 1000')

# stamp_lines: prefix each line of stdin with the wall clock in ms
stamp_lines()
{
	local l us
	while IFS= read -r l; do
		us=${EPOCHREALTIME/./}
		printf '%s %s\n' "${us%???}" "$l"
	done
}

host_dir()
{
	echo "$T/hosts/$1"
}

# host_etc HOST: the primary keeps ups.conf, upsd.* and upsmon.conf together
host_etc()
{
	if [ "$1" = primary ]; then
		echo "$NUT_CONFPATH"
	else
		echo "$(host_dir "$1")/etc"
	fi
}

# write_host HOST: its upsmon.conf, NOTIFYCMD and SHUTDOWNCMD.
write_host()
{
	local h=$1 d etc role user pass ev
	d=$(host_dir "$h")
	etc=$(host_etc "$h")
	mkdir -p "$d/run" "$etc"
	if [ "$h" = primary ]; then
		role=primary user=$MON_USER pass=$MON_PASS
	else
		role=secondary user=$SEC_USER pass=$SEC_PASS
	fi
	cat >"$d/notifycmd" <<EOF
#!/bin/sh
printf '%s %s %s\n' "\$(date +%s%3N)" "\${NOTIFYTYPE:-?}" "\$*" >>"$d/notify.log"
EOF
	if [ "$h" = primary ]; then
		# SHUTDOWNCMD, then what the halt script does: POWERDOWNFLAG set ->
		# kill the UPS's power (over the driver's socket, or the port itself)
		cat >"$d/shutdowncmd" <<EOF
#!/bin/sh
date +%s%3N >>"$d/shutdown.marker"
if [ -f "$d/killpower.flag" ]; then
	LD_PRELOAD="$MODEMSIM_SO" MODEMSIM_PORT="$SIM_PORT" MODEMSIM_STATE="$SIM_STATE" \\
		MODEMSIM_LOG="$SIM_LOG" NUT_CONFPATH="$NUT_CONFPATH" NUT_STATEPATH="$NUT_STATEPATH" \\
		timeout -k 2 30 "$GENERICUPS" -a myups -k -u root >>"$d/killpower.log" 2>&1
	echo "exit \$?" >>"$d/killpower.log"
fi
EOF
	else
		printf '#!/bin/sh\ndate +%%s%%3N >>"%s/shutdown.marker"\n' "$d" >"$d/shutdowncmd"
	fi
	chmod 0755 "$d/notifycmd" "$d/shutdowncmd"
	{
		printf 'RUN_AS_USER root\n'
		printf 'MONITOR myups@%s 1 %s %s %s\n' "$UPSD_ADDR" "$user" "$pass" "$role"
		printf 'MINSUPPLIES 1\n'
		printf 'SHUTDOWNCMD "%s/shutdowncmd"\n' "$d"
		printf 'POWERDOWNFLAG "%s/killpower.flag"\n' "$d"
		printf 'NOTIFYCMD "%s/notifycmd"\n' "$d"
		for ev in ONLINE ONBATT LOWBATT FSD COMMOK COMMBAD SHUTDOWN REPLBATT NOCOMM NOPARENT; do
			printf 'NOTIFYFLAG %s EXEC\n' "$ev"
		done
		printf 'POLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC %s\nDEADTIME %s\n' "$HOSTSYNC" "$DEADTIME"
		printf 'NOCOMMWARNTIME %s\nFINALDELAY 0\n' "$NOCOMMWARN"
	} >"$etc/upsmon.conf"
	chmod 0600 "$etc/upsmon.conf"
	rm -f "$d/notify.log" "$d/shutdown.marker" "$d/killpower.flag" "$d/killpower.log"
}

# start_host_upsmon HOST: its upsmon in its namespace, with a private
# /run/nut (upsmon 2.8.0's PID file is fixed there).
start_host_upsmon()
{
	local h=$1 d
	d=$(host_dir "$h")
	write_host "$h"
	rm -f "$d/run/upsmon.pid" "$d/exit.stamp"
	# ip and unshare exec in turn: $! is the sh, which stamps upsmon's exit
	# (its logout: upsmon 2.8.0 logs out by closing the connection as it
	# exits) and passes a TERM on.
	NUT_CONFPATH=$(host_etc "$h") ip netns exec "$(netns_name "$h")" \
		unshare -m --propagation private sh -c '
			mount --bind "$1" /run/nut || exit 1
			"$2" -F -p & p=$!
			trap "kill \$p" TERM INT
			wait $p; wait $p
			date +%s%3N >"$3"' sh "$d/run" "$UPSMON" "$d/exit.stamp" \
		> >(stamp_lines >"$d/upsmon.log") 2>&1 &
	MONPID[$h]=$!
	track_pid "$!"
}

# start_net_upsd: upsd in the primary's namespace on 10.77.0.1:3493 (the
# namespace is private: NUT's own port is free), its log stamped; -DD logs
# each client's disconnect.
start_net_upsd()
{
	printf 'LISTEN %s 3493\n' "$UPSD_ADDR" >"$NUT_CONFPATH/upsd.conf"
	cat >"$NUT_CONFPATH/upsd.users" <<EOF
[$MON_USER]
	password = $MON_PASS
	upsmon primary
[$SEC_USER]
	password = $SEC_PASS
	upsmon secondary
EOF
	chmod 0640 "$NUT_CONFPATH/upsd.conf" "$NUT_CONFPATH/upsd.users"
	ip netns exec "$(netns_name primary)" "$UPSD" -u root -DD > >(stamp_lines >>"$T/upsd.log") 2>&1 &
	UPSD_PID=$!
	track_pid "$UPSD_PID"
	wait_for 10 eval 'netns_exec primary ss -Hltn "sport = :3493" | grep -q LISTEN'
}

p_upsc()
{
	netns_exec primary "$UPSC" "myups@$UPSD_ADDR" "$1" 2>&1 | grep -v '^Init SSL'
}

numlogins()
{
	printf 'GET NUMLOGINS myups\n' | netns_exec primary socat -t1 - "TCP:$UPSD_ADDR:3493" 2>/dev/null |
		awk '$1 == "NUMLOGINS" { print $3 }'
}

# notified HOST TYPE SINCE-MS: ms stamp of HOST's first TYPE notification
# at or after SINCE-MS (empty if none)
notified()
{
	awk -v t="$2" -v s="$3" '$2 == t && $1 >= s { print $1; exit }' \
		"$(host_dir "$1")/notify.log" 2>/dev/null
}

# notes HOST SINCE-MS: "TYPE(+ms) ..." of HOST's notifications since SINCE-MS
notes()
{
	awk -v s="$2" '$1 >= s { printf "%s%s(+%d)", sep, $2, $1 - s; sep = " " } END { print "" }' \
		"$(host_dir "$1")/notify.log" 2>/dev/null
}

marker()
{
	head -n 1 "$(host_dir "$1")/shutdown.marker" 2>/dev/null
}

# upsd_at ERE SINCE-MS: stamp of the first upsd log line matching ERE since
upsd_at()
{
	awk -v re="$1" -v s="$2" '$1 >= s && $0 ~ re { print $1; exit }' "$T/upsd.log"
}

# upsd_saw_logout HOST SINCE-MS: upsd logged HOST's disconnect since
upsd_saw_logout()
{
	[ -n "$(upsd_at "Disconnect from ${ADDR[$1]//./\\.}( |\$)" "$2")" ]
}

exit_at()
{
	cat "$(host_dir "$1")/exit.stamp" 2>/dev/null
}

# sd_write_at PID: wall-clock ms of PID's TIOCMSET of the SD mask (shim log)
sd_write_at()
{
	awk -v p="$1" -v m="$SD_MASK" -v off="$MONO_OFF" \
		'$2 == p && $3 == "TIOCMSET" && $4 == m { printf "%.0f\n", $1 * 1000 + off; exit }' "$SIM_LOG"
}

# missing_of FUNC HOST...: the HOSTs for which `FUNC HOST` prints nothing
missing_of()
{
	local f=$1 h out=
	shift
	for h in "$@"; do
		[ -n "$("$f" "$h")" ] || out+=" $h"
	done
	echo "${out# }"
}

ms_of()
{
	if [ -n "$1" ] && [ -n "$2" ]; then
		echo $(($1 - $2))
	else
		echo -
	fi
}

# --- the network and the fleet ------------------------------------------------

sim_init
sim_set "$LINES_OL"
: >"$SIM_LOG"
netns_switch || bail_out "cannot make the switch namespace"
for h in "${HOSTS[@]}"; do
	netns_host "$h" "${ADDR[$h]}/24" || bail_out "cannot plug host $h into the switch"
done
netns_unplug lost
diag "network: ${#HOSTS[@]} namespaces on a bridge in $(netns_name sw); lost's cable pulled"

write_ups_conf myups upstype=2 sdtime=1
start_driver myups || bail_out "driver does not start"
start_net_upsd || bail_out "upsd does not listen on $UPSD_ADDR:3493 in $(netns_name primary)"
for h in "${HOSTS[@]}"; do
	start_host_upsmon "$h"
done
want_logins=$((1 + NSEC))
wait_for 30 eval '[ "$(numlogins)" = "$want_logins" ]'
is "$(numlogins)" "$want_logins" "primary and $NSEC secondaries logged into upsd over the bridge"
for h in "${SECS[@]}"; do
	[ -n "$(upsd_at "User $SEC_USER@${ADDR[$h]//./\\.} logged into" 0)" ] || diag "$h did not log in"
done
is "$(p_upsc ups.status)" OL "upsd shows OL"

# --- 1. a glitch shorter than the confirmation ----------------------------------

glitch_sampler()
{
	while :; do
		p_upsc ups.status >>"$T/glitch.status"
		sleep 0.05
	done
}

glitch_ms=-1
for try in 1 2 3; do
	t_glitch=$(now_ms)
	: >"$T/glitch.status"
	glitch_sampler &
	gpid=$!
	track_pid "$gpid"
	sleep 0.5
	g0=$(now_ms)
	sim_set "$LINES_LB"
	sleep 0.4
	sim_set "$LINES_OL"
	glitch_ms=$(($(now_ms) - g0))
	# 4 s: several POLLFREQ rounds of every upsmon after the glitch
	sleep 4
	stop_pids "$gpid"
	# obconfirm is 1 s: a glitch that a loaded machine stretched is no test
	[ "$glitch_ms" -lt 800 ] && break
	diag "glitch try $try lasted $glitch_ms ms (loaded machine): again"
done
diag "glitch: OB+LB lines for $glitch_ms ms; upsd sampled $(wc -l <"$T/glitch.status") times"
bad=
for h in primary "${SECS[@]}"; do
	n=$(notes "$h" "$t_glitch")
	[ -n "$n" ] && bad+="$h: $n; "
	[ -n "$(marker "$h")" ] && bad+="$h ran SHUTDOWNCMD; "
done
if [ "$glitch_ms" -lt 800 ]; then
	is "$(sort -u "$T/glitch.status" | tr '\n' ' ')" "OL " "a $glitch_ms ms OB+LB glitch: upsd showed only OL"
	is "$bad" "" "after the glitch: no host notified anything, none shut down"
else
	skip "a short OB+LB glitch: upsd showed only OL" "3 glitches stretched past 800 ms by the load"
	skip "after the glitch: no host notified anything, none shut down" "no short glitch"
fi

# --- 2. power failure, then low battery -------------------------------------------

t_ob=$(now_ms)
sim_set "$LINES_OB"
is_ups_ob()
{
	[ "$(p_upsc ups.status)" = OB ]
}
wait_for 10 is_ups_ob
is "$(p_upsc ups.status)" OB "power failure: upsd shows OB"
onbatt_of()
{
	notified "$1" ONBATT "$t_ob"
}
wait_for 15 eval '[ -z "$(missing_of onbatt_of primary "${SECS[@]}")" ]'
is "$(missing_of onbatt_of primary "${SECS[@]}")" "" "every host notified ONBATT"
sleep 1

t_lb=$(now_ms)
sim_set "$LINES_LB"
wait_for 40 eval '[ -z "$(missing_of marker primary "${SECS[@]}")" ]'
is "$(missing_of marker primary "${SECS[@]}")" "" "every host ran its SHUTDOWNCMD"
wait_for 15 eval '[ -n "$(sd_write_at "$DRIVER_PID")" ]'
wait_for 5 eval '! kill -0 $DRIVER_PID 2>/dev/null'

p_fsd=$(upsd_at "set FSD on UPS \\[myups\\]" "$t_lb")
p_sd=$(marker primary)
p_kill=$(sd_write_at "$DRIVER_PID")
last_logout=0
diag "figures, ms after the LB line change (type 2, lbconfirm 1.5 s, POLLFREQ 1; FSD: set on"
diag "upsd by the primary, notified on a secondary; logout: the secondary's upsmon exits):"
diag "$(printf '%-8s %-11s %9s %9s %12s %7s' host address LOWBATT FSD SHUTDOWNCMD logout)"
diag "$(printf '%-8s %-11s %9s %9s %12s %7s' primary "${ADDR[primary]}" \
	"$(ms_of "$(notified primary LOWBATT "$t_lb")" "$t_lb")" "$(ms_of "$p_fsd" "$t_lb")" \
	"$(ms_of "$p_sd" "$t_lb")" -)"
for h in "${SECS[@]}"; do
	s_fsd=$(notified "$h" FSD "$t_lb")
	s_sd=$(marker "$h")
	s_out=$(exit_at "$h")
	diag "$(printf '%-8s %-11s %9s %9s %12s %7s' "$h" "${ADDR[$h]}" \
		"$(ms_of "$(notified "$h" LOWBATT "$t_lb")" "$t_lb")" "$(ms_of "$s_fsd" "$t_lb")" \
		"$(ms_of "$s_sd" "$t_lb")" "$(ms_of "$s_out" "$t_lb")")"
	# NOTIFYCMD runs in a child of upsmon: its FSD stamp may come after SHUTDOWNCMD's
	if [ -n "$s_fsd" ] && [ -n "$s_sd" ] && [ -n "$s_out" ] && [ "$s_sd" -le "$s_out" ] &&
		upsd_saw_logout "$h" "$t_lb"; then
		pass "$h: FSD seen, SHUTDOWNCMD run, then logged out of upsd"
	else
		not_ok "$h: FSD seen, SHUTDOWNCMD run, then logged out of upsd" \
			"FSD seen ${s_fsd:-never}, SHUTDOWNCMD ${s_sd:-never}, upsmon exit ${s_out:-never}, $(upsd_saw_logout "$h" "$t_lb" || echo "no disconnect in the upsd log")"
	fi
	[ -n "$s_out" ] && [ "$s_out" -gt "$last_logout" ] && last_logout=$s_out
done
diag "$(printf '%-8s -k: driver wrote the SD lines (%s) at %s ms' primary "$SD_MASK" "$(ms_of "$p_kill" "$t_lb")")"
diag "figure: multihost: LB line -> FSD set $(ms_of "$p_fsd" "$t_lb") ms, last secondary logout $(ms_of "$last_logout" "$t_lb") ms, primary SHUTDOWNCMD $(ms_of "$p_sd" "$t_lb") ms, SD lines $(ms_of "$p_kill" "$t_lb") ms ($NSEC secondaries)"
if [ -n "$p_sd" ] && [ "$last_logout" -gt 0 ] && [ "$last_logout" -le "$p_sd" ]; then
	pass "every secondary logged out before the primary ran SHUTDOWNCMD"
else
	not_ok "every secondary logged out before the primary ran SHUTDOWNCMD" \
		"last logout $last_logout, primary SHUTDOWNCMD ${p_sd:-never}"
fi
unlike "$(cat "$(host_dir primary)/upsmon.log")" "Host sync timer expired" \
	"the primary did not give up waiting (HOSTSYNC $HOSTSYNC s)"
if [ -n "$p_kill" ] && [ -n "$p_sd" ] && [ "$p_kill" -ge "$p_sd" ]; then
	pass "-k: the driver wrote the SD lines ($SD_MASK) after the primary's SHUTDOWNCMD"
else
	not_ok "-k: the driver wrote the SD lines ($SD_MASK) after the primary's SHUTDOWNCMD" \
		"SD write ${p_kill:-never}, SHUTDOWNCMD ${p_sd:-never}; $(cat "$(host_dir primary)/killpower.log" 2>/dev/null)"
fi
is "$(tiocmset_seq "$DRIVER_PID")" "0x004 $SD_MASK" "the driver wrote CP (0x004) at start and SD only at the end"
ok "the driver exited after killpower" eval '! kill -0 $DRIVER_PID 2>/dev/null'
is "$(awk '{ print $2 }' "$(host_dir lost)/notify.log" 2>/dev/null | sort -u | tr '\n' ' ')" \
	"COMMBAD NOCOMM " "lost (cable pulled): COMMBAD, then NOCOMM, nothing else"
is "$(marker lost)" "" "lost never saw the outage and did not shut down"
for h in "${HOSTS[@]}"; do
	diag "notifications $h: $(notes "$h" "$t_ob")"
done

# --- 3. cable back; the driver killed mid-outage ----------------------------------------

# everything but lost's upsmon goes; the power comes back
stop_pids "$UPSD_PID"
untrack_pids "$DRIVER_PID"
for h in primary "${SECS[@]}"; do
	stop_pids "${MONPID[$h]}"
done
sim_set "$LINES_OL"
: >"$SIM_LOG"
: >"$T/upsd.log"
start_driver myups || bail_out "driver does not start again"
start_net_upsd || bail_out "upsd does not start again"
for h in primary "${SECS[@]}"; do
	start_host_upsmon "$h"
done
t_plug=$(now_ms)
netns_plug lost
commok_of()
{
	notified "$1" COMMOK "$t_plug"
}
wait_for 30 eval '[ -n "$(commok_of lost)" ]'
ok "lost: cable back in, COMMOK" test -n "$(commok_of lost)"
want_logins=$((2 + NSEC))
wait_for 30 eval '[ "$(numlogins)" = "$want_logins" ]'
is "$(numlogins)" "$want_logins" "primary and $((NSEC + 1)) secondaries logged in"

t_ob=$(now_ms)
sim_set "$LINES_OB"
wait_for 15 eval '[ -z "$(missing_of onbatt_of "${HOSTS[@]}")" ]'
is "$(missing_of onbatt_of "${HOSTS[@]}")" "" "power failure: every host notified ONBATT"
t_kill=$(now_ms)
kill -KILL "$DRIVER_PID"
wait "$DRIVER_PID" 2>/dev/null
untrack_pids "$DRIVER_PID"
commbad_of()
{
	notified "$1" COMMBAD "$t_kill"
}
wait_for $((DEADTIME + HOSTSYNC + 30)) eval '[ -z "$(missing_of marker "${HOSTS[@]}")" ]'
is "$(missing_of commbad_of "${HOSTS[@]}")" "" "driver killed mid-outage: every host notified COMMBAD"
is "$(missing_of marker "${HOSTS[@]}")" "" "every host shut down (a dead UPS last seen OB counts as OB+LB)"
early=
for h in "${HOSTS[@]}"; do
	m=$(marker "$h")
	[ -n "$m" ] && [ $((m - t_kill)) -lt $(((DEADTIME - 2) * 1000)) ] && early+=" $h:$((m - t_kill))ms"
done
is "${early# }" "" "nobody shut down before DEADTIME ($DEADTIME s) after the driver died"
wait_for 15 eval 'grep -q "^exit" "$(host_dir primary)/killpower.log" 2>/dev/null'
kpid=$(awk '$3 == "OPEN" { p = $2 } END { print p }' "$SIM_LOG")
is "$( [ -n "$kpid" ] && tiocmset_seq "$kpid")" "0x004 $SD_MASK" \
	"-k with the driver dead opened the port itself and wrote SD ($SD_MASK)"
# NUT 2.8.0: with the data stale upsd refuses NUMLOGINS, so HOSTSYNC does not
# hold the primary back; the secondaries wait HOSTSYNC after their last good poll
first_sec=
for h in "${SECS[@]}" lost; do
	m=$(marker "$h")
	[ -n "$m" ] && { [ -z "$first_sec" ] || [ "$m" -lt "$first_sec" ]; } && first_sec=$m
done
diag "driver dead: the primary ran SHUTDOWNCMD $(ms_of "$first_sec" "$(marker primary)") ms before the first secondary (no HOSTSYNC wait on stale data)"
diag "figures, ms after the driver was killed (DEADTIME $DEADTIME s, HOSTSYNC $HOSTSYNC s):"
for h in "${HOSTS[@]}"; do
	diag "$(printf '%-8s COMMBAD %6s  SHUTDOWNCMD %6s   %s' "$h" "$(ms_of "$(commbad_of "$h")" "$t_kill")" \
		"$(ms_of "$(marker "$h")" "$t_kill")" "$(notes "$h" "$t_ob")")"
done

done_testing
