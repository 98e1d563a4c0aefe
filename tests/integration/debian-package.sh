#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite: main-only
#
# The Debian package, end to end: dpkg-buildpackage -us -uc -b from a copy
# of the source tree, lintian clean (errors and warnings; overrides are
# justified in debian/genericups.lintian-overrides), then with apt in a
# throwaway root: install (nut-server's /lib/nut/genericups and man page
# diverted, `dpkg --verify nut-server` clean), NUT's own upsdrvctl starts
# OUR driver from /lib/nut (the running binary is the packaged one, upsc
# sees its lines), `apt-get install --reinstall nut-server` keeps ours,
# and remove, or purge, give NUT's driver and man page back byte for byte.
#
# The throwaway root is this machine itself under an overlay: a private
# mount namespace mounts / read-only-below, writes-to-tmpfs (overlayfs),
# and apt and dpkg run chrooted in it. It needs no download (a debootstrap
# would take minutes), has this machine's nut-server 2.8.0-7, and nothing
# apt does in it reaches the real /lib/nut or /var/lib/dpkg: the mounts and
# every change vanish with the namespace, even if the test is killed. In
# it /run is an empty tmpfs (no systemd to talk to) and policy-rc.d denies
# every service start (the nut-server reinstall would restart NUT's
# services through its init script). The host's /lib/nut/genericups is
# checked unchanged at the end.
#
# Needs root (mount, chroot), debhelper, dpkg-dev, lintian (scripts/install-deps).
# GU_DEBPKG_KEEP=1 keeps the built .deb in $GU_BUILDDIR/debian-package/.

set -u

# Re-run inside a private mount namespace; the overlay's mount point is
# made here, outside it, and removed here once the namespace is gone.
if [ "${GU_DEBPKG_NS:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (mount, chroot, apt)"; exit 0; }
	d=$(mktemp -d "${TMPDIR:-/tmp}/gups-debroot.XXXXXX") || exit 1
	GU_DEBPKG_NS=1 GU_DEBPKG_ROOT=$d unshare -m --propagation private bash "$0" "$@"
	rc=$?
	rmdir "$d" 2>/dev/null || echo "# $d left behind (not empty?)"
	exit "$rc"
fi

# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/lib-upsmon.sh
. "$(dirname "$0")/../lib-upsmon.sh"

src=${GU_SRCDIR:-$ITEST_TOP}
D=$GU_DEBPKG_ROOT
R=$D/root
[ -f "$src/debian/control" ] || skip_all "no debian/ in $src (a release tarball)"
for tool in dpkg-buildpackage dh lintian apt-get dpkg-divert unshare chroot; do
	command -v "$tool" >/dev/null || bail_out "$tool not installed (scripts/install-deps)"
done

# Unmount the root before lib.sh's cleanup removes $T (bound inside it).
_debroot_cleanup()
{
	local rc=$? pid
	for pid in "${_itest_pids[@]}"; do
		stop_pid "$pid"
	done
	kill_strays
	umount -R "$R" 2>/dev/null || umount -R -l "$R" 2>/dev/null
	umount "$D" 2>/dev/null || umount -l "$D" 2>/dev/null
	(exit "$rc")
	_itest_cleanup
}
trap _debroot_cleanup EXIT

sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
inroot() { chroot "$R" "$@"; }
# apt in the root, quiet; the log goes to diag on failure
rapt()
{
	DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get -y -q "$@" >"$T/apt.log" 2>&1 ||
		{ diag "$(tail -n 25 "$T/apt.log")"; return 1; }
}

nut_drv=/lib/nut/genericups
nut_man=/usr/share/man/man8/genericups.8.gz
host_sum=$(sha "$nut_drv")

# --- build -------------------------------------------------------------------

t0=$(date +%s)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)
tree="$T/build/genericups-$upstream"
mkdir -p "$tree"
# the files a checkout has (tracked and new, not ignored: no _suite, no
# in-tree build), else everything but the suite's and the demo's dirs
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 -r tar -cf - --no-recursion) |
		tar -C "$tree" -xf -
else
	tar -C "$src" --exclude=./_suite --exclude=./_demo --exclude=./debian/build -cf - . |
		tar -C "$tree" -xf -
fi
(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1
rc=$?
deb="$T/build/genericups_${version}_$arch.deb"
changes="$T/build/genericups_${version}_$arch.changes"
if [ "$rc" -eq 0 ] && [ -f "$deb" ]; then
	pass "dpkg-buildpackage -us -uc -b builds $(basename "$deb") ($(($(date +%s) - t0)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b builds genericups_${version}_$arch.deb" \
		"$(grep -E 'error|Error|missing|not installed' "$T/build.log" | tail -n 20; tail -n 15 "$T/build.log")"
	bail_out "no package"
fi
if [ "${GU_DEBPKG_KEEP:-0}" = 1 ] && [ -n "${GU_BUILDDIR:-}" ]; then
	mkdir -p "$GU_BUILDDIR/debian-package" && cp "$deb" "$changes" "$GU_BUILDDIR/debian-package/"
fi

# dh_missing --fail-missing: nothing make install installed is left out
contains "$(cat "$T/build.log")" "dh_missing --fail-missing" "dh_missing --fail-missing ran"
list=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./lib/nut/genericups ./usr/share/man/man8/genericups.8.gz \
	./lib/systemd/system/genericups@.service ./usr/share/doc/genericups/cables.md.gz \
	./usr/share/doc/genericups/examples/ups.conf.sample; do
	contains "$list" "$f" "package ships ${f#.}"
done
mkdir -p "$T/deb"
dpkg-deb -x "$deb" "$T/deb" && dpkg-deb -e "$deb" "$T/deb/DEBIAN"
our_sum=$(sha "$T/deb$nut_drv")
like "$("$T/deb$nut_drv" -V 2>&1)" "^genericups $upstream" "packaged driver says genericups $upstream"
contains "$(grep '^ExecStart=' "$T/deb/lib/systemd/system/genericups@.service")" \
	"ExecStart=/lib/nut/genericups " "unit starts /lib/nut/genericups"
# never started or restarted by the package: no maintainer script starts,
# stops or restarts a unit or an init script
starts=$(cat "$T"/deb/DEBIAN/{preinst,postinst,prerm,postrm} 2>/dev/null |
	grep -nE 'deb-systemd-invoke|invoke-rc\.d|systemctl +(.* )?(start|restart|try-restart|stop|enable)')
is "$starts" "" "maintainer scripts start, stop and restart nothing"

# one run: the tags it prints decide (E:, W:), overridden ones print as O:
# (--fail-on would count those too once --show-overrides shows them)
out=$(lintian --show-overrides "$changes" 2>&1)
rc=$?
out=$(grep -v '^running with root privileges' <<<"$out")
if [ "$rc" -eq 0 ] && ! grep -qE '^[EW]: ' <<<"$out"; then
	pass "lintian: no error, no warning ($(grep -c '^O:' <<<"$out") justified overrides)"
	[ -n "$out" ] && diag "$out"
else
	not_ok "lintian: no error, no warning" "$out"
fi

# --- the throwaway root --------------------------------------------------------

mount -t tmpfs -o mode=0700 gups-debroot "$D" || bail_out "cannot mount a tmpfs on $D"
mkdir -p "$D/upper" "$D/work" "$R"
mount -t overlay gups-debroot -o "lowerdir=/,upperdir=$D/upper,workdir=$D/work" "$R" ||
	bail_out "cannot mount an overlay of / on $R"
mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" &&
	mount -t tmpfs tmpfs "$R/run" && mount -t tmpfs tmpfs "$R/tmp" &&
	mkdir -p "$R$T" && mount --bind "$T" "$R$T" || bail_out "cannot mount /proc, /dev, /run, /tmp, $T in $R"
printf '#!/bin/sh\n# throwaway root of tests/integration/debian-package.sh\nexit 101\n' \
	>"$R/usr/sbin/policy-rc.d" && chmod 0755 "$R/usr/sbin/policy-rc.d"
# the shim, the port file and the private NUT dirs must be seen at the same
# paths inside the root: they are all under $T
if [ -n "$MODEMSIM_SO" ]; then
	cp "$MODEMSIM_SO" "$T/modemsim.so" && MODEMSIM_SO=$T/modemsim.so
fi
need_lines
sim_init
sim_set "CTS=1 DCD=1"

inroot dpkg-query -W -f='${Status}' nut-server 2>/dev/null | grep -q 'install ok installed' ||
	bail_out "nut-server is not installed (scripts/install-deps)"
if ! out=$(inroot dpkg --verify nut-server 2>&1) || [ -n "$out" ]; then
	bail_out "nut-server's files are already changed on this machine: $out"
fi
nut_sum=$(sha "$R$nut_drv")
nut_man_sum=$(sha "$R$nut_man")
[ "$nut_sum" != "$our_sum" ] || bail_out "the packaged driver is NUT's?"

# check_ours STEP: ours in place, NUT's under the diverted names, dpkg happy
check_ours()
{
	is "$(sha "$R$nut_drv")" "$our_sum" "$1: /lib/nut/genericups is ours"
	is "$(sha "$R$nut_drv.nut-server")" "$nut_sum" "$1: NUT's driver kept as genericups.nut-server"
	is "$(sha "$R/usr/share/man/man8/genericups.nut-server.8.gz")" "$nut_man_sum" \
		"$1: NUT's man page kept as genericups.nut-server.8.gz"
	is "$(inroot dpkg-divert --list genericups | sort)" \
		"diversion of /lib/nut/genericups to /lib/nut/genericups.nut-server by genericups
diversion of /usr/share/man/man8/genericups.8.gz to /usr/share/man/man8/genericups.nut-server.8.gz by genericups" \
		"$1: dpkg-divert --list: both diversions, by genericups"
	is "$(inroot dpkg --verify nut-server genericups 2>&1)" "" \
		"$1: dpkg --verify nut-server genericups reports nothing"
}

# check_nut STEP: NUT's driver and man page back byte for byte, nothing left
check_nut()
{
	is "$(sha "$R$nut_drv")" "$nut_sum" "$1: /lib/nut/genericups is NUT's again, byte for byte"
	is "$(sha "$R$nut_man")" "$nut_man_sum" "$1: NUT's man page is back, byte for byte"
	ok "$1: no genericups.nut-server left" test ! -e "$R$nut_drv.nut-server" \
		-a ! -e "$R/usr/share/man/man8/genericups.nut-server.8.gz"
	is "$(inroot dpkg-divert --list genericups)" "" "$1: no diversion by genericups left"
	ok "$1: genericups@.service gone" test ! -e "$R/lib/systemd/system/genericups@.service"
	is "$(inroot dpkg --verify nut-server 2>&1)" "" "$1: dpkg --verify nut-server reports nothing"
}

# --- install, upsdrvctl, reinstall of nut-server, remove ---------------------

cp "$deb" "$T/genericups.deb"
ok "apt-get install ./$(basename "$deb")" rapt install "$T/genericups.deb"
check_ours install

# NUT's upsdrvctl, no driverpath in ups.conf: it runs /lib/nut/genericups
write_ups_conf myups upstype=5
pidf="$NUT_ALTPIDPATH/genericups-myups.pid"
out=$(drv_env timeout -k 2 30 chroot "$R" /sbin/upsdrvctl -u root start myups 2>&1)
is "$?" 0 "upsdrvctl start myups (NUT's, in the root) exits 0" || diag "$out"
pid=$(cat "$pidf" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	is "$(sha "/proc/$pid/exe")" "$our_sum" "the driver upsdrvctl started is ours (sha256 of /proc/PID/exe)"
else
	not_ok "the driver upsdrvctl started is ours" "no live driver in $pidf"
fi
start_upsd || bail_out "upsd does not start"
is_upsc ups.status OL 10 "upsc: ups.status OL from the packaged driver"
sim_set "CTS=0 DCD=1"
is_upsc ups.status OB 10 "upsc: a line change reaches upsc (OB)"
out=$(timeout -k 2 30 chroot "$R" /sbin/upsdrvctl stop myups 2>&1)
is "$?" 0 "upsdrvctl stop myups exits 0" || diag "$out"
stop_pid "$UPSD_PID"
kill_strays

ok "apt-get install --reinstall nut-server" rapt install --reinstall nut-server
check_ours "nut-server reinstalled"

ok "apt-get remove genericups" rapt remove genericups
check_nut remove

# --- install again, purge ----------------------------------------------------

ok "apt-get install ./$(basename "$deb") (again)" rapt install "$T/genericups.deb"
is "$(sha "$R$nut_drv")" "$our_sum" "reinstalled: /lib/nut/genericups is ours"
ok "apt-get purge genericups" rapt purge genericups
check_nut purge
is "$(inroot dpkg-query -W -f='${db:Status-Abbrev}' genericups 2>/dev/null)" "" \
	"purge: dpkg knows no genericups"

is "$(sha "$nut_drv")" "$host_sum" "this machine's own /lib/nut/genericups is unchanged"
diag "figure: debian-package.sh wall time $(($(date +%s) - t0)) s"

done_testing
