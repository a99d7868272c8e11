#!/bin/bash
# epmdx under a real systemd (v252), booted as PID 1 of private PID, mount
# and network namespaces, as ../shared/testing-systemd.md describes: private
# /tmp, /run, /var/tmp; its own loopback; only our units on its unit path.
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
#   - systemctl stop stops cleanly (the node's registration socket closes).
# Prints "N passed, N failed"; exits non-zero on failure, 77 if it cannot
# boot systemd here.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
EPMDX=${EPMDX:-$top/build/epmdx}
case $EPMDX in /*) ;; *) EPMDX=$top/$EPMDX ;; esac
EPMDXCTL=${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}
PORT=4369

# Not under /tmp: the instance has its own.
work=$top/build/systemd-test.$$
mkdir -p "$work/units" "$work/home"
pass=0 fail=0
sdpid=
holder=

cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	# Killing its PID 1 tears the whole namespace down.
	[ -n "$sdpid" ] && kill -9 "$sdpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# Run a command inside the instance.
ns() { nsenter -t "$sdpid" -m -p -n "$@"; }
sctl() { ns systemctl --no-pager "$@"; }

# Poll cmd for up to $1 seconds.
wait_until() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# The units under test.  LeakSanitizer needs ptrace, which the unit's
# SystemCallFilter forbids: an ASan build runs here without leak checks
# (valgrind-check and the unit tests look for leaks).
sed -e "s|^ExecStart=.*|ExecStart=$EPMDX -systemd -f $work/epmdx.conf|" \
    -e 's|^\[Unit\]|[Unit]\nDefaultDependencies=no|' \
    -e "s|^\[Service\]|[Service]\nStandardError=append:$work/epmdx.log\nEnvironment=ASAN_OPTIONS=detect_leaks=0|" \
    "$top/packaging/systemd/epmdx.service" >"$work/units/epmdx.service"
sed -e 's|^\[Unit\]|[Unit]\nDefaultDependencies=no|' \
    "$top/packaging/systemd/epmdx.socket" >"$work/units/epmdx.socket"
printf 'log_level = debug\n' >"$work/epmdx.conf"
: >"$work/epmdx.log"
chmod 755 "$work" "$work/units" && chmod 644 "$work/epmdx.conf"
chmod 666 "$work/epmdx.log"

cat >"$work/boot.sh" <<EOF
#!/bin/sh
mount --make-rprivate /
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
ip link set lo up
export SYSTEMD_UNIT_PATH=$work/units
exec env container=epmdx-test /lib/systemd/systemd --system --log-target=console --unit=epmdx.socket
EOF
chmod +x "$work/boot.sh"

setsid unshare --pid --fork --mount --net --mount-proc "$work/boot.sh" \
    </dev/null >"$work/systemd.log" 2>&1 &
upid=$!
# The systemd we talk to is unshare's child.
for ((i = 0; i < 100; i++)); do
	sdpid=$(pgrep -P "$upid" 2>/dev/null | head -1)
	[ -n "$sdpid" ] && break
	sleep 0.1
done
if [ -z "$sdpid" ] || ! wait_until 20 sctl is-active epmdx.socket; then
	echo "cannot boot a private systemd here; log:"
	tail -20 "$work/systemd.log"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi

check "service inactive before the first connection" \
    test "$(sctl is-active epmdx.service)" != active

# A real node, in the instance's network namespace, on the socket's port.
ns env HOME="$work/home" ERL_EPMD_PORT=$PORT erl -sname alpha \
    -start_epmd false -setcookie sdtest -noshell \
    -eval 'register(alpha, self()), receive stop -> ok end.' \
    >"$work/alpha.log" 2>&1 &
holder=$!
names() { ns "$EPMDX" -port $PORT -names 2>/dev/null; }
check "socket activation starts the service and the node registers" \
    wait_until 30 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha at port'"
check "service is active" test "$(sctl is-active epmdx.service)" = active
check "systemctl status shows the live STATUS line" \
    wait_until 5 sh -c "nsenter -t $sdpid -m -p -n systemctl --no-pager status epmdx.service | grep -q 'Status: \"Serving port $PORT: 1 registrations'"

creation() {
	ns "$EPMDX" -port $PORT -dump 2>/dev/null | tr '\0' '\n' | grep 'active name'
}
before=$(creation)
pid1=$(sctl show -p MainPID --value epmdx.service)

sctl reload epmdx.service
check "reload keeps the registration" \
    wait_until 10 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha'"
check "reload keeps the main pid" \
    test "$(sctl show -p MainPID --value epmdx.service)" = "$pid1"

sctl restart epmdx.service
pid2=$(sctl show -p MainPID --value epmdx.service)
check "restart starts a new process" test "$pid2" != "$pid1"
check "restart keeps the registration (fd store)" \
    wait_until 10 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha'"
check "restart restored from the fd store" \
    grep -q 'fd store: restored registrations=1' "$work/epmdx.log"
check "the node registered once, and not again after the restart" \
    test "$(grep -c 'node registered name=alpha' "$work/epmdx.log")" -eq 1

ns kill -9 "$pid2"
check "kill -9: Restart=on-failure brings it back" \
    wait_until 15 sh -c "p=\$(nsenter -t $sdpid -m -p -n systemctl show -p MainPID --value epmdx.service); [ -n \"\$p\" ] && [ \"\$p\" != 0 ] && [ \"\$p\" != $pid2 ]"
check "kill -9: the registration is still there" \
    wait_until 10 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha'"
after=$(creation)
check "creation unchanged through reload, restart and crash" \
    test "$(echo "$before" | sed 's/fd = [0-9]*//')" = "$(echo "$after" | sed 's/fd = [0-9]*//')"

pid3=$(sctl show -p MainPID --value epmdx.service)
ns "$EPMDXCTL" --port $PORT upgrade >"$work/upgrade.txt" 2>&1
check "epmdxctl upgrade under systemd" grep -q '^upgraded' "$work/upgrade.txt"
check "upgrade keeps the main pid" \
    test "$(sctl show -p MainPID --value epmdx.service)" = "$pid3"
check "upgrade keeps the registration" \
    wait_until 10 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha'"
sctl restart epmdx.service
check "restart after an upgrade keeps the registration" \
    wait_until 10 sh -c "$(declare -f ns names); sdpid=$sdpid EPMDX=$EPMDX PORT=$PORT; names | grep -q 'name alpha'"

sctl stop epmdx.service epmdx.socket
check "stop: the service is inactive" \
    wait_until 10 sh -c "[ \"\$(nsenter -t $sdpid -m -p -n systemctl is-active epmdx.service)\" != active ]"
check "stop: clean exit (no failure)" \
    test "$(sctl show -p Result --value epmdx.service)" = success

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
