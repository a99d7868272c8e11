#!/bin/bash
# epmdx under a real systemd (v252), booted as PID 1 of private PID, mount
# and network namespaces, as ../shared/testing-systemd.md describes: private
# /tmp, /run, /var/tmp; its own loopback; only our units on its unit path.
#
# Wherever the clone is (/tmp, /root, /home, /srv...): the binary, the
# units, the configuration and the helpers are copied into a test folder,
# which the instance sees at the fixed path /run/epmdx-test (bind-mounted
# before its private /tmp hides anything, and outside /home and /root, so
# the hardened unit's ProtectHome=yes does not hide the binary).
#
# Checks, with the units from packaging/systemd (ExecStart pointed at the
# binary under test, DefaultDependencies=no added):
#   - socket activation: the service is inactive until a real Erlang node
#     connects; then it starts and the node registers;
#   - systemctl status shows our STATUS= line (live counts);
#   - systemctl reload keeps every registration;
#   - systemctl restart keeps every registration (fd store), no ALIVE2 again;
#   - kill -9 of the main process: Restart=on-failure brings it back with
#     every registration;
#   - epmdxctl upgrade under systemd: same pid, registrations kept;
#   - after a restart (fd store) and after an upgrade (exec), every socket
#     and memfd of the daemon is close-on-exec;
#   - an upgrade whose new process rejects the handed-over state (another
#     format version): no node is stranded; each registration socket is
#     closed (the node sees EOF and can register again), and systemd's fd
#     store no longer holds it;
#   - systemctl stop stops cleanly.
# Prints "N passed, N failed"; exits non-zero on failure.  A missing
# prerequisite, or a systemd that cannot boot here, is a failure, never a
# skip.  Every wait is bounded, the whole run too (SYSTEMD_TEST_TIMEOUT,
# default 240 s); on any exit the instance's PID 1 is killed, which takes
# every process inside with it, and nothing is left running.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
EPMDX=${EPMDX:-$top/build/epmdx}
case $EPMDX in /*) ;; *) EPMDX=$top/$EPMDX ;; esac
PORT=4369
IN=/run/epmdx-test		# the test folder, as the instance sees it
LIMIT=${SYSTEMD_TEST_TIMEOUT:-240}

pass=0 fail=0
sdpid= upid= holder= beta= watchdog= work=

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL - $*"; }

# A result line and out, for what stops the run before the checks.
die() {
	not_ok "$*"
	echo "$pass passed, $fail failed"
	exit 1
}

# gone PID: no such process (a zombie counts as gone).
gone() {
	local st
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}

# stop_pid PID: SIGKILL and a bounded wait until it is gone.
stop_pid() {
	local i
	[ -n "$1" ] || return 0
	kill -9 "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		gone "$1" && return 0
		sleep 0.1
	done
	echo "cleanup: pid $1 still there"
	return 1
}

cleanup() {
	trap - EXIT INT TERM
	exec 2>/dev/null	# not the shell's "Killed" notices
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	# Killing its PID 1 tears the whole namespace down.
	stop_pid "$sdpid"
	stop_pid "$upid"
	stop_pid "$holder"
	stop_pid "$beta"
	wait 2>/dev/null
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM

# Prerequisites: a failure each, not a skip.
[ "$(id -u)" = 0 ] || die "prerequisite: must run as root"
for c in unshare nsenter setsid ip timeout python3 erl; do
	command -v "$c" >/dev/null 2>&1 || die "prerequisite: $c not found"
done
[ -x /lib/systemd/systemd ] || die "prerequisite: /lib/systemd/systemd not found"
[ -x "$EPMDX" ] || die "prerequisite: no binary under test at $EPMDX"

# The test folder: next to the build (never /tmp: it must allow exec).
work=$(mktemp -d "$top/build/systemd-test.XXXXXX") ||
    die "cannot make a test folder under $top/build"
mkdir -p "$work/units" "$work/home" "$work/bin"
cp "$EPMDX" "$work/bin/epmdx" && cp "$EPMDX" "$work/bin/epmdxctl" &&
    cp "$EPMDX" "$work/bin/epmdx.real" ||
    die "cannot copy the binary into $work/bin"

# A bound on the whole run: past it the instance goes, and every wait
# below ends at once.
(
	trap 'kill "$s" 2>/dev/null; wait "$s"; exit 0' TERM
	sleep "$LIMIT" &
	s=$!
	wait "$s"
	echo "timeout: the suite ran past $LIMIT s: stopping its systemd"
	p=$(cat "$work/sdpid" 2>/dev/null) && [ -n "$p" ] && kill -9 "$p"
) 2>/dev/null &
watchdog=$!

# The units under test.  LeakSanitizer needs ptrace, which the unit's
# SystemCallFilter forbids: an ASan build runs here without leak checks
# (valgrind-check and the unit tests look for leaks).
sed -e "s|^ExecStart=.*|ExecStart=$IN/bin/epmdx -systemd -f $IN/epmdx.conf|" \
    -e 's|^\[Unit\]|[Unit]\nDefaultDependencies=no|' \
    -e "s|^\[Service\]|[Service]\nStandardError=append:$IN/epmdx.log\nEnvironment=ASAN_OPTIONS=detect_leaks=0\nTimeoutSec=20|" \
    "$top/packaging/systemd/epmdx.service" >"$work/units/epmdx.service"
sed -e 's|^\[Unit\]|[Unit]\nDefaultDependencies=no|' \
    "$top/packaging/systemd/epmdx.socket" >"$work/units/epmdx.socket"
printf 'log_level = debug\n' >"$work/epmdx.conf"
: >"$work/epmdx.log"

# A raw node: registers NAME, prints "registered", then "eof" when the
# daemon closes its connection (or "timeout").
cat >"$work/rawnode.py" <<'EOF'
import socket, struct, sys
name = sys.argv[1].encode()
s = socket.create_connection(("127.0.0.1", 4369), 5)
body = b"x" + struct.pack(">HBBHHH", 5555, 77, 0, 6, 5, len(name)) + name
body += struct.pack(">H", 0)
s.sendall(struct.pack(">H", len(body)) + body)
r = s.recv(16)
if len(r) < 2 or r[0] not in (118, 121) or r[1] != 0:
    print("refused %r" % r, flush=True)
    sys.exit(1)
print("registered", flush=True)
s.settimeout(float(sys.argv[2]))
try:
    print("eof" if not s.recv(1) else "data", flush=True)
except socket.timeout:
    print("timeout", flush=True)
except OSError:
    print("eof", flush=True)
EOF
chmod -R a+rX "$work"
chmod 755 "$work/bin/"*
chmod 666 "$work/epmdx.log"

# The instance's folder is bound before its private /tmp hides anything.
cat >"$work/boot.sh" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p $IN
mount --bind "$work" $IN
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /var/tmp
ip link set lo up
export SYSTEMD_UNIT_PATH=$IN/units
exec env container=epmdx-test /lib/systemd/systemd --system --log-target=console --unit=epmdx.socket
EOF
chmod +x "$work/boot.sh"

setsid unshare --pid --fork --mount --net --mount-proc "$work/boot.sh" \
    </dev/null >"$work/systemd.log" 2>&1 &
upid=$!

# The instance's PID 1: the descendant of unshare that is pid 1 inside.
find_pid1() {
	local p c q
	for p in $(pgrep -P "$upid") $upid; do
		for c in $(pgrep -P "$p" 2>/dev/null) "$p"; do
			q=$(sed -n 's/^NSpid:.*[[:space:]]\([0-9]*\)$/\1/p' \
			    "/proc/$c/status" 2>/dev/null)
			[ "$q" = 1 ] && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = \
			    systemd ] && { echo "$c"; return 0; }
		done
	done
	return 1
}

# Poll cmd for up to $1 seconds.
wait_until() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

for ((i = 0; i < 100; i++)); do
	sdpid=$(find_pid1) && break
	sdpid=
	gone "$upid" && break
	sleep 0.1
done
[ -n "$sdpid" ] && echo "$sdpid" >"$work/sdpid"

# Run a command inside the instance, bounded.
ns() { timeout -k 2 20 nsenter -t "$sdpid" -m -p -n "$@"; }
sctl() { ns systemctl --no-pager "$@"; }
names() { ns "$IN/bin/epmdx" -port $PORT -names 2>/dev/null; }
has() { names | grep -q "name $1 at port"; }
lacks() { names >"$work/names.out" && ! grep -q "name $1 at port" "$work/names.out"; }
mainpid() { sctl show -p MainPID --value epmdx.service; }

# check WHAT CMD...: one result; the run stops if the instance is gone.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
	if gone "$sdpid"; then
		not_ok "the private systemd is gone; log:"
		tail -20 "$work/systemd.log"
		echo "$pass passed, $fail failed"
		exit 1
	fi
}

if [ -z "$sdpid" ] || ! wait_until 20 sctl is-active epmdx.socket; then
	tail -20 "$work/systemd.log"
	die "cannot boot a private systemd here (log above)"
fi

check "service inactive before the first connection" \
    test "$(sctl is-active epmdx.service)" != active

# A real node, in the instance's network namespace, on the socket's port.
nsenter -t "$sdpid" -m -p -n env HOME="$IN/home" ERL_EPMD_PORT=$PORT \
    erl -sname alpha -start_epmd false -setcookie sdtest -noshell \
    -eval 'register(alpha, self()), receive stop -> ok end.' \
    >"$work/alpha.log" 2>&1 </dev/null &
holder=$!
check "socket activation starts the service and the node registers" \
    wait_until 30 has alpha
if [ "$fail" -gt 0 ]; then
	# Nothing after this can pass: stop now, not after every timeout.
	tail -n 20 "$work/epmdx.log"
	sctl status epmdx.service | tail -n 15
	die "no daemon serves: the remaining checks are not run"
fi
check "service is active" test "$(sctl is-active epmdx.service)" = active
check "systemctl status shows the live STATUS line" \
    wait_until 5 sh -c "timeout 10 nsenter -t $sdpid -m -p -n systemctl --no-pager status epmdx.service | grep -q 'Status: \"Serving port $PORT: 1 registrations'"

creation() {
	ns "$IN/bin/epmdx" -port $PORT -dump 2>/dev/null | tr '\0' '\n' |
	    grep 'active name'
}
before=$(creation)
pid1=$(mainpid)

sctl reload epmdx.service
check "reload keeps the registration" wait_until 10 has alpha
check "reload keeps the main pid" test "$(mainpid)" = "$pid1"

sctl restart epmdx.service
pid2=$(mainpid)
check "restart starts a new process" test "$pid2" != "$pid1"
check "restart keeps the registration (fd store)" wait_until 10 has alpha
check "restart restored from the fd store" \
    grep -q 'fd store: restored registrations=1' "$work/epmdx.log"
# Sockets and memfds of the main process without close-on-exec (fdinfo
# flags without O_CLOEXEC, 02000000): a child of its must inherit none.
leaky() {
	local p
	p=$(mainpid)
	[ -n "$p" ] && [ "$p" != 0 ] || { echo "no main pid"; return; }
	ns sh -c 'cd /proc/'"$p"'/fd || exit 1
	for fd in *; do
		[ "$fd" -ge 3 ] || continue
		case $(readlink "$fd") in
		socket:*|/memfd:*) ;;
		*) continue ;;
		esac
		fl=$(sed -n "s/^flags:[[:space:]]*//p" "../fdinfo/$fd")
		[ $((0$fl & 02000000)) -ne 0 ] || echo "fd $fd flags $fl"
	done' 2>&1
}
check "restart: every adopted descriptor is close-on-exec" \
    test -z "$(leaky)"
check "the node registered once, and not again after the restart" \
    test "$(grep -c 'node registered name=alpha' "$work/epmdx.log")" -eq 1

ns kill -9 "$pid2"
newpid() { local p; p=$(mainpid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid2" ]; }
check "kill -9: Restart=on-failure brings it back" wait_until 15 newpid
check "kill -9: the registration is still there" wait_until 10 has alpha
after=$(creation)
check "creation unchanged through reload, restart and crash" \
    test "$(echo "$before" | sed 's/fd = [0-9]*//')" = "$(echo "$after" | sed 's/fd = [0-9]*//')"

pid3=$(mainpid)
ns "$IN/bin/epmdxctl" --port $PORT upgrade >"$work/upgrade.txt" 2>&1
check "epmdxctl upgrade under systemd" grep -q '^upgraded' "$work/upgrade.txt"
check "upgrade keeps the main pid" test "$(mainpid)" = "$pid3"
check "upgrade keeps the registration" wait_until 10 has alpha
check "upgrade: every adopted descriptor is close-on-exec" \
    test -z "$(leaky)"
sctl restart epmdx.service
check "restart after an upgrade keeps the registration" \
    wait_until 10 has alpha

# A rejected handover.  A second node, raw, that reports EOF.
nsenter -t "$sdpid" -m -p -n python3 "$IN/rawnode.py" beta 60 \
    >"$work/beta.out" 2>&1 </dev/null &
beta=$!
check "a second node registers" wait_until 10 has beta
pid4=$(mainpid)
# The binary on disk becomes a newer one whose handover format version
# (bytes 8-11 of the state) is unknown to it: it rejects the state.
cat >"$work/bin/epmdx.new" <<EOF
#!/bin/sh
if [ -n "\${EPMDX_HANDOVER_FD:-}" ]; then
	printf '\\002' | dd of=/proc/self/fd/\$EPMDX_HANDOVER_FD bs=1 seek=11 \\
	    conv=notrunc 2>/dev/null
fi
exec $IN/bin/epmdx.real "\$@"
EOF
chmod 755 "$work/bin/epmdx.new"
mv -f "$work/bin/epmdx.new" "$work/bin/epmdx"
: >"$work/upgrade.txt"
ns "$IN/bin/epmdxctl" --port $PORT upgrade >"$work/upgrade.txt" 2>&1
check "the new process rejects the handed-over state" \
    wait_until 10 grep -q 'handed-over state is damaged' "$work/epmdx.log"
check "rejected: the daemon serves on (same main pid)" \
    test "$(mainpid)" = "$pid4"
check "rejected: the daemon answers NAMES" wait_until 10 names
check "rejected: no node is stranded (the raw node sees EOF)" \
    wait_until 10 grep -q '^eof' "$work/beta.out"
check "rejected: nothing is listed for the rejected registrations" \
    wait_until 5 lacks beta
# What the store may hold now: the journal, and a socket for each node
# that registered again since.
stored() {
	local n
	n=$(names | grep -c '^name ')
	[ "$(sctl show -p NFileDescriptorStore --value epmdx.service)" = \
	    $((n + 1)) ]
}
check "rejected: systemd's fd store holds nothing of the rejected state" \
    wait_until 5 stored
nreg=$(names | grep -c '^name ')
mark=$(wc -l <"$work/epmdx.log")
sctl restart epmdx.service
restored() {
	tail -n +"$((mark + 1))" "$work/epmdx.log" |
	    grep -q "fd store: restored registrations=$nreg "
}
check "rejected, then restart: nothing stale restored" wait_until 10 restored

sctl stop epmdx.service epmdx.socket
inactive() { [ "$(sctl is-active epmdx.service)" != active ]; }
check "stop: the service is inactive" wait_until 10 inactive
check "stop: clean exit (no failure)" \
    test "$(sctl show -p Result --value epmdx.service)" = success

if [ "$fail" -gt 0 ]; then
	echo "--- the daemon's log, last lines:"
	tail -n 40 "$work/epmdx.log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
