#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The power-failure demo: builds genericups, runs it on a simulated line
# source (a Tripp-Lite Lan 2.2 cable, upstype 5), serves it through the real
# NUT upsd, and prints what upsc sees while a scripted power failure goes
# OL -> OB -> LB OB -> OL. Nothing outside ./_demo is touched but the
# Debian packages it installs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/_demo
port=${DEMO_PORT:-3493}

"$top/scripts/install-deps" || exit 1

echo "== building genericups"
cd "$top" || exit 1
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed" >&2; exit 1; }
mkdir -p "$demo/build" && cd "$demo/build" || exit 1
if [ ! -f Makefile ]; then
	"$top/configure" -q --prefix="$demo/stage/usr" --with-drvpath="$demo/stage/lib/nut" \
		>/dev/null || { echo "configure failed" >&2; exit 1; }
fi
make -s -j"$(nproc)" >/dev/null && make -s install >/dev/null || { echo "build failed" >&2; exit 1; }
driver=$demo/stage/lib/nut/genericups

conf=$demo/etc state=$demo/state
rm -rf "$conf" "$state"
mkdir -p "$conf" "$state"
chmod 0770 "$state"
lines=$state/lines
echo "CTS=1 DCD=1 RNG=0 DSR=0" >"$lines"	# type 5: CTS set = on line, DCD clear = low battery
cat >"$conf/ups.conf" <<EOC
[demo]
	driver = genericups
	port = sim:$lines
	upstype = 5
	desc = "Tripp-Lite on a Lan 2.2 cable (simulated)"
EOC
cat >"$conf/upsd.conf" <<EOC
LISTEN 127.0.0.1 $port
EOC
cat >"$conf/upsd.users" <<EOC
[demo]
	password = demo
	upsmon primary
EOC
chmod 0640 "$conf"/*
export NUT_CONFPATH=$conf NUT_STATEPATH=$state NUT_ALTPIDPATH=$state

cleanup() {
	[ -n "${upsd_pid:-}" ] && kill "$upsd_pid" 2>/dev/null
	[ -f "$state/genericups-demo.pid" ] && kill "$(cat "$state/genericups-demo.pid")" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

echo "== starting genericups (port sim:$lines) and the real NUT upsd on 127.0.0.1:$port"
"$driver" -a demo -u root || { echo "driver failed to start" >&2; exit 1; }
/lib/nut/upsd -u root -F >"$demo/upsd.log" 2>&1 &
upsd_pid=$!

ts() { date +%H:%M:%S.%3N; }
status() { upsc "demo@127.0.0.1:$port" ups.status 2>/dev/null; }
set_lines() { echo "$1" >"$lines.tmp" && mv "$lines.tmp" "$lines"; }

# poll upsc every 50 ms, print each status seen, until it shows $1
last=
await() {
	local want=$1 _ got=
	for _ in $(seq 1 100); do
		got=$(status)
		if [ "$got" != "$last" ]; then
			printf '%s  upsc: ups.status = %s\n' "$(ts)" "$got"
			last=$got
		fi
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	printf '%s  upsc: ups.status = %s (expected %s)\n' "$(ts)" "${got:-?}" "$want"
	return 1
}

failed=0
await "OL" || failed=1
upsc "demo@127.0.0.1:$port" 2>/dev/null | sed 's/^/            /' | grep -E 'ups\.|driver\.(name|version):'
sleep 1
printf '\n%s  lines: CTS drops   (mains fail; confirmed for obconfirm = 1 s before it is published)\n' "$(ts)"
set_lines "CTS=0 DCD=1 RNG=0 DSR=0"
await "OB" || failed=1
sleep 1
printf '\n%s  lines: DCD drops   (battery low; confirmed for lbconfirm = 1.5 s before it is published)\n' "$(ts)"
set_lines "CTS=0 DCD=0 RNG=0 DSR=0"
await "LB OB" || failed=1
sleep 1
printf '\n%s  lines: CTS and DCD rise (mains back: OL after olconfirm = 0.5 s, LB clears after lbconfirm = 1.5 s)\n' "$(ts)"
set_lines "CTS=1 DCD=1 RNG=0 DSR=0"
await "OL" || failed=1
echo
upsc "demo@127.0.0.1:$port" 2>/dev/null | grep 'driver.stats' | sed 's/^/            /'
if [ "$failed" -ne 0 ]; then
	echo "demo FAILED (upsd log: $demo/upsd.log)"
	exit 1
fi
echo "demo finished: OL -> OB -> LB OB -> OL seen through upsd and upsc"
