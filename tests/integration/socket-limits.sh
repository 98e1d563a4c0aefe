#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# No client starves upsd: with the connection cap reached by another user,
# and during a flood of garbage lines, the real upsd stays served (upsc
# answers, also after upsd restarts); bad lines are logged within the rate
# limit and the connection that sent them lives on.

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

need_lines

CC=${CC:-cc}
command -v "$CC" >/dev/null || skip_all "no C compiler for the crowd client"
command -v setpriv >/dev/null || skip_all "setpriv is needed to connect as another user"
[ "$(id -u)" = 0 ] || skip_all "needs root (the crowd connects as uid 65534)"
CLIENT=$T/limits_client
"$CC" -std=gnu11 -O2 -D_GNU_SOURCE -o "$CLIENT" "$ITEST_TOP/bench/limits_client.c" ||
	bail_out "cannot build bench/limits_client.c"

ON="CTS=1 DCD=1"	# type 4: OL
CAP=64
STRANGERS=200

sim_init
sim_set "$ON"
write_ups_conf myups upstype=4
mapfile -t extra < <(nodebounce_args)
start_driver myups "${extra[@]}" || bail_out "driver does not start"
SOCK=$(driver_sock myups)
# the crowd is another user (nobody): let it reach the socket
chmod 0711 "$T" "$NUT_STATEPATH"
chmod 0666 "$SOCK"
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 15 "upsc answers before the crowd"

# log_count ERE: lines of the driver's log matching ERE
log_count()
{
	grep -cE -- "$1" "$DRIVER_LOG"
}

summaries_at_least()
{
	[ "$(log_count "more bad requests not logged")" -ge "$1" ]
}

# crowd N: N connections by uid 65534, held until crowd_release.
crowd()
{
	local fifo=$T/crowd.in
	rm -f "$fifo"
	mkfifo "$fifo"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CLIENT" -S "$SOCK" -m idle -c "$1" -t 10000 <"$fifo" >"$T/crowd.out" 2>&1 &
	CROWD_PID=$!
	track_pid "$CROWD_PID"
	exec {CROWD_FD}>"$fifo"
	wait_for 30 grep -q READY "$T/crowd.out"
	CROWD=$(head -n 1 "$T/crowd.out")
}

crowd_release()
{
	exec {CROWD_FD}>&-
	stop_pid "$CROWD_PID"
}

field()
{
	sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$CROWD"
}

# --- the cap ---------------------------------------------------------------------
crowd "$STRANGERS"
diag "crowd: $CROWD"
if is_ours; then
	served=$(field served)
	refused=$(field refused)
	ok "the cap: at most $CAP of $STRANGERS served" test "${served:-999}" -le "$CAP"
	ok "the cap: the others are refused at once (end of file, no hang)" \
		test "${refused:-0}" -eq $((STRANGERS - ${served:-0}))
	n=$(log_count 'client refused: ')
	ok "refusals logged, rate-limited ($n lines for $refused)" test "$n" -ge 1 -a "$n" -le 50
else
	for d in "the cap: at most $CAP served" "the cap: the others are refused at once" \
		"refusals logged, rate-limited"; do
		skip "$d" "NUT has no connection cap"
	done
fi
is_upsc ups.status OL 10 "upsc answers with the cap reached"
stop_pid "$UPSD_PID"
start_upsd || bail_out "upsd does not restart"
is_upsc ups.status OL 20 "a restarted upsd gets in and is served with the cap reached"
printf 'DUMPALL\n' | sock_talk "$SOCK" 1 >"$T/dump.out"
if is_ours; then
	contains "$(cat "$T/dump.out")" DUMPDONE "a new root client gets DUMPALL answered with the cap reached"
else
	skip "a new root client gets DUMPALL answered with the cap reached" "NUT has no cap"
fi
crowd_release
ok "the driver survived the crowd" kill -0 "$DRIVER_PID"
if is_ours; then
	# the budget is shared: let this window (and its summary) pass first
	if wait_for 15 summaries_at_least 1; then
		pass "refusals beyond the log budget are counted in a summary line"
		diag "$(grep -m1 "more bad requests not logged" "$DRIVER_LOG")"
	else
		not_ok "refusals beyond the log budget are counted in a summary line" \
			"$(tail -n 5 "$DRIVER_LOG")"
	fi
else
	skip "refusals beyond the log budget are counted in a summary line" "NUT has no cap"
fi
is "$(printf 'PING\n' | sock_talk "$SOCK" 1)" PONG "a client after the crowd is served"

# --- a flood of garbage on one connection -------------------------------------------
sock_open "$SOCK"
lines_before=$(wc -l <"$DRIVER_LOG")
head -c 1048576 /dev/zero | tr '\0' '\n' >&"$SOCK_FD"
sock_mark
sock_send PING
if sock_wait '^PONG$' 20; then
	pass "1 MiB of empty lines: the connection still answers PING"
else
	not_ok "1 MiB of empty lines: the connection still answers PING" "$(sock_since)" PONG
fi
added=$(($(wc -l <"$DRIVER_LOG") - lines_before))
if is_ours; then
	is "$added" 0 "1 MiB of empty lines: nothing logged"
else
	diag "NUT logged $added lines for 1 MiB of empty lines"
	skip "1 MiB of empty lines: nothing logged" "NUT logs every one"
fi
is_upsc ups.status OL 10 "upsc answers after the flood of empty lines"

unknown_before=$(log_count "Unknown command on socket")
yes 'FROBNICATE the ups' | head -n 20000 >&"$SOCK_FD"
sock_mark
sock_send PING
if sock_wait '^PONG$' 20; then
	pass "20000 unknown commands: the connection still answers PING"
else
	not_ok "20000 unknown commands: the connection still answers PING" "$(sock_since)" PONG
fi
is "$(sock_since | grep -cv '^PONG$')" 0 "unknown commands: no reply"
unknown=$(($(log_count "Unknown command on socket") - unknown_before))
if is_ours; then
	ok "a bad line is logged, naming it" grep -q "Unknown command on socket: 'FROBNICATE' 'the' 'ups'" \
		"$DRIVER_LOG"
	ok "20000 unknown commands: at most 5 logged for the client ($unknown)" \
		test "$unknown" -ge 1 -a "$unknown" -le 5
else
	diag "NUT logged $unknown 'Unknown command' lines for 20000"
	skip "a bad line is logged, naming it" "NUT's wording differs"
	skip "20000 unknown commands: at most 5 logged" "NUT logs every one"
fi
is_upsc ups.status OL 10 "upsc answers during the flood's connection"

if is_ours; then
	# the summary line comes when the 10 s window ends
	if wait_for 15 summaries_at_least 2; then
		pass "the suppressed lines are counted in a summary line"
		diag "$(grep "more bad requests not logged" "$DRIVER_LOG" | tail -n 1)"
	else
		not_ok "the suppressed lines are counted in a summary line" "$(tail -n 5 "$DRIVER_LOG")"
	fi
else
	skip "the suppressed lines are counted in a summary line" "NUT logs every one"
fi
sock_mark
sock_send PING
if sock_wait '^PONG$' 5; then
	pass "the flooding connection lives on"
else
	not_ok "the flooding connection lives on" "$(sock_since)" PONG
fi
sock_close

ok "driver still running" kill -0 "$DRIVER_PID"
done_testing
