# remote-netns.sh: run the sourcing test in a network namespace of its own
# (unshare -n: needs root) whose lo carries 192.0.2.1 and 192.0.2.2, so
# that a client bound to 192.0.2.2 is a remote peer of a daemon on
# 192.0.2.1 with no traffic leaving the namespace.  Source it first, as
#	. "$(dirname "$0")/../lib/remote-netns.sh" "$@"
# The first time it re-executes the test inside the namespace; without
# root it ends the test as skipped (77).
if [ -z "${EPMDX_NETNS:-}" ]; then
	if ! unshare -n true 2>/dev/null; then
		printf 'SKIP: %s: unshare -n failed (needs root)\n' \
		    "$(basename "$0" .sh)" >&2
		exit 77
	fi
	EPMDX_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up &&
    ip addr add 192.0.2.1/24 dev lo &&
    ip addr add 192.0.2.2/24 dev lo || exit 1
