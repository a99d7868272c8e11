/*
 * Remote origins: their tables, the merge of what their streams carry
 * (snapshots, deltas, versions, incarnations), the caps on what they may
 * make us hold, and expiry.  Only this file writes remote entries.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

/*
 * Where origin o's host is reached, as peers reach it: its advertised (or
 * seen) address without the port, or "-" when unknown (a fed origin).
 */
void
sync_origin_address(const struct sync_origin *o, char *buf, size_t size)
{
	const char	*colon;
	size_t		 len;

	if (o->addr[0] == '[' && (colon = strchr(o->addr, ']')) != NULL) {
		len = (size_t)(colon - o->addr) - 1;
		snprintf(buf, size, "%.*s", (int)len, o->addr + 1);
	} else if ((colon = strrchr(o->addr, ':')) != NULL &&
	    colon != o->addr) {
		len = (size_t)(colon - o->addr);
		snprintf(buf, size, "%.*s", (int)len, o->addr);
	} else
		snprintf(buf, size, "-");
}

/* Whether anyone hears of remote changes (a WATCH subscriber). */
static int
sync_origin_heard(const struct sync *s)
{
	return s->srv != NULL && s->srv->remote_changed != NULL &&
	    s->srv->nwatchers > 0;
}

/* Tell the server (its WATCH subscribers) a remote entry came or went. */
static void
sync_origin_tell(struct sync *s, const struct sync_origin *o,
    const struct node *n, int up)
{
	char	 addr[SYNC_HOST_MAX + 8];

	if (!sync_origin_heard(s))
		return;
	sync_origin_address(o, addr, sizeof(addr));
	s->srv->remote_changed(s->srv, n, o->host, addr, up);
}

/* Whether two entries of one name carry the same fields. */
static int
sync_origin_same(const struct node *a, const struct node *b)
{
	return a->port == b->port && a->type == b->type &&
	    a->proto == b->proto && a->high == b->high && a->low == b->low &&
	    a->extralen == b->extralen && (a->extralen == 0 ||
	    memcmp(a->extra, b->extra, a->extralen) == 0);
}

/*
 * Origin o's table becomes fresh (a snapshot, a store's feed): tell what
 * went and what came or changed; after a restart, every entry went.
 */
static void
sync_origin_replace(struct sync *s, struct sync_origin *o,
    struct registry *fresh, int restarted)
{
	struct registry	*old = o->table;
	struct node	*n, *m;

	s->nremote -= registry_count(old);
	o->table = fresh;
	if (!sync_origin_heard(s)) {	/* no one to tell: no diff */
		registry_free(old);
		return;
	}
	for (n = registry_first(old); n != NULL; n = registry_next(n))
		if (restarted || registry_lookup(fresh, n->name,
		    n->namelen) == NULL)
			sync_origin_tell(s, o, n, 0);
	for (n = registry_first(fresh); n != NULL; n = registry_next(n))
		if (restarted || (m = registry_lookup(old, n->name,
		    n->namelen)) == NULL || !sync_origin_same(n, m))
			sync_origin_tell(s, o, n, 1);
	registry_free(old);
}

/* Drop the snapshot a stream was staging, giving its room back. */
void
sync_origin_staging_drop(struct sync_session *sess)
{
	if (sess->staging == NULL)
		return;
	sess->sync->nremote -= registry_count(sess->staging);
	registry_free(sess->staging);
	sess->staging = NULL;
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

/* Drop an origin and its entries; its streams close at their next frame. */
void
sync_origin_free(struct sync *s, struct sync_origin *o, const char *why)
{
	struct sync_session	*sess, *next;
	struct node		*n;

	if (why != NULL)
		log_info("sync: origin gone host=%s entries=%zu reason=\"%s\"",
		    o->host, o->table != NULL ? registry_count(o->table) : 0,
		    why);
	for (sess = TAILQ_FIRST(&s->inbound); sess != NULL; sess = next) {
		next = TAILQ_NEXT(sess, entry);
		if (sess->origin == o)
			sess->origin = NULL;
	}
	if (s->restoring == o)
		s->restoring = NULL;
	TAILQ_REMOVE(&s->origins, o, entry);
	s->norigins--;
	if (o->table != NULL) {
		for (n = registry_first(o->table); n != NULL;
		    n = registry_next(n))
			sync_origin_tell(s, o, n, 0);
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
	o->last_heard = mono_now();
	TAILQ_INSERT_TAIL(&s->origins, o, entry);
	s->norigins++;
	return o;
}

/* A store backend feeds an origin's whole table. */
void
sync_origin_feed(struct sync_backend_inst *bi, const char *host,
    const char *addr, uint64_t incarnation, uint64_t version, const struct proto_node *nodes,
    size_t n)
{
	struct sync		*s = bi->sync;
	struct sync_origin	*o;
	struct registry		*fresh;
	size_t			 i;
	int			 restarted;

	if (strcmp(host, s->hostname) == 0)
		return;			/* never our own */
	if ((o = sync_origin_find(s, host)) == NULL) {
		if ((o = sync_origin_new(s, host, bi->backend->name)) == NULL)
			return;
		log_info("sync: origin fed host=%s backend=%s", host,
		    bi->backend->name);
	}
	snprintf(o->addr, sizeof(o->addr), "%s", addr != NULL ? addr :
	    bi->backend->name);
	/* Staged apart (the old table's room is its room), then swapped. */
	fresh = registry_new(0);
	for (i = 0; i < n; i++)
		sync_origin_take(s, o, fresh, &nodes[i],
		    nodes[i].extralen > PROTO_MAXSYMLEN ? "extra too long" :
		    !proto_name_ok(nodes[i].name, nodes[i].namelen) ?
		    "bad node name" : NULL);
	restarted = o->synced && o->incarnation != incarnation;
	sync_origin_replace(s, o, fresh, restarted);
	o->incarnation = incarnation;
	o->version = version;
	o->synced = 1;
	o->last_heard = mono_now();
}

/* A store backend still holds an origin, unchanged. */
void
sync_origin_touch(struct sync_backend_inst *bi, const char *host)
{
	struct sync_origin	*o;

	if ((o = sync_origin_find(bi->sync, host)) != NULL)
		o->last_heard = mono_now();
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
	sync_send_msg(sess, &m);
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
sync_origin_take(struct sync *s, struct sync_origin *o, struct registry *t,
    const struct proto_node *n, const char *reject)
{
	struct node	*old, *added;
	size_t		 others;
	char		 name[65];

	if (reject == NULL &&
	    (old = registry_lookup(t, n->name, n->namelen)) != NULL) {
		registry_forget(t, old);
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
	added = registry_add(t, n, 0, -1, NULL);
	s->nremote++;
	if (t == o->table && added != NULL)
		sync_origin_tell(s, o, added, 1);
}

/* Merge one message from an origin's stream; -1 closes it. */
int
sync_origin_message(struct sync_session *sess, const struct sync_msg *m)
{
	struct sync_origin	*o = sess->origin;
	struct node		*n;
	int			 restarted;

	if (o == NULL)
		return -1;		/* the origin expired under us */
	o->last_heard = mono_now();
	switch (m->type) {
	case SYNC_MSG_SNAP_BEGIN:
		sync_origin_staging_drop(sess);
		sess->staging = registry_new(0);
		sess->snap_incarnation = m->incarnation;
		sess->snap_version = m->version;
		sess->snap_count = m->count;
		sess->snap_adds = 0;
		return 0;
	case SYNC_MSG_ADD:
		if (sess->staging != NULL) {
			sync_origin_take(sess->sync, o, sess->staging, &m->node,
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
			log_rate_warnx(&sess->sync->warn_rate, "sync: snapshot "
			    "from %s has %u entries, %u announced: ignored",
			    o->host, sess->snap_adds, sess->snap_count);
			sync_origin_staging_drop(sess);
			sess->resync_asked = 0;
			sync_ask_resync(sess);
			return 0;
		}
		restarted = o->synced &&
		    o->incarnation != sess->snap_incarnation;
		if (restarted)
			log_info("sync: origin restarted host=%s", o->host);
		sync_origin_replace(sess->sync, o, sess->staging, restarted);
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
		sync_origin_take(sess->sync, o, o->table, &m->node, m->reject);
	else if (m->reject == NULL && (n = registry_lookup(o->table,
	    m->node.name, m->node.namelen)) != NULL) {
		sync_origin_tell(sess->sync, o, n, 0);
		registry_forget(o->table, n);
		sess->sync->nremote--;
	}
	o->version = m->version;
	return 0;
}

/*
 * Origins silent for ttl are gone, with the peers only they taught us and
 * every stream to and from them: a hung daemon, whose TCP stack still
 * answers, is thus dropped both ways (our dialled stream to it would
 * otherwise stay open, its output acknowledged by the kernel).  A live
 * peer is dialled again at once and its new stream starts afresh.
 */
void
sync_origin_expire(struct sync *s)
{
	struct sync_origin	*o, *next;
	struct sync_peer	*p, *pnext;
	struct sync_session	*sess, *snext;
	time_t			 now = mono_now();

	for (o = TAILQ_FIRST(&s->origins); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (now - o->last_heard <= (time_t)s->ttl)
			continue;
		s->stats.expired++;
		for (p = TAILQ_FIRST(&s->peers); p != NULL; p = pnext) {
			pnext = TAILQ_NEXT(p, entry);
			if (strcmp(p->origin, o->host) != 0)
				continue;
			if (p->sources == SYNC_SRC_LEARNED)
				sync_peer_free(p, "origin expired");
			else if (p->sess != NULL &&
			    p->sess->state == SESS_ESTABLISHED)
				sync_session_end(p->sess, SESS_TIMEOUT,
				    "origin expired");
		}
		for (sess = TAILQ_FIRST(&s->inbound); sess != NULL;
		    sess = snext) {
			snext = TAILQ_NEXT(sess, entry);
			if (sess->origin == o)
				sync_session_end(sess, SESS_TIMEOUT,
				    "origin expired");
		}
		sync_origin_free(s, o, "not heard within ttl");
	}
}
