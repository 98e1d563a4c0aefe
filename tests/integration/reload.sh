#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Reloading ups.conf (INSTCMD driver.reload*, as SIGHUP does): settings
# removed from the file leave the state tree with a DELINFO; pollonly stops
# and starts the line watcher; the debug level from NUT_DEBUG_LEVEL or SET
# driver.debug survives; a failed reload keeps the running configuration
# and no memory (RSS over many failed reloads). Ours only.
#
# GU_VALGRIND=1 runs the driver under valgrind's memcheck (tests/run-suite's
# valgrind step): the same scenario, fewer failed reloads and no RSS figure,
# then one more check: no error and no leak in valgrind's report.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "genericups-only features"
need_lines

VALGRIND_MODE=${GU_VALGRIND:-0}
if [ "$VALGRIND_MODE" = 1 ]; then
	command -v valgrind >/dev/null || bail_out "GU_VALGRIND=1 but no valgrind"
	# The shim stays in LD_PRELOAD: valgrind hands it on to the driver.
	real=$GENERICUPS
	GENERICUPS="$T/genericups-memcheck"
	cat >"$GENERICUPS" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \\
	--errors-for-leak-kinds=definite,indirect,possible --track-fds=no --num-callers=30 \\
	--log-file="$T/memcheck.%p.log" "$real" "\$@"
EOF
	chmod +x "$GENERICUPS"
	TIMEOUT=20	# seconds for what the driver answers within a second natively
else
	TIMEOUT=5
fi

ON="CTS=1 DCD=1"	# type 5: OL = CTS set, LB = DCD clear
OB="CTS=0 DCD=1"
SOCK=$(driver_sock myups)

# conf KEY=VALUE...: ups.conf for [myups], upstype 5, no confirmation delays,
# no dead-cable detection (LB OB clears every line)
conf()
{
	write_ups_conf myups upstype=5 obconfirm=0 olconfirm=0 lbconfirm=0 deadcable=off "$@"
}

value()
{
	driver_value myups "$1"
}

has_value()
{
	[ "$(value "$1")" = "$2" ]
}

# reload DESC [CMD]: INSTCMD CMD (driver.reload-or-error) on the long-lived
# connection; passes when it answers TRACKING n 0.
reload_n=0
reload()
{
	local desc=$1 cmd=${2:-driver.reload-or-error}
	reload_n=$((reload_n + 1))
	sock_mark
	sock_send "INSTCMD $cmd TRACKING r$reload_n"
	if sock_wait "^TRACKING r$reload_n " "$TIMEOUT" && sock_since | grep -qx "TRACKING r$reload_n 0"; then
		pass "$desc"
	else
		not_ok "$desc" "$(sock_since)" "TRACKING r$reload_n 0"
	fi
}

# watcher_threads: threads of the driver beyond the main one (valgrind has
# none of its own: it runs the driver's threads one at a time)
watcher_threads()
{
	echo $(($(ls "/proc/$DRIVER_PID/task" | wc -l) - 1))
}

sim_init
sim_set "$ON"
conf serial=S-1 sdtime=3 override.battery.charge=50 default.battery.runtime=600 \
	override.ups.mfr=Acme override.driver.stats.glitches=7 pollinterval=60
NUT_DEBUG_LEVEL=2 start_driver myups || bail_out "driver does not start"
wait_for "$TIMEOUT" has_value ups.status OL || bail_out "no OL at start: $(value ups.status)"
sock_open "$SOCK"
sock_send PING
sock_wait '^PONG$' "$TIMEOUT" || bail_out "no PONG on the long-lived connection"

# --- a status sequence through the socket ----------------------------------------
for step in "$OB:OB" "CTS=0 DCD=0:LB OB" "$ON:OL"; do
	sock_mark
	sim_set "${step%%:*}"
	if sock_wait "^SETINFO ups.status \"${step#*:}\"\$" "$TIMEOUT"; then
		pass "lines ${step%%:*}: SETINFO ups.status \"${step#*:}\""
	else
		not_ok "lines ${step%%:*}: ups.status" "$(sock_since)" "SETINFO ups.status \"${step#*:}\""
	fi
done

# --- settings removed from ups.conf leave the tree -----------------------------------
is "$(value battery.charge)" 50 "override.battery.charge published"
is "$(value ups.mfr)" Acme "override.ups.mfr published"
is "$(value driver.stats.glitches)" 7 "override.driver.stats.glitches published"
conf pollinterval=60
reload "reload without the overrides, defaults, serial and sdtime"
removed="battery.charge battery.runtime ups.serial device.serial
	driver.parameter.override.battery.charge driver.parameter.default.battery.runtime
	driver.parameter.override.ups.mfr driver.parameter.override.driver.stats.glitches
	driver.parameter.serial driver.parameter.sdtime"
got=$(sock_since | sed -n 's/^DELINFO //p' | sort | tr '\n' ' ')
is "$got" "$(tr -s ' \t\n' '\n' <<<"$removed" | sed '/^$/d' | sort | tr '\n' ' ')" \
	"DELINFO for each removed name, and only those"
dump=$(printf 'DUMPALL\n' | sock_talk "$SOCK" 0.5)
left=
for name in $removed; do
	grep -q "^SETINFO $name " <<<"$dump" && left+="$name "
done
is "$left" "" "DUMPALL no longer has them"
contains "$dump" 'SETINFO ups.mfr "TrippLite"' "ups.mfr falls back to the driver's value"
like "$(sock_since | grep '^SETINFO ups.mfr ')" '^SETINFO ups.mfr "TrippLite"$' \
	"... and is broadcast as a SETINFO"
is "$(value driver.stats.glitches)" 0 "driver.stats.glitches is the driver's count again"
unlike "$(sock_since)" 'DELINFO (ups\.mfr|device\.mfr|driver\.stats\.glitches|ups\.status)' \
	"no DELINFO for what the driver publishes itself"

conf pollinterval=60 default.battery.runtime=300
reload "reload adding a default back"
is "$(value battery.runtime)" 300 "default.battery.runtime published again"
sock_wait '^SETINFO battery.runtime "300"$' 1
like "$(sock_since)" 'SETINFO battery.runtime "300"' "... with a SETINFO"

# --- pollonly: the watcher stops and starts ----------------------------------------
is "$(watcher_threads)" 1 "event mode: a watcher thread"
conf pollinterval=60 pollonly
reload "reload adding pollonly"
if wait_for "$TIMEOUT" eval '[ "$(watcher_threads)" = 0 ]'; then
	pass "pollonly: the watcher thread is gone"
else
	not_ok "pollonly: the watcher thread is gone" "$(watcher_threads) thread(s)" 0
fi
is "$(value driver.port.polled)" "all (pollonly, every 60 s)" "pollonly: driver.port.polled"
sock_mark
sim_set "$OB"
sleep 2
unlike "$(sock_since)" 'ups\.status' "pollonly, pollinterval 60: a change waits for the poll"
conf pollinterval=60
reload "reload removing pollonly"
contains "$(sock_since)" "DELINFO driver.flag.pollonly" "DELINFO driver.flag.pollonly"
is "$(watcher_threads)" 1 "the watcher thread is back"
if sock_wait '^SETINFO ups.status "OB"$' "$TIMEOUT"; then
	pass "the reload read the lines (OB)"
else
	not_ok "the reload read the lines" "$(sock_since)" 'SETINFO ups.status "OB"'
fi
sock_mark
sim_set "$ON"
if sock_wait '^SETINFO ups.status "OL"$' "$TIMEOUT"; then
	pass "event mode again: a change is seen at once"
else
	not_ok "event mode again: a change is seen at once" "$(sock_since)" 'SETINFO ups.status "OL"'
fi
unlike "$(value driver.port.polled)" pollonly "driver.port.polled no longer says pollonly"

# --- the debug level survives a reload ------------------------------------------------
is "$(value driver.debug)" 2 "NUT_DEBUG_LEVEL=2 at start"
reload "reload (debug)"
is "$(value driver.debug)" 2 "NUT_DEBUG_LEVEL survives a reload"
sock_mark
sock_send "SET driver.debug 4 TRACKING d1"
sock_wait '^TRACKING d1 0$' "$TIMEOUT"
conf pollinterval=60 debug_min=1
reload "reload with debug_min = 1"
is "$(value driver.debug)" 4 "SET driver.debug survives a reload"
sock_send "SET driver.debug -1 TRACKING d2"
sock_wait '^TRACKING d2 0$' "$TIMEOUT"
is "$(value driver.debug)" 2 "SET driver.debug -1: back to NUT_DEBUG_LEVEL (over debug_min)"

# --- failed reloads keep the configuration and no memory ---------------------------------
conf pollinterval=60 override.battery.charge=40
reload "reload (before the failed ones)"
good=$(cat "$NUT_CONFPATH/ups.conf")
{
	printf '%s\n' "$good"
	for i in $(seq 40); do
		printf '\toverride.x.%d = %d\n' "$i" "$i"
	done
	printf '\tuptype = 5\n'	# fails last, after all was collected
} >"$NUT_CONFPATH/ups.conf"

# fail_reloads N: N failed reloads, 200 a write; 0 when all answered TRACKING 3 (failed)
fail_reloads()
{
	local n=$1 i k batch
	for ((i = 0; i < n; i += 200)); do
		batch=
		for ((k = i; k < i + 200 && k < n; k++)); do
			batch+="INSTCMD driver.reload TRACKING f$k"$'\n'
		done
		sock_mark
		printf '%s' "$batch" >&"$SOCK_FD"
		sock_wait "^TRACKING f$((k - 1)) " "$((TIMEOUT * 2))" || return 1
		[ "$(sock_since | grep -c '^TRACKING f[0-9]* 3$')" = $((k - i)) ] || return 1
	done
}

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$DRIVER_PID/status"
}

if [ "$VALGRIND_MODE" = 1 ] || ldd "$GENERICUPS" 2>/dev/null | grep -q libasan; then
	# valgrind and ASan hold freed memory back (quarantine): RSS says nothing
	# here; their own leak report at exit does
	ok "20 failed reloads answer TRACKING 3 (failed)" fail_reloads 20
else
	fail_reloads 500 || not_ok "500 failed reloads (warm-up) answer TRACKING 3 (failed)" "$(sock_since | tail -n 3)"
	before=$(rss_kb)
	if fail_reloads 10000; then
		pass "10000 failed reloads answer TRACKING 3 (failed)"
	else
		not_ok "10000 failed reloads answer TRACKING 3 (failed)" "$(sock_since | tail -n 3)"
	fi
	after=$(rss_kb)
	diag "RSS before $before kB, after 10000 failed reloads $after kB"
	# a leak of the settings collected (about 5 kB each here) would be 50 MB
	if [ $((after - before)) -lt 1024 ]; then
		pass "RSS grew by less than 1 MB over 10000 failed reloads"
	else
		not_ok "RSS grew by less than 1 MB over 10000 failed reloads" \
			"$before kB -> $after kB"
	fi
fi
like "$(cat "$DRIVER_LOG")" "unknown variable 'uptype' \\(did you mean 'upstype'\\?\\); keeping the running configuration" \
	"a failed reload says why and keeps the configuration"
is "$(value battery.charge)" 40 "the running configuration is kept"
ok "the driver still runs" kill -0 "$DRIVER_PID"

# --- exit -------------------------------------------------------------------------------
sock_mark
sock_send "INSTCMD driver.exit TRACKING x"
sock_wait '^TRACKING x 0$' "$TIMEOUT"
if wait_for "$((TIMEOUT * 2))" eval '! kill -0 "$DRIVER_PID" 2>/dev/null'; then
	pass "INSTCMD driver.exit: the driver exits"
else
	not_ok "INSTCMD driver.exit: the driver exits" "still running"
fi
wait "$DRIVER_PID" 2>/dev/null
is "$?" 0 "exit status 0"
sock_close

if [ "$VALGRIND_MODE" = 1 ]; then
	report=$(cat "$T"/memcheck.*.log 2>/dev/null)
	summary=$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable' \
		<<<"$report")
	diag "$summary"
	if [ -z "$report" ]; then
		not_ok "valgrind memcheck: no errors, no leaks" "no memcheck log in $T"
	elif grep -q 'ERROR SUMMARY: 0 errors' <<<"$report" &&
		! grep -qE '(definitely|indirectly|possibly) lost: [1-9]' <<<"$report"; then
		pass "valgrind memcheck: no errors, no leaks"
	else
		not_ok "valgrind memcheck: no errors, no leaks" "$report"
	fi
fi

done_testing
