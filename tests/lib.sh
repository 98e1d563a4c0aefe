# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared helpers for the integration tests (sourced, never run).
# Every test gets a private scratch dir and private NUT paths; a trap kills
# every process the test started and removes the dir, whatever happens.
#
# Environment knobs:
#   GENERICUPS   driver binary (default: tests/run-suite's staged one, an
#                in-tree build, else NUT's /lib/nut/genericups)
#   MODEMSIM_SO  LD_PRELOAD modem-line shim (MODEMSIM_LIB is accepted too)
#   UPSD UPSC    NUT server and client (default /lib/nut/upsd, upsc)
#   ITEST_KEEP=1 keep the scratch dir for post-mortem

set -u

ITEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ITEST_TOP=$(dirname "$ITEST_LIB_DIR")

# --- TAP -------------------------------------------------------------------

_tap_n=0
_tap_pass=0
_tap_fail=0
_tap_skip=0

diag()
{
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

pass()
{
	_tap_n=$((_tap_n + 1))
	_tap_pass=$((_tap_pass + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$1"
}

# not_ok DESC [GOT [EXPECTED]]: record a failure with an optional diagnostic.
not_ok()
{
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$1"
	if [ $# -ge 3 ]; then
		diag "got: $2
expected: $3"
	elif [ $# -ge 2 ]; then
		diag "$2"
	fi
	return 1
}

# skip DESC REASON
skip()
{
	_tap_n=$((_tap_n + 1))
	_tap_skip=$((_tap_skip + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "$2"
}

# ok DESC CMD [ARGS...]: pass when CMD exits 0.
ok()
{
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$desc"
	else
		not_ok "$desc" "command failed (exit $rc): $*${out:+
$out}"
	fi
}

# is GOT EXPECTED DESC
is()
{
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		not_ok "$3" "$1" "$2"
	fi
}

# like GOT ERE DESC
like()
{
	if [[ $1 =~ $2 ]]; then
		pass "$3"
	else
		not_ok "$3" "$1" "match /$2/"
	fi
}

# unlike GOT ERE DESC
unlike()
{
	if [[ $1 =~ $2 ]]; then
		not_ok "$3" "$1" "no match for /$2/"
	else
		pass "$3"
	fi
}

# contains HAYSTACK NEEDLE DESC (fixed string)
contains()
{
	if [[ $1 == *"$2"* ]]; then
		pass "$3"
	else
		not_ok "$3" "$1" "text containing '$2'"
	fi
}

# bail_out REASON: abort the whole script (cleanup still runs)
bail_out()
{
	printf 'Bail out! %s\n' "$*"
	_tap_fail=$((_tap_fail + 1))
	exit 1
}

# skip_all REASON: nothing to test here (exit 0)
skip_all()
{
	printf '1..0 # SKIP %s\n' "$*"
	_tap_done=1
	exit 0
}

SANITIZER_RE='AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:'

# Stop the drivers, then one check: no sanitizer report in any driver log
# (leaks are only reported at exit).
_check_driver_logs()
{
	local pid f bad=
	for pid in "${_itest_pids[@]}"; do
		stop_pid "$pid"
	done
	for f in "$T"/driver-*.log; do
		[ -f "$f" ] || continue
		grep -qE "$SANITIZER_RE" "$f" && bad+="$f: $(grep -m3 -E "$SANITIZER_RE" "$f")
"
	done
	if [ -n "$bad" ]; then
		not_ok "no sanitizer reports from the drivers" "$bad"
	elif compgen -G "$T/driver-*.log" >/dev/null; then
		pass "no sanitizer reports from the drivers"
	fi
}

_tap_done=0
done_testing()
{
	_check_driver_logs
	_tap_done=1
	printf '1..%d\n' "$_tap_n"
	printf '# %d passed, %d failed (%d skipped)\n' \
		$((_tap_pass + _tap_skip)) "$_tap_fail" "$_tap_skip"
	[ "$_tap_fail" -eq 0 ]
	exit $?
}

# --- scratch dir and cleanup -------------------------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/gups-itest.XXXXXX") || {
	echo "Bail out! cannot create scratch dir" >&2
	exit 1
}
# Every child inherits this marker, so cleanup also finds daemonised drivers.
export GUPS_ITEST_TAG="$T"
export NUT_CONFPATH="$T/etc"
export NUT_STATEPATH="$T/run"
export NUT_ALTPIDPATH="$T/run"
mkdir -p "$NUT_CONFPATH" "$NUT_STATEPATH"
chmod 0770 "$NUT_STATEPATH"

_itest_pids=()

# _pid_is_ours PID: PID runs with this test's tag in its environment (or
# is a zombie, which only its parent can reap)
_pid_is_ours()
{
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" = Z ] && return 0
	grep -qzxF "GUPS_ITEST_TAG=$T" "/proc/$1/environ" 2>/dev/null
}

track_pid()
{
	_itest_pids+=("$1")
}

# stop_pids PID...: stop_pid each, all signalled first (they exit together),
# then untrack_pids them.
stop_pids()
{
	local pid
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		stop_pid "$pid"
	done
	untrack_pids "$@"
}

# untrack_pids PID...: forget processes already stopped and reaped: their
# PIDs can be reused by anyone's process, which the cleanup must not signal.
untrack_pids()
{
	local pid keep=()
	for pid in "${_itest_pids[@]}"; do
		[[ " $* " == *" $pid "* ]] || keep+=("$pid")
	done
	_itest_pids=("${keep[@]}")
}

# Signal then reap one process, SIGKILL after ~2 s.
stop_pid()
{
	local pid=$1 _
	# PIDs wrap: a PID tracked long ago may be another test's process now
	_pid_is_ours "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 40); do
		kill -0 "$pid" 2>/dev/null || break
		# a zombie child still answers kill -0: reap it
		if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			break
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# PIDs of live processes carrying this test's marker (never this shell).
_tagged_pids()
{
	local f pid
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = "$$" ] && continue
		[ "$pid" = "$BASHPID" ] && continue
		grep -qzxF "GUPS_ITEST_TAG=$T" "$f" 2>/dev/null && echo "$pid"
	done
}

# kill_strays: kill tagged processes this script does not track (daemonised
# drivers, whatever a failed check left behind).
kill_strays()
{
	local pid
	for pid in $(_tagged_pids); do
		[[ " ${_itest_pids[*]} " == *" $pid "* ]] && continue
		stop_pid "$pid"
	done
}

_itest_cleanup()
{
	local rc=$? pid
	trap - EXIT INT TERM
	[ -n "${SOCK_FD:-}" ] && exec {SOCK_FD}>&- 2>/dev/null
	for pid in "${_itest_pids[@]}"; do
		stop_pid "$pid"
	done
	for pid in $(_tagged_pids); do
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$_tap_done" = 0 ] && [ "$_tap_n" -gt 0 ]; then
		printf '# aborted after %d tests\n' "$_tap_n"
		[ "$rc" -eq 0 ] && rc=1
	fi
	if [ "${ITEST_KEEP:-0}" = 1 ]; then
		printf '# scratch dir kept: %s\n' "$T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _itest_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- which driver, which shim ------------------------------------------------

_first_exe()
{
	local c
	for c in "$@"; do
		[ -n "$c" ] && [ -x "$c" ] && [ -f "$c" ] && {
			echo "$c"
			return 0
		}
	done
	return 1
}

if [ -z "${GENERICUPS:-}" ]; then
	GENERICUPS=$(_first_exe \
		"${STAGE_DIR:+$STAGE_DIR/lib/nut/genericups}" \
		"${abs_top_builddir:+$abs_top_builddir/genericups}" \
		"$ITEST_TOP/_suite/main/stage/lib/nut/genericups" \
		"$ITEST_TOP/genericups" \
		/lib/nut/genericups) || bail_out "no genericups binary (set GENERICUPS)"
fi
[ -x "$GENERICUPS" ] || bail_out "GENERICUPS=$GENERICUPS is not executable"
export GENERICUPS

if [ -z "${MODEMSIM_SO:-}" ]; then
	MODEMSIM_SO=$(_first_exe \
		"${MODEMSIM_LIB:-}" \
		"$ITEST_TOP/tests/.libs/modemsim.so" \
		"$ITEST_TOP/_suite/main/tests/.libs/modemsim.so" \
		"${abs_top_builddir:+$abs_top_builddir/tests/.libs/modemsim.so}" \
		/tmp/itest/modemsim.so) || MODEMSIM_SO=
fi
[ -n "$MODEMSIM_SO" ] && [ ! -f "$MODEMSIM_SO" ] && MODEMSIM_SO=

UPSD=${UPSD:-/lib/nut/upsd}
UPSC=${UPSC:-upsc}

# ours prints "genericups X.Y.Z"; NUT prints "Network UPS Tools - ..."
_driver_banner=$("$GENERICUPS" -V 2>&1 </dev/null)
if [[ $_driver_banner =~ genericups\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
	DRIVER_KIND=ours
elif [[ $_driver_banner == *"Network UPS Tools"* ]]; then
	DRIVER_KIND=nut
else
	DRIVER_KIND=ours
fi
DRIVER_REAL_KIND=$DRIVER_KIND
# ITEST_DRIVER_KIND forces the checks run (e.g. to prove they can fail)
DRIVER_KIND=${ITEST_DRIVER_KIND:-$DRIVER_KIND}
export DRIVER_KIND

diag "driver: $GENERICUPS ($DRIVER_KIND)"
diag "lines: $([ "${USE_SIMPORT:-0}" = 1 ] && echo "port = sim:<file>" || echo "shim ${MODEMSIM_SO:-(none)}")"

is_ours()
{
	[ "$DRIVER_KIND" = ours ]
}

# Extra -x options that make our driver react as NUT's does: no debounce
# delays, no pulled-cable detection (a step from OB to LB OB may come
# sooner than deadcablewindow after the step to OB).
nodebounce_args()
{
	[ "$DRIVER_REAL_KIND" = ours ] &&
		printf '%s\n' -x obconfirm=0 -x lbconfirm=0 -x olconfirm=0 -x deadcable=off
}

# --- small utilities ---------------------------------------------------------

# now_ms: monotonic-enough milliseconds
now_ms()
{
	local s=${EPOCHREALTIME/./}
	echo $((s / 1000))
}

# wait_for TIMEOUT_S CMD...: poll CMD every 50 ms until it succeeds.
wait_for()
{
	local deadline=$(($(now_ms) + ${1%.*} * 1000))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

_port_in_use()
{
	local hex
	hex=$(printf '%04X' "$1")
	ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$1\$" && return 0
	grep -qi ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port: a loopback TCP port nobody listens on or uses.
free_port()
{
	local p _
	for _ in $(seq 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		_port_in_use "$p" || {
			echo "$p"
			return 0
		}
	done
	return 1
}

# --- simulated modem lines -----------------------------------------------------

# sim_init NAME: set SIM_PORT/SIM_STATE/SIM_LOG for line set NAME (default "main").
# shellcheck disable=SC2120 # the argument is optional
sim_init()
{
	local n=${1:-main}
	SIM_PORT="$T/dev/ttyFAKE-$n"
	SIM_STATE="$T/lines-$n"
	SIM_LOG="$T/modemsim-$n.log"
	mkdir -p "$T/dev"
	: >"$SIM_PORT"
	[ -f "$SIM_STATE" ] || printf 'CTS=0 DCD=0 RNG=0 DSR=0\n' >"$SIM_STATE"
}

# sim_set "CTS=1 DCD=0" [STATEFILE]: atomic rewrite of the line-state file.
sim_set()
{
	local f=${2:-$SIM_STATE}
	printf '%s\n' "$1" >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
}

# sim_port_value: what to write as `port =` (shim device or our sim: source)
sim_port_value()
{
	if [ "${USE_SIMPORT:-0}" = 1 ]; then
		echo "sim:$SIM_STATE"
	else
		echo "$SIM_PORT"
	fi
}

# need_lines: skip the whole script when no line simulation is possible.
need_lines()
{
	if [ -z "$MODEMSIM_SO" ]; then
		if is_ours; then
			USE_SIMPORT=1
			diag "no MODEMSIM_SO: using port = sim:<file>"
		else
			skip_all "no modem-line shim (set MODEMSIM_SO)"
		fi
	fi
}

# --- configuration -------------------------------------------------------------

# write_ups_conf UPS [key=value ...]: fresh ups.conf with one section
# (driver = genericups, port = the simulated port unless given).
write_ups_conf()
{
	: >"$NUT_CONFPATH/ups.conf"
	add_ups_section "$@"
}

# add_ups_section UPS [key=value ...]: append a section to ups.conf.
add_ups_section()
{
	local ups=$1 kv k v have_port=0 f="$NUT_CONFPATH/ups.conf"
	shift
	{
		printf '[%s]\n\tdriver = genericups\n' "$ups"
		for kv in "$@"; do
			case $kv in
			*=*)
				k=${kv%%=*}
				v=${kv#*=}
				[ "$k" = port ] && have_port=1
				v=${v//\\/\\\\}
				v=${v//\"/\\\"}
				v=${v//#/\\#}
				printf '\t%s = "%s"\n' "$k" "$v"
				;;
			*) printf '\t%s\n' "$kv" ;;
			esac
		done
		[ "$have_port" = 1 ] || printf '\tport = "%s"\n' "$(sim_port_value)"
	} >>"$f"
}

# write_ups_conf_raw: ups.conf from stdin, verbatim.
write_ups_conf_raw()
{
	cat >"$NUT_CONFPATH/ups.conf"
}

# --- the driver --------------------------------------------------------------------

driver_sock()
{
	echo "$NUT_STATEPATH/genericups-$1"
}

# run_driver ARGS...: run the driver in the foreground with the shim env of the
# current SIM_* lines; prints nothing, returns its exit status (10 s cap).
run_driver()
{
	local pre=
	[ -n "$MODEMSIM_SO" ] && [ "${USE_SIMPORT:-0}" != 1 ] && pre=$MODEMSIM_SO
	LD_PRELOAD=$pre MODEMSIM_PORT=${SIM_PORT:-} MODEMSIM_STATE=${SIM_STATE:-} \
		MODEMSIM_LOG=${SIM_LOG:-} timeout -k 2 10 "$GENERICUPS" "$@"
}

# start_driver UPS [ARGS...]: background a foreground driver (-F) for section
# UPS with the current SIM_* lines, wait up to 10 s for its socket.
# Sets DRIVER_PID and DRIVER_LOG; returns 1 (log in diag) if it died.
start_driver()
{
	launch_driver "$@" && driver_ready "$1" "$DRIVER_PID" "$DRIVER_LOG"
}

# launch_driver UPS [ARGS...]: start_driver without the wait for the socket.
launch_driver()
{
	local ups=$1 pre=
	shift
	DRIVER_LOG="$T/driver-$ups.log"
	[ -n "$MODEMSIM_SO" ] && [ "${USE_SIMPORT:-0}" != 1 ] && pre=$MODEMSIM_SO
	LD_PRELOAD=$pre MODEMSIM_PORT=${SIM_PORT:-} MODEMSIM_STATE=${SIM_STATE:-} \
		MODEMSIM_LOG=${SIM_LOG:-} \
		"$GENERICUPS" -a "$ups" -u root -F "$@" >"$DRIVER_LOG" 2>&1 &
	DRIVER_PID=$!
	track_pid "$DRIVER_PID"
}

# driver_ready UPS PID LOG: wait up to 10 s for the socket of a launched
# driver; 1 (log in diag) if it died or did not make one.
driver_ready()
{
	local deadline=$(($(now_ms) + 10000))
	while [ ! -S "$(driver_sock "$1")" ]; do
		if ! kill -0 "$2" 2>/dev/null || [ "$(now_ms)" -ge "$deadline" ]; then
			diag "driver $1 did not create $(driver_sock "$1"); log:"
			diag "$(tail -n 20 "$3")"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# --- upsd / upsc -------------------------------------------------------------------

# start_upsd [extra upsd.conf lines...]: run NUT's upsd on a free loopback port.
# Sets UPSD_PORT and UPSD_PID.
# shellcheck disable=SC2120 # the arguments are optional
start_upsd()
{
	local line _
	for _ in 1 2 3; do
		UPSD_PORT=$(free_port) || return 1
		{
			printf 'LISTEN 127.0.0.1 %s\n' "$UPSD_PORT"
			for line in "$@"; do
				printf '%s\n' "$line"
			done
		} >"$NUT_CONFPATH/upsd.conf"
		printf '[admin]\n\tpassword = itest\n\tactions = SET FSD\n\tinstcmds = ALL\n' \
			>"$NUT_CONFPATH/upsd.users"
		chmod 0640 "$NUT_CONFPATH/upsd.conf" "$NUT_CONFPATH/upsd.users"
		"$UPSD" -u root -F >"$T/upsd.log" 2>&1 &
		UPSD_PID=$!
		track_pid "$UPSD_PID"
		if wait_for 10 _upsd_up; then
			return 0
		fi
		stop_pid "$UPSD_PID"
	done
	diag "upsd did not start; log:"
	diag "$(tail -n 20 "$T/upsd.log")"
	return 1
}

_upsd_up()
{
	kill -0 "$UPSD_PID" 2>/dev/null || return 2
	ss -Hltn "sport = :$UPSD_PORT" 2>/dev/null | grep -q LISTEN
}

# upsc_get VAR [UPS]: one value (or upsc's error text) from upsd.
upsc_get()
{
	"$UPSC" "${2:-myups}@127.0.0.1:$UPSD_PORT" "$1" 2>&1 |
		grep -v '^Init SSL without certificate database'
}

# wait_upsc VAR VALUE TIMEOUT [UPS]: poll every 50 ms until upsc prints VALUE.
# The last answer is left in UPSC_LAST.
wait_upsc()
{
	local deadline=$(($(now_ms) + ${3%.*} * 1000))
	while :; do
		UPSC_LAST=$(upsc_get "$1" "${4:-myups}")
		[ "$UPSC_LAST" = "$2" ] && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# is_upsc VAR VALUE TIMEOUT DESC [UPS]: TAP check on wait_upsc.
is_upsc()
{
	if wait_upsc "$1" "$2" "$3" "${5:-myups}"; then
		pass "$4"
	else
		not_ok "$4" "$UPSC_LAST" "$2 (within $3 s)"
	fi
}

# --- the driver socket -------------------------------------------------------------

# sock_talk SOCK [SECONDS]: send stdin to the socket, print what comes back
# within SECONDS (default 1) after stdin ends.
sock_talk()
{
	socat -t"${2:-1}" - "UNIX-CONNECT:$1" 2>/dev/null
}

# A long-lived connection: sock_open SOCK; sock_send LINE; sock_wait ERE T;
# sock_close. Everything received is appended to $SOCK_OUT.
sock_open()
{
	SOCK_FIFO="$T/sock.in.$RANDOM"
	SOCK_OUT="$T/sock.out.$RANDOM"
	mkfifo "$SOCK_FIFO" && : >"$SOCK_OUT"
	socat -t0.5 - "UNIX-CONNECT:$1" <"$SOCK_FIFO" >"$SOCK_OUT" 2>"$SOCK_OUT.err" &
	SOCK_PID=$!
	track_pid "$SOCK_PID"
	exec {SOCK_FD}>"$SOCK_FIFO"
	SOCK_MARK=0
}

# sock_send TEXT: one write() of TEXT plus a newline.
sock_send()
{
	printf '%s\n' "$1" >&"$SOCK_FD"
}

# sock_send_raw TEXT: one write() of TEXT as is (printf format escapes apply).
sock_send_raw()
{
	# shellcheck disable=SC2059 # the caller's escapes are wanted
	printf "$1" >&"$SOCK_FD"
}

# sock_mark: later sock_wait/sock_since only look at what arrives from now on.
sock_mark()
{
	SOCK_MARK=$(wc -l <"$SOCK_OUT")
}

# sock_since: lines received after the last sock_mark.
sock_since()
{
	tail -n "+$((SOCK_MARK + 1))" "$SOCK_OUT"
}

# sock_wait ERE TIMEOUT: wait until a line after the mark matches ERE.
sock_wait()
{
	local deadline=$(($(now_ms) + ${2%.*} * 1000))
	while :; do
		sock_since | grep -qE -- "$1" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

sock_alive()
{
	kill -0 "$SOCK_PID" 2>/dev/null
}

sock_close()
{
	[ -n "${SOCK_FD:-}" ] && exec {SOCK_FD}>&-
	SOCK_FD=
	stop_pid "$SOCK_PID"
}

# --- failing configurations ------------------------------------------------------------

# expect_fail_config DESC NEEDLE DRIVER-ARGS...: the driver must exit 1 and
# its output (stdout+stderr) must contain NEEDLE. For NUT's driver the
# behaviour is only recorded (SKIP).
expect_fail_config()
{
	local desc=$1 needle=$2 out rc
	shift 2
	out=$(run_driver "$@" -u root 2>&1 </dev/null)
	rc=$?
	# a driver that accepted the config has daemonised: stop it
	kill_strays
	if ! is_ours; then
		out=$(printf '%s\n' "$out" | grep -v -e '^Network UPS Tools' -e '^ *$')
		skip "$desc" "nut 2.8.0: exit $rc, $( (grep -i -m1 -e error -e fatal -e lock <<<"$out" ||
			head -n 1 <<<"$out") | head -n 1)"
		return 0
	fi
	expect_fail_output "$desc" "$needle" "$rc" "$out"
}

# expect_fail_output DESC NEEDLE RC OUTPUT: as expect_fail_config, for a
# driver run the caller made itself (e.g. several in parallel).
expect_fail_output()
{
	local desc=$1 needle=$2 rc=$3 out=$4
	if [[ $out =~ $SANITIZER_RE ]]; then
		not_ok "$desc" "sanitizer report: $out"
	elif [ "$rc" -eq 1 ] && [[ $out == *"$needle"* ]]; then
		pass "$desc"
	else
		not_ok "$desc" "exit $rc, output: $out" "exit 1, output naming '$needle'"
	fi
}

# driver_value UPS VAR: the driver's current value of VAR (DUMPVALUE on its socket).
driver_value()
{
	printf 'DUMPVALUE %s\n' "$2" | sock_talk "$(driver_sock "$1")" 0.3 |
		sed -n "s/^SETINFO $2 \"\\(.*\\)\"\$/\\1/p"
}

# --- many driver-socket clients at once ----------------------------------------
# listen_open NAME SOCK: a long-lived client of SOCK (as sock_open, but one
# per NAME); what it receives is appended to $T/listen-NAME.out. Returns 1
# unless the driver answers a PING within 3 s (the client is connected).
# listen_mark NAME, listen_since NAME, listen_wait NAME ERE TIMEOUT: as sock_*.
declare -A _listen_fd _listen_pid _listen_mark
listen_open()
{
	local name=$1 fifo="$T/listen-$1.in" out="$T/listen-$1.out" fd
	rm -f "$fifo"
	mkfifo "$fifo" && : >"$out" || return 1
	socat -t0.5 - "UNIX-CONNECT:$2" <"$fifo" >"$out" 2>"$out.err" &
	_listen_pid[$name]=$!
	track_pid "$!"
	exec {fd}>"$fifo"
	_listen_fd[$name]=$fd
	_listen_mark[$name]=0
	printf 'PING\n' >&"$fd"
	wait_for 3 grep -qx PONG "$out"
}

listen_mark()
{
	_listen_mark[$1]=$(wc -l <"$T/listen-$1.out")
}

listen_since()
{
	tail -n "+$((_listen_mark[$1] + 1))" "$T/listen-$1.out"
}

# listen_seen NAME ERE: a line after the mark matches ERE (no waiting).
listen_seen()
{
	listen_since "$1" | grep -qE -- "$2"
}

listen_wait()
{
	wait_for "$3" listen_seen "$1" "$2"
}

listen_close()
{
	local fd=${_listen_fd[$1]:-}
	[ -n "$fd" ] || return 0
	exec {fd}>&-
	unset "_listen_fd[$1]"
	stop_pids "${_listen_pid[$1]}"
}

# --- the status sequence OL -> OB -> LB OB -> LB OL -> OL, per upstype -------------
# type: OL line, its value when on line; LB line, its value when low
# (spec 1.2, "code" column). Type 23 also has RB=-RNG, BYPASS=-DSR.
declare -A SEQ_OL_LINE SEQ_OL_VAL SEQ_LB_LINE SEQ_LB_VAL
while read -r _t _ol _olv _lb _lbv; do
	SEQ_OL_LINE[$_t]=$_ol SEQ_OL_VAL[$_t]=$_olv SEQ_LB_LINE[$_t]=$_lb SEQ_LB_VAL[$_t]=$_lbv
done <<'EOF_SEQ'
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
EOF_SEQ
unset _t _ol _olv _lb _lbv

# seq_lines TYPE ONLINE LOWBATT -> "CTS=. DCD=. RNG=. DSR=."
seq_lines()
{
	local t=$1 online=$2 low=$3
	local -A v=([CTS]=0 [DCD]=0 [RNG]=0 [DSR]=0)

	# Unused lines stay low; type 23 keeps RNG/DSR high (RB, BYPASS off).
	[ "$t" = 23 ] && v[RNG]=1 v[DSR]=1
	if [ "$online" = 1 ]; then
		v[${SEQ_OL_LINE[$t]}]=${SEQ_OL_VAL[$t]}
	else
		v[${SEQ_OL_LINE[$t]}]=$((1 - SEQ_OL_VAL[$t]))
	fi
	if [ "$low" = 1 ]; then
		v[${SEQ_LB_LINE[$t]}]=${SEQ_LB_VAL[$t]}
	else
		v[${SEQ_LB_LINE[$t]}]=$((1 - SEQ_LB_VAL[$t]))
	fi
	printf 'CTS=%s DCD=%s RNG=%s DSR=%s\n' "${v[CTS]}" "${v[DCD]}" "${v[RNG]}" "${v[DSR]}"
}

# The UPSes in the sequence: seq_add puts one in ups.conf, seq_start runs
# the drivers of those added, seq_step moves every started one a step and
# checks through upsc, seq_stop stops them.
declare -A SEQ_TYPE SEQ_LABEL SEQ_PID
SEQ_ADDED=()
SEQ_STARTED=()

# seq_add UPS TYPE LABEL [key=value ...]: a section for UPS (upstype TYPE),
# its lines (name UPS) on line; LABEL starts the UPS's check descriptions.
seq_add()
{
	local ups=$1 t=$2
	SEQ_TYPE[$ups]=$t
	SEQ_LABEL[$ups]=$3
	SEQ_ADDED+=("$ups")
	shift 3
	sim_init "$ups"
	sim_set "$(seq_lines "$t" 1 0)"
	add_ups_section "$ups" "upstype=$t" "$@"
}

# seq_start [DRIVER-ARGS...]: start the drivers of the UPSes added since
# the last seq_start, all at once (one that does not start is a failed check).
# shellcheck disable=SC2120 # the arguments are optional
seq_start()
{
	local ups
	for ups in "${SEQ_ADDED[@]}"; do
		sim_init "$ups"
		launch_driver "$ups" "$@"
		SEQ_PID[$ups]=$DRIVER_PID
	done
	for ups in "${SEQ_ADDED[@]}"; do
		if driver_ready "$ups" "${SEQ_PID[$ups]}" "$T/driver-$ups.log"; then
			SEQ_STARTED+=("$ups")
		else
			not_ok "${SEQ_LABEL[$ups]}: driver starts"
		fi
	done
	SEQ_ADDED=()
}

# seq_step ONLINE LOWBATT WANT TIMEOUT: set the lines of every started UPS,
# then each must show ups.status WANT through upsd within TIMEOUT s.
# ONLINE = - sets nothing (the status at start).
seq_step()
{
	local online=$1 low=$2 want=$3 ups t what
	if [ "$online" != - ]; then
		for ups in "${SEQ_STARTED[@]}"; do
			sim_set "$(seq_lines "${SEQ_TYPE[$ups]}" "$online" "$low")" "$T/lines-$ups"
		done
	fi
	for ups in "${SEQ_STARTED[@]}"; do
		t=${SEQ_TYPE[$ups]}
		if [ "$online" = - ]; then
			what="starts with ups.status '$want'"
		else
			what="lines $(seq_lines "$t" "$online" "$low") -> ups.status '$want'"
		fi
		is_upsc ups.status "$want" "$4" "${SEQ_LABEL[$ups]}: $what" "$ups"
	done
}

# seq_stop: stop the started drivers (their logs stay for the sanitizer check).
seq_stop()
{
	local ups pids=()
	for ups in "${SEQ_STARTED[@]}"; do
		pids+=("${SEQ_PID[$ups]}")
	done
	stop_pids "${pids[@]}"
	SEQ_STARTED=()
}

# seq_sequence: the whole sequence, from the status at start. Up to 8 s at
# start and 6 s a step: NUT polls every 2 s, our delays are 1.5 s at most.
seq_sequence()
{
	seq_step - - OL 8
	seq_step 0 0 "OB" 6
	seq_step 0 1 "LB OB" 6
	seq_step 1 1 "LB OL" 6
	seq_step 1 0 "OL" 6
}

# --- chip models of the modem-line shim (MODEMSIM_CHIP, tests/modemsim.h) ----------
# What the driver must make of each: the kernel driver's name in sysfs, the
# edges that end a TIOCMIWAIT (driver.port.events), whether the line
# counters are trusted (driver.port.counters), and the edges it cannot
# report, which the driver must read on the linepoll timer.
# shellcheck disable=SC2034 # the chip-* scripts use these
CHIP_MODELS="ftdi 8250 pl2303 ch341 cp210x cdc-acm unknown"
# shellcheck disable=SC2034
declare -A CHIP_SYSFS=([ftdi]=ftdi_sio [8250]=serial8250 [pl2303]=pl2303
	[ch341]=ch341-uart [cp210x]=cp210x [cdc-acm]=cdc_acm [unknown]=mystery_uart)
# shellcheck disable=SC2034
declare -A CHIP_EVENTS=([ftdi]="CTS DCD RNG DSR" [8250]="CTS DCD RNG:falling DSR"
	[pl2303]="CTS DCD RNG DSR" [ch341]="CTS DCD RNG DSR" [cp210x]=none
	[cdc-acm]="DCD RNG:rising DSR" [unknown]="not known")
# shellcheck disable=SC2034
declare -A CHIP_COUNTERS=([ftdi]=yes [8250]=yes [pl2303]=no [ch341]=no [cp210x]=no
	[cdc-acm]=yes [unknown]=no)
# Edges not reported (CTS on cdc-acm is not read at all: such profiles are refused).
declare -A CHIP_UNSEEN_RISE=([ftdi]="" [8250]=RNG [pl2303]="" [ch341]=""
	[cp210x]="CTS DCD RNG DSR" [cdc-acm]="" [unknown]="CTS DCD RNG DSR")
declare -A CHIP_UNSEEN_FALL=([ftdi]="" [8250]="" [pl2303]="" [ch341]=""
	[cp210x]="CTS DCD RNG DSR" [cdc-acm]=RNG [unknown]="CTS DCD RNG DSR")

# chip_polled CHIP LINE...: the driver.port.polled a profile reading LINEs
# must have on CHIP ("RNG:rising", "DCD RNG", "none"), lines in CTS DCD RNG
# DSR order.
chip_polled()
{
	local chip=$1 l r f out=
	shift
	for l in CTS DCD RNG DSR; do
		[[ " $* " == *" $l "* ]] || continue
		r=0 f=0
		[[ " ${CHIP_UNSEEN_RISE[$chip]} " == *" $l "* ]] && r=1
		[[ " ${CHIP_UNSEEN_FALL[$chip]} " == *" $l "* ]] && f=1
		case $r$f in
		11) out+=" $l" ;;
		10) out+=" $l:rising" ;;
		01) out+=" $l:falling" ;;
		esac
	done
	out=${out# }
	echo "${out:-none}"
}

# chips_run FUNC: FUNC CHIP for every chip of $CHIPS (default: every
# model), with MODEMSIM_CHIP=CHIP; the time each took in a TAP comment.
chips_run()
{
	local chip start
	for chip in ${CHIPS:-$CHIP_MODELS}; do
		[ -n "${CHIP_SYSFS[$chip]:-}" ] || bail_out "unknown chip '$chip' (CHIPS)"
		start=$(now_ms)
		MODEMSIM_CHIP=$chip "$1" "$chip"
		diag "$chip: $(($(now_ms) - start)) ms"
	done
}
