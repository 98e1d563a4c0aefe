#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite: main-only (a person at a terminal: tmux, about a minute)
#
# The cable wizard, upscable, used as a person would: tmux runs it in a
# terminal against a simulated cable (modemsim's MODEMSIM_CABLE: the lines
# follow the UPS state and the cable power the wizard raises); a "person"
# reads the screen (capture-pane), types the port's path at the port list,
# answers the questions with what the
# owner of that UPS knows (brand, cable, "is it that one?"; a warning that
# names the UPS's own upstype is refused), and does what
# the wizard says: unplug the mains (UPS=battery), wait for low battery
# (UPS=low), plug it back, pull the cable (UPS=pulled). Per cable:
#  - the answer (upstype, or overrides) is the cable's true one;
#  - the recording replays to the same ups.conf section, and as JSON;
#  - no shutdown signal of the cable was raised unless the person confirmed
#    that combination on mains, and none ever on battery.
# WIZARD_CASES (one case per line, fields split by '|') replaces the cables:
#   TRUE|MODEMSIM_CABLE|BRAND|CABLE|CONFIRM y/n|LOW y/n|PULL y/n|CHIP|EXPECT
# TRUE is the type the person owns, as far as they know ("ov...": none of the
# table's; "1b": type 1 without knowing it); EXPECT is
# "N", "N:FIELD=VALUE,..." (overrides on upstype N), "*" (any answer with
# which genericups reads the cable right) or "-" (undecided: the person
# refused every risk). Offered to plug the mains back in for a trial, the
# person agrees (and then answers the confirmation with CONFIRM).

set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

is_ours || skip_all "upscable is genericups' own"
[ -n "$MODEMSIM_SO" ] || skip_all "needs the modem-line shim (set MODEMSIM_SO)"
UPSCABLE=${UPSCABLE:-$(dirname "$GENERICUPS")/upscable}
[ -x "$UPSCABLE" ] || skip_all "no upscable next to $GENERICUPS (set UPSCABLE)"
command -v tmux >/dev/null || skip_all "no tmux (scripts/install-deps installs it)"

CASES=${WIZARD_CASES:-"5|5|Tripp-Lite||y|y|y|ftdi|5
1|1|||y|n|n|8250|1
1b|1|||y|n|n|ftdi|1
11|11|Powerware||y|y|n|pl2303|11
23|23||FTTx|y|n|y|ftdi|23
9|9|APC|940-0023A|y|n|n|ftdi|9
2|2|APC|940-0020|n|n|n|ch341|2
no|5|||n|n|n|ftdi|-
ov|1 OL=-DSR LB=CTS|||y|y|n|ftdi|1:OL=-DSR,LB=CTS
ov2|0 CP=DTR OL=DSR LB=-RNG SD=RTS|||y|y|n|cp210x|*
ov3|0 CP=DTR+RTS OL=-DCD LB=-DSR SD=DTR|||y|y|n|cdc-acm|*"}

SOCK="$T/tmux.sock"
tmx() { tmux -S "$SOCK" "$@"; }
stop_tmux() { tmx kill-server 2>/dev/null; }
# shellcheck disable=SC2154 # _rc is set by the trap itself
trap '_rc=$?; stop_tmux; (exit $_rc); _itest_cleanup' EXIT

# ups STATE: what the person does to the UPS (the simulated cable's state)
ups() { sim_set "UPS=$1"; }

# The person's answer to the prompt on the cursor line, given the screen.
answer_for()
{
	local prompt=$1 screen=$2 nums n
	case $prompt in
	*"Port: a number above"*) printf '%s' "$SIM_PORT" ;;
	*"Brand of the UPS"*) printf '%s' "$C_BRAND" ;;
	*"Cable part number"*) printf '%s' "$C_CABLE" ;;
	*"may I raise"*)
		# a warning that names my own UPS: no
		if grep -E '^WARNING: ' <<<"$screen" | tail -n 1 | grep -qE "(upstype |, )$C_TRUE \("; then
			printf n
		else
			printf '%s' "$C_CONFIRM"
		fi ;;
	*"raise "*" there, and unplug again"*) printf y ;;
	*"wait until the UPS signals low battery"*) printf '%s' "$C_LOW" ;;
	*"pull the cable out of the UPS"*) printf '%s' "$C_PULL" ;;
	*"Is your UPS"*)
		# the numbers listed: "12 (APC ...), 7 (CyberPower ...)"
		nums=$(grep -oE '(: |, )[0-9]+ \(' <<<"$prompt" | grep -oE '[0-9]+')
		for n in $nums; do
			[ "$n" = "$C_TRUE" ] && { printf y; return; }
		done
		printf n ;;
	*"Which is your UPS"*)
		if grep -qE "^ +$C_TRUE [A-Za-z]" <<<"$screen"; then printf '%s' "$C_TRUE"; fi ;;
	*"Press Enter when it is done"*)
		# do what the last instruction says, watch the lines, then Enter
		case $(grep -E '^(Make sure the UPS|Unplug the UPS|Keep the UPS|Plug the UPS back|Pull the cable out)' <<<"$screen" | tail -n 1) in
		"Make sure"*|"Plug the UPS back"*) ups mains ;;
		"Unplug"*) ups battery ;;
		"Keep the UPS"*) ups low ;;
		"Pull the cable"*) ups pulled ;;
		esac
		sleep 0.4 ;;
	*"Press Enter when it is back"*) ups mains; sleep 0.2 ;;
	*) printf '?'; echo "person: a question I do not understand: $prompt" >>"$T/person-confused" ;;
	esac
}

# person DEADLINE_S: answer every prompt until the wizard ends.
person()
{
	local deadline=$(($(now_ms) + $1 * 1000)) screen cy cx line ans before
	PERSON_LOG=
	while [ "$(now_ms)" -lt "$deadline" ]; do
		screen=$(tmx capture-pane -p -J -S - -t wiz 2>/dev/null) || return 1
		grep -q '^WIZARD-EXIT=' <<<"$screen" && return 0
		read -r cy cx < <(tmx display-message -p -t wiz '#{cursor_y} #{cursor_x}')
		line=$(tmx capture-pane -p -t wiz | sed -n "$((cy + 1))p")
		if [[ $line == *" >" ]] && [ "$cx" -ge "${#line}" ]; then
			# the whole question, however the terminal wrapped it, from a
			# screen read after the cursor was seen waiting
			screen=$(tmx capture-pane -p -J -S - -t wiz 2>/dev/null) || return 1
			line=$(sed 's/[[:space:]]*$//' <<<"$screen" | grep -v '^$' | tail -n 1)
			if [[ $line != *" >" ]]; then
				sleep 0.1
				continue
			fi
			ans=$(answer_for "$line" "$screen")
			PERSON_LOG+="${line##*  } [$ans]"$'\n'
			before=$(tmx capture-pane -p -t wiz | md5sum)
			[ -n "$ans" ] && tmx send-keys -t wiz -l "$ans"
			tmx send-keys -t wiz Enter
			# wait for the wizard to take it (the cursor leaves the prompt)
			# shellcheck disable=SC2016 # expanded by the inner bash
			wait_for 10 bash -c '[ "$(tmux -S "$1" capture-pane -p -t wiz | md5sum)" != "$2" ]' \
				_ "$SOCK" "$before"
		fi
		sleep 0.1
	done
	return 1
}

# shutdowns_unconfirmed LOG REC: SHUTDOWN events of the shim not covered by
# a "confirm mains X" of the recording, or on battery at all.
shutdowns_unconfirmed()
{
	local log=$1 rec=$2 mask name bad=
	while read -r _ _ _ how arg ups; do
		[ "$how $arg" = "lines dropped" ] && { bad+="dropped $ups; "; continue; }
		# held through an unplug: the confirmation on mains warned of that
		[ "$how" = held ] && ups=ups=mains
		[ "$how" = lines ] || [ "$how" = held ] || { bad+="$how $arg $ups; "; continue; }
		mask=$((arg))
		case $mask in 2) name=DTR ;; 4) name=RTS ;; 6) name=DTR+RTS ;; *) name=$arg ;; esac
		if [ "$ups" != ups=mains ] || ! grep -q "^confirm mains $name for " "$rec"; then
			bad+="$name $ups; "
		fi
	done < <(grep ' SHUTDOWN ' "$log" | awk '{print $1, $2, $3, $4, $5, $6}')
	printf '%s' "$bad"
}

# the ups.conf section of a result (from "[wiz]" to the blank line), with
# the indentation dropped (the terminal shows tabs as spaces)
section() { sed -n '/^\[wiz\]$/,/^$/p' "$1" | sed 's/^[[:space:]]*//'; }

# driver_reads SCREEN CABLE: write the wizard's section as ups.conf and let
# genericups read the simulated cable on mains, on battery and at low
# battery (-d: the status as the lines say it).
driver_reads()
{
	local st want got all=
	sed -n '/^\[wiz\]$/,/^$/p' "$1" >"$NUT_CONFPATH/ups.conf"
	for st in mains:OL battery:OB low:"LB OB"; do
		want=${st#*:}
		sim_set "UPS=${st%%:*}"
		got=$(MODEMSIM_CABLE=$2 run_driver -a wiz -u root -d 0 2>&1 </dev/null |
			sed -n 's/^ups.status: //p')
		all+="${st%%:*}=$got "
		[ "$got" = "$want" ] || all+="(want $want) "
	done
	unlike "$all" 'want' "cable $2: genericups with the wizard's section reads it right ($all)"
}

run_case()
{
	local spec=$1 out rec log got json want_type want_ov fails_before=$_tap_fail
	IFS='|' read -r C_TRUE C_SPEC C_BRAND C_CABLE C_CONFIRM C_LOW C_PULL C_CHIP C_EXPECT <<<"$spec"
	want_type=${C_EXPECT%%:*}
	want_ov=
	[[ $C_EXPECT == *:* ]] && want_ov=${C_EXPECT#*:}
	sim_init "c$C_TRUE"
	sim_set "UPS=mains"
	: >"$SIM_LOG"
	out="$T/screen-$C_TRUE.txt" rec="$T/rec-$C_TRUE.txt" log=$SIM_LOG
	stop_tmux
	tmx new-session -d -s wiz -x 220 -y 50 \
		"env GUPS_ITEST_TAG='$T' LD_PRELOAD='$MODEMSIM_SO' MODEMSIM_PORT='$SIM_PORT' \
		MODEMSIM_STATE='$SIM_STATE' MODEMSIM_LOG='$SIM_LOG' MODEMSIM_CHIP='$C_CHIP' \
		MODEMSIM_CABLE='$C_SPEC' '$UPSCABLE' -n wiz -s 300 -r '$rec'; \
		echo WIZARD-EXIT=\$?; sleep 600"
	if ! person 60; then
		not_ok "cable $C_SPEC ($C_CHIP): the wizard ran to its end" \
			"$(tmx capture-pane -p -J -S - -t wiz | tail -n 30)"
		return
	fi
	tmx capture-pane -p -J -S - -t wiz >"$out"
	stop_tmux
	diag "cable '$C_SPEC' on $C_CHIP, person: $(tr '\n' ';' <<<"$PERSON_LOG" | head -c 900)"
	if grep -qx 'WIZARD-EXIT=0' "$out"; then
		pass "cable $C_SPEC: the wizard ran to its end"
	else
		not_ok "cable $C_SPEC: the wizard ran to its end" "$(tail -n 20 "$out")"
	fi
	got=$(grep -E '^\s+upstype = ' "$out" | tail -n 1 | awk '{print $3}')
	if [ "$want_type" = - ]; then
		# refused every risk: nothing decided, nothing raised
		contains "$(cat "$out")" "Result: undecided" "cable $C_SPEC: every risk refused, nothing decided"
		is "$(grep -c ' SHUTDOWN ' "$log")" 0 "cable $C_SPEC: every risk refused, no shutdown signal"
		is "$(section "$out")" "" "cable $C_SPEC: no ups.conf section for an undecided cable"
		return
	elif [ "$want_type" = '*' ]; then
		# any answer that reads the cable right (driver_reads below)
		like "$got" '^[0-9]+$' "cable $C_SPEC: the wizard gives an answer ($got)"
		want_type=$got
		want_ov=$(section "$out" | grep -E '^(CP|OL|LB|RB|BYPASS) = ' | tr -d ' \t' | paste -sd, -)
		diag "cable $C_SPEC: upstype $got${want_ov:+ with $want_ov}"
	else
		is "$got" "$want_type" "cable $C_SPEC: the wizard says upstype $want_type"
	fi
	if [ -n "$want_ov" ]; then
		got=$(section "$out" | grep -E '^(CP|OL|LB|RB|BYPASS) = ' | tr -d ' \t' | paste -sd, -)
		is "$got" "$want_ov" "cable $C_SPEC: overrides $want_ov"
	else
		unlike "$(section "$out")" '(OL|LB|CP) = ' "cable $C_SPEC: no overrides"
	fi
	contains "$(section "$out")" "port = $SIM_PORT" "cable $C_SPEC: ups.conf names the port"
	# a section whose LB line was never seen says so, in the section and the JSON
	if [ "$C_LOW" = y ]; then
		unlike "$(cat "$out")" "LB NOT VERIFIED" "cable $C_SPEC: low battery seen, LB verified"
	else
		contains "$(cat "$out")" "# LB NOT VERIFIED: the battery was never seen low" \
			"cable $C_SPEC: low battery skipped, the section says LB is not verified"
	fi
	# the recording gives the same answer, as text and as JSON
	"$UPSCABLE" -R "$rec" -n wiz >"$T/replay-$C_TRUE.txt" 2>&1
	is "$(section "$T/replay-$C_TRUE.txt")" "$(section "$out")" \
		"cable $C_SPEC: the recording replays to the same ups.conf section"
	json=$("$UPSCABLE" -R "$rec" -n wiz -j 2>&1)
	like "$json" "\"upstype\":$want_type," "cable $C_SPEC: JSON replay says upstype $want_type"
	like "$json" "\"lb_observed\":$([ "$C_LOW" = y ] && echo true || echo false)," \
		"cable $C_SPEC: JSON replay says whether low battery was seen"
	like "$json" "\"result\":\"$([ -n "$want_ov" ] && echo override || echo upstype)\"" \
		"cable $C_SPEC: JSON replay says what kind of answer"
	# safety: every shutdown signal of the true cable was confirmed on mains
	is "$(shutdowns_unconfirmed "$log" "$rec")" "" \
		"cable $C_SPEC: no shutdown signal raised unless confirmed on mains"
	if [ "$C_CONFIRM" = n ]; then
		is "$(grep -c ' SHUTDOWN ' "$log")" 0 "cable $C_SPEC: all declined, no shutdown signal at all"
	fi
	# the section works: genericups with it reads the same cable right
	driver_reads "$out" "$C_SPEC"
	if [ "$_tap_fail" -gt "$fails_before" ]; then
		diag "recording: $(cat "$rec")"
		diag "screen (end): $(tail -n 40 "$out")"
	fi
}

while IFS= read -r c; do
	[ -n "$c" ] && run_case "$c"
done <<<"$CASES"

# the shim's detector is alive: the type 1 cable of a person who does not
# know the model ("1b": the warning naming type 1 means nothing to them) was
# probed with RTS (its SD) on mains after the person confirmed it
if [ -z "${WIZARD_CASES:-}" ]; then
	contains "$(cat "$T/modemsim-c1b.log")" "SHUTDOWN lines 0x004 ups=mains" \
		"the type 1 cable saw its (confirmed) shutdown signal: the check above can fail"
fi

is "$(cat "$T/person-confused" 2>/dev/null)" "" "the person understood every question"

# a recording that is not one is refused, naming it
printf 'hello\n' >"$T/bad.rec"
out=$("$UPSCABLE" -R "$T/bad.rec" 2>&1)
like "$out" "bad.rec: not an upscable recording" "a bad recording is refused by name"
: >"$T/empty.rec"
out=$("$UPSCABLE" -R "$T/empty.rec" 2>&1)
is "$?:$out" "1:upscable: $T/empty.rec: not an upscable recording (empty)" \
	"an empty file is no recording (exit 1), not an undecided one"
printf 'upscable-recording 1\nport /dev/ttyS0\nanswer brand %0600d\nobs mains DTR CTS\n' 0 >"$T/long.rec"
out=$("$UPSCABLE" -R "$T/long.rec" 2>&1)
like "$out" "recording line 3: longer than" \
	"a recording line too long is refused, not read as two records"

# An overlong answer (a paste gone wrong) is dropped whole: its tail is no
# answer, so 512 characters + 'y' at the first warning (the wizard reads 512
# at a time) raises nothing.
sim_init long
printf 'UPS=mains\n' >"$SIM_STATE"
out=$({ printf '\n\n\n%0512dy\n' 0; } | LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT \
	MODEMSIM_STATE=$SIM_STATE MODEMSIM_LOG=$SIM_LOG MODEMSIM_CABLE=12 MODEMSIM_CHIP=8250 \
	timeout 30 "$UPSCABLE" -p "$SIM_PORT" -s 100 2>&1)
contains "$out" "too long to be an answer" "an overlong answer is refused aloud"
is "$(grep -cE 'TIOCM(SET|BIS) 0x00[2-7]' "$SIM_LOG")" 0 \
	"the tail of an overlong answer confirms no line"

# A wizard that ends early (input ended, Ctrl-C, kill) leaves no shutdown
# signal raised: the port keeps its lines after close (HUPCL is off), so a
# confirmed DTR (the SD of upstypes 7, 10, 12, 22) held at exit would be
# obeyed at the next power failure. Cable 1 reads nothing on mains, so every
# one of those types still fits when the wizard stops.
last_set() { grep -oE 'TIOCMSET 0x[0-9a-f]+' "$SIM_LOG" | tail -n 1 | awk '{print $2}'; }
sim_init early
printf 'UPS=mains\n' >"$SIM_STATE"
: >"$SIM_LOG"
out=$(printf '\n\n\ny\n' | LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT \
	MODEMSIM_STATE=$SIM_STATE MODEMSIM_LOG=$SIM_LOG MODEMSIM_CABLE=1 MODEMSIM_CHIP=8250 \
	timeout 30 "$UPSCABLE" -p "$SIM_PORT" -s 100 2>&1)
contains "$out" "input ended before the wizard did" "input ended after a confirmed DTR trial"
contains "$(cat "$SIM_LOG")" "TIOCMSET 0x002" "the confirmed DTR was raised"
unlike "$(last_set)" "^0x002$" "input ended: DTR (a fitting type's shutdown signal) not left raised"
# (SIGINT: a background job of a script ignores it; the wizard keeps that)
for sig in TERM HUP; do
	: >"$SIM_LOG"
	rm -f "$T/early.fifo" && mkfifo "$T/early.fifo"
	# default dispositions: a suite started under nohup passes SIGHUP ignored,
	# and the wizard rightly keeps a signal ignored at its start
	LD_PRELOAD=$MODEMSIM_SO MODEMSIM_PORT=$SIM_PORT MODEMSIM_STATE=$SIM_STATE \
		MODEMSIM_LOG=$SIM_LOG MODEMSIM_CABLE=1 MODEMSIM_CHIP=8250 \
		env --default-signal=HUP,TERM \
		"$UPSCABLE" -p "$SIM_PORT" -s 100 <"$T/early.fifo" >"$T/early-$sig.txt" 2>&1 &
	wpid=$!
	exec 7>"$T/early.fifo"	# held open: the wizard waits at the next question
	printf '\n\n\ny\n' >&7
	wait_for 20 grep -q 'may I raise RTS' "$T/early-$sig.txt"
	kill -"$sig" "$wpid"
	wait_for 20 bash -c '! kill -0 "$1" 2>/dev/null' _ "$wpid" || kill -KILL "$wpid"
	wait "$wpid"
	rc=$?
	exec 7>&-
	unlike "$(last_set)" "^0x002$" "SIG$sig: DTR (a fitting type's shutdown signal) not left raised"
	is "$rc" 1 "SIG$sig: the wizard exits 1 ($(tail -n 1 "$T/early-$sig.txt"))"
done
done_testing
