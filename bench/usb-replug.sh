#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Replug to fresh data: the time from an adapter reappearing in a umockdev
# test bed (its "add" uevents) to DATAOK on the driver socket, N replugs
# each (default 10), for
#   usb      ours, port = usb:1a86:7523,path=1-4.1 (libusb hotplug)
#   usb-noh  the same with GENERICUPS_USB_HOTPLUG=off (as in the systemd
#            unit's private network namespace: a look every 500 ms)
#   path     ours, port = /dev/ttyUSB2 (the 1 s doubling to 30 s backoff)
#   nut      NUT's /lib/nut/genericups, port = /dev/ttyUSB2
# A usb: port's unplug is the bed's remove uevents plus the modem-line
# shim's GONE=1 (the tty hangs up: EIO), its replug the add uevents under a
# new tty name. umockdev 0.17 cannot re-add a node under a name it had
# (an assertion), so a path port's node stays in the bed and GONE=1/GONE=0
# alone unplug and replug it (opens fail ENOENT while GONE=1). The bed
# cannot show the kernel's own delay between the USB device and its tty
# appearing, nor udev's processing.
#
# Usage: bench/usb-replug.sh [N]   (env: GENERICUPS, MODEMSIM_SO, as the tests)
set -u
N=${1:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
: "${GENERICUPS:?set GENERICUPS to the built driver}" "${MODEMSIM_SO:?set MODEMSIM_SO}"
NUTDRV=${NUTDRV:-/lib/nut/genericups}
T=$(mktemp -d /tmp/bench-usb.XXXXXX)
trap 'rm -rf "$T"' EXIT
export NUT_CONFPATH=$T/etc NUT_STATEPATH=$T/run NUT_ALTPIDPATH=$T/run
mkdir -p "$NUT_CONFPATH" "$NUT_STATEPATH"
export MODEMSIM_PORT_LIST=1 MODEMSIM_CHIP=ch341 MODEMSIM_NO_SHARED_LOCK=1
export MODEMSIM_PORT MODEMSIM_STATE=$T/lines MODEMSIM_LOG=$T/modemsim.log
MODEMSIM_PORT=$(printf "/dev/ttyUSB%d:" $(seq 0 $((10 + N))))
MODEMSIM_PORT=${MODEMSIM_PORT%:}
export BENCH_PRELOAD="$MODEMSIM_SO libumockdev-preload.so.0"

# run CASE PORT DRIVER [ENV...]
run()
{
	local case=$1 port=$2 drv=$3
	shift 3
	printf '[u]\n\tdriver = genericups\n\tupstype = 4\n\tport = "%s"\n' "$port" \
		>"$NUT_CONFPATH/ups.conf"
	[ "$drv" = "$GENERICUPS" ] &&
		printf '\tdeadcable = off\n\tolconfirm = 0\n\tobconfirm = 0\n' >>"$NUT_CONFPATH/ups.conf"
	rm -f "$NUT_STATEPATH"/*
	env "$@" BENCH_LOG="$T/driver-$case.log" LD_PRELOAD=libumockdev-preload.so.0 \
		/usr/bin/python3 "$top/bench/usb-replug.py" "$case" "$N" "$NUT_STATEPATH/genericups-u" \
		"$MODEMSIM_STATE" "$drv" -a u -u root -F
	echo
}

echo "# $(date -u +%Y-%m-%d) $(uname -r), $(nproc) cores, N=$N"
run usb usb:1a86:7523,path=1-4.1 "$GENERICUPS"
run usb-noh usb:1a86:7523,path=1-4.1 "$GENERICUPS" GENERICUPS_USB_HOTPLUG=off
run path /dev/ttyUSB2 "$GENERICUPS"
if [ -x "$NUTDRV" ]; then
	run nut /dev/ttyUSB2 "$NUTDRV"
	echo "# NUT's driver log (last lines):"
	tail -n 5 "$T/driver-nut.log" | sed 's/^/#   /'
fi
