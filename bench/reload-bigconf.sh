#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# reload-bigconf.sh: how long one reload takes with a large ups.conf, the
# case that was quadratic (repeated-key merging, the duplicate-section check).
# Two files: [ups] with N override.* lines (every key twice), and N other
# sections before [ups]. For each, the driver starts on it, then REPS times
# INSTCMD driver.reload-or-error is timed from the write to its TRACKING
# reply (on a NOBROADCAST connection). Printed, in ms: the start-up (to the
# socket), then the median and the maximum reload.
#
# Environment: OURS [$BUILD/genericups], SHIM [$BUILD/tests/.libs/modemsim.so],
# BUILD [repo root], N [40000], REPS [5], OURS_ALT (a second build, one more row).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(dirname "$HERE")}
OURS=${OURS:-$BUILD/genericups}
SHIM=${SHIM:-$BUILD/tests/.libs/modemsim.so}
N=${N:-40000}
REPS=${REPS:-5}
WORK=$(mktemp -d /tmp/genericups-reload.XXXXXX)
trap 'kill $(cat "$WORK"/pid 2>/dev/null) 2>/dev/null; rm -rf "$WORK"' EXIT

die() {
	echo "reload-bigconf.sh: $*" >&2
	kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null
	exit 1
}
[ -x "$OURS" ] || die "$OURS: not found (set BUILD or OURS)"
[ -f "$SHIM" ] || die "$SHIM: not found (set BUILD or SHIM)"
command -v socat >/dev/null || die "socat: not installed"

mkdir -p "$WORK/etc" "$WORK/run" "$WORK/dev"
: >"$WORK/dev/ttyFAKE0"
printf 'CTS=1 DCD=1\n' >"$WORK/lines"

ups_section() { printf '[ups]\n\tdriver = genericups\n\tport = %s\n\tupstype = 5\n' "$WORK/dev/ttyFAKE0"; }

write_conf() {	# overrides | sections
	{
		if [ "$1" = sections ]; then
			awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "[s%d]\n\tdriver = genericups\n", i }'
			ups_section
		else
			ups_section
			awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "\toverride.x.%d = %d\n", i % (n / 2), i }'
		fi
	} >"$WORK/etc/ups.conf"
}

now_us() { echo "${EPOCHREALTIME/./}"; }

# run DRIVER KIND: start, time REPS reloads, print "start median max" in ms
run() {
	local drv=$1 start t0 t1 i times=() sock="$WORK/run/genericups-ups"
	write_conf "$2"
	rm -f "$sock"
	NUT_CONFPATH="$WORK/etc" NUT_STATEPATH="$WORK/run" NUT_ALTPIDPATH="$WORK/run" \
		LD_PRELOAD="$SHIM" MODEMSIM_PORT="$WORK/dev/ttyFAKE0" MODEMSIM_STATE="$WORK/lines" \
		"$drv" -a ups -u root -F >"$WORK/driver.log" 2>&1 &
	echo $! >"$WORK/pid"
	start=$(now_us)
	while [ ! -S "$sock" ]; do
		kill -0 "$(cat "$WORK/pid")" 2>/dev/null || die "driver exited: $(tail -n 3 "$WORK/driver.log")"
		sleep 0.05
	done
	start=$((($(now_us) - start) / 1000))
	coproc SOCK { socat - "UNIX-CONNECT:$sock"; }
	# replies only: the old build re-sent every repeated key at each reload
	printf 'NOBROADCAST\n' >&"${SOCK[1]}"
	for ((i = 0; i < REPS; i++)); do
		t0=$(now_us)
		printf 'INSTCMD driver.reload-or-error TRACKING r%d\n' "$i" >&"${SOCK[1]}"
		while IFS= read -r line <&"${SOCK[0]}"; do
			[[ $line == "TRACKING r$i "* ]] && break
		done
		t1=$(now_us)
		[ "$line" = "TRACKING r$i 0" ] || die "reload answered '$line'"
		times+=($(((t1 - t0) / 1000)))
	done
	kill "$(cat "$WORK/pid")"
	wait "$(cat "$WORK/pid")" 2>/dev/null
	kill "$SOCK_PID" 2>/dev/null
	wait "$SOCK_PID" 2>/dev/null
	printf '%s\n' "${times[@]}" | sort -n |
		awk -v s="$start" '{ v[NR] = $1 } END { printf "%8d %8d %8d\n", s, v[int((NR + 1) / 2)], v[NR] }'
}

echo "# $N override lines (every key twice) or $N sections; $REPS reloads; ms"
printf '%-10s %-10s %8s %8s %8s\n' "ups.conf" build start median max
for kind in overrides sections; do
	for b in "$OURS" ${OURS_ALT:+"$OURS_ALT"}; do
		label=$([ "$b" = "$OURS" ] && echo ours || echo "${OURS_ALT_LABEL:-alt}")
		printf '%-10s %-10s %s\n' "$kind" "$label" "$(run "$b" "$kind")"
	done
done
