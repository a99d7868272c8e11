/*
 * Peer sync core: our origin (host name, incarnation, version), the
 * remote origins and their tables, the merge rules, expiry, the peer set
 * the backends feed, and the cluster queries.  Only this file writes
 * remote entries.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "addr.h"
#include "config.h"
#include "epmdx.h"
#include "log.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

static const struct sync_backend *const sync_backends[] = {
	&sync_backend_static,
	&sync_backend_hosts,
	&sync_backend_dns,
	&sync_backend_mcast,
};
#define SYNC_NBACKENDS	(sizeof(sync_backends) / sizeof(sync_backends[0]))

static int	sync_core_hello(struct sync_session *, const struct sync_msg *);
static int	sync_core_message(struct sync_session *,
		    const struct sync_msg *);
static void	sync_core_resync(struct sync_session *);
static void	sync_core_session_gone(struct sync_session *);

/* What streams deliver to the core. */
static const struct sync_session_cb sync_core_cb = {
	sync_core_hello,
	sync_core_message,
	sync_core_resync,
	sync_core_session_gone,
};

static void	sync_heartbeat_cb(evutil_socket_t, short, void *);
static void	sync_expiry_cb(evutil_socket_t, short, void *);
static void	sync_retry_cb(evutil_socket_t, short, void *);
static void	sync_origin_free(struct sync *, struct sync_origin *,
		    const char *);
/* Accessors for backends. */
struct event_base *
sync_base(const struct sync *s)
{
	return s->base;
}

/* Our origin's host name. */
const char *
sync_hostname(const struct sync *s)
{
	return s->hostname;
}

/* Our incarnation, random per start. */
uint64_t
sync_incarnation(const struct sync *s)
{
	return s->incarnation;
}

/* The port peers listen on when a backend does not say. */
unsigned int
sync_default_port(const struct sync *s)
{
	return s->port;
}

/* The cluster key. */
const uint8_t *
sync_master_key(const struct sync *s)
{
	return s->master;
}

/* A backend by name. */
static const struct sync_backend *
sync_backend_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < SYNC_NBACKENDS; i++)
		if (strcmp(sync_backends[i]->name, name) == 0)
			return sync_backends[i];
	return NULL;
}

/* The host name our nodes carry: configured, else the short host name. */
static int
sync_set_hostname(struct sync *s, const struct sync_conf *sc, char **cause)
{
	char	 buf[SYNC_HOST_MAX + 1];

	if (sc->hostname != NULL)
		snprintf(buf, sizeof(buf), "%s", sc->hostname);
	else if (addr_short_hostname(buf, sizeof(buf)) == -1) {
		xasprintf(cause, "gethostname: %s", strerror(errno));
		return -1;
	}
	if (!sync_host_ok((const uint8_t *)buf, strlen(buf))) {
		xasprintf(cause, "hostname \"%s\" cannot name a sync origin: "
		    "letters, digits, '-', '.' and '_' only", buf);
		return -1;
	}
	snprintf(s->hostname, sizeof(s->hostname), "%s", buf);
	return 0;
}

/* Our advertise string for HELLO: configured, else ":port" (use source). */
static void
sync_set_advertise(struct sync *s, const struct sync_conf *sc)
{
	char		 host[SYNC_HOST_MAX + 1];
	unsigned int	 port;

	if (sc->advertise != NULL && config_hostport(sc->advertise, host,
	    sizeof(host), &port) == 0)
		addr_join(host, port != 0 ? port : s->port, s->advertise,
		    sizeof(s->advertise));
	else
		snprintf(s->advertise, sizeof(s->advertise), ":%u", s->port);
}

/*
 * Set up backend b in a free slot.  Slots never move: a backend keeps a
 * pointer to its instance (timers, sockets), and its peer source bit is
 * its slot's.  NULL with *cause on failure.
 */
static struct sync_backend_inst *
sync_backend_new(struct sync *s, const struct sync_backend *b,
    const struct sync_conf *sc, char **cause)
{
	struct sync_backend_inst	*bi;
	int				 i;

	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend == NULL)
			break;
	if (i == SYNC_MAX_BACKENDS) {
		xasprintf(cause, "sync: too many backends");
		return NULL;
	}
	bi = &s->insts[i];
	memset(bi, 0, sizeof(*bi));
	bi->backend = b;
	bi->sync = s;
	bi->bit = 1U << i;
	if (b->init(bi, sc, cause) == -1) {
		memset(bi, 0, sizeof(*bi));
		return NULL;
	}
	return bi;
}

/* Free backend bi and empty its slot. */
static void
sync_backend_free(struct sync_backend_inst *bi)
{
	bi->backend->free(bi);
	memset(bi, 0, sizeof(*bi));
}

/* The running instance of backend b, or NULL. */
static struct sync_backend_inst *
sync_backend_running(struct sync *s, const struct sync_backend *b)
{
	int	 i;

	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend == b)
			return &s->insts[i];
	return NULL;
}

/* Set up the backends named in the config (not started yet). */
static int
sync_backends_init(struct sync *s, const struct sync_conf *sc, char **cause)
{
	const struct sync_backend	*b;
	char				 copy[256], *p, *tok;

	snprintf(copy, sizeof(copy), "%s", sc->backends);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if ((b = sync_backend_find(tok)) == NULL) {
			xasprintf(cause, "sync: unknown backend \"%s\"", tok);
			return -1;
		}
		if (sync_backend_running(s, b) == NULL &&
		    sync_backend_new(s, b, sc, cause) == NULL)
			return -1;
	}
	return 0;
}

/* Start sync if the config enables it. */
int
sync_open(struct server *srv, char **cause)
{
	const struct sync_conf	*sc = &srv->conf.sync;
	struct sync		*s;
	struct timeval		 tv;
	int			 i;

	srv->sync = NULL;
	if (sc->backends == NULL)
		return 0;
	if (sc->secret_file == NULL) {
		xasprintf(cause, "sync: backends are set but no secret_file: "
		    "sync refuses to run unauthenticated");
		return -1;
	}
	if (sync_crypto_init() == -1) {
		xasprintf(cause, "sync: libsodium failed to start");
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->cb = &sync_core_cb;
	s->base = srv->base;
	s->port = sc->port != 0 ? sc->port : srv->names_port;
	s->ttl = sc->ttl;
	s->interval = sc->interval;
	s->lim.origin_entries = SYNC_MAX_ORIGIN_ENTRIES;
	s->lim.remote_entries = SYNC_MAX_REMOTE_ENTRIES;
	s->lim.origins = SYNC_MAX_ORIGINS;
	s->lim.learned = SYNC_MAX_LEARNED;
	s->warn_rate = (struct log_rate)LOG_RATE("sync: refused", 5, 1);
	TAILQ_INIT(&s->peers);
	TAILQ_INIT(&s->inbound);
	TAILQ_INIT(&s->origins);
	if (srv->restored && srv->sync_incarnation != 0) {
		/* An upgrade: the same origin goes on, peers see no restart. */
		s->incarnation = srv->sync_incarnation;
		s->version = srv->sync_version;
	} else
		sync_random(&s->incarnation, sizeof(s->incarnation));
	if (sync_secret_load(sc->secret_file, s->master, cause) == -1 ||
	    sync_set_hostname(s, sc, cause) == -1) {
		free(s);
		return -1;
	}
	sync_set_advertise(s, sc);
	if ((s->dns = evdns_base_new(s->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (s->dns = evdns_base_new(s->base, 0)) == NULL) {
		xasprintf(cause, "sync: cannot start the resolver");
		free(s);
		return -1;
	}
	srv->sync = s;
	if (sync_backends_init(s, sc, cause) == -1) {
		sync_close(srv);
		return -1;
	}
	s->heartbeat = event_new(s->base, -1, EV_PERSIST, sync_heartbeat_cb,
	    s);
	tv.tv_sec = s->interval;
	tv.tv_usec = 0;
	event_add(s->heartbeat, &tv);
	s->expiry = event_new(s->base, -1, EV_PERSIST, sync_expiry_cb, s);
	tv.tv_sec = 1;
	event_add(s->expiry, &tv);
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->start != NULL)
			s->insts[i].backend->start(&s->insts[i]);
	log_info("sync: started hostname=%s port=%u ttl=%u interval=%u "
	    "backends=\"%s\"", s->hostname, s->port, s->ttl, s->interval,
	    sc->backends);
	return 0;
}

/* Stop sync: backends, peers, streams, origins. */
void
sync_close(struct server *srv)
{
	struct sync		*s = srv->sync;
	struct sync_peer	*p;
	struct sync_session	*sess;
	struct sync_origin	*o;
	int			 i;

	if (s == NULL)
		return;
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL)
			sync_backend_free(&s->insts[i]);
	while ((p = TAILQ_FIRST(&s->peers)) != NULL)
		sync_peer_free(p, "sync stopping");
	while ((sess = TAILQ_FIRST(&s->inbound)) != NULL)
		sync_session_free(sess, "sync stopping");
	while ((o = TAILQ_FIRST(&s->origins)) != NULL)
		sync_origin_free(s, o, NULL);
	if (s->heartbeat != NULL)
		event_free(s->heartbeat);
	if (s->expiry != NULL)
		event_free(s->expiry);
	if (s->dns != NULL)
		evdns_base_free(s->dns, 1);
	sodium_memzero(s->master, sizeof(s->master));
	free(s);
	srv->sync = NULL;
}

/*
 * Apply a reloaded [sync]: sync turned on or off, backends kept (their
 * reload hook re-reports what they know), stopped or started.  Peers no
 * backend reports any more are dropped; remote origins stay and expire
 * by ttl like any other, so nothing still alive is lost.
 */
int
sync_reload(struct server *srv, char **cause)
{
	struct sync			*s = srv->sync;
	const struct sync_conf		*sc = &srv->conf.sync;
	struct sync_backend_inst	*bi;
	struct sync_peer		*p, *next;
	const struct sync_backend	*b;
	char				 copy[256], *lp, *tok;
	struct timeval			 tv;
	int				 i;

	if (s == NULL)
		return sync_open(srv, cause);
	if (sc->backends == NULL) {
		sync_close(srv);
		log_info("sync: stopped by reload");
		return 0;
	}
	if (sc->secret_file == NULL) {
		xasprintf(cause, "sync: backends are set but no secret_file");
		return -1;
	}
	if (sync_secret_load(sc->secret_file, s->master, cause) == -1)
		return -1;
	s->ttl = sc->ttl;
	s->interval = sc->interval;
	sync_set_advertise(s, sc);

	/* Every backend's reports are taken back, then made again. */
	TAILQ_FOREACH(p, &s->peers, entry)
		p->sources &= SYNC_SRC_LEARNED;
	for (i = 0; i < SYNC_MAX_BACKENDS; i++) {
		bi = &s->insts[i];
		if (bi->backend == NULL)
			continue;
		if (config_list_has(sc->backends, bi->backend->name) &&
		    bi->backend->reload != NULL &&
		    bi->backend->reload(bi, sc, cause) == 0)
			continue;
		if (*cause != NULL) {
			log_warnx("%s", *cause);
			free(*cause);
			*cause = NULL;
		}
		sync_backend_free(bi);
	}
	snprintf(copy, sizeof(copy), "%s", sc->backends);
	for (lp = copy; (tok = strsep(&lp, ", ")) != NULL;) {
		if (*tok == '\0' || (b = sync_backend_find(tok)) == NULL ||
		    sync_backend_running(s, b) != NULL)
			continue;
		if ((bi = sync_backend_new(s, b, sc, cause)) == NULL) {
			log_warnx("%s", *cause);
			free(*cause);
			*cause = NULL;
			continue;
		}
		if (b->start != NULL)
			b->start(bi);
	}
	for (p = TAILQ_FIRST(&s->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->sources == 0)
			sync_peer_free(p, "no longer configured");
	}
	/* A peer found to be us is asked again: addresses move. */
	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->self) {
			p->self = 0;
			if (p->sess == NULL)
				sync_session_dial(p);
		}
	tv.tv_sec = s->interval;
	tv.tv_usec = 0;
	event_add(s->heartbeat, &tv);
	log_info("sync: reloaded backends=\"%s\"", sc->backends);
	return 0;
}

/* A peer by host and port. */
struct sync_peer *
sync_peer_find(struct sync *s, const char *host, unsigned int port)
{
	struct sync_peer	*p;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->port == port && strcmp(p->host, host) == 0)
			return p;
	return NULL;
}

/* How many peers only a HELLO told us of. */
static unsigned int
sync_nlearned(struct sync *s)
{
	struct sync_peer	*p;
	unsigned int		 n = 0;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sources == SYNC_SRC_LEARNED)
			n++;
	return n;
}

/* Add a peer (or a source to one) and dial it. */
struct sync_peer *
sync_peer_add(struct sync *s, const char *host, unsigned int port,
    unsigned int source)
{
	struct sync_peer	*p;
	char			 buf[SYNC_HOST_MAX + 8];

	if (port == 0)
		port = s->port;
	if ((p = sync_peer_find(s, host, port)) != NULL) {
		p->sources |= source;
		return p;
	}
	if (strlen(host) > SYNC_HOST_MAX)
		return NULL;
	if (source == SYNC_SRC_LEARNED && sync_nlearned(s) >= s->lim.learned) {
		s->stats.refused_peers++;
		log_rate_warnx(&s->warn_rate, "sync: too many learned peers (%u), not "
		    "dialing %s port %u", s->lim.learned, host, port);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->sync = s;
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = port;
	p->sources = source;
	p->backoff = SYNC_BACKOFF_MIN;
	p->retry = evtimer_new(s->base, sync_retry_cb, p);
	p->ended = SESS_NEW;
	TAILQ_INSERT_TAIL(&s->peers, p, entry);
	log_info("sync: peer added peer=%s",
	    addr_join(host, port, buf, sizeof(buf)));
	sync_session_dial(p);
	return p;
}

/* Withdraw a peer: its stream and retry timer go. */
void
sync_peer_free(struct sync_peer *p, const char *reason)
{
	struct sync	*s = p->sync;
	char		 buf[SYNC_HOST_MAX + 8];

	log_info("sync: peer removed peer=%s reason=\"%s\"",
	    addr_join(p->host, p->port, buf, sizeof(buf)), reason);
	TAILQ_REMOVE(&s->peers, p, entry);
	if (p->sess != NULL) {
		p->sess->peer = NULL;
		sync_session_free(p->sess, reason);
	}
	if (p->retry != NULL)
		event_free(p->retry);
	free(p);
}

/* A backend reports a peer. */
void
sync_peer_seen(struct sync_backend_inst *bi, const char *host,
    unsigned int port)
{
	sync_peer_add(bi->sync, host, port, bi->bit);
}

/* A backend withdraws a peer; it goes when no source is left. */
void
sync_peer_gone(struct sync_backend_inst *bi, const char *host,
    unsigned int port)
{
	struct sync		*s = bi->sync;
	struct sync_peer	*p;

	if ((p = sync_peer_find(s, host, port != 0 ? port : s->port)) == NULL)
		return;
	p->sources &= ~bi->bit;
	if (p->sources == 0)
		sync_peer_free(p, bi->backend->name);
}

/* Retry a peer after its backoff. */
static void
sync_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_peer	*p = arg;

	if (p->sess == NULL && !p->self)
		sync_session_dial(p);
}

/* Drop the snapshot a stream was staging, giving its room back. */
static void
sync_staging_drop(struct sync_session *sess)
{
	if (sess->staging == NULL)
		return;
	sess->sync->nremote -= registry_count(sess->staging);
	registry_free(sess->staging);
	sess->staging = NULL;
}

/*
 * A stream ended: its staged snapshot goes; its peer, if it was dialled,
 * retries with backoff and jitter (at once after an established stream,
 * doubling after one that was not).
 */
static void
sync_core_session_gone(struct sync_session *sess)
{
	struct sync_peer	*p = sess->peer;
	struct timeval		 tv;
	unsigned int		 ms;
	int			 established;

	if (!sess->outbound) {
		sync_staging_drop(sess);
		return;
	}
	if (p == NULL || p->self)
		return;
	if ((established = p->backoff == 0))
		p->backoff = SYNC_BACKOFF_MIN;
	ms = p->backoff * 1000;
	ms = ms * 3 / 4 + (unsigned int)randombytes_uniform(ms / 2 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->retry, &tv);
	if (!established && p->backoff < SYNC_BACKOFF_MAX)
		p->backoff = p->backoff * 2 > SYNC_BACKOFF_MAX ?
		    SYNC_BACKOFF_MAX : p->backoff * 2;
}

/* A peer's status for `epmdxctl peers`: its stream's state, or the end. */
const char *
sync_peer_status(const struct sync_peer *p)
{
	if (p->self)
		return "self";
	return sync_session_state_name(p->sess != NULL ? p->sess->state :
	    p->ended);
}

/* An origin by host name. */
struct sync_origin *
sync_origin_find(struct sync *s, const char *host)
{
	struct sync_origin	*o;

	TAILQ_FOREACH(o, &s->origins, entry)
		if (strcmp(o->host, host) == 0)
			return o;
	return NULL;
}

/* Drop an origin and its entries; inbound streams from it close too. */
static void
sync_origin_free(struct sync *s, struct sync_origin *o, const char *why)
{
	struct sync_session	*sess, *next;

	if (why != NULL)
		log_info("sync: origin gone host=%s entries=%zu reason=\"%s\"",
		    o->host, o->table != NULL ? registry_count(o->table) : 0,
		    why);
	for (sess = TAILQ_FIRST(&s->inbound); sess != NULL; sess = next) {
		next = TAILQ_NEXT(sess, entry);
		if (sess->origin == o)
			sess->origin = NULL;
	}
	TAILQ_REMOVE(&s->origins, o, entry);
	s->norigins--;
	if (o->table != NULL) {
		s->nremote -= registry_count(o->table);
		registry_free(o->table);
	}
	free(o);
}

/*
 * A new remote origin, empty, or NULL (counted, logged) when host is no
 * host name or lim.origins are held already.
 */
struct sync_origin *
sync_origin_new(struct sync *s, const char *host, const char *addr)
{
	struct sync_origin	*o;

	if (!sync_host_ok((const uint8_t *)host, strlen(host)))
		return NULL;
	if (s->norigins >= s->lim.origins) {
		s->stats.refused_origins++;
		log_rate_warnx(&s->warn_rate, "sync: too many origins (%u), refusing "
		    "host=%s", s->lim.origins, host);
		return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	snprintf(o->host, sizeof(o->host), "%s", host);
	snprintf(o->addr, sizeof(o->addr), "%s", addr);
	o->table = registry_new(0);
	o->last_heard = sync_clock();
	TAILQ_INSERT_TAIL(&s->origins, o, entry);
	s->norigins++;
	return o;
}

/* The first frame of a stream: who is at the other end. */
static int
sync_core_hello(struct sync_session *sess, const struct sync_msg *m)
{
	struct sync		*s = sess->sync;
	struct sync_origin	*o;
	struct sync_peer	*p = sess->peer;
	char			 host[SYNC_HOST_MAX + 1];
	char			 adv[SYNC_HOST_MAX + 8], ahost[SYNC_HOST_MAX + 1];
	char			 shost[SYNC_HOST_MAX + 8], *colon;
	unsigned int		 aport;

	memcpy(host, m->origin, m->originlen);
	host[m->originlen] = '\0';
	if (strcmp(host, s->hostname) == 0) {
		if (m->incarnation == s->incarnation) {
			if (p != NULL)
				p->self = 1;
			return -1;
		}
		log_warnx("sync: peer=%s claims our own hostname %s: two "
		    "daemons with one hostname; set [sync] hostname",
		    sess->addr, host);
		return -1;
	}
	if (p != NULL) {
		snprintf(p->origin, sizeof(p->origin), "%s", host);
		p->last_ok = sync_clock();
		p->backoff = 0;		/* established */
		return 0;
	}

	/* Inbound: the origin whose entries this stream will carry. */
	if ((o = sync_origin_find(s, host)) == NULL) {
		if ((o = sync_origin_new(s, host, "")) == NULL)
			return -1;
		log_info("sync: origin heard host=%s peer=%s", host,
		    sess->addr);
	}
	o->last_heard = sync_clock();
	sess->origin = o;
	sess->incarnation = m->incarnation;

	/* Dial it back: its advertise, or our view of its address. */
	snprintf(adv, sizeof(adv), "%.*s", (int)m->advertiselen,
	    (const char *)m->advertise);
	if (adv[0] == ':') {
		snprintf(shost, sizeof(shost), "%s", sess->addr);
		if (shost[0] == '[') {
			memmove(shost, shost + 1, strlen(shost));
			if ((colon = strrchr(shost, ']')) != NULL)
				*colon = '\0';
		} else if ((colon = strrchr(shost, ':')) != NULL)
			*colon = '\0';
		if (strncmp(shost, "::ffff:", 7) == 0)
			memmove(shost, shost + 7, strlen(shost + 7) + 1);
		aport = (unsigned int)strtoul(adv + 1, NULL, 10);
		snprintf(ahost, sizeof(ahost), "%s", shost);
	} else if (config_hostport(adv, ahost, sizeof(ahost), &aport) == -1)
		return 0;
	if (aport == 0)
		aport = s->port;
	addr_join(ahost, aport, o->addr, sizeof(o->addr));
	if ((p = sync_peer_find(s, ahost, aport)) == NULL)
		p = sync_peer_add(s, ahost, aport, SYNC_SRC_LEARNED);
	else if (p->sess == NULL && !p->self &&
	    evtimer_pending(p->retry, NULL)) {
		/* It is back: no need to wait out the backoff. */
		evtimer_del(p->retry);
		p->backoff = SYNC_BACKOFF_MIN;
		sync_session_dial(p);
	}
	/* So it goes when the origin expires, even if never reached. */
	if (p != NULL && p->origin[0] == '\0')
		snprintf(p->origin, sizeof(p->origin), "%s", host);
	return 0;
}

/* A store backend feeds an origin's whole table. */
void
sync_origin_feed(struct sync_backend_inst *bi, const char *host,
    uint64_t incarnation, uint64_t version, const struct proto_node *nodes,
    size_t n)
{
	struct sync		*s = bi->sync;
	struct sync_origin	*o;
	struct registry		*old;
	size_t			 i;

	if (strcmp(host, s->hostname) == 0)
		return;			/* never our own */
	if ((o = sync_origin_find(s, host)) == NULL) {
		if ((o = sync_origin_new(s, host, bi->backend->name)) == NULL)
			return;
		log_info("sync: origin fed host=%s backend=%s", host,
		    bi->backend->name);
	}
	/* The old table goes first: the new one may take all its room. */
	old = o->table;
	s->nremote -= registry_count(old);
	o->table = registry_new(0);
	registry_free(old);
	for (i = 0; i < n; i++)
		sync_take(s, o, o->table, &nodes[i],
		    nodes[i].extralen > PROTO_MAXSYMLEN ? "extra too long" :
		    !proto_name_ok(nodes[i].name, nodes[i].namelen) ?
		    "bad node name" : NULL);
	o->incarnation = incarnation;
	o->version = version;
	o->synced = 1;
	o->last_heard = sync_clock();
}

/* A store backend says an origin is gone. */
void
sync_origin_gone(struct sync_backend_inst *bi, const char *host)
{
	struct sync_origin	*o;

	if ((o = sync_origin_find(bi->sync, host)) != NULL)
		sync_origin_free(bi->sync, o, bi->backend->name);
}

/* Ask the sender for a snapshot, once until it arrives. */
static void
sync_ask_resync(struct sync_session *sess)
{
	struct sync_msg	 m;

	if (sess->resync_asked)
		return;
	sess->resync_asked = 1;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_RESYNC;
	sync_session_send(sess, &m);
}

/* Up to size - 1 bytes of name, bytes that are not printable ASCII as '?'. */
static void
sync_printable(char *buf, size_t size, const uint8_t *name, size_t len)
{
	size_t	 i;

	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++)
		buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? (char)name[i] :
		    '?';
	buf[len] = '\0';
}

/*
 * Put entry n into t, origin o's table or a snapshot of it being staged,
 * replacing a same-named one; or skip it, counted in o and logged, when
 * reject says why it cannot be held or a cap is reached.  A staged
 * snapshot replaces o's table, so that table's room is its room too.
 */
void
sync_take(struct sync *s, struct sync_origin *o, struct registry *t,
    const struct proto_node *n, const char *reject)
{
	struct node	*old;
	size_t		 others;
	char		 name[65];

	if (reject == NULL &&
	    (old = registry_lookup(t, n->name, n->namelen)) != NULL) {
		registry_delete(t, old);
		s->nremote--;
	}
	others = s->nremote;
	if (t != o->table && others >= registry_count(o->table))
		others -= registry_count(o->table);
	if (reject == NULL && registry_count(t) >= s->lim.origin_entries)
		reject = "origin holds the most entries allowed";
	else if (reject == NULL && others >= s->lim.remote_entries)
		reject = "remote entries at their cap";
	if (reject != NULL) {
		o->rejected++;
		s->stats.rejected_entries++;
		sync_printable(name, sizeof(name), n->name, n->namelen);
		log_rate_warnx(&s->warn_rate, "sync: entry skipped origin=%s name=\"%s\" "
		    "reason=\"%s\"", o->host, name, reject);
		return;
	}
	registry_add(t, n, 0, -1, NULL);
	s->nremote++;
}

/* Merge one message from an origin's stream; -1 closes it. */
static int
sync_core_message(struct sync_session *sess, const struct sync_msg *m)
{
	struct sync_origin	*o = sess->origin;
	struct node		*n;

	if (o == NULL)
		return -1;		/* the origin expired under us */
	o->last_heard = sync_clock();
	switch (m->type) {
	case SYNC_MSG_SNAP_BEGIN:
		sync_staging_drop(sess);
		sess->staging = registry_new(0);
		sess->snap_incarnation = m->incarnation;
		sess->snap_version = m->version;
		sess->snap_count = m->count;
		sess->snap_adds = 0;
		return 0;
	case SYNC_MSG_ADD:
		if (sess->staging != NULL) {
			sync_take(sess->sync, o, sess->staging, &m->node,
			    m->reject);
			sess->snap_adds++;
			return 0;
		}
		break;
	case SYNC_MSG_SNAP_END:
		if (sess->staging == NULL)
			return -1;
		if (sess->snap_adds != sess->snap_count) {
			/* Not the table announced: keep the old, ask again. */
			log_warnx("sync: snapshot from %s has %u entries, %u "
			    "announced: ignored", o->host, sess->snap_adds,
			    sess->snap_count);
			sync_staging_drop(sess);
			sess->resync_asked = 0;
			sync_ask_resync(sess);
			return 0;
		}
		if (o->synced && o->incarnation != sess->snap_incarnation)
			log_info("sync: origin restarted host=%s", o->host);
		sess->sync->nremote -= registry_count(o->table);
		registry_free(o->table);
		o->table = sess->staging;
		sess->staging = NULL;
		o->incarnation = sess->snap_incarnation;
		o->version = sess->snap_version;
		o->synced = 1;
		sess->resync_asked = 0;
		log_debug("sync: origin synced host=%s entries=%zu version=%llu",
		    o->host, registry_count(o->table),
		    (unsigned long long)o->version);
		return 0;
	case SYNC_MSG_DEL:
		if (sess->staging != NULL)
			return -1;
		break;
	case SYNC_MSG_HEARTBEAT:
		if (!o->synced || m->incarnation != o->incarnation ||
		    m->version > o->version)
			sync_ask_resync(sess);
		return 0;
	default:
		return -1;
	}

	/* A delta: it applies only right after the version we hold. */
	if (!o->synced || sess->incarnation != o->incarnation) {
		sync_ask_resync(sess);
		return 0;
	}
	if (m->version <= o->version)
		return 0;		/* seen already, on another stream */
	if (m->version != o->version + 1) {
		sync_ask_resync(sess);
		return 0;
	}
	if (m->type == SYNC_MSG_ADD)
		sync_take(sess->sync, o, o->table, &m->node, m->reject);
	else if (m->reject == NULL && (n = registry_lookup(o->table,
	    m->node.name, m->node.namelen)) != NULL) {
		registry_delete(o->table, n);
		sess->sync->nremote--;
	}
	o->version = m->version;
	return 0;
}

/*
 * A receiver asks for a snapshot.  While the last one is still queued on
 * the stream it answers this too (deltas follow it in order), so nothing
 * more is queued: a RESYNC flood holds at most one snapshot.
 */
static void
sync_core_resync(struct sync_session *sess)
{
	struct sync	*s = sess->sync;
	uint64_t	 written;

	written = sess->queued - sync_session_pending(sess);
	if (sess->snap_end > written) {
		s->stats.resyncs_ignored++;
		return;
	}
	s->stats.resyncs++;
	sync_session_snapshot(sess);
}

/* A local registration came or went: push it to every open stream. */
void
sync_local_changed(struct server *srv, const struct node *n, int up)
{
	struct sync		*s = srv->sync;
	struct sync_peer	*p;
	struct sync_msg		 m;
	int			 i;

	if (s == NULL)
		return;
	s->version++;
	memset(&m, 0, sizeof(m));
	m.type = up ? SYNC_MSG_ADD : SYNC_MSG_DEL;
	m.version = s->version;
	registry_node_view(n, &m.node);
	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED)
			sync_session_send(p->sess, &m);
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->local_changed != NULL)
			s->insts[i].backend->local_changed(&s->insts[i], n, up);
}

/* Every interval: tell peers our version, so gaps get noticed. */
static void
sync_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync		*s = arg;
	struct sync_peer	*p;
	struct sync_msg		 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HEARTBEAT;
	m.incarnation = s->incarnation;
	m.version = s->version;
	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED)
			sync_session_send(p->sess, &m);
}

/* Every second: origins silent for ttl are gone, with their peers. */
static void
sync_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync		*s = arg;
	struct sync_origin	*o, *next;
	struct sync_peer	*p, *pnext;
	time_t			 now = sync_clock();

	for (o = TAILQ_FIRST(&s->origins); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (now - o->last_heard <= (time_t)s->ttl)
			continue;
		s->stats.expired++;
		for (p = TAILQ_FIRST(&s->peers); p != NULL; p = pnext) {
			pnext = TAILQ_NEXT(p, entry);
			if (p->sources == SYNC_SRC_LEARNED &&
			    strcmp(p->origin, o->host) == 0)
				sync_peer_free(p, "origin expired");
		}
		sync_origin_free(s, o, "not heard within ttl");
	}
}

/* An inbound stream opened on the EPMD port (conn.c). */
void
sync_accept(struct server *srv, int fd, const uint8_t *body, size_t len)
{
	if (srv->sync == NULL || len != PROTO_SYNC_OPEN_LEN) {
		close(fd);
		return;
	}
	sync_session_accept(srv->sync, fd, body);
}
