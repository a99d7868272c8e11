/*
 * Sync backend "mcast": sealed UDP announcements on a multicast group.
 * Every daemon announces its origin, incarnation and where to dial it
 * every interval (jittered) and once at start; a daemon that hears an
 * origin reports it to the core as a peer, at the address sealed in the
 * announcement (never the datagram's source), and withdraws it when the
 * origin has been silent for ttl.  Announcements are sealed with the
 * cluster key (sync_dgram_seal) and carry a sequence number and a time:
 * a forged one is dropped, a replayed or stale one too.  The codec and
 * the replay filter are in sync_mcast_msg.c, the sockets in mcast_sock.c.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "mcast_sock.h"
#include "sync.h"
#include "sync_crypto.h"
#include "sync_mcast_msg.h"
#include "xmalloc.h"

#define MCAST_ORIGINS_MAX	1024	/* origins tracked at once */
#define MCAST_LOG_EVERY		10	/* seconds between repeated warnings */
#define MCAST_RATE(what)	LOG_RATE((what), 1, MCAST_LOG_EVERY)
#define MCAST_REPLY_MS		250	/* answer a new origin within, ms */

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
	struct mcast_sock	 socks[MCAST_MAX_GROUPS];
	int			 nsocks;
	int			 started;
	struct event		*announce;
	struct event		*expiry;
	uint64_t		 seq;
	time_t			 last_sent;	/* monotonic */
	struct sync_mcast_replay *replay;
	TAILQ_HEAD(, sync_mcast_origin) origins;
	size_t			 norigins;
	struct log_rate		 rl_auth;
	struct log_rate		 rl_other;	/* another cluster's */
	struct log_rate		 rl_bad;
	struct log_rate		 rl_self;
	struct log_rate		 rl_full;
	struct log_rate		 rl_send;
	struct log_rate		 rl_src;
	struct log_rate		 rl_stale;
};

static void	sync_mcast_receive(void *, const uint8_t *, size_t,
		    const struct sockaddr *, socklen_t);

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
	m->hops = sc->mcast_hops != 0 ? sc->mcast_hops : 1;
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

/* Seal and send one announcement to every group. */
static void
sync_mcast_announce_now(struct sync_mcast *m)
{
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 out[SYNC_MCAST_DGRAM_MAX];
	char			 buf[MCAST_ADDR_MAX];
	char			 src[INET6_ADDRSTRLEN];
	size_t			 len;
	int			 i, n, saved;

	sync_mcast_ann_fill(m, &a);
	for (i = 0; i < m->nsocks; i++) {
		if (m->advhost[0] != '\0')
			a.advertise = m->advhost;
		else if (mcast_sock_source(&m->socks[i], src,
		    sizeof(src)) == 0)
			a.advertise = src;
		else {
			if (log_rate_ok(&m->rl_src)) {
				mcast_addr_text((struct sockaddr *)
				    &m->socks[i].group, m->socks[i].grouplen,
				    buf, sizeof(buf));
				log_warnx("mcast: no source address toward "
				    "%s, not announcing there; set advertise",
				    buf);
			}
			continue;
		}
		a.advertiselen = strlen(a.advertise);
		a.seq = m->seq = sync_mcast_seq_next(m->seq,
		    sync_mcast_boot_us());
		a.time = sync_mcast_wall_ms();
		if ((n = sync_mcast_encode(plain, sizeof(plain), &a)) == -1)
			fatalx("sync_mcast_announce_now: encode");
		len = sync_mcast_tag_encode(out,
		    sync_cluster_name(m->bi->sync));
		len += sync_dgram_seal(sync_master_key(m->bi->sync), plain,
		    (size_t)n, out + len);
		if (mcast_sock_send(&m->socks[i], out, len) == -1) {
			saved = errno;
			if (!log_rate_ok(&m->rl_send))
				continue;
			mcast_addr_text((struct sockaddr *)
			    &m->socks[i].group, m->socks[i].grouplen, buf,
			    sizeof(buf));
			log_warnx("mcast: send to %s failed: %s", buf,
			    strerror(saved));
		}
	}
	m->last_sent = mono_now();
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
	time_t				 now = mono_now();

	if ((o = sync_mcast_origin_find(m, a->origin, a->originlen)) == NULL) {
		if (m->norigins >= MCAST_ORIGINS_MAX) {
			log_rate_warnx(&m->rl_full, "mcast: origin table "
			    "full, ignoring new origins");
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

/* Handle one datagram from sa (the source only names it in logs). */
static void
sync_mcast_receive(void *arg, const uint8_t *buf, size_t len,
    const struct sockaddr *sa, socklen_t salen)
{
	struct sync_mcast	*m = arg;
	struct sync		*s = m->bi->sync;
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_DGRAM_MAX];
	char			 from[MCAST_ADDR_MAX];
	char			 peer[SYNC_MCAST_HOST_MAX + 1];
	char			 host[SYNC_MCAST_HOST_MAX + 1];
	char			 theirs[SYNC_MCAST_CLUSTER_MAX + 1];
	const char		*why, *me = sync_hostname(s);
	size_t			 t;
	long			 n;
	int			 fresh;

	mcast_addr_text(sa, salen, from, sizeof(from));
	t = sync_mcast_tag_decode(buf, len, theirs);
	if (strcmp(theirs, sync_cluster_name(s)) != 0) {
		if (log_rate_ok(&m->rl_other))	/* not an error: info */
			log_info("mcast: ignoring datagrams of cluster %s "
			    "from %s, ours is %s", theirs, from,
			    sync_cluster_name(s));
		return;
	}
	if (len > SYNC_MCAST_DGRAM_MAX || (n = sync_dgram_open(
	    sync_master_key(s), buf + t, len - t, plain)) < 0) {
		log_rate_warnx(&m->rl_auth, "mcast: dropped unauthenticated "
		    "datagram from %s", from);
		return;
	}
	if (sync_mcast_decode(plain, (size_t)n, &a, &why) == -1) {
		log_rate_warnx(&m->rl_bad, "mcast: dropped malformed "
		    "announcement from %s: %s", from, why);
		return;
	}
	if (a.originlen == strlen(me) && memcmp(a.origin, me, a.originlen) ==
	    0) {
		if (a.incarnation == sync_incarnation(s))
			return;		/* our own, looped back */
		log_rate_warnx(&m->rl_self, "mcast: %s announces our "
		    "hostname %s: two daemons with one hostname; set [sync] "
		    "hostname", from, me);
		return;
	}
	if ((fresh = sync_mcast_replay_check(m->replay, &a, mono_now(),
	    m->ttl)) != 1) {
		memcpy(host, a.origin, a.originlen);
		host[a.originlen] = '\0';
		/* A repeat may be a harmless duplicate; a stale one is not. */
		if (fresh == 0)
			log_debug("mcast: dropped replayed announcement "
			    "host=%s seq=%llu from=%s", host,
			    (unsigned long long)a.seq, from);
		else
			log_rate_warnx(&m->rl_stale, "mcast: dropped stale "
			    "announcement of an earlier incarnation host=%s "
			    "incarnation=%016llx from=%s (a replay, or two "
			    "daemons named so)", host,
			    (unsigned long long)a.incarnation, from);
		return;
	}
	/* The sealed address; a link-local one gets the arrival scope. */
	mcast_sock_scoped(a.advertise, a.advertiselen, sa, peer,
	    sizeof(peer));
	sync_mcast_origin_heard(m, &a, peer, from);
}

/* Withdraw origins silent for ttl (their replay state stays). */
static void
sync_mcast_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_mcast		*m = arg;
	struct sync_mcast_origin	*o, *next;
	time_t				 now = mono_now();

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

/* Check the config, join the groups (so errors show at startup). */
static int
sync_mcast_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_mcast	*m;

	m = xcalloc(1, sizeof(*m));
	m->bi = bi;
	TAILQ_INIT(&m->origins);
	m->rl_auth = (struct log_rate)MCAST_RATE("mcast: unauthenticated");
	m->rl_bad = (struct log_rate)MCAST_RATE("mcast: malformed");
	m->rl_other = (struct log_rate)MCAST_RATE("mcast: other cluster");
	m->rl_self = (struct log_rate)MCAST_RATE("mcast: our hostname");
	m->rl_full = (struct log_rate)MCAST_RATE("mcast: origin table full");
	m->rl_send = (struct log_rate)MCAST_RATE("mcast: send failed");
	m->rl_src = (struct log_rate)MCAST_RATE("mcast: no source address");
	m->rl_stale = (struct log_rate)MCAST_RATE("mcast: stale");
	if (sync_mcast_conf(m, sc, cause) == -1)
		goto fail;
	if ((m->nsocks = mcast_socks_open(m->socks, m->groups, m->port,
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
		mcast_sock_arm(&m->socks[i], sync_base(m->bi->sync),
		    sync_mcast_receive, m);
		mcast_addr_text((struct sockaddr *)&m->socks[i].group,
		    m->socks[i].grouplen, buf, sizeof(buf));
		log_info("mcast: joined group=%s interface=%s hops=%u", buf,
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
	struct mcast_sock	 socks[MCAST_MAX_GROUPS];
	int			 i, n;

	n = mcast_socks_open(socks, m->groups, m->port, m->iface,
	    m->hops, cause);
	if (n == -1)
		return -1;
	for (i = 0; i < m->nsocks; i++)
		mcast_sock_close(&m->socks[i]);
	memcpy(m->socks, socks, sizeof(socks));
	m->nsocks = n;
	for (i = 0; i < m->nsocks && m->started; i++)
		mcast_sock_arm(&m->socks[i], sync_base(m->bi->sync),
		    sync_mcast_receive, m);
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
			if (mcast_sock_sendopts(&m->socks[i], m->hops,
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
		mcast_sock_close(&m->socks[i]);
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
	NULL,			/* peers: the core lists them */
	NULL,			/* metrics */
};
