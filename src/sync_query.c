/*
 * What the rest of the daemon asks of sync: the cluster queries (CLUSTER,
 * RESOLVE, PEERS), the metrics, and the state an upgrade hands over.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "addr.h"
#include "epmdx.h"
#include "handover.h"
#include "log.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

/* One cluster line: name, host, port, high, low, age, origin address. */
static void
sync_cluster_line(struct evbuffer *out, const struct node *n,
    const char *host, long age, const char *from)
{
	evbuffer_add(out, n->name, n->namelen);
	evbuffer_add_printf(out, "\t%s\t%u\t%u\t%u\t%ld\t%s\n", host, n->port,
	    n->high, n->low, age, from);
}

/* CLUSTER: every node known, local first, tab-separated lines. */
void
sync_cluster_dump(struct server *srv, struct evbuffer *out)
{
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	struct node		*n;
	char			 host[SYNC_HOST_MAX + 1];
	time_t			 now = sync_clock();

	if (s != NULL)
		snprintf(host, sizeof(host), "%s", s->hostname);
	else if (addr_short_hostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	for (n = registry_first(srv->reg); n != NULL; n = registry_next(n))
		sync_cluster_line(out, n, host, 0, "local");
	if (s == NULL)
		return;
	TAILQ_FOREACH(o, &s->origins, entry)
		for (n = registry_first(o->table); n != NULL;
		    n = registry_next(n))
			sync_cluster_line(out, n, o->host,
			    (long)(now - o->last_heard), o->addr);
}

/* RESOLVE: name@host from the cluster table. */
const struct node *
sync_resolve(struct server *srv, const uint8_t *name, size_t namelen,
    const char *host)
{
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	char			 me[SYNC_HOST_MAX + 1];

	if (s != NULL)
		snprintf(me, sizeof(me), "%s", s->hostname);
	else if (addr_short_hostname(me, sizeof(me)) == -1)
		me[0] = '\0';
	if (strcmp(host, me) == 0 || strcmp(host, "localhost") == 0)
		return registry_lookup(srv->reg, name, namelen);
	if (s == NULL || (o = sync_origin_find(s, host)) == NULL)
		return NULL;
	return registry_lookup(o->table, name, namelen);
}

/*
 * PEERS: address, state, origin, last heard, entries, sources, and the
 * origin's entries this daemon could not take.
 */
void
sync_peers_dump(struct server *srv, struct evbuffer *out)
{
	struct sync		*s = srv->sync;
	struct sync_peer	*p;
	struct sync_origin	*o;
	char			 src[64], addr[SYNC_HOST_MAX + 8];
	time_t			 now = sync_clock();
	int			 i;

	if (s == NULL)
		return;
	TAILQ_FOREACH(p, &s->peers, entry) {
		src[0] = '\0';
		for (i = 0; i < SYNC_MAX_BACKENDS; i++)
			if (s->insts[i].backend != NULL &&
			    p->sources & s->insts[i].bit)
				snprintf(src + strlen(src), sizeof(src) -
				    strlen(src), "%s%s", src[0] ? "," : "",
				    s->insts[i].backend->name);
		if (p->sources & SYNC_SRC_LEARNED)
			snprintf(src + strlen(src), sizeof(src) - strlen(src),
			    "%slearned", src[0] ? "," : "");
		o = p->origin[0] != '\0' ? sync_origin_find(s, p->origin) :
		    NULL;
		evbuffer_add_printf(out, "%s\t%s\t%s\t%ld\t%zu\t%s\t%llu\n",
		    addr_join(p->host, p->port, addr, sizeof(addr)),
		    sync_peer_status(p), p->origin[0] ? p->origin : "-",
		    o != NULL ? (long)(now - o->last_heard) : -1L,
		    o != NULL ? registry_count(o->table) : (size_t)0, src,
		    o != NULL ? (unsigned long long)o->rejected : 0ULL);
	}
}

/* Our origin's incarnation and version, for the handover. */
void
sync_handover_origin(struct server *srv, uint64_t *incarnation,
    uint64_t *version)
{
	*incarnation = srv->sync != NULL ? srv->sync->incarnation : 0;
	*version = srv->sync != NULL ? srv->sync->version : 0;
}

/* Every remote origin as an ORIGIN record and its ONODE records. */
void
sync_handover_origins(struct server *srv,
    void (*put)(void *, const struct ho_rec *), void *arg)
{
	struct sync_origin	*o;
	struct node		*n;
	struct ho_rec		 r;
	time_t			 now = sync_clock();

	if (srv->sync == NULL)
		return;
	TAILQ_FOREACH(o, &srv->sync->origins, entry) {
		if (!o->synced)
			continue;
		memset(&r, 0, sizeof(r));
		r.type = HO_ORIGIN;
		r.host = (const uint8_t *)o->host;
		r.hostlen = strlen(o->host);
		r.addr = (const uint8_t *)o->addr;
		r.addrlen = strlen(o->addr);
		r.incarnation = o->incarnation;
		r.version = o->version;
		r.age = now > o->last_heard ? (int64_t)(now - o->last_heard) :
		    0;
		put(arg, &r);
		for (n = registry_first(o->table); n != NULL;
		    n = registry_next(n)) {
			memset(&r, 0, sizeof(r));
			r.type = HO_ONODE;
			registry_node_view(n, &r.node);
			put(arg, &r);
		}
	}
}

/*
 * Put back a handed-over origin (ORIGIN) or one of its entries (ONODE),
 * under the same checks and caps as entries that come by sync.
 */
void
sync_handover_restore(struct server *srv, const struct ho_rec *r)
{
	static struct sync_origin *last;
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	char			 host[SYNC_HOST_MAX + 1];
	char			 addr[SYNC_HOST_MAX + 8];

	if (s == NULL)
		return;
	if (r->type == HO_ONODE) {
		if (last != NULL)
			sync_origin_take(s, last, last->table, &r->node, NULL);
		return;
	}
	last = NULL;
	if (r->hostlen > SYNC_HOST_MAX ||
	    !sync_host_ok(r->host, r->hostlen) ||
	    !sync_addr_ok(r->addr, r->addrlen))
		return;
	snprintf(host, sizeof(host), "%.*s", (int)r->hostlen,
	    (const char *)r->host);
	snprintf(addr, sizeof(addr), "%.*s", (int)r->addrlen,
	    (const char *)r->addr);
	if (strcmp(host, s->hostname) == 0 ||
	    sync_origin_find(s, host) != NULL ||
	    (o = sync_origin_new(s, host, addr)) == NULL)
		return;
	o->incarnation = r->incarnation;
	o->version = r->version;
	o->synced = 1;
	o->last_heard = sync_clock() - (time_t)r->age;
	last = o;
}

/* One Prometheus family: HELP, TYPE, and a single sample. */
static void
sync_metric(struct evbuffer *out, const char *name, const char *type,
    const char *help, unsigned long long v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
	    name, help, name, type, name, v);
}

/* The sync layer's metrics. */
void
sync_metrics(struct server *srv, struct evbuffer *out)
{
	struct sync		*s = srv->sync;
	struct sync_peer	*p;
	struct sync_origin	*o;
	unsigned long long	 up = 0, npeers = 0, remote = 0, norigins = 0;

	if (s == NULL)
		return;
	TAILQ_FOREACH(p, &s->peers, entry) {
		npeers++;
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED)
			up++;
	}
	TAILQ_FOREACH(o, &s->origins, entry) {
		norigins++;
		remote += registry_count(o->table);
	}
	sync_metric(out, "epmdx_sync_peers", "gauge",
	    "Peers this daemon dials.", npeers);
	sync_metric(out, "epmdx_sync_peers_established", "gauge",
	    "Peers with an open, authenticated push stream.", up);
	sync_metric(out, "epmdx_sync_origins", "gauge",
	    "Remote daemons heard within ttl.", norigins);
	sync_metric(out, "epmdx_sync_remote_registrations", "gauge",
	    "Nodes known from remote daemons.", remote);
	sync_metric(out, "epmdx_sync_inbound_streams", "gauge",
	    "Accepted sync streams open now.", s->ninbound);
	sync_metric(out, "epmdx_sync_version", "gauge",
	    "This origin's version: local changes since start.", s->version);
	sync_metric(out, "epmdx_sync_frames_sent_total", "counter",
	    "Sealed frames sent.", s->stats.frames_out);
	sync_metric(out, "epmdx_sync_frames_received_total", "counter",
	    "Sealed frames received.", s->stats.frames_in);
	sync_metric(out, "epmdx_sync_bytes_sent_total", "counter",
	    "Bytes of sealed frames sent.", s->stats.bytes_out);
	sync_metric(out, "epmdx_sync_bytes_received_total", "counter",
	    "Bytes of sealed frames received.", s->stats.bytes_in);
	sync_metric(out, "epmdx_sync_auth_failures_total", "counter",
	    "Frames that failed authentication.", s->stats.auth_failures);
	sync_metric(out, "epmdx_sync_bad_frames_total", "counter",
	    "Malformed frames.", s->stats.bad_frames);
	sync_metric(out, "epmdx_sync_resyncs_total", "counter",
	    "Snapshots sent because a peer asked.", s->stats.resyncs);
	sync_metric(out, "epmdx_sync_expired_total", "counter",
	    "Origins dropped after ttl.", s->stats.expired);
	sync_metric(out, "epmdx_sync_rejected_entries_total", "counter",
	    "Remote entries skipped: a name the registry cannot hold, or a "
	    "cap reached.", s->stats.rejected_entries);
	sync_metric(out, "epmdx_sync_refused_origins_total", "counter",
	    "Remote origins refused: too many origins.",
	    s->stats.refused_origins);
	sync_metric(out, "epmdx_sync_refused_peers_total", "counter",
	    "Peers learned from a HELLO and not dialed: too many.",
	    s->stats.refused_peers);
	sync_metric(out, "epmdx_sync_resyncs_ignored_total", "counter",
	    "RESYNC requests answered by a snapshot already queued.",
	    s->stats.resyncs_ignored);
	sync_metric(out, "epmdx_sync_handshake_timeouts_total", "counter",
	    "Streams closed for want of an authenticated HELLO in time.",
	    s->stats.handshake_timeouts);
	sync_metric(out, "epmdx_sync_handshake_evictions_total", "counter",
	    "Unauthenticated accepted streams closed to make room.",
	    s->stats.handshake_evictions);
}
