#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed genericups@.service, sandbox and all, under a real systemd.
# PID 1 of the test machine need not be systemd: the test starts its own,
# /lib/systemd/systemd --system as PID 1 of private PID, mount, network,
# UTS, IPC and cgroup namespaces. It runs on the host's / made read-only,
# with a private /run, /tmp and /var/tmp, a cgroup2 subtree of its own, and
# a minimal unit set (stub targets, the unit under test, NUT's upsd), so
# nothing of the host's is started. Only the unit's paths differ from the
# installed one: its drvpath and statepath are mapped under /run/gutest,
# because a build dir under /tmp or /home is hidden by PrivateTmp= and
# ProtectHome=. A test drop-in adds the modem-line shim (LD_PRELOAD, port
# /dev/ttyFAKE0; its pty is among the devices DevicePolicy=closed allows),
# the shim's directory (ReadWritePaths=), a watchdog and RestartSec=1s.
#
# In it: the driver starts, is sandboxed and runs as the nut user; upsd
# serves it; systemctl reload and -c reload work; an outage reaches upsc;
# the watchdog is fed; after a SIGKILL it restarts past the stale socket and
# PID file; a clean stop; -k through the running driver raises
# the SD lines; a driver started outside the unit is not taken over (the
# unit fails, that driver serves on). When the machine has /dev/ttyS0, the driver also opens that
# real port under the sandbox (sysfs driver link, TIOCGSERIAL, a helper
# thread in TIOCMIWAIT ended by SIGUSR2), and an instance whose drop-in
# clears DeviceAllow= cannot open it (the device policy is enforced).
#
# Needs root, unshare/nsenter, a writable cgroup2 hierarchy, systemd,
# NUT's upsd and the modem-line shim; skips otherwise, saying why.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

t_start=$(now_ms)
is_ours || skip_all "tests our own unit"
[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, a cgroup subtree, systemd as PID 1)"
SYSTEMD_BIN=${SYSTEMD_BIN:-/lib/systemd/systemd}
[ -x "$SYSTEMD_BIN" ] || skip_all "no $SYSTEMD_BIN (package systemd)"
for c in unshare nsenter systemctl findmnt; do
	command -v "$c" >/dev/null || skip_all "no $c"
done
[ -x "$UPSD" ] || skip_all "no NUT upsd at $UPSD"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (MODEMSIM_SO)"
getent passwd nut >/dev/null || skip_all "no nut user"
getent group nut >/dev/null || skip_all "no nut group"
stage=$(cd "$(dirname "$GENERICUPS")/../.." && pwd)
unit=$(find "$stage" -name 'genericups@.service' -print -quit 2>/dev/null)
[ -n "$unit" ] || bail_out "genericups@.service is not installed under $stage"
notify=no
grep -q '^Type=notify' "$unit" && notify=yes

# --- the namespaces ------------------------------------------------------------
err=$(unshare --pid --mount --uts --ipc --net --cgroup --fork --mount-proc true 2>&1) ||
	skip_all "cannot make PID, mount, network, UTS, IPC and cgroup namespaces: $err"
# A cgroup2 subtree of ours becomes the root of systemd's cgroup namespace.
cg_mnt=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
[ -n "$cg_mnt" ] || skip_all "no cgroup2 hierarchy mounted (systemd needs one)"
cg_self=$(sed -n 's/^0:://p' /proc/self/cgroup)
CG="$cg_mnt${cg_self%/}/gutest-$$"
mkdir "$CG" 2>/dev/null || skip_all "cannot create a cgroup under $cg_mnt${cg_self%/} (read-only?)"

NSROOT="$T/nsrun"		# /run in the namespaces
G=/run/gutest			# our files, as seen inside
GH="$NSROOT/gutest"		# ... and from here
mkdir -p "$GH/units" "$GH/drv" "$GH/etc" "$GH/sim"

NS_LAUNCHER=
NSPID=
_sandbox_cleanup()
{
	local d _
	[ -n "$NS_LAUNCHER" ] && stop_pid "$NS_LAUNCHER"
	for _ in $(seq 100); do
		grep -qx 'populated 0' "$CG/cgroup.events" 2>/dev/null && break
		sleep 0.05
	done
	if [ -d "$CG" ]; then
		find "$CG" -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
	fi
}
trap 'rc=$?; _sandbox_cleanup; (exit $rc); _itest_cleanup' EXIT

# stub targets: the default dependencies of a service, and systemctl exit
for t in sysinit basic shutdown umount final local-fs network gutest; do
	printf '[Unit]\nDescription=%s (stub)\nDefaultDependencies=no\n' "$t" >"$GH/units/$t.target"
done
cp /lib/systemd/system/exit.target /lib/systemd/system/systemd-exit.service "$GH/units/" 2>/dev/null

# The installed unit, its drvpath and statepath mapped under /run/gutest.
drvpath=$(sed -n 's|^ExecStart=\([^ ]*\)/genericups .*|\1|p' "$unit")
statepath=$(sed -n 's|^PIDFile=\(.*\)/genericups-%i\.pid$|\1|p' "$unit")
[ -n "$drvpath" ] && [ -n "$statepath" ] ||
	bail_out "cannot find drvpath (ExecStart=) and statepath (PIDFile=) in $unit"
sed -e "s|$drvpath/genericups|$G/drv/genericups|g" -e "s|$statepath|$G/state|g" \
	"$unit" >"$GH/units/genericups@.service"
cp "$GENERICUPS" "$GH/drv/genericups"
cp "$MODEMSIM_SO" "$GH/modemsim.so"

# Sanitizer builds: LSan needs ptrace, which the filter (and the dropped
# dumpable flag) forbids; the suite's link-order option is needed too.
san_env=
if ldd "$GENERICUPS" 2>/dev/null | grep -q libasan; then
	san_env="Environment=ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0:detect_leaks=0"
	[ -n "${UBSAN_OPTIONS:-}" ] && san_env+=" UBSAN_OPTIONS=$UBSAN_OPTIONS"
	diag "ASan build: leak detection off under the sandbox"
fi

# dropin INSTANCE LINES...: a drop-in of genericups@INSTANCE.service
dropin()
{
	local d="$GH/units/genericups@$1.service.d"
	shift
	mkdir -p "$d"
	{
		echo '[Service]'
		printf '%s\n' "$@"
	} >"$d/test.conf"
}

# shim_dropin INSTANCE [LINES...]: the modem-line shim on $G/sim/lines-INSTANCE
shim_dropin()
{
	local i=$1
	shift
	dropin "$i" \
		"Environment=NUT_CONFPATH=$G/etc NUT_STATEPATH=$G/state" \
		"Environment=LD_PRELOAD=$G/modemsim.so MODEMSIM_PORT=/dev/ttyFAKE0" \
		"Environment=MODEMSIM_STATE=$G/sim/lines-$i MODEMSIM_LOG=$G/sim/modemsim.log" \
		"Environment=MODEMSIM_FAST_BREAK=1" \
		"ReadWritePaths=$G/sim" \
		"StandardOutput=append:$G/driver-$i.log" "StandardError=inherit" \
		${san_env:+"$san_env"} "$@"
	printf 'CTS=1 DCD=1\n' >"$GH/sim/lines-$i"
}
wd=
[ "$notify" = yes ] && wd="WatchdogSec=3s"
shim_dropin myups "RestartSec=1s" ${wd:+"$wd"}
for i in realport nodevice; do
	dropin "$i" "Environment=NUT_CONFPATH=$G/etc NUT_STATEPATH=$G/state" \
		"StandardOutput=append:$G/driver-$i.log" "StandardError=inherit" \
		${san_env:+"$san_env"}
done
echo "DeviceAllow=" >>"$GH/units/genericups@nodevice.service.d/test.conf"
# written by the driver as root, then as nut (which cannot open a root file)
: >"$GH/sim/modemsim.log"
chown -R root:nut "$GH/sim"
chmod 0770 "$GH/sim"
chmod 0666 "$GH"/sim/*

{
	printf '[myups]\n\tdriver = genericups\n\tport = /dev/ttyFAKE0\n\tupstype = 5\n\tsdtime = 1\n'
	for i in realport nodevice; do
		printf '[%s]\n\tdriver = genericups\n\tport = /dev/ttyS0\n\tupstype = 5\n' "$i"
	done
} >"$GH/etc/ups.conf"
printf 'LISTEN 127.0.0.1 3493\n' >"$GH/etc/upsd.conf"
printf '[admin]\n\tpassword = itest\n\tactions = SET FSD\n\tinstcmds = ALL\n' >"$GH/etc/upsd.users"
chown root:nut "$GH"/etc/*
chmod 0640 "$GH"/etc/*
cat >"$GH/units/gutest-upsd.service" <<EOF
[Unit]
Description=NUT upsd for the sandbox test
After=genericups@myups.service
[Service]
Environment=NUT_CONFPATH=$G/etc NUT_STATEPATH=$G/state
ExecStart=$UPSD -F
StandardOutput=append:$G/upsd.log
StandardError=inherit
EOF

# systemd's own messages: its /dev/console is a pty whose master socat
# copies to console.log (systemd logs only to a terminal; the slave stays
# open here so that its closing and reopening never hangs the copy up).
socat -u PTY,link="$T/console.pty",rawer OPEN:"$T/console.log",creat,append 2>/dev/null &
track_pid $!
wait_for 3 test -L "$T/console.pty" || bail_out "socat did not make a pty"
console=$(readlink -f "$T/console.pty")
# shellcheck disable=SC2034 # only held open
exec {console_fd}<>"$console"

# The launcher: into a cgroup of ours, new namespaces, then systemd as PID 1.
inner="mount --bind '$NSROOT' /run &&
	mount --bind '$console' /dev/console &&
	mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
	mount -t tmpfs -o mode=1777 tmpfs /tmp &&
	mount -t tmpfs -o mode=1777 tmpfs /var/tmp &&
	mount -o remount,bind,ro / &&
	exec env -i container=genericups-test GUPS_ITEST_TAG='$T' \
		SYSTEMD_UNIT_PATH=$G/units PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		'$SYSTEMD_BIN' --system --unit=gutest.target --log-target=console --log-level=info"
(
	echo "$BASHPID" >"$CG/cgroup.procs" || exit 1
	exec unshare --pid --mount --uts --ipc --net --cgroup --fork --kill-child=SIGKILL \
		--mount-proc --propagation private bash -c "$inner"
) >"$T/launcher.log" 2>&1 &
NS_LAUNCHER=$!

_ns_pid()
{
	NSPID=$(cat "/proc/$NS_LAUNCHER/task/$NS_LAUNCHER/children" 2>/dev/null)
	NSPID=${NSPID%% *}
	[ -n "$NSPID" ] && [ "$(readlink "/proc/$NSPID/exe")" = "$(readlink -f "$SYSTEMD_BIN")" ]
}

# in_ns CMD...: run CMD inside the namespaces (20 s cap), NUT's paths
# those of the units
in_ns()
{
	NUT_CONFPATH=$G/etc NUT_STATEPATH=$G/state NUT_ALTPIDPATH=$G/state \
		timeout -k 2 20 nsenter -t "$NSPID" -m -p -n -u -i --wd=/ "$@"
}

_ns_running()
{
	local s
	s=$(in_ns systemctl is-system-running 2>/dev/null)
	[ "$s" = running ] || [ "$s" = degraded ]
}

if ! wait_for 10 _ns_pid || ! wait_for 20 _ns_running; then
	diag "launcher: $(cat "$T/launcher.log")"
	diag "systemd: $(tail -n 30 "$T/console.log")"
	bail_out "systemd did not come up in its namespaces"
fi
ver=$(in_ns systemctl --version | head -n 1)
is "$(in_ns cat /proc/1/comm)" systemd "$ver runs as PID 1 of the test's namespaces"
diag "systemd: host PID $NSPID, cgroup $CG, state $(in_ns systemctl is-system-running)"

# prop UNIT PROPERTY: one property's value
prop()
{
	in_ns systemctl show -P "$2" "$1" 2>/dev/null
}

# unit_in_state UNIT ACTIVESTATE
unit_in_state()
{
	[ "$(prop "$1" ActiveState)" = "$2" ]
}

# unit_restarted UNIT OLDPID: active again under another PID
unit_restarted()
{
	local p
	p=$(prop "$1" MainPID)
	unit_in_state "$1" active && [ "$p" != 0 ] && [ "$p" != "$2" ]
}

# unit_diag UNIT: its status, driver log and systemd's messages about it
unit_diag()
{
	local i=${1#genericups@}

	diag "$(in_ns systemctl status --no-pager -n 0 "$1" 2>&1 | head -n 15)"
	[ -f "$GH/driver-${i%.service}.log" ] && diag "driver log: $(tail -n 15 "$GH/driver-${i%.service}.log")"
	diag "systemd: $(grep -F "${1%.service}" "$T/console.log" | tail -n 10)"
}

# in_miwait PID: a thread of PID is in ioctl(fd, TIOCMIWAIT, ...) (x86-64
# and arm64 syscall numbers 16 and 29; TIOCMIWAIT 0x545c)
in_miwait()
{
	in_ns sh -c "cat /proc/$1/task/*/syscall" 2>/dev/null | grep -qE '^(16|29) 0x[0-9a-f]+ 0x545c '
}

# upsc through the namespaces for lib.sh's wait_upsc/is_upsc
printf '#!/bin/sh\nexec timeout -k 2 20 nsenter -t %s -m -p -n -u -i --wd=/ upsc "$@"\n' \
	"$NSPID" >"$T/upsc-ns"
chmod 0755 "$T/upsc-ns"
UPSC="$T/upsc-ns"
UPSD_PORT=3493

# --- start ---------------------------------------------------------------------
U=genericups@myups.service
out=$(in_ns systemctl start "$U" 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	pass "systemctl start $U"
else
	not_ok "systemctl start $U" "exit $rc: $out"
	unit_diag "$U"
	bail_out "the unit does not start"
fi
is "$(prop "$U" ActiveState)/$(prop "$U" SubState)" active/running "$U is active (running)"
pid=$(prop "$U" MainPID)
diag "MainPID $pid (in the namespace), $(prop "$U" Type), $(grep -c . "$GH/driver-myups.log") log lines"
st=$(in_ns stat -c '%a %U:%G' "$G/state")
is "$st" "770 root:nut" "ExecStartPre created the state dir 0770 root:nut"

# the sandbox is in force on the running driver
status=$(in_ns cat "/proc/$pid/status")
nut_uid=$(id -u nut)
like "$status" "Uid:[[:space:]]+${nut_uid}[[:space:]]+${nut_uid}[[:space:]]+${nut_uid}" \
	"the driver runs as the nut user (uid $nut_uid)"
like "$status" "CapEff:[[:space:]]+0000000000000000" "no effective capabilities left"
like "$status" "CapBnd:[[:space:]]+00000000000000c0" "bounding set: CAP_SETUID CAP_SETGID"
like "$status" "NoNewPrivs:[[:space:]]+1" "NoNewPrivileges"
like "$status" "Seccomp:[[:space:]]+2" "system call filter (seccomp) installed"
mnt_drv=$(in_ns readlink "/proc/$pid/ns/mnt") net_drv=$(in_ns readlink "/proc/$pid/ns/net")
mnt_1=$(in_ns readlink /proc/1/ns/mnt) net_1=$(in_ns readlink /proc/1/ns/net)
ok "own mount namespace" test "$mnt_drv" != "$mnt_1"
ok "own network namespace (PrivateNetwork)" test "$net_drv" != "$net_1"
is "$(in_ns stat -c '%a %U' "$G/state/genericups-myups")" "660 nut" "socket 0660, owned by nut"
is "$(in_ns stat -c '%a' "$G/state/genericups-myups.pid") $(in_ns cat "$G/state/genericups-myups.pid")" \
	"644 $pid" "PID file 0644 names MainPID"
# (Type=forking: the parent opened it)
is "$(awk '$3 == "OPEN" { print $4; exit }' "$GH/sim/modemsim.log")" \
	/dev/ttyFAKE0 "the driver opened its port (through the shim)"

# --- upsd ----------------------------------------------------------------------
out=$(in_ns systemctl start gutest-upsd.service 2>&1) || diag "upsd: $out"
wait_for 10 sh -c "'$UPSC' -l 127.0.0.1 2>/dev/null | grep -qx myups"
is_upsc ups.status OL 10 "upsd serves the sandboxed driver: ups.status OL"
is_upsc driver.name genericups 5 "driver.name genericups"
is_upsc driver.port.driver ftdi_sio 5 "the port's kernel driver probed (sysfs link, via the shim)"

# --- an outage -----------------------------------------------------------------
sim_set "CTS=0 DCD=1" "$GH/sim/lines-myups"
is_upsc ups.status OB 5 "outage: OB reaches upsc"
sim_set "CTS=1 DCD=1" "$GH/sim/lines-myups"
is_upsc ups.status OL 5 "power back: OL"

# --- reload --------------------------------------------------------------------
sed -i 's/^\[myups\]$/[myups]\n\tmfr = "Reloaded"/' "$GH/etc/ups.conf"
out=$(in_ns systemctl reload "$U" 2>&1)
is "$?:$out" "0:" "systemctl reload $U"
is_upsc ups.mfr Reloaded 5 "the reload read ups.conf again (ups.mfr)"
is "$(prop "$U" ActiveState)/$(prop "$U" MainPID)" "active/$pid" "still active, same PID"
sed -i 's/mfr = "Reloaded"/mfr = "Reloaded twice"/' "$GH/etc/ups.conf"
out=$(in_ns "$G/drv/genericups" -a myups -c reload 2>&1)
is "$?" 0 "genericups -c reload (SIGHUP through the PID file)" || diag "$out"
is_upsc ups.mfr "Reloaded twice" 5 "... read ups.conf again"

# --- watchdog -------------------------------------------------------------------
if [ "$notify" = yes ]; then
	# WatchdogSec=3s: a driver that did not ping would be killed by now
	sleep 3.5
	is "$(prop "$U" ActiveState)/$(prop "$U" MainPID)/$(prop "$U" NRestarts)" "active/$pid/0" \
		"watchdog fed (WatchdogSec=3s, 3.5 s later still the same PID)"
else
	skip "watchdog" "driver built without libsystemd (Type=forking)"
fi

# --- a crash: the restarted driver gets past the stale socket and PID file,
# which root cannot open or signal through without CAP_DAC_OVERRIDE/CAP_KILL
in_ns systemctl kill -s KILL "$U"
if wait_for 10 unit_restarted "$U" "$pid"; then
	pid=$(prop "$U" MainPID)
	pass "killed with SIGKILL: restarted (Restart=on-failure; PID $pid)"
else
	not_ok "killed with SIGKILL: restarted (Restart=on-failure)" \
		"$(prop "$U" ActiveState)/$(prop "$U" SubState), NRestarts $(prop "$U" NRestarts)"
	unit_diag "$U"
fi
is_upsc ups.status OL 10 "upsd serves the restarted driver"

# --- stop ----------------------------------------------------------------------
out=$(in_ns systemctl stop "$U" 2>&1)
is "$?:$out" "0:" "systemctl stop $U"
is "$(prop "$U" ActiveState)/$(prop "$U" Result)/$(prop "$U" ExecMainStatus)" \
	"inactive/success/0" "stopped cleanly (exit 0, not failed)"
ok "socket removed" in_ns test ! -e "$G/state/genericups-myups"
ok "PID file removed" in_ns test ! -e "$G/state/genericups-myups.pid"
is_upsc ups.status "Error: Driver not connected" 5 "upsd: driver not connected"

# --- shut the UPS down: -k through the running driver ------------------------------
out=$(in_ns systemctl start "$U" 2>&1) || diag "restart: $out"
pid=$(prop "$U" MainPID)
is_upsc ups.status OL 10 "started again (PID $pid)"
before=$(wc -l <"$GH/sim/modemsim.log")
is "$(cat "$GH/sim/lines-myups.out" 2>&1)" "DTR=1 RTS=0 BREAK=0" "outputs before: CP only (DTR=1 RTS=0)"
kout=$(in_ns env LD_PRELOAD="$G/modemsim.so" \
	MODEMSIM_PORT=/dev/ttyFAKE0 MODEMSIM_STATE="$G/sim/lines-myups" \
	MODEMSIM_LOG="$G/sim/modemsim.log" "$G/drv/genericups" -a myups -k 2>&1)
is "$?" 0 "genericups -k exits 0" || diag "$kout"
like "$kout" "running driver" "-k went through the running driver's socket"
like "$(cat "$GH/sim/lines-myups.out" 2>&1)" "DTR=1 RTS=1" "SD lines raised (outputs file: DTR=1 RTS=1)"
new=$(tail -n "+$((before + 1))" "$GH/sim/modemsim.log")
is "$(awk -v p="$pid" '$2 == p && $3 == "TIOCMSET" { printf "%s%s", s, $4; s = " " }' <<<"$new")" \
	0x006 "the sandboxed driver wrote SD (TIOCMSET 0x006)"
is "$(awk '$3 == "OPEN" { print $2 }' <<<"$new")" "" "-k did not open the port itself"
wait_for 10 unit_in_state "$U" inactive
is "$(prop "$U" ActiveState)/$(prop "$U" Result)" "inactive/success" \
	"after killpower the driver exits, the unit is inactive (not failed)"

unlike "$(cat "$GH"/driver-myups.log)" "Operation not permitted|Bad system call" \
	"no call refused by the sandbox (driver log)"

# --- a driver started outside the unit is not taken over ------------------------------
# (root in the sandbox can neither connect to its socket nor signal it)
shim_env=(LD_PRELOAD="$G/modemsim.so" MODEMSIM_PORT=/dev/ttyFAKE0
	MODEMSIM_STATE="$G/sim/lines-myups" MODEMSIM_LOG="$G/sim/modemsim.log")
out=$(in_ns env "${shim_env[@]}" "$G/drv/genericups" -a myups 2>&1)
if [ "$?" -ne 0 ] || ! wait_upsc ups.status OL 10; then
	not_ok "a driver started outside the unit runs" "$out; upsc: $UPSC_LAST"
else
	outside=$(in_ns cat "$G/state/genericups-myups.pid")
	out=$(in_ns systemctl start "$U" 2>&1)
	rc=$?
	log=$(tail -n 5 "$GH/driver-myups.log")
	if [ "$rc" -ne 0 ] && in_ns kill -0 "$outside" && wait_upsc ups.status OL 1; then
		pass "a driver started outside the unit is not taken over (the unit fails, it serves on)"
	else
		not_ok "a driver started outside the unit is not taken over (the unit fails, it serves on)" \
			"start exit $rc; upsc: $UPSC_LAST; log: $log"
	fi
	in_ns systemctl stop "$U" >/dev/null 2>&1
	in_ns systemctl reset-failed "$U" >/dev/null 2>&1
	in_ns "$G/drv/genericups" -a myups -c exit >/dev/null 2>&1
fi

# --- a real serial port -----------------------------------------------------------------
R=genericups@realport.service
if [ ! -c /dev/ttyS0 ] || [ ! -e /sys/dev/char/4:64/device/driver ]; then
	skip "a real port under the sandbox" "no /dev/ttyS0 with a sysfs driver link here"
else
	out=$(in_ns systemctl start "$R" 2>&1)
	rc=$?
	log=$(cat "$GH/driver-realport.log" 2>/dev/null)
	if [ "$rc" -ne 0 ] && [[ $log == *"is locked by another process"* ]]; then
		skip "a real port under the sandbox" "/dev/ttyS0 is in use"
	elif [ "$rc" -ne 0 ]; then
		not_ok "the driver opens /dev/ttyS0 under the sandbox" "exit $rc: $out"
		unit_diag "$R"
	else
		pass "the driver opens /dev/ttyS0 under the sandbox"
		kdrv=$(basename "$(readlink /sys/dev/char/4:64/device/driver)")
		is_upsc driver.port.driver "$kdrv" 5 "sysfs driver link read: $kdrv" realport
		is_upsc driver.port.type 8250 5 "TIOCGSERIAL read: an 8250 UART" realport
		rpid=$(prop "$R" MainPID)
		if wait_for 5 in_miwait "$rpid"; then
			pass "a helper thread blocks in ioctl(TIOCMIWAIT)"
		else
			not_ok "a helper thread blocks in ioctl(TIOCMIWAIT)" \
				"$(in_ns sh -c "head /proc/$rpid/task/*/syscall")"
		fi
		unlike "$log" "Operation not permitted|Bad system call" "no call refused by the sandbox"
		out=$(in_ns systemctl stop "$R" 2>&1)
		is "$?/$(prop "$R" Result)/$(prop "$R" ExecMainStatus)" "0/success/0" \
			"stops cleanly (SIGUSR2 ends the TIOCMIWAIT wait)"
		N=genericups@nodevice.service
		out=$(in_ns systemctl start "$N" 2>&1)
		rc=$?
		in_ns systemctl stop "$N" >/dev/null 2>&1
		in_ns systemctl reset-failed "$N" >/dev/null 2>&1
		log=$(cat "$GH/driver-nodevice.log" 2>/dev/null)
		if [ "$rc" -ne 0 ] && [[ $log == *"cannot open port /dev/ttyS0: Operation not permitted"* ]]; then
			pass "device policy enforced: with DeviceAllow= cleared, /dev/ttyS0 cannot be opened"
		else
			not_ok "device policy enforced: with DeviceAllow= cleared, /dev/ttyS0 cannot be opened" \
				"start exit $rc; log: $log"
		fi
	fi
fi

cp "$GH"/driver-*.log "$T/" 2>/dev/null	# done_testing looks for sanitizer reports
t_ms=$(($(now_ms) - t_start))
diag "$(printf 'runtime %d.%d s' $((t_ms / 1000)) $((t_ms % 1000 / 100)))"
done_testing
