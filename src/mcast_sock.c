/*
 * Multicast socket plumbing: the interface named by mcast_interface, one
 * UDP socket per group (bound to group:port, so it hears only that group,
 * joined, hop limit and loopback set), the address the kernel sends each
 * group from, sending to a group and reading what arrives.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "mcast_sock.h"
#include "xmalloc.h"

#define MCAST_READ_BURST	32	/* datagrams read per wakeup */

/*
 * A socket address as text: "a.b.c.d:port" or "[v6%scope]:port" (the
 * scope names a link-local group's interface, which addr_text() omits).
 */
void
mcast_addr_text(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char	 host[MCAST_ADDR_MAX], serv[8];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, serv);
}

/* The interface index holding a local address, 0 if none does. */
static unsigned int
mcast_ifindex_of_addr(int family, const void *addr)
{
	struct ifaddrs		*ifa, *i;
	unsigned int		 idx = 0;
	const void		*a;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && idx == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET) {
			a = &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
			if (memcmp(a, addr, sizeof(struct in_addr)) == 0)
				idx = if_nametoindex(i->ifa_name);
		} else {
			a = &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
			if (memcmp(a, addr, sizeof(struct in6_addr)) == 0)
				idx = if_nametoindex(i->ifa_name);
		}
	}
	freeifaddrs(ifa);
	return idx;
}

/* mcast_interface (a name or a local address) to an index and address. */
static int
mcast_iface_resolve(const char *iface, struct mcast_sock *ms,
    char **cause)
{
	struct in6_addr	 a6;

	ms->ifindex = 0;
	ms->ifaddr.s_addr = htonl(INADDR_ANY);
	if (iface == NULL)
		return 0;
	if (inet_pton(AF_INET, iface, &ms->ifaddr) == 1) {
		ms->ifindex = mcast_ifindex_of_addr(AF_INET, &ms->ifaddr);
		if (ms->ifindex == 0) {
			xasprintf(cause, "sync: mcast_interface %s: no local "
			    "interface has this address", iface);
			return -1;
		}
		return 0;
	}
	if (inet_pton(AF_INET6, iface, &a6) == 1) {
		ms->ifindex = mcast_ifindex_of_addr(AF_INET6, &a6);
		if (ms->ifindex == 0) {
			xasprintf(cause, "sync: mcast_interface %s: no local "
			    "interface has this address", iface);
			return -1;
		}
		return 0;
	}
	if ((ms->ifindex = if_nametoindex(iface)) == 0) {
		xasprintf(cause, "sync: mcast_interface %s: no such interface",
		    iface);
		return -1;
	}
	return 0;
}

/* Parse a group address; it must be a multicast one. */
static int
mcast_group_parse(const char *group, unsigned int port,
    struct mcast_sock *ms, char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ms->group;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ms->group;

	memset(&ms->group, 0, sizeof(ms->group));
	if (inet_pton(AF_INET, group, &sin->sin_addr) == 1) {
		if (!IN_MULTICAST(ntohl(sin->sin_addr.s_addr)))
			goto notmcast;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		ms->family = AF_INET;
		ms->grouplen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, group, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
			goto notmcast;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		ms->family = AF_INET6;
		ms->grouplen = sizeof(*sin6);
		return 0;
	}
	xasprintf(cause, "sync: mcast_group %s: not an IPv4 or IPv6 address",
	    group);
	return -1;
notmcast:
	xasprintf(cause, "sync: mcast_group %s: not a multicast address",
	    group);
	return -1;
}

/* Set an int socket option; -1 with *cause. */
static int
mcast_setopt(int fd, int level, int name, int value, const char *what,
    char **cause)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) == -1) {
		xasprintf(cause, "sync: mcast %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

/* Join the group on ms->fd (join=1) or leave it (join=0). */
static int
mcast_membership(struct mcast_sock *ms, int join)
{
	struct ip_mreqn		 mr;
	struct ipv6_mreq	 mr6;

	if (ms->family == AF_INET) {
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr =
		    ((struct sockaddr_in *)&ms->group)->sin_addr;
		mr.imr_address = ms->ifaddr;
		mr.imr_ifindex = (int)ms->ifindex;
		return setsockopt(ms->fd, IPPROTO_IP, join ?
		    IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr, sizeof(mr));
	}
	memset(&mr6, 0, sizeof(mr6));
	mr6.ipv6mr_multiaddr = ((struct sockaddr_in6 *)&ms->group)->sin6_addr;
	mr6.ipv6mr_interface = ms->ifindex;
	return setsockopt(ms->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP :
	    IPV6_LEAVE_GROUP, &mr6, sizeof(mr6));
}

/* The outgoing interface, hop limit and loopback of a socket. */
int
mcast_sock_sendopts(struct mcast_sock *ms, unsigned int hops,
    char **cause)
{
	struct ip_mreqn	 mr;

	if (ms->family == AF_INET) {
		if (ms->ifindex != 0) {
			memset(&mr, 0, sizeof(mr));
			mr.imr_address = ms->ifaddr;
			mr.imr_ifindex = (int)ms->ifindex;
			if (setsockopt(ms->fd, IPPROTO_IP, IP_MULTICAST_IF,
			    &mr, sizeof(mr)) == -1) {
				xasprintf(cause, "sync: mcast IP_MULTICAST_IF:"
				    " %s", strerror(errno));
				return -1;
			}
		}
		if (mcast_setopt(ms->fd, IPPROTO_IP, IP_MULTICAST_TTL,
		    (int)hops, "IP_MULTICAST_TTL", cause) == -1 ||
		    mcast_setopt(ms->fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1,
		    "IP_MULTICAST_LOOP", cause) == -1)
			return -1;
		return 0;
	}
	if (ms->ifindex != 0 && mcast_setopt(ms->fd, IPPROTO_IPV6,
	    IPV6_MULTICAST_IF, (int)ms->ifindex, "IPV6_MULTICAST_IF",
	    cause) == -1)
		return -1;
	if (mcast_setopt(ms->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    (int)hops, "IPV6_MULTICAST_HOPS", cause) == -1 ||
	    mcast_setopt(ms->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1,
	    "IPV6_MULTICAST_LOOP", cause) == -1)
		return -1;
	return 0;
}

/*
 * Open a socket for one group: shared port (several daemons on a host),
 * bound to group:port so it hears only that group, joined, ready to send.
 */
static int
mcast_sock_open(struct mcast_sock *ms, const char *group,
    unsigned int port, const char *iface, unsigned int hops, char **cause)
{
	struct sockaddr_in6	*sin6;
	char			 buf[MCAST_ADDR_MAX];

	memset(ms, 0, sizeof(*ms));
	ms->fd = -1;
	if (mcast_group_parse(group, port, ms, cause) == -1 ||
	    mcast_iface_resolve(iface, ms, cause) == -1)
		return -1;
	sin6 = (struct sockaddr_in6 *)&ms->group;
	if (ms->family == AF_INET6 &&
	    !IN6_IS_ADDR_MC_GLOBAL(&sin6->sin6_addr) &&
	    !IN6_IS_ADDR_MC_ORGLOCAL(&sin6->sin6_addr) &&
	    !IN6_IS_ADDR_MC_SITELOCAL(&sin6->sin6_addr)) {
		/* Link- or interface-local: bound to one interface. */
		if (ms->ifindex == 0) {
			xasprintf(cause, "sync: mcast_group %s is link-local: "
			    "set mcast_interface", group);
			return -1;
		}
		sin6->sin6_scope_id = ms->ifindex;
	}
	if ((ms->fd = socket(ms->family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "sync: mcast socket: %s", strerror(errno));
		return -1;
	}
	if (mcast_setopt(ms->fd, SOL_SOCKET, SO_REUSEADDR, 1,
	    "SO_REUSEADDR", cause) == -1 ||
	    mcast_setopt(ms->fd, SOL_SOCKET, SO_REUSEPORT, 1,
	    "SO_REUSEPORT", cause) == -1)
		goto fail;
	if (ms->family == AF_INET6 && mcast_setopt(ms->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, 1, "IPV6_V6ONLY", cause) == -1)
		goto fail;
	/* Hear only the groups this socket joined (Linux defaults to all). */
#ifdef IP_MULTICAST_ALL
	if (ms->family == AF_INET)
		(void)setsockopt(ms->fd, IPPROTO_IP, IP_MULTICAST_ALL,
		    &(int){ 0 }, sizeof(int));
#endif
#ifdef IPV6_MULTICAST_ALL
	if (ms->family == AF_INET6)
		(void)setsockopt(ms->fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL,
		    &(int){ 0 }, sizeof(int));
#endif
	if (bind(ms->fd, (struct sockaddr *)&ms->group, ms->grouplen) == -1) {
		mcast_addr_text((struct sockaddr *)&ms->group, ms->grouplen,
		    buf, sizeof(buf));
		xasprintf(cause, "sync: mcast bind %s: %s", buf,
		    strerror(errno));
		goto fail;
	}
	if (mcast_membership(ms, 1) == -1) {
		xasprintf(cause, "sync: mcast join %s%s%s: %s", group,
		    iface != NULL ? " on " : "", iface != NULL ? iface : "",
		    strerror(errno));
		goto fail;
	}
	if (mcast_sock_sendopts(ms, hops, cause) == -1) {
		(void)mcast_membership(ms, 0);
		goto fail;
	}
	return 0;
fail:
	close(ms->fd);
	ms->fd = -1;
	return -1;
}

/* Leave the group and close. */
void
mcast_sock_close(struct mcast_sock *ms)
{
	if (ms->ev != NULL) {
		event_free(ms->ev);
		ms->ev = NULL;
	}
	if (ms->fd != -1) {
		(void)mcast_membership(ms, 0);
		close(ms->fd);
		ms->fd = -1;
	}
}

/*
 * Open every configured group (at most one per family) into socks;
 * all or nothing.  Returns the count, or -1 with *cause.
 */
int
mcast_socks_open(struct mcast_sock *socks, const char *groups,
    unsigned int port, const char *iface, unsigned int hops, char **cause)
{
	char	 copy[256], *p, *tok;
	int	 n = 0, i;

	if ((size_t)snprintf(copy, sizeof(copy), "%s", groups) >=
	    sizeof(copy)) {
		xasprintf(cause, "sync: mcast_group too long");
		return -1;
	}
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (n == MCAST_MAX_GROUPS) {
			xasprintf(cause, "sync: mcast_group: at most one IPv4 "
			    "and one IPv6 group");
			goto fail;
		}
		if (mcast_sock_open(&socks[n], tok, port, iface, hops,
		    cause) == -1)
			goto fail;
		for (i = 0; i < n; i++)
			if (socks[i].family == socks[n].family)
				break;
		n++;
		if (i < n - 1) {
			xasprintf(cause, "sync: mcast_group: at most one IPv4 "
			    "and one IPv6 group");
			goto fail;
		}
	}
	if (n == 0) {
		xasprintf(cause, "sync: mcast_group is empty");
		return -1;
	}
	return n;
fail:
	for (i = 0; i < n; i++)
		mcast_sock_close(&socks[i]);
	return -1;
}

/*
 * The address we send to ms's group from, which is what a receiver saw
 * as the source before announcements carried it, as text without a
 * scope; -1 if the kernel picks none (no address on the interface).
 */
int
mcast_sock_source(const struct mcast_sock *ms, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len = sizeof(ss);
	struct ip_mreqn		 mr;
	int			 fd, idx = (int)ms->ifindex, rv = -1;

	if ((fd = socket(ms->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (ms->family == AF_INET && ms->ifindex != 0) {
		memset(&mr, 0, sizeof(mr));
		mr.imr_address = ms->ifaddr;
		mr.imr_ifindex = idx;
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr));
	} else if (ms->family == AF_INET6 && ms->ifindex != 0)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
		    sizeof(idx));
	/* A UDP connect sends nothing: it only picks the route. */
	if (connect(fd, (const struct sockaddr *)&ms->group, ms->grouplen) ==
	    -1 || getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ss.ss_family != ms->family)
		goto out;
	if (ms->family == AF_INET) {
		if (sin->sin_addr.s_addr != htonl(INADDR_ANY) &&
		    inet_ntop(AF_INET, &sin->sin_addr, buf, size) != NULL)
			rv = 0;
	} else if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, size) != NULL)
		rv = 0;
out:
	close(fd);
	return rv;
}

/* Send one datagram to the group. */
int
mcast_sock_send(const struct mcast_sock *ms, const void *buf, size_t len)
{
	if (sendto(ms->fd, buf, len, 0, (const struct sockaddr *)&ms->group,
	    ms->grouplen) == -1)
		return -1;
	return 0;
}

/* Datagrams are waiting on a group socket. */
static void
mcast_sock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mcast_sock	*ms = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uint8_t			 buf[MCAST_RECV_MAX];
	ssize_t			 n;
	int			 i;

	for (i = 0; i < MCAST_READ_BURST; i++) {
		sslen = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
		    &sslen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("mcast: recvfrom");
			return;
		}
		ms->cb(ms->arg, buf, (size_t)n, (struct sockaddr *)&ss, sslen);
	}
}

/* Start reading a socket. */
void
mcast_sock_arm(struct mcast_sock *ms, struct event_base *base,
    mcast_sock_recv_cb *cb, void *arg)
{
	ms->cb = cb;
	ms->arg = arg;
	ms->ev = event_new(base, ms->fd, EV_READ | EV_PERSIST,
	    mcast_sock_read_cb, ms);
	event_add(ms->ev, NULL);
}

/*
 * host (len bytes) as text; an IPv6 link-local address gets "%if", the
 * interface a datagram from sa arrived on.
 */
void
mcast_sock_scoped(const char *host, size_t len, const struct sockaddr *sa,
    char *buf, size_t size)
{
	const struct sockaddr_in6	*sin6;
	struct in6_addr			 a6;
	char				 ifname[IF_NAMESIZE];
	size_t				 n;

	snprintf(buf, size, "%.*s", (int)len, host);
	if (sa->sa_family != AF_INET6)
		return;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	n = strlen(buf);
	if (sin6->sin6_scope_id != 0 && inet_pton(AF_INET6, buf, &a6) == 1 &&
	    IN6_IS_ADDR_LINKLOCAL(&a6) &&
	    if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
		snprintf(buf + n, size - n, "%%%s", ifname);
}
