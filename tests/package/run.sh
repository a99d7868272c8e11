#!/bin/bash
# tests/package/run.sh: build the .deb and the .rpm, install the .deb on
# this (throwaway test) machine, use it from the installed paths, then
# purge it and check that erlang-base's /usr/bin/epmd is as it was.
#
# Runs as root with dpkg; refuses when epmdx is installed already, and (so
# as not to take port 4369 from a live host) when systemd is running,
# unless EPMDX_PACKAGE_CHECK_FORCE=1.  DEB=path skips the .deb build;
# NO_RPM=1 skips the .rpm.  Prints "N passed, N failed"; exits 1 on failure.
# Every process it starts it stops by pid; the package is purged on exit.
# shellcheck source=../lib/checklist.sh
. "$(dirname "$0")/../lib/checklist.sh" package

INSTALLED=0

purge() {
	dpkg --purge epmdx >"$TMP/purge.log" 2>&1
}
# At exit, after the pids are stopped: no package left behind.
purge_if_installed() {
	if [ "$INSTALLED" = 1 ]; then
		purge || cat "$TMP/purge.log" >&2
	fi
}
on_exit purge_if_installed

# ------------------------------------------------------------ preconditions

if [ "$(id -u)" != 0 ]; then
	echo "package: must run as root (dpkg -i)" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' epmdx 2>/dev/null | grep -q installed; then
	echo "package: epmdx is installed already; refusing to touch it" >&2
	exit 1
fi
if [ -d /run/systemd/system ] && [ "${EPMDX_PACKAGE_CHECK_FORCE:-0}" != 1 ]
then
	echo "package: systemd is running here: installing would start" \
	    "epmdx.socket on 4369; set EPMDX_PACKAGE_CHECK_FORCE=1 to go on" >&2
	exit 1
fi
VERSION=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$REPO_ROOT/Makefile")

# Stock epmd as erlang-base left it, to compare after the purge.
STOCK_BEFORE=none
if [ -e /usr/bin/epmd ] || [ -L /usr/bin/epmd ]; then
	STOCK_BEFORE=$(readlink /usr/bin/epmd || echo file)
	dpkg --verify erlang-base >"$TMP/verify.before" 2>&1
fi

# ------------------------------------------------------------------- build

if [ -n "${DEB:-}" ]; then
	deb=$DEB
else
	if deb=$(sh "$REPO_ROOT/packaging/build-deb.sh" 2>"$TMP/build-deb.err"); then
		pass "build-deb.sh builds the .deb"
	else
		fail "build-deb.sh builds the .deb" "$(cat "$TMP/build-deb.err")"
		summary
		exit 1
	fi
fi

if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$deb" >"$TMP/lintian" 2>&1
	rc=$?
	grep -v '^running with root' "$TMP/lintian" >"$TMP/lintian.tags"
	if [ "$rc" = 0 ] && ! grep -q '^[EW]:' "$TMP/lintian.tags"; then
		pass "lintian: no errors or warnings"
	else
		fail "lintian: no errors or warnings" "$(cat "$TMP/lintian.tags")"
	fi
else
	skip "lintian not installed"
fi

if [ "${NO_RPM:-0}" = 1 ]; then
	skip "rpm build (NO_RPM=1)"
elif ! command -v rpmbuild >/dev/null; then
	skip "rpmbuild not installed"
elif rpm=$(sh "$REPO_ROOT/packaging/build-rpm.sh" 2>"$TMP/build-rpm.err"); then
	pass "build-rpm.sh builds the .rpm"
	rpm -qlp "$rpm" >"$TMP/rpm.files" 2>/dev/null
	for f in /usr/sbin/epmdx /usr/bin/epmdxctl \
	    /usr/lib/systemd/system/epmdx.service \
	    /usr/lib/systemd/system/epmdx.socket /etc/epmdx/epmdx.conf \
	    "/usr/lib64/erlang/lib/epmdx-$VERSION/ebin/epmdx_epmd.beam"; do
		check "rpm holds $f" grep -qx "$f" "$TMP/rpm.files"
	done
	rpm -qp --scripts "$rpm" >"$TMP/rpm.scripts" 2>/dev/null
	check "rpm scriptlets: post presets the units" \
	    grep -q 'systemctl --no-reload preset epmdx.socket' "$TMP/rpm.scripts"
	check "rpm scriptlets: preun disables and stops them" \
	    grep -q 'disable --now epmdx.socket' "$TMP/rpm.scripts"
	check "rpm scriptlets: postun reloads systemd" \
	    grep -q 'daemon-reload' "$TMP/rpm.scripts"
	check "rpm: epmdx.conf is %config(noreplace)" sh -c \
	    "rpm -qp --configfiles '$rpm' | grep -qx /etc/epmdx/epmdx.conf"
else
	fail "build-rpm.sh builds the .rpm" "$(cat "$TMP/build-rpm.err")"
fi

# ----------------------------------------------------------------- install

INSTALLED=1
if dpkg -i "$deb" >"$TMP/install.log" 2>&1; then
	pass "dpkg -i"
else
	fail "dpkg -i" "$(cat "$TMP/install.log")"
	summary
	exit 1
fi

check "/usr/sbin/epmdx installed" test -x /usr/sbin/epmdx
check "/usr/bin/epmdxctl installed" test -x /usr/bin/epmdxctl
check "/etc/epmdx/epmdx.conf is a conffile" sh -c \
    "dpkg-query -W -f='\${Conffiles}' epmdx | grep -q /etc/epmdx/epmdx.conf"
check "epmdx -V from the installed path" \
    [ "$(/usr/sbin/epmdx -V)" = "epmdx $VERSION" ]
check "units installed with ExecStart=/usr/sbin/epmdx" \
    grep -q '^ExecStart=/usr/sbin/epmdx ' /lib/systemd/system/epmdx.service
check "epmdx.socket installed" test -f /lib/systemd/system/epmdx.socket
check "epmdx.socket enabled" \
    test -L /etc/systemd/system/sockets.target.wants/epmdx.socket
check "epmdx.service not enabled (socket-activated)" \
    test ! -e /etc/systemd/system/multi-user.target.wants/epmdx.service
if command -v systemd-analyze >/dev/null; then
	if out=$(systemd-analyze verify --man=no \
	    /lib/systemd/system/epmdx.socket \
	    /lib/systemd/system/epmdx.service 2>&1); then
		pass "systemd-analyze verify on the installed units"
	else
		fail "systemd-analyze verify on the installed units" "$out"
	fi
fi
for page in epmdx epmdxctl "5 epmdx.conf"; do
	# shellcheck disable=SC2086
	p=$(man -w $page 2>/dev/null)
	case $p in
	/usr/share/man/*) pass "man -w $page: $p" ;;
	*) fail "man -w $page" "got '$p'" ;;
	esac
done

# /usr/bin/epmd: an alternative over the diverted stock epmd.
if [ "$STOCK_BEFORE" != none ]; then
	check "stock epmd diverted to /usr/bin/epmd.erlang-base" sh -c \
	    "dpkg-divert --list /usr/bin/epmd | grep -q 'epmd.erlang-base by epmdx'"
	check "/usr/bin/epmd is the epmd alternative" \
	    [ "$(readlink /usr/bin/epmd)" = /etc/alternatives/epmd ]
	check "epmd alternative defaults to epmdx" \
	    [ "$(/usr/bin/epmd -V 2>&1)" = "epmdx $VERSION" ]
	check "stock epmd is the other choice" sh -c \
	    "update-alternatives --list epmd | grep -qx /usr/bin/epmd.erlang-base"
	update-alternatives --set epmd /usr/bin/epmd.erlang-base >/dev/null 2>&1
	check "update-alternatives --set picks stock epmd" \
	    [ "$(readlink -f /usr/bin/epmd)" = "$(readlink -f /usr/bin/epmd.erlang-base)" ]
	update-alternatives --auto epmd >/dev/null 2>&1
	check "update-alternatives --auto goes back to epmdx" \
	    [ "$(readlink -f /usr/bin/epmd)" = /usr/sbin/epmdx ]
else
	skip "erlang-base not installed: no /usr/bin/epmd to divert"
	check "/usr/bin/epmd is epmdx" \
	    [ "$(readlink -f /usr/bin/epmd)" = /usr/sbin/epmdx ]
fi

# Installing over itself runs the upgrade paths of the maintainer scripts.
if dpkg -i "$deb" >"$TMP/reinstall.log" 2>&1; then
	pass "dpkg -i over the installed package"
else
	fail "dpkg -i over the installed package" "$(cat "$TMP/reinstall.log")"
fi
check "after reinstall: /usr/bin/epmd is still epmdx" \
    [ "$(readlink -f /usr/bin/epmd)" = /usr/sbin/epmdx ]
check "after reinstall: one diversion" \
    [ "$(dpkg-divert --list /usr/bin/epmd | wc -l)" = 1 ]
/var/lib/dpkg/info/epmdx.postinst triggered /usr/lib/erlang/bin \
    >"$TMP/trigger.log" 2>&1
check "postinst triggered keeps the choices" sh -c \
    "update-alternatives --list epmd | grep -qx /usr/sbin/epmdx"

# ------------------------------------------------------- run the installed

PORT=$(free_port)
export ERL_EPMD_PORT=$PORT
/usr/sbin/epmdx -port "$PORT" >"$TMP/daemon.log" 2>&1 &
D=$!
track_pid "$D"
up() { /usr/sbin/epmdx -port "$PORT" -names >"$TMP/names" 2>&1; }
if wait_until 10 up; then
	pass "installed daemon answers /usr/sbin/epmdx -names"
else
	fail "installed daemon answers /usr/sbin/epmdx -names" \
	    "$(cat "$TMP/names" "$TMP/daemon.log")"
fi
check "-names says up and running" \
    grep -qx "epmd: up and running on port $PORT with data:" "$TMP/names"
if /usr/bin/epmdxctl status >"$TMP/status" 2>&1; then
	pass "epmdxctl status from /usr/bin"
else
	fail "epmdxctl status from /usr/bin" "$(cat "$TMP/status")"
fi
check "epmdxctl status reports version $VERSION" \
    grep -Eqx "version([[:space:]]+|=)$VERSION" "$TMP/status"
check "epmd -names through the alternative" sh -c \
    "/usr/bin/epmd -port $PORT -names | grep -q 'up and running on port $PORT'"

# node_registers NAME WHAT [ARGS...]: erl -sname NAME ARGS, in the
# background (pid in E, output in $TMP/NAME.log), registers with the
# installed daemon within 20 s: pass or fail WHAT.
node_registers() {
	local name=$1 what=$2
	shift 2
	erl -sname "$name" -start_epmd false -noshell "$@" \
	    >"$TMP/$name.log" 2>&1 &
	E=$!
	track_pid "$E"
	up() {
		/usr/sbin/epmdx -port "$PORT" -names 2>/dev/null |
		    grep -q "^name $name at port "
	}
	if wait_until 20 up; then
		pass "$what"
	else
		fail "$what" "$(cat "$TMP/$name.log")"
	fi
}
if command -v erl >/dev/null; then
	node_registers pkgcheck \
	    "a real Erlang node registers with the installed epmdx" \
	    -eval 'timer:sleep(30000), halt().'
	kill_wait "$E"
	# The Erlang application: found with no -pa.
	node_registers pkgmod \
	    "erl -epmd_module epmdx_epmd, no -pa: the node registers" \
	    -epmd_module epmdx_epmd \
	    -eval 'io:format("~s~n", [code:which(epmdx_epmd)]),
	           timer:sleep(30000), halt().'
	# (-eval runs once the node is up: after it registered.)
	check "epmdx_epmd loaded from /usr/lib/erlang/lib/epmdx-$VERSION" \
	    wait_until 10 grep -qx \
	    "/usr/lib/erlang/lib/epmdx-$VERSION/ebin/epmdx_epmd.beam" \
	    "$TMP/pkgmod.log"
	kill_wait "$E"
else
	skip "erl not installed: no real node"
fi
kill_wait "$D"

# ------------------------------------------------------------------- purge

if purge; then
	INSTALLED=0
	pass "dpkg --purge"
else
	fail "dpkg --purge" "$(cat "$TMP/purge.log")"
fi
check "package gone" sh -c \
    "! dpkg-query -W -f='\${Status}' epmdx 2>/dev/null | grep -q installed"
check "/usr/sbin/epmdx gone" test ! -e /usr/sbin/epmdx
check "/etc/epmdx gone" test ! -e /etc/epmdx
check "socket enablement gone" \
    test ! -L /etc/systemd/system/sockets.target.wants/epmdx.socket
check "no epmd alternative left" sh -c \
    "! update-alternatives --query epmd >/dev/null 2>&1"
check "no diversion left" sh -c \
    "[ -z \"\$(dpkg-divert --list /usr/bin/epmd)\" ]"
if [ "$STOCK_BEFORE" != none ]; then
	check "/usr/bin/epmd is erlang-base's again" \
	    [ "$(readlink /usr/bin/epmd || echo file)" = "$STOCK_BEFORE" ]
	check "/usr/bin/epmd.erlang-base gone" \
	    test ! -e /usr/bin/epmd.erlang-base
	dpkg --verify erlang-base >"$TMP/verify.after" 2>&1
	check "dpkg --verify erlang-base unchanged" \
	    cmp -s "$TMP/verify.before" "$TMP/verify.after"
	FREE=$(free_port)
	out=$(timeout 10 /usr/bin/epmd -port "$FREE" -names 2>&1)
	rc=$?
	if [ "$rc" != 0 ] && [ "$out" = "epmd: Cannot connect to local epmd" ]
	then
		pass "stock /usr/bin/epmd -names: Cannot connect (nothing running)"
	else
		fail "stock /usr/bin/epmd -names: Cannot connect" "rc=$rc: $out"
	fi
else
	check "/usr/bin/epmd gone" test ! -e /usr/bin/epmd
fi

summary
