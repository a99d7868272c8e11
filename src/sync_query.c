/*
 * The cluster queries conn.c answers: CLUSTER (every node known), RESOLVE
 * (name@host) and PEERS (the peers and their streams).
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "addr.h"
#include "epmdx.h"
#include "proto.h"
#include "registry.h"
#include "sync_int.h"

/* This host's name in the cluster table: sync's, or the short hostname. */
void
sync_local_host(struct server *srv, char *buf, size_t size)
{
	if (srv->sync != NULL)
		snprintf(buf, size, "%s", srv->sync->hostname);
	else if (addr_short_hostname(buf, size) == -1)
		snprintf(buf, size, "localhost");
}

/*
 * fn for every node of the cluster table, local first: its host, the
 * address that host is reached at, its age in seconds, the origin's
 * address as CLUSTER shows it ("local" for ours).
 */
void
sync_cluster_foreach(struct server *srv, sync_node_fn *fn, void *arg)
{
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	struct node		*n;
	char			 host[SYNC_HOST_MAX + 1];
	char			 addr[SYNC_HOST_MAX + 8];
	time_t			 now = mono_now();

	sync_local_host(srv, host, sizeof(host));
	for (n = registry_first(srv->reg); n != NULL; n = registry_next(n))
		fn(arg, n, host, SYNC_LOCAL_ADDR, 0, "local");
	if (s == NULL)
		return;
	TAILQ_FOREACH(o, &s->origins, entry) {
		sync_origin_address(o, addr, sizeof(addr));
		for (n = registry_first(o->table); n != NULL;
		    n = registry_next(n))
			fn(arg, n, o->host, addr, (long)(now - o->last_heard),
			    o->addr);
	}
}

/*
 * One cluster line: name, host, port, high, low, age, origin address.
 * The name is escaped (proto_escape_name()) so that a name (stock
 * registers any UTF-8, newlines and tabs included) is one field.
 */
static void
sync_cluster_line(void *arg, const struct node *n, const char *host,
    const char *addr, long age, const char *from)
{
	struct evbuffer	*out = arg;
	char		 name[PROTO_ESCAPED_MAX(PROTO_MAXSYMLEN)];

	if (proto_escape_name(name, sizeof(name), n->name, n->namelen) < 0)
		return;
	evbuffer_add_printf(out, "%s\t%s\t%u\t%u\t%u\t%ld\t%s\n", name,
	    host, n->port, n->high, n->low, age, from);
}

/* CLUSTER: every node known, local first, tab-separated lines. */
void
sync_cluster_dump(struct server *srv, struct evbuffer *out)
{
	sync_cluster_foreach(srv, sync_cluster_line, out);
}

/*
 * RESOLVE: name@host from the cluster table, and into addr the address
 * of the host it runs on.
 */
const struct node *
sync_resolve(struct server *srv, const uint8_t *name, size_t namelen,
    const char *host, char *addr, size_t addrsize)
{
	struct sync		*s = srv->sync;
	struct sync_origin	*o;
	char			 me[SYNC_HOST_MAX + 1];

	if (s != NULL)
		snprintf(me, sizeof(me), "%s", s->hostname);
	else if (addr_short_hostname(me, sizeof(me)) == -1)
		me[0] = '\0';
	if (strcmp(host, me) == 0 || strcmp(host, "localhost") == 0) {
		snprintf(addr, addrsize, "%s", SYNC_LOCAL_ADDR);
		return registry_lookup(srv->reg, name, namelen);
	}
	if (s == NULL || (o = sync_origin_find(s, host)) == NULL)
		return NULL;
	sync_origin_address(o, addr, addrsize);
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
	time_t			 now = mono_now();
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
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->peers != NULL)
			s->insts[i].backend->peers(&s->insts[i], out);
}
