/*
 * Sync backend "mcast": sealed UDP announcements on a multicast group.
 * Every daemon announces its origin, incarnation and where to dial it
 * every interval (jittered) and once at start; a daemon that hears an
 * origin reports it to the core as a peer, at the address sealed in the
 * announcement (never the datagram's source), and withdraws it when the
 * origin has been silent for ttl.  Announcements are sealed with the
 * cluster key (sync_dgram_seal) and carry a sequence number and a time:
 * a forged one is dropped, a replayed or stale one too.  The codec and
 * the replay filter are in sync_mcast_msg.c.
 */
#include <sys/types.h>
#include <sys/queue.h>
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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "sync.h"
#include "sync_crypto.h"
#include "sync_mcast.h"
#include "xmalloc.h"

#define MCAST_MAX_GROUPS	2	/* one IPv4 and one IPv6 group */
#define MCAST_ORIGINS_MAX	1024	/* origins tracked at once */
#define MCAST_READ_BURST	32	/* datagrams read per wakeup */
#define MCAST_LOG_EVERY		10	/* seconds between repeated warnings */
#define MCAST_REPLY_MS		250	/* answer a new origin within, ms */
#define MCAST_ADDR_MAX		(INET6_ADDRSTRLEN + IF_NAMESIZE + 8)

/* A warning logged at most once per MCAST_LOG_EVERY seconds. */
struct sync_mcast_rl {
	int		 logged;
	time_t		 last;
	unsigned long	 suppressed;
};

/* One joined group: a socket bound to group:port. */
struct sync_mcast_sock {
	int			 fd;
	int			 family;
	struct sockaddr_storage	 group;
	socklen_t		 grouplen;
	unsigned int		 ifindex;	/* 0: the kernel's choice */
	struct in_addr		 ifaddr;	/* IPv4 interface address */
	struct event		*ev;
};

/* An origin we heard, and the peer we reported for it. */
struct sync_mcast_origin {
	TAILQ_ENTRY(sync_mcast_origin) entry;
	char			 name[SYNC_MCAST_HOST_MAX + 1];
	char			 peer[SYNC_MCAST_HOST_MAX + 1]; /* to dial */
	unsigned int		 port;
	uint64_t		 incarnation;
	time_t			 last;		/* monotonic */
};

struct sync_mcast {
	struct sync_backend_inst *bi;
	/* As configured. */
	char			*groups;
	unsigned int		 port;
	char			*iface;
	unsigned int		 hops;
	unsigned int		 interval;
	unsigned int		 ttl;
	char			 advhost[SYNC_MCAST_HOST_MAX + 1];
	unsigned int		 advport;	/* 0: sync_default_port() */
	/* Running. */
	struct sync_mcast_sock	 socks[MCAST_MAX_GROUPS];
	int			 nsocks;
	int			 started;
	struct event		*announce;
	struct event		*expiry;
	uint64_t		 seq;
	time_t			 last_sent;	/* monotonic */
	struct sync_mcast_replay *replay;
	TAILQ_HEAD(, sync_mcast_origin) origins;
	size_t			 norigins;
	struct sync_mcast_rl	 rl_auth;
	struct sync_mcast_rl	 rl_bad;
	struct sync_mcast_rl	 rl_self;
	struct sync_mcast_rl	 rl_full;
	struct sync_mcast_rl	 rl_send;
	struct sync_mcast_rl	 rl_src;
	struct sync_mcast_rl	 rl_stale;
};

static void	sync_mcast_read_cb(evutil_socket_t, short, void *);

/* Microseconds on the boot clock, which never goes back while up. */
static uint64_t
sync_mcast_boot_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == -1)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The wall clock in milliseconds since the epoch (sent, never compared). */
static uint64_t
sync_mcast_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Seconds on the monotonic clock. */
static time_t
sync_mcast_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Whether to log now; more gets " (N more suppressed)" when warnings
 * were held back since the last one, else "".
 */
static int
sync_mcast_log_ok(struct sync_mcast_rl *rl, char *more, size_t size)
{
	time_t	 now = sync_mcast_now();

	if (rl->logged && now - rl->last < MCAST_LOG_EVERY) {
		rl->suppressed++;
		return 0;
	}
	more[0] = '\0';
	if (rl->suppressed > 0)
		snprintf(more, size, " (%lu more suppressed)", rl->suppressed);
	rl->suppressed = 0;
	rl->logged = 1;
	rl->last = now;
	return 1;
}

/* A socket address as text: "a.b.c.d:port" or "[v6]:port". */
static void
sync_mcast_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size, int withport)
{
	char	 host[MCAST_ADDR_MAX], serv[8];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "?");
		return;
	}
	if (!withport)
		snprintf(buf, size, "%s", host);
	else
		snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" :
		    "%s:%s", host, serv);
}

/* The interface index holding a local address, 0 if none does. */
static unsigned int
sync_mcast_ifindex_of_addr(int family, const void *addr)
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
sync_mcast_iface_resolve(const char *iface, struct sync_mcast_sock *ms,
    char **cause)
{
	struct in6_addr	 a6;

	ms->ifindex = 0;
	ms->ifaddr.s_addr = htonl(INADDR_ANY);
	if (iface == NULL)
		return 0;
	if (inet_pton(AF_INET, iface, &ms->ifaddr) == 1) {
		ms->ifindex = sync_mcast_ifindex_of_addr(AF_INET, &ms->ifaddr);
		if (ms->ifindex == 0) {
			xasprintf(cause, "sync: mcast_interface %s: no local "
			    "interface has this address", iface);
			return -1;
		}
		return 0;
	}
	if (inet_pton(AF_INET6, iface, &a6) == 1) {
		ms->ifindex = sync_mcast_ifindex_of_addr(AF_INET6, &a6);
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
sync_mcast_group_parse(const char *group, unsigned int port,
    struct sync_mcast_sock *ms, char **cause)
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
sync_mcast_setopt(int fd, int level, int name, int value, const char *what,
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
sync_mcast_membership(struct sync_mcast_sock *ms, int join)
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
static int
sync_mcast_sock_sendopts(struct sync_mcast_sock *ms, unsigned int hops,
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
		if (sync_mcast_setopt(ms->fd, IPPROTO_IP, IP_MULTICAST_TTL,
		    (int)hops, "IP_MULTICAST_TTL", cause) == -1 ||
		    sync_mcast_setopt(ms->fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1,
		    "IP_MULTICAST_LOOP", cause) == -1)
			return -1;
		return 0;
	}
	if (ms->ifindex != 0 && sync_mcast_setopt(ms->fd, IPPROTO_IPV6,
	    IPV6_MULTICAST_IF, (int)ms->ifindex, "IPV6_MULTICAST_IF",
	    cause) == -1)
		return -1;
	if (sync_mcast_setopt(ms->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    (int)hops, "IPV6_MULTICAST_HOPS", cause) == -1 ||
	    sync_mcast_setopt(ms->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1,
	    "IPV6_MULTICAST_LOOP", cause) == -1)
		return -1;
	return 0;
}

/*
 * Open a socket for one group: shared port (several daemons on a host),
 * bound to group:port so it hears only that group, joined, ready to send.
 */
static int
sync_mcast_sock_open(struct sync_mcast_sock *ms, const char *group,
    unsigned int port, const char *iface, unsigned int hops, char **cause)
{
	struct sockaddr_in6	*sin6;
	char			 buf[MCAST_ADDR_MAX];

	memset(ms, 0, sizeof(*ms));
	ms->fd = -1;
	if (sync_mcast_group_parse(group, port, ms, cause) == -1 ||
	    sync_mcast_iface_resolve(iface, ms, cause) == -1)
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
	if (sync_mcast_setopt(ms->fd, SOL_SOCKET, SO_REUSEADDR, 1,
	    "SO_REUSEADDR", cause) == -1 ||
	    sync_mcast_setopt(ms->fd, SOL_SOCKET, SO_REUSEPORT, 1,
	    "SO_REUSEPORT", cause) == -1)
		goto fail;
	if (ms->family == AF_INET6 && sync_mcast_setopt(ms->fd, IPPROTO_IPV6,
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
		sync_mcast_addr_str((struct sockaddr *)&ms->group, ms->grouplen,
		    buf, sizeof(buf), 1);
		xasprintf(cause, "sync: mcast bind %s: %s", buf,
		    strerror(errno));
		goto fail;
	}
	if (sync_mcast_membership(ms, 1) == -1) {
		xasprintf(cause, "sync: mcast join %s%s%s: %s", group,
		    iface != NULL ? " on " : "", iface != NULL ? iface : "",
		    strerror(errno));
		goto fail;
	}
	if (sync_mcast_sock_sendopts(ms, hops, cause) == -1) {
		(void)sync_mcast_membership(ms, 0);
		goto fail;
	}
	return 0;
fail:
	close(ms->fd);
	ms->fd = -1;
	return -1;
}

/* Leave the group and close. */
static void
sync_mcast_sock_close(struct sync_mcast_sock *ms)
{
	if (ms->ev != NULL) {
		event_free(ms->ev);
		ms->ev = NULL;
	}
	if (ms->fd != -1) {
		(void)sync_mcast_membership(ms, 0);
		close(ms->fd);
		ms->fd = -1;
	}
}

/*
 * Open every configured group (at most one per family) into socks;
 * all or nothing.  Returns the count, or -1 with *cause.
 */
static int
sync_mcast_socks_open(struct sync_mcast_sock *socks, const char *groups,
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
		if (sync_mcast_sock_open(&socks[n], tok, port, iface, hops,
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
		sync_mcast_sock_close(&socks[i]);
	return -1;
}

/*
 * Keep the settings of a [sync] section; -1 with *cause, m unchanged, if
 * our announcement could not be encoded with them.
 */
static int
sync_mcast_conf(struct sync_mcast *m, const struct sync_conf *sc, char **cause)
{
	struct sync		*s = m->bi->sync;
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	char			 host[SYNC_MCAST_HOST_MAX + 1];
	unsigned int		 port = 0;

	host[0] = '\0';
	if (sc->advertise != NULL && config_hostport(sc->advertise, host,
	    sizeof(host), &port) == -1) {
		xasprintf(cause, "sync: advertise %s: not host[:port]",
		    sc->advertise);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.port = (uint16_t)(port != 0 ? port : sync_default_port(s));
	a.origin = sync_hostname(s);
	a.originlen = strlen(a.origin);
	/* Without advertise, each group gets the address we send it from. */
	a.advertise = host[0] != '\0' ? host : "0.0.0.0";
	a.advertiselen = strlen(a.advertise);
	if (sync_mcast_encode(plain, sizeof(plain), &a) == -1) {
		xasprintf(cause, "sync: mcast cannot announce hostname \"%s\" "
		    "advertise \"%s\" port %u", a.origin, host,
		    (unsigned int)a.port);
		return -1;
	}
	snprintf(m->advhost, sizeof(m->advhost), "%s", host);
	m->advport = port;
	free(m->groups);
	m->groups = xstrdup(sc->mcast_group != NULL ? sc->mcast_group :
	    CONF_MCAST_GROUP);
	m->port = sc->mcast_port != 0 ? sc->mcast_port : CONF_MCAST_PORT;
	free(m->iface);
	m->iface = sc->mcast_interface != NULL ?
	    xstrdup(sc->mcast_interface) : NULL;
	m->hops = sc->mcast_ttl != 0 ? sc->mcast_ttl : 1;
	m->interval = sc->interval != 0 ? sc->interval : 1;
	m->ttl = sc->ttl != 0 ? sc->ttl : 1;
	return 0;
}

/* Fill our announcement (without seq, time and advertise). */
static void
sync_mcast_ann_fill(struct sync_mcast *m, struct sync_mcast_ann *a)
{
	struct sync	*s = m->bi->sync;

	memset(a, 0, sizeof(*a));
	a->incarnation = sync_incarnation(s);
	a->port = (uint16_t)(m->advport != 0 ? m->advport :
	    sync_default_port(s));
	a->origin = sync_hostname(s);
	a->originlen = strlen(a->origin);
}

/*
 * The address we send to ms's group from, which is what a receiver saw
 * as the source before announcements carried it, as text without a
 * scope; -1 if the kernel picks none (no address on the interface).
 */
static int
sync_mcast_source(const struct sync_mcast_sock *ms, char *buf, size_t size)
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

/* Seal and send one announcement to every group. */
static void
sync_mcast_announce_now(struct sync_mcast *m)
{
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 out[SYNC_MCAST_DGRAM_MAX];
	char			 buf[MCAST_ADDR_MAX];
	char			 src[INET6_ADDRSTRLEN];
	char			 more[40];
	size_t			 len;
	int			 i, n, saved;

	sync_mcast_ann_fill(m, &a);
	for (i = 0; i < m->nsocks; i++) {
		if (m->advhost[0] != '\0')
			a.advertise = m->advhost;
		else if (sync_mcast_source(&m->socks[i], src,
		    sizeof(src)) == 0)
			a.advertise = src;
		else {
			if (sync_mcast_log_ok(&m->rl_src, more,
			    sizeof(more))) {
				sync_mcast_addr_str((struct sockaddr *)
				    &m->socks[i].group, m->socks[i].grouplen,
				    buf, sizeof(buf), 1);
				log_warnx("mcast: no source address toward "
				    "%s, not announcing there; set advertise%s",
				    buf, more);
			}
			continue;
		}
		a.advertiselen = strlen(a.advertise);
		a.seq = m->seq = sync_mcast_seq_next(m->seq,
		    sync_mcast_boot_us());
		a.time = sync_mcast_wall_ms();
		if ((n = sync_mcast_encode(plain, sizeof(plain), &a)) == -1)
			fatalx("sync_mcast_announce_now: encode");
		len = sync_dgram_seal(sync_master_key(m->bi->sync), plain,
		    (size_t)n, out);
		if (sendto(m->socks[i].fd, out, len, 0,
		    (struct sockaddr *)&m->socks[i].group,
		    m->socks[i].grouplen) == -1) {
			saved = errno;
			if (!sync_mcast_log_ok(&m->rl_send, more,
			    sizeof(more)))
				continue;
			sync_mcast_addr_str((struct sockaddr *)
			    &m->socks[i].group, m->socks[i].grouplen, buf,
			    sizeof(buf), 1);
			log_warnx("mcast: send to %s failed: %s%s", buf,
			    strerror(saved), more);
		}
	}
	m->last_sent = sync_mcast_now();
	sodium_memzero(plain, sizeof(plain));
}

/* Arm the announcement timer for about ms milliseconds from now. */
static void
sync_mcast_announce_arm(struct sync_mcast *m, unsigned int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(m->announce, &tv);
}

/* The next period: interval, jittered by +-25%. */
static unsigned int
sync_mcast_period_ms(struct sync_mcast *m)
{
	unsigned int	 ms = m->interval * 1000;

	return ms * 3 / 4 + (unsigned int)randombytes_uniform(ms / 2 + 1);
}

/* Announce, then wait a jittered interval. */
static void
sync_mcast_announce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_mcast	*m = arg;

	sync_mcast_announce_now(m);
	sync_mcast_announce_arm(m, sync_mcast_period_ms(m));
}

/* An origin by name. */
static struct sync_mcast_origin *
sync_mcast_origin_find(struct sync_mcast *m, const char *name, size_t len)
{
	struct sync_mcast_origin	*o;

	TAILQ_FOREACH(o, &m->origins, entry)
		if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

/* Withdraw the peer an origin stood for, unless another origin has it. */
static void
sync_mcast_origin_withdraw(struct sync_mcast *m, struct sync_mcast_origin *o)
{
	struct sync_mcast_origin	*x;

	TAILQ_FOREACH(x, &m->origins, entry)
		if (x != o && x->port == o->port &&
		    strcmp(x->peer, o->peer) == 0)
			return;
	sync_peer_gone(m->bi, o->peer, o->port);
}

/* An origin announced itself at peer:port. */
static void
sync_mcast_origin_heard(struct sync_mcast *m, const struct sync_mcast_ann *a,
    const char *peer, const char *from)
{
	struct sync_mcast_origin	*o;
	char				 more[40];
	time_t				 now = sync_mcast_now();

	if ((o = sync_mcast_origin_find(m, a->origin, a->originlen)) == NULL) {
		if (m->norigins >= MCAST_ORIGINS_MAX) {
			if (sync_mcast_log_ok(&m->rl_full, more, sizeof(more)))
				log_warnx("mcast: origin table full, ignoring "
				    "new origins%s", more);
			return;
		}
		o = xcalloc(1, sizeof(*o));
		memcpy(o->name, a->origin, a->originlen);
		o->name[a->originlen] = '\0';
		snprintf(o->peer, sizeof(o->peer), "%s", peer);
		o->port = a->port;
		TAILQ_INSERT_TAIL(&m->origins, o, entry);
		m->norigins++;
		log_info("mcast: origin heard host=%s peer=%s port=%u from=%s",
		    o->name, o->peer, o->port, from);
		/* Let it hear us soon rather than after a whole interval. */
		if (now - m->last_sent >= 1)
			sync_mcast_announce_arm(m, (unsigned int)
			    randombytes_uniform(MCAST_REPLY_MS + 1));
	} else if (o->port != a->port || strcmp(o->peer, peer) != 0) {
		log_info("mcast: origin moved host=%s peer=%s port=%u "
		    "old=%s:%u", o->name, peer, (unsigned int)a->port, o->peer,
		    o->port);
		sync_mcast_origin_withdraw(m, o);
		snprintf(o->peer, sizeof(o->peer), "%s", peer);
		o->port = a->port;
	}
	o->incarnation = a->incarnation;
	o->last = now;
	sync_peer_seen(m->bi, o->peer, o->port);
}

/*
 * The host to dial for an announcement: the address sealed in it; an
 * IPv6 link-local one gets the scope of the interface it arrived on.
 */
static void
sync_mcast_peer_host(const struct sync_mcast_ann *a,
    const struct sockaddr *sa, char *buf, size_t size)
{
	const struct sockaddr_in6	*sin6;
	struct in6_addr			 a6;
	char				 ifname[IF_NAMESIZE];
	size_t				 n;

	snprintf(buf, size, "%.*s", (int)a->advertiselen, a->advertise);
	if (sa->sa_family != AF_INET6)
		return;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	n = strlen(buf);
	if (sin6->sin6_scope_id != 0 && inet_pton(AF_INET6, buf, &a6) == 1 &&
	    IN6_IS_ADDR_LINKLOCAL(&a6) &&
	    if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
		snprintf(buf + n, size - n, "%%%s", ifname);
}

/* Handle one datagram from sa (the source only names it in logs). */
static void
sync_mcast_receive(struct sync_mcast *m, const uint8_t *buf, size_t len,
    const struct sockaddr *sa, socklen_t salen)
{
	struct sync		*s = m->bi->sync;
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_DGRAM_MAX];
	char			 from[MCAST_ADDR_MAX];
	char			 peer[SYNC_MCAST_HOST_MAX + 1];
	char			 host[SYNC_MCAST_HOST_MAX + 1];
	const char		*why, *me = sync_hostname(s);
	char			 more[40];
	long			 n;
	int			 fresh;

	sync_mcast_addr_str(sa, salen, from, sizeof(from), 1);
	if (len > SYNC_MCAST_DGRAM_MAX ||
	    (n = sync_dgram_open(sync_master_key(s), buf, len, plain)) < 0) {
		if (sync_mcast_log_ok(&m->rl_auth, more, sizeof(more)))
			log_warnx("mcast: dropped unauthenticated datagram "
			    "from %s%s", from, more);
		return;
	}
	if (sync_mcast_decode(plain, (size_t)n, &a, &why) == -1) {
		if (sync_mcast_log_ok(&m->rl_bad, more, sizeof(more)))
			log_warnx("mcast: dropped malformed announcement from "
			    "%s: %s%s", from, why, more);
		return;
	}
	if (a.originlen == strlen(me) && memcmp(a.origin, me, a.originlen) ==
	    0) {
		if (a.incarnation == sync_incarnation(s))
			return;		/* our own, looped back */
		if (sync_mcast_log_ok(&m->rl_self, more, sizeof(more)))
			log_warnx("mcast: %s announces our hostname %s: two "
			    "daemons with one hostname; set [sync] hostname%s",
			    from, me, more);
		return;
	}
	if ((fresh = sync_mcast_replay_check(m->replay, &a, sync_mcast_now(),
	    m->ttl)) != 1) {
		memcpy(host, a.origin, a.originlen);
		host[a.originlen] = '\0';
		/* A repeat may be a harmless duplicate; a stale one is not. */
		if (fresh == 0)
			log_debug("mcast: dropped replayed announcement host=%s "
			    "seq=%llu from=%s", host,
			    (unsigned long long)a.seq, from);
		else if (sync_mcast_log_ok(&m->rl_stale, more, sizeof(more)))
			log_warnx("mcast: dropped stale announcement of an "
			    "earlier incarnation host=%s incarnation=%016llx "
			    "from=%s (a replay, or two daemons named so)%s",
			    host, (unsigned long long)a.incarnation, from,
			    more);
		return;
	}
	sync_mcast_peer_host(&a, sa, peer, sizeof(peer));
	sync_mcast_origin_heard(m, &a, peer, from);
}

/* Datagrams are waiting on a group socket. */
static void
sync_mcast_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_mcast	*m = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uint8_t			 buf[SYNC_MCAST_DGRAM_MAX + 1];
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
		sync_mcast_receive(m, buf, (size_t)n, (struct sockaddr *)&ss,
		    sslen);
	}
}

/* Withdraw origins silent for ttl (their replay state stays). */
static void
sync_mcast_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_mcast		*m = arg;
	struct sync_mcast_origin	*o, *next;
	time_t				 now = sync_mcast_now();

	for (o = TAILQ_FIRST(&m->origins); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (now - o->last <= (time_t)m->ttl)
			continue;
		log_info("mcast: origin silent host=%s peer=%s port=%u ttl=%u",
		    o->name, o->peer, o->port, m->ttl);
		sync_mcast_origin_withdraw(m, o);
		TAILQ_REMOVE(&m->origins, o, entry);
		m->norigins--;
		free(o);
	}
}

/* Start reading a socket. */
static void
sync_mcast_sock_arm(struct sync_mcast *m, struct sync_mcast_sock *ms)
{
	ms->ev = event_new(sync_base(m->bi->sync), ms->fd,
	    EV_READ | EV_PERSIST, sync_mcast_read_cb, m);
	event_add(ms->ev, NULL);
}

/* Check the config, join the groups (so errors show at startup). */
static int
sync_mcast_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_mcast	*m;

	m = xcalloc(1, sizeof(*m));
	m->bi = bi;
	TAILQ_INIT(&m->origins);
	if (sync_mcast_conf(m, sc, cause) == -1)
		goto fail;
	if ((m->nsocks = sync_mcast_socks_open(m->socks, m->groups, m->port,
	    m->iface, m->hops, cause)) == -1) {
		m->nsocks = 0;
		goto fail;
	}
	m->replay = xcalloc(1, sizeof(*m->replay));
	sync_mcast_replay_init(m->replay);
	bi->data = m;
	return 0;
fail:
	free(m->groups);
	free(m->iface);
	free(m);
	return -1;
}

/* Read the sockets, announce now and every interval, expire origins. */
static void
sync_mcast_start(struct sync_backend_inst *bi)
{
	struct sync_mcast	*m = bi->data;
	struct event_base	*base = sync_base(bi->sync);
	struct timeval		 tv = { 1, 0 };
	char			 buf[MCAST_ADDR_MAX];
	int			 i;

	for (i = 0; i < m->nsocks; i++) {
		sync_mcast_sock_arm(m, &m->socks[i]);
		sync_mcast_addr_str((struct sockaddr *)&m->socks[i].group,
		    m->socks[i].grouplen, buf, sizeof(buf), 1);
		log_info("mcast: joined group=%s interface=%s ttl=%u", buf,
		    m->iface != NULL ? m->iface : "default", m->hops);
	}
	m->announce = evtimer_new(base, sync_mcast_announce_cb, m);
	m->expiry = event_new(base, -1, EV_PERSIST, sync_mcast_expiry_cb, m);
	event_add(m->expiry, &tv);
	m->started = 1;
	sync_mcast_announce_now(m);
	sync_mcast_announce_arm(m, sync_mcast_period_ms(m));
}

/* Whether the group, port or interface differ from the running ones. */
static int
sync_mcast_moved(const struct sync_mcast *m, const char *groups,
    unsigned int port, const char *iface)
{
	if (strcmp(groups, m->groups) != 0 || port != m->port)
		return 1;
	if (iface == NULL || m->iface == NULL)
		return iface != m->iface;
	return strcmp(iface, m->iface) != 0;
}

/*
 * Join the configured groups on new sockets and drop the old ones; 0 on
 * success, -1 with *cause (the old sockets stay).
 */
static int
sync_mcast_rejoin(struct sync_mcast *m, char **cause)
{
	struct sync_mcast_sock	 socks[MCAST_MAX_GROUPS];
	int			 i, n;

	n = sync_mcast_socks_open(socks, m->groups, m->port, m->iface,
	    m->hops, cause);
	if (n == -1)
		return -1;
	for (i = 0; i < m->nsocks; i++)
		sync_mcast_sock_close(&m->socks[i]);
	memcpy(m->socks, socks, sizeof(socks));
	m->nsocks = n;
	for (i = 0; i < m->nsocks && m->started; i++)
		sync_mcast_sock_arm(m, &m->socks[i]);
	log_info("mcast: re-joined group=%s port=%u interface=%s", m->groups,
	    m->port, m->iface != NULL ? m->iface : "default");
	return 0;
}

/*
 * A new [sync]: re-join if the group, port or interface changed (keeping
 * the old groups if the new ones cannot be joined), report again every
 * origin still alive, and announce at once.
 */
static int
sync_mcast_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_mcast		*m = bi->data;
	struct sync_mcast_origin	*o;
	char				*groups, *iface, *err = NULL;
	unsigned int			 port, hops;
	int				 i, joined = 0;

	/* Keep the running values until the new ones are joined. */
	groups = m->groups;
	iface = m->iface;
	port = m->port;
	hops = m->hops;
	m->groups = m->iface = NULL;
	if (sync_mcast_conf(m, sc, cause) == -1) {
		free(m->groups);
		free(m->iface);
		m->groups = groups;
		m->iface = iface;
		return -1;
	}
	if (sync_mcast_moved(m, groups, port, iface)) {
		if (sync_mcast_rejoin(m, &err) == 0)
			joined = 1;
		else {
			log_warnx("%s; keeping group=%s port=%u", err, groups,
			    port);
			free(err);
			err = NULL;
			free(m->groups);
			free(m->iface);
			m->groups = groups;
			m->iface = iface;
			m->port = port;
			groups = iface = NULL;
		}
	}
	free(groups);
	free(iface);
	if (!joined && hops != m->hops) {
		for (i = 0; i < m->nsocks; i++) {
			if (sync_mcast_sock_sendopts(&m->socks[i], m->hops,
			    &err) == -1) {
				log_warnx("%s", err);
				free(err);
				err = NULL;
			}
		}
	}
	TAILQ_FOREACH(o, &m->origins, entry)
		sync_peer_seen(bi, o->peer, o->port);
	if (m->started) {
		sync_mcast_announce_now(m);
		sync_mcast_announce_arm(m, sync_mcast_period_ms(m));
	}
	return 0;
}

/* Leave the groups, close, free; the core withdraws our peers. */
static void
sync_mcast_free(struct sync_backend_inst *bi)
{
	struct sync_mcast		*m = bi->data;
	struct sync_mcast_origin	*o;
	int				 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nsocks; i++)
		sync_mcast_sock_close(&m->socks[i]);
	if (m->announce != NULL)
		event_free(m->announce);
	if (m->expiry != NULL)
		event_free(m->expiry);
	while ((o = TAILQ_FIRST(&m->origins)) != NULL) {
		TAILQ_REMOVE(&m->origins, o, entry);
		free(o);
	}
	free(m->replay);
	free(m->groups);
	free(m->iface);
	free(m);
	bi->data = NULL;
}

const struct sync_backend sync_backend_mcast = {
	"mcast",
	sync_mcast_init,
	sync_mcast_start,
	sync_mcast_reload,
	sync_mcast_free,
	NULL,			/* local_changed: peers only, no store */
};
