#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# port = usb:... (issue 12), without hardware: umockdev's test bed
# (tests/usbbed.py) serves libusb's enumeration and hotplug and sysfs; the
# modem-line shim, first in LD_PRELOAD, answers the modem-line ioctls on the
# adapter's tty (umockdev's pty would answer ENOTTY), with MODEMSIM_PORT_LIST
# so that an open fails unless the bed has that node. What each part proves:
#  - bed: which tty an identity names (libusb port numbers, sysfs serial and
#    interfaces), the refusal of an ambiguous identity, the unplug and the
#    arrival seen through libusb's hotplug in the driver's poll loop;
#  - shim: the lines read through the tty the driver resolved;
#  - upsd: the status sequence across the replug, as NUT clients see it;
#  - privileges: the replugged drivers run as the nut user (when it exists)
#    after the drop, on a bed as readable as sysfs (world-readable, written
#    by root only) whose /dev/bus/usb nodes are root's alone (0600, more
#    hostile than Debian's 0664), and strace shows no open of a usbfs node;
#  - no hotplug (GENERICUPS_USB_HOTPLUG=off, as in the systemd unit's
#    private network namespace where udev's notifications never arrive):
#    the unplug seen by the line wait failing (the shim's GONE=1: EIO, as a
#    hung-up tty), the replug found by looking every 500 ms, no backoff.
# Not proved here: the kernel's own timing of uevents and tty creation, and
# the tty node's permissions (the shim opens a pty of its own).

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "usb: ports are genericups's own"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"
PY=/usr/bin/python3
"$PY" -c 'import gi; gi.require_version("UMockdev", "1.0")' 2>/dev/null ||
	skip_all "needs umockdev's Python bindings (gir1.2-umockdev-1.0 python3-gi)"
"$GENERICUPS" -h 2>&1 | grep -q -- '-U ' || skip_all "driver without usb: support"

coproc BED { LD_PRELOAD=libumockdev-preload.so.0 exec "$PY" "$ITEST_LIB_DIR/usbbed.py" 2>"$T/bed.err"; }
track_pid "$BED_PID"
read -r -t 20 -u "${BED[0]}" word UMOCKDEV_DIR || bail_out "test bed does not start: $(cat "$T/bed.err")"
[ "$word" = ready ] || bail_out "test bed: $word"
export UMOCKDEV_DIR

# bed COMMAND...: one command to the test bed; 1 unless it answers ok
bed()
{
	local answer
	echo "$*" >&"${BED[1]}"
	read -r -t 20 -u "${BED[0]}" answer || answer="no answer"
	[ "$answer" = ok ] || { diag "bed $*: $answer"; return 1; }
}

SIM_PORT=$(printf '/dev/ttyUSB%d:' 0 1 2 3 4 5 6 7 8 9)
SIM_PORT=${SIM_PORT%:}
SIM_STATE="$T/lines"
SIM_LOG="$T/modemsim.log"
# one line state for every tty name; the lock is per node, as the kernel's
export MODEMSIM_PORT_LIST=1 MODEMSIM_CHIP=ch341 MODEMSIM_NO_SHARED_LOCK=1
ON="CTS=1 DCD=1"	# type 4: OL = CTS set, LB = DCD clear
OFF="CTS=0 DCD=1"
sim_set "$ON"
# the shim first, with RTLD_NEXT reaching umockdev's preload, then libc
PRELOAD="$MODEMSIM_SO libumockdev-preload.so.0"

usbenv()
{
	LD_PRELOAD=$PRELOAD MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE \
		MODEMSIM_LOG=$SIM_LOG "$@"
}

bed add ftdi 0403 6001 A10KZP45 1-1 ttyUSB0 ftdi_sio FT232R USB UART || bail_out "bed add"
bed add ch1 1a86 7523 - 1-2 ttyUSB1 ch341 USB Serial || bail_out "bed add"
bed add ch2 1a86 7523 - 1-4.1 ttyUSB2 ch341 USB Serial || bail_out "bed add"

# --- the run-time user: nut when it exists, on a bed readable as sysfs is ------------
RUN_USER=root
if [ "$(id -u)" = 0 ] && getent passwd nut >/dev/null && getent group nut >/dev/null; then
	RUN_USER=nut
	# what the drivers need of the scratch dir: the socket dir, the shim's files
	chmod 0711 "$T"
	chgrp nut "$NUT_STATEPATH"
	: >"$SIM_LOG"
	chmod 0666 "$SIM_LOG"
	# umockdev binds each process's uevent socket in its root dir (netlink
	# needs no such right on a real system); the trees below stay root's
	chmod 1777 "$UMOCKDEV_DIR"
	chmod -R go-w "$UMOCKDEV_DIR/sys"
	find "$UMOCKDEV_DIR/dev/bus/usb" ! -type d -exec chmod 0600 {} + 2>/dev/null
	node=$(find "$UMOCKDEV_DIR/dev/bus/usb" ! -type d | head -n 1)
	attr="$UMOCKDEV_DIR/sys/bus/usb/devices/1-4.1/idVendor"
	if [ -n "$node" ] && runuser -u nut -- cat "$attr" >/dev/null &&
	   ! runuser -u nut -- cat "$node" >/dev/null 2>&1 &&
	   [ -z "$(find "$UMOCKDEV_DIR/sys" -perm -o+w ! -type l | head -n 1)" ]; then
		pass "bed: sysfs readable, not writable, by nut; usbfs nodes not readable"
	else
		not_ok "bed: sysfs readable, not writable, by nut; usbfs nodes not readable" \
			"node '$node', attr $attr"
	fi
fi

# --- the listing -------------------------------------------------------------------
list=$(usbenv timeout 10 "$GENERICUPS" -U 2>&1)
is "$(grep -c '^port = ' <<<"$list")" 3 "-U lists the three adapters"
contains "$list" 'port = "usb:0403:6001,serial=A10KZP45"' "-U names the FTDI by its serial"
contains "$list" 'port = "usb:1a86:7523,path=1-2"' "-U names a CH340 without serial by its path"
contains "$list" 'port = "usb:1a86:7523,path=1-4.1"' "-U names the CH340 behind a hub by its path"
# the line -U prints goes into ups.conf as it is ('=' outside quotes is a word)
printf '[paste]\n\tdriver = genericups\n\tupstype = 4\n\t%s\n' \
	"$(grep -m 1 '^port = .*path=1-4.1' <<<"$list")" | write_ups_conf_raw
out=$(usbenv timeout 10 "$GENERICUPS" -a paste -u root -d 0 2>&1 </dev/null)
is "$?" 0 "the port line -U prints, pasted into ups.conf, starts the driver"
contains "$out" "path=1-4.1 (ch341, USB Serial) at /dev/ttyUSB2" "the pasted line binds the adapter it was printed for"
contains "$out" "driver.port.node: /dev/ttyUSB2" "-d shows driver.port.node"
contains "$out" "driver.port.usb.path: 1-4.1" "-d shows driver.port.usb.path"
contains "$list" "1a86:7523 no serial number path=1-4.1 (ch341, USB Serial) at /dev/ttyUSB2" \
	"-U shows identity, kernel driver and tty"

# --- an ambiguous identity, and one that fits nothing --------------------------------
write_ups_conf amb upstype=4 port=usb:1a86:7523
out=$(usbenv timeout 10 "$GENERICUPS" -a amb -u root -F 2>&1 </dev/null)
expect_fail_output "two identical CH340s: refused" "port 'usb:1a86:7523': 2 adapters fit" $? "$out"
contains "$out" "path=1-2" "the refusal lists the first CH340 with its path"
contains "$out" "[port = usb:1a86:7523,path=1-4.1]" "the refusal gives the port value of the second"
write_ups_conf none upstype=4 port=usb:067b:2303
out=$(usbenv timeout 10 "$GENERICUPS" -a none -u root -F 2>&1 </dev/null)
expect_fail_output "no PL2303 present: refused" "no USB serial adapter fits" $? "$out"
contains "$out" "0403:6001 serial=A10KZP45 path=1-1 (ftdi_sio, FT232R USB UART) at /dev/ttyUSB0" \
	"the refusal lists the adapters present"

# --- two UPSes bound by identity, through upsd ----------------------------------------
write_ups_conf ch upstype=4 port=usb:1a86:7523,path=1-4.1 obconfirm=0 olconfirm=0 deadcable=off
add_ups_section ft upstype=4 port=usb:0403:6001,serial=A10KZP45 obconfirm=0 olconfirm=0 \
	deadcable=off
# one driver at a time: umockdev's preload names each process's uevent
# socket after its fd number, so two processes under one bed steal each
# other's notifications
# start_usb_driver UPS [strace]: as $RUN_USER, under strace -f when asked
# (its trace in $T/strace-UPS); DRIVER_PID is the driver's own PID.
start_usb_driver()
{
	local tracer=() pid=
	DRIVER_LOG="$T/driver-$1${LOG_SUFFIX:-}.log"
	# LeakSanitizer cannot run under ptrace: no leak check for the traced run
	[ "${2:-}" = strace ] && tracer=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		strace -f -qq -e trace=open,openat,setuid -o "$T/strace-$1")
	# not through usbenv: a function would leave a subshell as the PID
	LD_PRELOAD=$PRELOAD MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE \
		MODEMSIM_LOG=$SIM_LOG "${tracer[@]}" "$GENERICUPS" -a "$1" -u "$RUN_USER" -F \
		>"$DRIVER_LOG" 2>&1 &
	DRIVER_PID=$!
	track_pid "$DRIVER_PID"
	if [ ${#tracer[@]} -gt 0 ]; then
		for _ in $(seq 100); do
			pid=$(pgrep -P "$DRIVER_PID" -x genericups) && break
			sleep 0.05
		done
		[ -n "$pid" ] || bail_out "no driver under strace"
		TRACER_PID=$DRIVER_PID
		DRIVER_PID=$pid
		track_pid "$DRIVER_PID"
	fi
	driver_ready "$1" "$DRIVER_PID" "$DRIVER_LOG" || bail_out "driver $1 does not start"
}
STRACE=
command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null && STRACE=strace
start_usb_driver ch $STRACE
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 10 "ch: OL through upsd" ch
is_upsc driver.port.node /dev/ttyUSB2 5 "ch: bound to the CH340 at 1-4.1 (/dev/ttyUSB2)" ch
is_upsc driver.port.usb.path 1-4.1 5 "ch: driver.port.usb.path" ch
is_upsc driver.port.usb.driver ch341 5 "ch: driver.port.usb.driver" ch

# --- unplug: stale at once, while the shim's fd still answers ---------------------------
bed remove ch2
is_upsc ups.status "Error: Data stale" 5 "ch: unplugged: upsd reports stale data" ch
contains "$(cat "$T/driver-ch.log")" "adapter 1a86:7523 at USB port 1-4.1 (/dev/ttyUSB2) unplugged" \
	"ch: the unplug is seen through hotplug (no read had failed)"
sim_set "$OFF"
# --- replug under another tty name ---------------------------------------------------
bed add ch2 1a86 7523 - 1-4.1 ttyUSB5 ch341 USB Serial
is_upsc ups.status OB 10 "ch: replugged as ttyUSB5: fresh data (OB) through upsd" ch
is_upsc driver.port.node /dev/ttyUSB5 5 "ch: driver.port.node follows to /dev/ttyUSB5" ch
is_upsc driver.port.usb.replugs 1 5 "ch: driver.port.usb.replugs counts it" ch
contains "$(cat "$T/driver-ch.log")" "port usb:1a86:7523,path=1-4.1: adapter 1a86:7523 no serial number path=1-4.1 (ch341, USB Serial) at /dev/ttyUSB5" \
	"ch: the new identity and node are logged"
contains "$(cat "$T/driver-ch.log")" "a fitting USB device arrived; reopening" "ch: the reopen follows the arrival notification"

# --- a second identical adapter appears: the bound one stays ----------------------------
bed add ch3 1a86 7523 - 1-3 ttyUSB6 ch341 USB Serial
sleep 1
sim_set "$ON"
is_upsc ups.status OL 10 "ch: still follows its own adapter after a twin arrived" ch
is "$(upsc_get driver.port.node ch)" /dev/ttyUSB5 "ch: still on /dev/ttyUSB5"
if [ "$RUN_USER" = nut ]; then
	is "$(ps -o user= -p "$DRIVER_PID" | tr -d ' ')" nut \
		"ch: resolved and reopened the replugged adapter as the nut user"
else
	skip "ch: run as the nut user" "not root, or no nut user and group"
fi
stop_pid "$DRIVER_PID"
if [ -n "$STRACE" ]; then
	wait "$TRACER_PID"	# the trace is complete
	# the positive control: the resolve after the replug is in the trace
	# the positive control: the resolve after the replug, after the drop
	drop=$(grep -n -m 1 'setuid(' "$T/strace-ch" | cut -d: -f1)
	read_at=$(grep -n 'devices/1-4.1/product"' "$T/strace-ch" | tail -n 1 | cut -d: -f1)
	ok "strace: the sysfs reads of the resolve after the replug follow the setuid" \
		test "${drop:-0}" -gt 0 -a "${read_at:-0}" -gt "${drop:-0}"
	usbfs=$(grep -E 'dev/bus/usb/[0-9]+/[0-9]+"' "$T/strace-ch" | head -n 3)
	is "$usbfs" "" "strace: no usbfs node (/dev/bus/usb/BUS/DEV) opened, as root or after the drop"
else
	skip "strace: the sysfs reads" "no working strace"
	skip "strace: no usbfs node opened" "no working strace"
fi
start_usb_driver ft
sed -i 's/port = "usb:0403:6001,serial=A10KZP45"/port = "usb:0403:60zz,serial=A10KZP45"/' \
	"$NUT_CONFPATH/ups.conf"
line=$(grep -n 'usb:0403:60zz' "$NUT_CONFPATH/ups.conf" | cut -d: -f1)
kill -USR1 "$DRIVER_PID"	# reload-or-exit: a port change would exit
wait_for 5 grep -q "keeping the running configuration" "$DRIVER_LOG"
contains "$(cat "$DRIVER_LOG")" "ups.conf:$line: port 'usb:0403:60zz,serial=A10KZP45': expected usb:VID:PID" \
	"ft: reload with a malformed identity: an error naming the line and value"
ok "ft: reload-or-exit with a malformed identity keeps the driver running" kill -0 "$DRIVER_PID"
sed -i 's/usb:0403:60zz/usb:0403:6001/' "$NUT_CONFPATH/ups.conf"
is_upsc driver.port.node /dev/ttyUSB0 5 "ft: bound by serial to /dev/ttyUSB0" ft
is_upsc driver.port.usb.serial A10KZP45 5 "ft: driver.port.usb.serial" ft
is_upsc driver.port.usb.id 0403:6001 5 "ft: driver.port.usb.id" ft
# --- the FTDI moves to another USB port and tty: found again by serial --------------------
bed remove ch1
sleep 1
is "$(upsc_get ups.status ft)" OL "ft: another adapter's unplug does not touch it"
bed remove ftdi
is_upsc ups.status "Error: Data stale" 5 "ft: unplugged: stale" ft
bed add ftdi 0403 6001 A10KZP45 1-5 ttyUSB7 ftdi_sio FT232R USB UART
is_upsc driver.port.node /dev/ttyUSB7 10 "ft: replugged at 1-5: bound again by serial" ft
is_upsc driver.port.usb.path 1-5 5 "ft: driver.port.usb.path is the new port" ft
is_upsc ups.status OL 5 "ft: fresh data after the move" ft
stop_pid "$DRIVER_PID"

# --- no hotplug: the line wait's EIO, then a look every 500 ms -------------------------
LOG_SUFFIX=-nohp GENERICUPS_USB_HOTPLUG=off start_usb_driver ch
is_upsc ups.status OL 10 "no hotplug: ch: OL on /dev/ttyUSB5" ch
contains "$(cat "$T/driver-ch-nohp.log")" "not following hotplug (GENERICUPS_USB_HOTPLUG=off)" \
	"no hotplug: the driver says so"
# the node goes first, then the tty hangs up (EIO for every open fd)
bed remove ch2
sim_set "GONE=1 $OFF"
is_upsc ups.status "Error: Data stale" 5 "no hotplug: unplugged: stale once the line wait fails" ch
sleep 1.5
sim_set "$OFF"
bed add ch2 1a86 7523 - 1-4.1 ttyUSB8 ch341 USB Serial
is_upsc ups.status OB 10 "no hotplug: replugged as ttyUSB8: fresh data (OB)" ch
is_upsc driver.port.node /dev/ttyUSB8 5 "no hotplug: driver.port.node is /dev/ttyUSB8" ch
log=$(cat "$T/driver-ch-nohp.log")
contains "$log" "TIOCMIWAIT: Input/output error" "no hotplug: the unplug was seen by the line wait"
contains "$log" "no USB serial adapter fits" "no hotplug: the absence is said"
contains "$log" "trying again every 500 ms" "no hotplug: looked for every 500 ms"
is "$(grep -c 'no USB serial adapter fits' <<<"$log")" 1 "no hotplug: the absence is said once"
is "$(grep -c 'retrying port' <<<"$log")" 0 "no hotplug: no backoff"
is "$(grep -c 'a fitting USB device arrived' <<<"$log")" 0 "no hotplug: no notification was used"
stop_pid "$DRIVER_PID"
unlike "$(cat "$T/driver-ft.log")" "another adapter" \
	"ft: bound by serial, a move to another USB port is no warning"

# --- vid:pid alone: another adapter of that kind is taken, and said loudly -------------
write_ups_conf ch upstype=4 port=usb:1a86:7523,path=1-4.1 obconfirm=0 olconfirm=0 deadcable=off
add_ups_section ft upstype=4 port=usb:0403:6001 obconfirm=0 olconfirm=0 deadcable=off
LOG_SUFFIX=-loose start_usb_driver ft
is_upsc driver.port.node /dev/ttyUSB7 10 "loose: usb:0403:6001 binds the only FTDI" ft
bed remove ftdi
is_upsc ups.status "Error: Data stale" 5 "loose: unplugged: stale" ft
bed add ftdi2 0403 6001 B0TH3R 1-6 ttyUSB9 ftdi_sio FT232R USB UART
is_upsc driver.port.node /dev/ttyUSB9 10 "loose: another FTDI arrives: bound (vid:pid fits)" ft
contains "$(cat "$T/driver-ft-loose.log")" \
	"now bound to another adapter (was path=1-5 serial=A10KZP45, now path=1-6 serial=B0TH3R)" \
	"loose: a warning names both adapters"

bed quit
done_testing
