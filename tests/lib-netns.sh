# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A private network of "hosts" for the multi-host drills (sourced after
# tests/lib.sh, never run). Each host is a network namespace of its own; a
# "switch" namespace holds a bridge, and every host is plugged into it with
# a veth pair (eth0 on the host's side). Nothing is added to the machine's
# own namespace, so nothing leaves the machine and the same addresses can be
# used by parallel runs. The namespaces are named gumh-<id>-<host>, <id>
# being the scratch dir's suffix; the EXIT trap deletes them whatever
# happens, and a later run deletes those of a run that was SIGKILLed.
#
#   netns_need                   skip_all unless namespaces can be made
#   netns_switch                 make the switch (a bridge, br0)
#   netns_host HOST ADDR/LEN     a host plugged into the switch
#   netns_unplug HOST            pull the host's cable at the switch port
#   netns_plug HOST              put it back
#   netns_exec HOST CMD...       run CMD in the host's namespace

NETNS_ID=${T##*.}
NETNS_PREFIX="gumh-$NETNS_ID"
NETNS_NAMES=()

netns_name()
{
	echo "$NETNS_PREFIX-$1"
}

netns_exec()
{
	local ns
	ns=$(netns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# _netns_reap_stale: delete gumh-<id>-* namespaces whose run is gone (its
# scratch dir does not exist any more).
_netns_reap_stale()
{
	local f n id
	for f in /run/netns/gumh-*; do
		[ -e "$f" ] || continue
		n=${f##*/}
		id=${n#gumh-}
		id=${id%%-*}
		[ -d "${TMPDIR:-/tmp}/gups-itest.$id" ] && continue
		ip netns del "$n" 2>/dev/null
	done
}

netns_cleanup()
{
	local n
	for n in "${NETNS_NAMES[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	NETNS_NAMES=()
}

# The processes are killed by lib.sh's cleanup; a deleted namespace lives on
# until its last process has gone, then its links go with it.
_netns_exit()
{
	local rc=$?
	netns_cleanup
	(exit "$rc")
	_itest_cleanup
}
trap _netns_exit EXIT

# netns_need: skip the whole script (a TAP skip, not a pass) when network
# namespaces, veth pairs or bridges cannot be made here.
netns_need()
{
	local out probe="$NETNS_PREFIX-probe"
	[ "$(id -u)" -eq 0 ] || skip_all "network namespaces need root"
	command -v ip >/dev/null || skip_all "no ip (iproute2)"
	command -v unshare >/dev/null || skip_all "no unshare (util-linux)"
	_netns_reap_stale
	out=$(ip netns add "$probe" 2>&1) || skip_all "cannot make a network namespace: $out"
	NETNS_NAMES+=("$probe")
	out=$(ip -n "$probe" link add br0 type bridge 2>&1 &&
		ip -n "$probe" link add v0 type veth peer name v1 2>&1) ||
		skip_all "cannot make a bridge or veth pair in a namespace: $out"
	ip netns del "$probe"
	NETNS_NAMES=()
}

_netns_add()
{
	local ns
	ns=$(netns_name "$1")
	ip netns add "$ns" || return 1
	NETNS_NAMES+=("$ns")
	ip -n "$ns" link set lo up
}

netns_switch()
{
	_netns_add sw || return 1
	ip -n "$(netns_name sw)" link add br0 type bridge &&
		ip -n "$(netns_name sw)" link set br0 up
}

# netns_host HOST ADDR/LEN: a namespace with eth0 at ADDR, its other end
# (p-HOST) a port of the switch's bridge.
netns_host()
{
	local host=$1 addr=$2 sw ns
	sw=$(netns_name sw)
	ns=$(netns_name "$host")
	_netns_add "$host" || return 1
	ip -n "$sw" link add "p-$host" type veth peer name eth0 netns "$ns" &&
		ip -n "$sw" link set "p-$host" master br0 up &&
		ip -n "$ns" addr add "$addr" dev eth0 &&
		ip -n "$ns" link set eth0 up
}

netns_unplug()
{
	ip -n "$(netns_name sw)" link set "p-$1" down
}

netns_plug()
{
	ip -n "$(netns_name sw)" link set "p-$1" up
}
