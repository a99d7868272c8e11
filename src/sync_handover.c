/*
 * Sync's part of an upgrade's handover: our origin's incarnation and
 * version, and every remote origin with its entries, as records
 * (handover.h) the old process writes and the new one restores.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "epmdx.h"
#include "handover.h"
#include "registry.h"
#include "sync_int.h"

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
    void (*put)(void *, const struct handover_rec *), void *arg)
{
	struct sync_origin	*o;
	struct node		*n;
	struct handover_rec		 r;
	time_t			 now = mono_now();

	if (srv->sync == NULL)
		return;
	TAILQ_FOREACH(o, &srv->sync->origins, entry) {
		if (!o->synced)
			continue;
		memset(&r, 0, sizeof(r));
		r.type = HANDOVER_ORIGIN;
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
			r.type = HANDOVER_ONODE;
			registry_node_view(n, &r.node);
			put(arg, &r);
		}
	}
}

/*
 * Put back a handed-over origin (ORIGIN) or one of its entries (ONODE),
 * under the same checks and caps as entries that come by sync.  ONODE
 * records go to the origin of the ORIGIN record before them.
 */
void
sync_handover_restore(struct server *srv, const struct handover_rec *r)
{
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	char			 host[SYNC_HOST_MAX + 1];
	char			 addr[SYNC_HOST_MAX + 8];

	if (s == NULL)
		return;
	if (r->type == HANDOVER_ONODE) {
		if (s->restoring != NULL)
			sync_origin_take(s, s->restoring, s->restoring->table,
			    &r->node, NULL);
		return;
	}
	s->restoring = NULL;
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
	o->last_heard = mono_now() - (time_t)r->age;
	s->restoring = o;
}
