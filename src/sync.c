/*
 * Peer sync core, its lifecycle: our origin (host name, incarnation,
 * version), the backend table, start, reload and stop, the timers, and
 * the pushes of local changes to the peers' streams.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>

#include <sodium.h>

#include "addr.h"
#include "config.h"
#include "config_value.h"
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
	&sync_backend_etcd,
};
#define SYNC_NBACKENDS	(sizeof(sync_backends) / sizeof(sync_backends[0]))

/* What streams deliver to the core. */
static const struct sync_session_cb sync_core_cb = {
	sync_peer_hello,
	sync_origin_message,
	sync_peer_resync,
	sync_peer_session_gone,
};

static void	sync_tick_arm(struct sync *);
static void	sync_tick_cb(evutil_socket_t, short, void *);
static void	sync_flush_cb(evutil_socket_t, short, void *);

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

/* The cluster name this daemon syncs in. */
const char *
sync_cluster_name(const struct sync *s)
{
	return s->cluster;
}

/* The cluster of a daemon, sync on or off (STATUS). */
const char *
sync_cluster(const struct server *srv)
{
	return srv->sync != NULL ? srv->sync->cluster :
	    config_sync_cluster(&srv->conf.sync);
}

/* The cluster key. */
const uint8_t *
sync_master_key(const struct sync *s)
{
	return s->master;
}

/*
 * How long a stream may send nothing before it carries a heartbeat: two
 * thirds of ttl, so a live origin is heard with a third of ttl to spare.
 */
static unsigned int
sync_heartbeat_period(unsigned int ttl)
{
	return ttl >= 3 ? ttl * 2 / 3 : 1;
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

/*
 * The master key: from secret_file; without one, only for the etcd
 * backend (etcd's TLS and accounts guard the store, and no stream is
 * dialled), a random key that no peer shares, so that any stream offered
 * to us fails to authenticate.
 */
static int
sync_secret(const struct sync_conf *sc, uint8_t *master, char **cause)
{
	if (sc->secret_file != NULL)
		return sync_secret_load(sc->secret_file, master, cause);
	if (!config_sync_needs_secret(sc)) {
		randombytes_buf(master, SYNC_KEY_BYTES);
		return 0;
	}
	xasprintf(cause, "sync: backends are set but no secret_file: "
	    "sync refuses to run unauthenticated");
	return -1;
}

/* A store backend's token across a restart of sync (sync.h). */
void
sync_store_leave(struct sync_backend_inst *bi, uint64_t token)
{
	bi->sync->srv->sync_store_left = token;
}

uint64_t
sync_store_take(struct sync_backend_inst *bi)
{
	uint64_t	 token = bi->sync->srv->sync_store_left;

	bi->sync->srv->sync_store_left = 0;
	return token;
}

/* Start sync if the config enables it. */
int
sync_open(struct server *srv, char **cause)
{
	const struct sync_conf	*sc = &srv->conf.sync;
	struct sync		*s;
	int			 i;

	srv->sync = NULL;
	if (sc->backends == NULL)
		return 0;
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
	s->heartbeat = sync_heartbeat_period(s->ttl);
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
	snprintf(s->cluster, sizeof(s->cluster), "%s",
	    config_sync_cluster(sc));
	if (sync_secret(sc, s->master, cause) == -1 ||
	    sync_set_hostname(s, sc, cause) == -1) {
		free(s);
		return -1;
	}
	sync_master_cluster(s->master, s->cluster);
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
	s->tick = evtimer_new(s->base, sync_tick_cb, s);
	sync_tick_arm(s);
	s->flush = event_new(s->base, -1, 0, sync_flush_cb, s);
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->start != NULL)
			s->insts[i].backend->start(&s->insts[i]);
	log_info("sync: started cluster=%s hostname=%s port=%u ttl=%u "
	    "interval=%u heartbeat=%u backends=\"%s\"", s->cluster,
	    s->hostname, s->port, s->ttl, s->interval, s->heartbeat,
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
	if (s->tick != NULL)
		event_free(s->tick);
	if (s->flush != NULL)
		event_free(s->flush);
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
	uint8_t				 master[SYNC_KEY_BYTES];
	int				 i;

	if (s == NULL)
		return sync_open(srv, cause);
	if (sc->backends == NULL) {
		sync_close(srv);
		log_info("sync: stopped by reload");
		return 0;
	}
	if (sync_secret(sc, master, cause) == -1)
		return -1;
	if (strcmp(s->cluster, config_sync_cluster(sc)) != 0) {
		/* Another cluster: nothing of this one may stay. */
		log_info("sync: cluster %s -> %s: restarting sync, every "
		    "stream and remote entry goes", s->cluster,
		    config_sync_cluster(sc));
		sodium_memzero(master, sizeof(master));
		srv->sync_incarnation = 0;	/* a new origin */
		sync_close(srv);
		return sync_open(srv, cause);
	}
	sync_master_cluster(master, s->cluster);
	memcpy(s->master, master, sizeof(master));
	sodium_memzero(master, sizeof(master));
	s->ttl = sc->ttl;
	s->interval = sc->interval;
	s->heartbeat = sync_heartbeat_period(s->ttl);
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
	log_info("sync: reloaded backends=\"%s\"", sc->backends);
	return 0;
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
			sync_send_msg(p->sess, &m);
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->local_changed != NULL)
			s->insts[i].backend->local_changed(&s->insts[i], n, up);
}

/*
 * Arm the tick for the next whole second of the wall clock.  Daemons so
 * tick together, and the heartbeats a daemon receives arrive together, to
 * be read in one wakeup rather than one each (timer coalescing).  Only
 * the phase comes from the wall clock: durations are counted in ticks and
 * on the monotonic clock, and a step of the wall clock shifts one tick.
 */
static void
sync_tick_arm(struct sync *s)
{
	struct timespec	 now;
	struct timeval	 tv;
	long		 us;

	clock_gettime(CLOCK_REALTIME, &now);
	us = 1000000 - now.tv_nsec / 1000;
	if (us < 100000)		/* fired early: the second after */
		us += 1000000;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(s->tick, &tv);
}

/*
 * The one timer, every second: origins silent for ttl go (with their
 * streams); then a stream that sent nothing for the heartbeat period
 * carries our version, so the peer hears we live and notices a gap.  Any
 * frame is a sign of life: a busy stream carries no heartbeat.
 */
static void
sync_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync		*s = arg;
	struct sync_peer	*p;
	struct sync_msg		 m;

	sync_tick_arm(s);
	s->ticks++;
	sync_origin_expire(s);
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HEARTBEAT;
	m.incarnation = s->incarnation;
	m.version = s->version;
	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED &&
		    s->ticks - p->sess->last_tx >= s->heartbeat)
			sync_send_msg(p->sess, &m);
}

/* The loop turn ends: the batches its changes filled go, a frame each. */
static void
sync_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	sync_send_flush_all(arg);
}

/* An inbound stream opened on the EPMD port (conn.c). */
void
sync_accept(struct server *srv, int fd, const uint8_t *body, size_t len)
{
	if (srv->sync == NULL || len < PROTO_SYNC_OPEN_LEN ||
	    len > PROTO_SYNC_OPEN_MAX) {
		close(fd);
		return;
	}
	sync_session_accept(srv->sync, fd, body, len);
}
