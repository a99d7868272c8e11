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
#include "registry.h"
#include "sync_int.h"

/*
 * A node name as a CLUSTER field: control bytes, DEL and the backslash as
 * \xHH, so that a name (stock registers any UTF-8, newlines and tabs
 * included) is always one field of one line.
 */
static void
sync_cluster_name(struct evbuffer *out, const uint8_t *name, size_t len)
{
	size_t	 i, from = 0;

	for (i = 0; i < len; i++) {
		if (name[i] >= 0x20 && name[i] != 0x7f && name[i] != '\\')
			continue;
		evbuffer_add(out, name + from, i - from);
		evbuffer_add_printf(out, "\\x%02x", name[i]);
		from = i + 1;
	}
	evbuffer_add(out, name + from, len - from);
}

/* One cluster line: name, host, port, high, low, age, origin address. */
static void
sync_cluster_line(struct evbuffer *out, const struct node *n,
    const char *host, long age, const char *from)
{
	sync_cluster_name(out, n->name, n->namelen);
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
	time_t			 now = mono_now();

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
}
