#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# limits.sh: what a crowd of clients costs, ours next to NUT's genericups,
# both under the same modem-line simulator (tests/modemsim.so) with NUT's
# upsd attached:
#   1. memory per idle client: IDLE_N (then IDLE_SMALL_N, which NUT
#      survives) clients connect and PING, then wait;
#      VmRSS of the driver before, while they wait, and after they leave.
#      Ours serves at most 64+8 of them (the cap); so the same is measured
#      on our socket server alone (bench/limits_server.c, the driver's
#      common/sockserver.c and sockproto.c) with the cap raised.
#   2. MANY_N connections from another user (uid 65534, not upsd's), held
#      open: how many are served or refused, whether upsc still answers,
#      and whether a restarted upsd gets back in while they are held.
#   3. a flood on one connection: FLOOD_BYTES of empty lines, of unknown
#      commands, of binary junk: the driver's CPU time, its log lines, and
#      whether the connection still answers PING.
# Prints a table and writes it to RESULTS.
#
# Environment (defaults in brackets):
#   BUILD   build tree holding genericups and tests/.libs/modemsim.so [repo root]
#   OURS [$BUILD/genericups]  SHIM [$BUILD/tests/.libs/modemsim.so]
#   NUT [/lib/nut/genericups]  UPSD [/lib/nut/upsd]  UPSC [upsc]
#   WORK [mktemp]  RESULTS [bench/limits-<date>.txt]
#   IDLE_N [5000]  IDLE_SMALL_N [1000]  MANY_N [10000]  FLOOD_BYTES [1048576]
#   SECTIONS ["idle many flood"]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO}
OURS=${OURS:-$BUILD/genericups}
SHIM=${SHIM:-$BUILD/tests/.libs/modemsim.so}
NUT=${NUT:-/lib/nut/genericups}
UPSD=${UPSD:-/lib/nut/upsd}
UPSC=${UPSC:-upsc}
WORK=${WORK:-$(mktemp -d /tmp/genericups-limits.XXXXXX)}
RESULTS=${RESULTS:-$HERE/limits-$(date +%Y-%m-%d).txt}
IDLE_N=${IDLE_N:-5000}
IDLE_SMALL_N=${IDLE_SMALL_N:-1000}
MANY_N=${MANY_N:-10000}
FLOOD_BYTES=${FLOOD_BYTES:-1048576}
SECTIONS=${SECTIONS:-idle many flood}
PORT=/dev/ttyFAKE0
BIN=$WORK/bin
STRANGER=65534

die() { echo "limits.sh: $*" >&2; exit 1; }

for f in "$OURS" "$SHIM" "$NUT" "$UPSD"; do
	[ -e "$f" ] || die "$f: not found (set BUILD, OURS, SHIM, NUT or UPSD)"
done
command -v setpriv >/dev/null || die "setpriv: not installed"
[ "$(id -u)" = 0 ] || die "run as root (the drivers run as root, the crowd as uid $STRANGER)"
ulimit -n $((MANY_N + 2048)) 2>/dev/null || die "cannot raise the descriptor limit to $((MANY_N + 2048))"
chmod 0711 "$WORK"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_tools() {
	local src=$REPO/common
	mkdir -p "$BIN"
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BIN/limits_client" \
		"$HERE/limits_client.c" || die "limits_client.c: build failed"
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$src" -o "$BIN/limits_server" \
		"$HERE/limits_server.c" "$src/sockserver.c" "$src/sockproto.c" \
		"$src/nut_tokenizer.c" "$src/state.c" "$src/log.c" || die "limits_server.c: build failed"
}

# new_dir DIR: state files, socket folder (open to the stranger) and config
new_dir() {
	rm -rf "$1"
	mkdir -p "$1/s" "$1/line" "$1/conf"
	chmod 0711 "$1" "$1/s"
	echo "CTS=1 DCD=1" > "$1/line/state"
}

# start_driver DIR BINARY: driver "a" on the simulated port; pid in DIR/pid
start_driver() {
	local dir=$1 bin=$2 i
	new_dir "$dir"
	(
		cd "$dir" || exit 1
		export NUT_STATEPATH=$dir/s LD_PRELOAD=$SHIM MODEMSIM_PORT=$PORT \
			MODEMSIM_STATE=$dir/line/state
		exec "$bin" -s a -x port="$PORT" -x upstype=5 -u root -F > "$dir/driver.log" 2>&1
	) &
	echo $! > "$dir/pid"
	PIDS+=("$!")
	for i in $(seq 100); do
		[ -S "$dir/s/genericups-a" ] && break
		sleep 0.05
	done
	[ -S "$dir/s/genericups-a" ] || die "$bin did not create its socket; see $dir/driver.log"
	chmod 0666 "$dir/s/genericups-a"	# the crowd is another user
}

start_server_alone() {
	local dir=$1 i
	new_dir "$dir"
	"$BIN/limits_server" -S "$dir/s/genericups-a" -c $((IDLE_N + 100)) > "$dir/driver.log" 2>&1 &
	echo $! > "$dir/pid"
	PIDS+=("$!")
	for i in $(seq 100); do
		[ -S "$dir/s/genericups-a" ] && break
		sleep 0.05
	done
}

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		[ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return; }
	done
	die "no free TCP port"
}

# start_upsd DIR: NUT's upsd attached to the driver of DIR; its port in DIR/upsd.port
start_upsd() {
	local dir=$1 port
	port=$(cat "$dir/upsd.port" 2>/dev/null || free_port)
	echo "$port" > "$dir/upsd.port"
	printf '[a]\n\tdriver = genericups\n\tport = %s\n\tupstype = 5\n' "$PORT" > "$dir/conf/ups.conf"
	printf 'LISTEN 127.0.0.1 %s\n' "$port" > "$dir/conf/upsd.conf"
	printf '[mon]\n\tpassword = bench\n\tupsmon primary\n' > "$dir/conf/upsd.users"
	chmod 600 "$dir/conf/"*
	NUT_STATEPATH=$dir/s NUT_CONFPATH=$dir/conf "$UPSD" -u root -F >> "$dir/upsd.log" 2>&1 &
	echo $! > "$dir/upsd.pid"
	PIDS+=("$!")
}

# stop_dir DIR: the driver (or server) and upsd of DIR
stop_dir() {
	kill "$(cat "$1/upsd.pid" 2>/dev/null)" "$(cat "$1/pid")" 2>/dev/null
	sleep 0.5
}

stop_upsd() {
	kill "$(cat "$1/upsd.pid")" 2>/dev/null
	sleep 0.5
}

# upsc_ok DIR SECS: upsc reads ups.status through the upsd of DIR within SECS
upsc_ok() {
	local dir=$1 end=$((SECONDS + $2)) out
	while [ "$SECONDS" -le "$end" ]; do
		out=$(timeout 5 "$UPSC" "a@127.0.0.1:$(cat "$dir/upsd.port")" ups.status 2>/dev/null)
		[[ $out =~ ^(OL|OB|LB) ]] && return 0
		sleep 0.5
	done
	return 1
}

rss() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# CPU time of every thread of PID, in ms
cpu_ms() { awk '{t += $1} END {printf "%d\n", t / 1e6}' /proc/"$1"/task/*/schedstat 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat")" != Z ]; }

# crowd DIR N [stranger]: N clients held open; leaves CROWD_LINE, CROWD_FD (close to release)
crowd() {
	local dir=$1 n=$2 who=${3:-} i
	local fifo=$dir/crowd.in out=$dir/crowd.out
	rm -f "$fifo"
	mkfifo "$fifo"
	: > "$out"
	if [ -n "$who" ]; then
		setpriv --reuid=$STRANGER --regid=$STRANGER --clear-groups \
			"$BIN/limits_client" -S "$dir/s/genericups-a" -m idle -c "$n" -t 20000 \
			< "$fifo" > "$out" 2>&1 &
	else
		"$BIN/limits_client" -S "$dir/s/genericups-a" -m idle -c "$n" -t 20000 \
			< "$fifo" > "$out" 2>&1 &
	fi
	CROWD_PID=$!
	exec {CROWD_FD}> "$fifo"
	for i in $(seq 1200); do
		grep -q READY "$out" && break
		alive "$CROWD_PID" || break
		sleep 0.1
	done
	CROWD_LINE=$(head -n 1 "$out")
}

# (upsd started meanwhile holds the fifo too: end the crowd by signal)
release() {
	exec {CROWD_FD}>&-
	kill "$CROWD_PID" 2>/dev/null
	wait "$CROWD_PID" 2>/dev/null
	sleep 1
}

field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<< "$2"; }

# --- 1. idle clients -----------------------------------------------------------

# idle_row LABEL DIR N
idle_row() {
	local label=$1 dir=$2 n=$3 pid r0 r1 r2 served per
	pid=$(cat "$dir/pid")
	sleep 1
	r0=$(rss "$pid")
	crowd "$dir" "$n"
	r1=$(rss "$pid")
	alive "$pid" || r1=
	served=$(field served "$CROWD_LINE")
	release
	if alive "$pid"; then
		r2="$(rss "$pid") kB"
	else
		r2="(driver died)"
	fi
	per=-
	[ -n "$r1" ] && [ "${served:-0}" -gt 0 ] && per="$(( (r1 - r0) * 1024 / served )) B"
	[ -n "$r1" ] && r1="$r1 kB (+$((r1 - r0)))"
	printf '| %s | %s | %s kB | %s | %s | %s |\n' "$label" \
		"$(sed 's/ READY//; s/connect_failed=0 //; s/ ms=[0-9]*//' <<< "$CROWD_LINE")" \
		"$r0" "${r1:-(driver died)}" "$per" "$r2"
}

idle_section() {
	echo "### 1. $IDLE_N, then $IDLE_SMALL_N idle clients (each sent one PING), upsd attached"
	echo
	echo '| driver | clients | VmRSS before | while held | per served client | after they left |'
	echo '|---|---|---|---|---|---|'
	start_driver "$WORK/idle-ours" "$OURS"
	start_upsd "$WORK/idle-ours"
	upsc_ok "$WORK/idle-ours" 15 || echo "(upsd did not attach to ours)"
	idle_row "ours (cap 64 + 8 for upsd's kin)" "$WORK/idle-ours" "$IDLE_N"
	stop_dir "$WORK/idle-ours"
	start_server_alone "$WORK/idle-alone"
	idle_row "ours, socket server alone, cap $((IDLE_N + 100))" "$WORK/idle-alone" "$IDLE_N"
	stop_dir "$WORK/idle-alone"
	start_driver "$WORK/idle-nut" "$NUT"
	start_upsd "$WORK/idle-nut"
	upsc_ok "$WORK/idle-nut" 15 || echo "(upsd did not attach to NUT)"
	idle_row "NUT 2.8.0" "$WORK/idle-nut" "$IDLE_N"
	stop_dir "$WORK/idle-nut"
	# NUT's select() takes descriptors below 1024 only: a crowd it survives
	start_server_alone "$WORK/idle-alone2"
	idle_row "ours, socket server alone, cap $((IDLE_N + 100))" "$WORK/idle-alone2" "$IDLE_SMALL_N"
	stop_dir "$WORK/idle-alone2"
	start_driver "$WORK/idle-nut2" "$NUT"
	start_upsd "$WORK/idle-nut2"
	upsc_ok "$WORK/idle-nut2" 15 || echo "(upsd did not attach to NUT)"
	idle_row "NUT 2.8.0" "$WORK/idle-nut2" "$IDLE_SMALL_N"
	stop_dir "$WORK/idle-nut2"
	echo
	grep -m1 'FD_SETSIZE' "$WORK/idle-nut/driver.log" | sed 's/^/NUT with '"$IDLE_N"' clients: /'
	echo
}

# --- 2. many connections from another user --------------------------------------

many_row() {
	local label=$1 dir=$2 pid before during restarted after c0
	pid=$(cat "$dir/pid")
	upsc_ok "$dir" 15 && before=yes || before=no
	c0=$(cpu_ms "$pid")
	crowd "$dir" "$MANY_N" stranger
	upsc_ok "$dir" 10 && during=yes || during=no
	stop_upsd "$dir"
	start_upsd "$dir"
	upsc_ok "$dir" 20 && restarted=yes || restarted=no
	local fdn cpu=-
	alive "$pid" && cpu="$(($(cpu_ms "$pid") - c0)) ms"
	fdn=$(fds "$pid")
	release
	if alive "$pid"; then
		upsc_ok "$dir" 20 && after=yes || after=no
	else
		after="driver died"
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
		"$(sed 's/ READY//; s/ ms=[0-9]*//' <<< "$CROWD_LINE")" \
		"$before" "$during" "$restarted" "$after" "$cpu" "$fdn"
}

many_section() {
	echo "### 2. $MANY_N connections held by uid $STRANGER, upsd (root) attached"
	echo
	echo '| driver | crowd | upsc before | upsc while held | upsd restarted while held, upsc | upsc after | driver CPU | driver fds while held |'
	echo '|---|---|---|---|---|---|---|---|'
	start_driver "$WORK/many-ours" "$OURS"
	start_upsd "$WORK/many-ours"
	many_row ours "$WORK/many-ours"
	stop_dir "$WORK/many-ours"
	start_driver "$WORK/many-nut" "$NUT"
	start_upsd "$WORK/many-nut"
	many_row "NUT 2.8.0" "$WORK/many-nut"
	stop_dir "$WORK/many-nut"
	echo
	grep -m1 'FD_SETSIZE' "$WORK/many-nut/driver.log" | sed 's/^/NUT: /'
	grep -m1 'client refused' "$WORK/many-ours/driver.log" | sed 's/^ *[0-9.]*\t*/ours logs: /'
	grep -m1 'more bad requests' "$WORK/many-ours/driver.log" | sed 's/^ *[0-9.]*\t*/ours logs: /'
	echo "ours log lines in all: $(wc -l < "$WORK/many-ours/driver.log")"
	echo
}

# --- 3. garbage on one connection -------------------------------------------------

flood_row() {
	local label=$1 bin=$2 kind=$3 dir=$WORK/flood pid c0 c1 l0 l1 b0 b1 fifo line
	start_driver "$dir" "$bin"
	pid=$(cat "$dir/pid")
	sleep 0.5
	c0=$(cpu_ms "$pid")
	l0=$(wc -l < "$dir/driver.log")
	b0=$(wc -c < "$dir/driver.log")
	fifo=$dir/flood.in
	mkfifo "$fifo"
	"$BIN/limits_client" -S "$dir/s/genericups-a" -m flood -k "$kind" -b "$FLOOD_BYTES" \
		-t 60000 < "$fifo" > "$dir/flood.out" 2>&1 &
	local cpid=$!
	exec {FLOOD_FD}> "$fifo"
	for _ in $(seq 700); do
		grep -q READY "$dir/flood.out" && break
		alive "$cpid" || break
		sleep 0.1
	done
	sleep 0.3	# the log catches up
	c1=$(cpu_ms "$pid")
	l1=$(wc -l < "$dir/driver.log")
	b1=$(wc -c < "$dir/driver.log")
	line=$(head -n 1 "$dir/flood.out")
	printf '| %s | %s | %s ms | %s ms | %s | %s | %s |\n' "$label" "$kind" \
		"$(field ms "$line")" $((c1 - c0)) $((l1 - l0)) $((b1 - b0)) \
		"$(sed -n 's/.*pong=\([a-z]*\).*/\1/p' <<< "$line")"
	exec {FLOOD_FD}>&-
	kill "$pid" 2>/dev/null
	wait "$cpid" "$pid" 2>/dev/null
}

flood_section() {
	local kind
	echo "### 3. $FLOOD_BYTES bytes of garbage on one connection, then PING"
	echo
	echo '| driver | garbage | time to PONG | driver CPU | log lines | log bytes | PONG |'
	echo '|---|---|---|---|---|---|---|'
	for kind in newlines unknown binary; do
		flood_row ours "$OURS" "$kind"
		flood_row "NUT 2.8.0" "$NUT" "$kind"
	done
	echo
}

build_tools
{
	echo "# limits.sh $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r)"
	echo "# ours: $OURS ($("$OURS" -V 2>&1 | head -n 1)); NUT: $NUT"
	echo
	for s in $SECTIONS; do
		"${s}_section"
	done
} | tee "$RESULTS"
