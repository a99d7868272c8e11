/*
 * The etcd backend's view of the cluster: each remote origin's keys as
 * the range and the watch report them, grouped by host, and fed to the
 * sync core whole (sync_origin_feed) once a batch of events is applied.
 * Also the codec of a key's value.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sync.h"
#include "sync_etcd.h"
#include "sync_msg.h"
#include "wire.h"
#include "xmalloc.h"

/* One key: its node name, its value, when it was written. */
struct etcd_kv {
	uint8_t			*name;
	size_t			 namelen;
	uint8_t			*val;
	size_t			 vallen;
	uint64_t		 mod;
};

struct etcd_vorigin {
	TAILQ_ENTRY(etcd_vorigin) entry;
	char			*host;
	struct etcd_kv		*kvs;
	size_t			 n;
	size_t			 cap;
	int			 dirty;
};

struct etcd_view {
	TAILQ_HEAD(, etcd_vorigin) origins;
	size_t			 entries;
};

/* A local node's value. */
size_t
etcd_value_put(uint8_t *buf, size_t size, uint64_t incarnation,
    const char *advertise, const struct proto_node *n)
{
	struct wire_w	 w = { buf, size, 0 };

	wire_put_int(&w, ETCD_VALUE_MAGIC, 4);
	wire_put_int(&w, incarnation, 8);
	wire_put_str(&w, (const uint8_t *)advertise, strlen(advertise));
	wire_put_node(&w, n);
	return w.err ? 0 : size - w.left;
}

/* A value read back. */
int
etcd_value_get(const uint8_t *buf, size_t len, uint64_t *incarnation,
    char *advertise, size_t advsize, struct proto_node *n)
{
	struct wire_r	 r = { buf, len, 0 };
	const uint8_t	*adv;
	size_t		 advlen;

	if (wire_get_int(&r, 4) != ETCD_VALUE_MAGIC)
		return -1;
	*incarnation = wire_get_int(&r, 8);
	adv = wire_get_str(&r, &advlen);
	wire_get_node(&r, n);
	if (r.err || r.left != 0 || advlen >= advsize ||
	    memchr(adv, '\0', advlen) != NULL)
		return -1;
	memcpy(advertise, adv, advlen);
	advertise[advlen] = '\0';
	return 0;
}

struct etcd_view *
etcd_view_new(void)
{
	struct etcd_view	*v;

	v = xcalloc(1, sizeof(*v));
	TAILQ_INIT(&v->origins);
	return v;
}

/* Free one key's copies. */
static void
etcd_kv_clear(struct etcd_kv *kv)
{
	free(kv->name);
	free(kv->val);
}

/* Free an origin. */
static void
etcd_vorigin_free(struct etcd_view *v, struct etcd_vorigin *o)
{
	size_t	 i;

	TAILQ_REMOVE(&v->origins, o, entry);
	for (i = 0; i < o->n; i++)
		etcd_kv_clear(&o->kvs[i]);
	v->entries -= o->n;
	free(o->kvs);
	free(o->host);
	free(o);
}

void
etcd_view_free(struct etcd_view *v)
{
	struct etcd_vorigin	*o;

	if (v == NULL)
		return;
	while ((o = TAILQ_FIRST(&v->origins)) != NULL)
		etcd_vorigin_free(v, o);
	free(v);
}

/* An origin by host, made if create. */
static struct etcd_vorigin *
etcd_vorigin_find(struct etcd_view *v, const char *host, int create)
{
	struct etcd_vorigin	*o;

	TAILQ_FOREACH(o, &v->origins, entry)
		if (strcmp(o->host, host) == 0)
			return o;
	if (!create)
		return NULL;
	o = xcalloc(1, sizeof(*o));
	o->host = xstrdup(host);
	TAILQ_INSERT_TAIL(&v->origins, o, entry);
	return o;
}

/* The key of name in o, or NULL. */
static struct etcd_kv *
etcd_kv_find(struct etcd_vorigin *o, const uint8_t *name, size_t namelen)
{
	size_t	 i;

	for (i = 0; i < o->n; i++)
		if (o->kvs[i].namelen == namelen &&
		    memcmp(o->kvs[i].name, name, namelen) == 0)
			return &o->kvs[i];
	return NULL;
}

/* A key put. */
int
etcd_view_put(struct etcd_view *v, const char *host, const uint8_t *name,
    size_t namelen, const uint8_t *val, size_t vallen, uint64_t mod)
{
	struct etcd_vorigin	*o;
	struct etcd_kv		*kv;
	struct proto_node	 pn;
	uint64_t		 inc;
	char			 adv[SYNC_HOST_MAX + 8];

	if (etcd_value_get(val, vallen, &inc, adv, sizeof(adv), &pn) == -1 ||
	    pn.namelen != namelen || memcmp(pn.name, name, namelen) != 0)
		return -1;
	o = etcd_vorigin_find(v, host, 1);
	o->dirty = 1;
	if ((kv = etcd_kv_find(o, name, namelen)) == NULL) {
		if (o->n == o->cap) {
			o->cap = o->cap == 0 ? 8 : o->cap * 2;
			o->kvs = xreallocarray(o->kvs, o->cap,
			    sizeof(*o->kvs));
		}
		kv = &o->kvs[o->n++];
		v->entries++;
		kv->name = xmalloc(namelen);
		memcpy(kv->name, name, namelen);
		kv->namelen = namelen;
	} else
		free(kv->val);
	kv->val = xmalloc(vallen);
	memcpy(kv->val, val, vallen);
	kv->vallen = vallen;
	kv->mod = mod;
	return 0;
}

/* A key deleted. */
void
etcd_view_del(struct etcd_view *v, const char *host, const uint8_t *name,
    size_t namelen)
{
	struct etcd_vorigin	*o;
	struct etcd_kv		*kv;

	if ((o = etcd_vorigin_find(v, host, 0)) == NULL ||
	    (kv = etcd_kv_find(o, name, namelen)) == NULL)
		return;
	etcd_kv_clear(kv);
	*kv = o->kvs[--o->n];
	v->entries--;
	o->dirty = 1;
}

/* Feed one origin: its nodes, the newest key's incarnation and address. */
static void
etcd_vorigin_feed(struct etcd_vorigin *o, struct sync_backend_inst *bi)
{
	struct proto_node	*pn;
	uint64_t		 inc, newest_inc = 0, version = 0;
	char			 adv[SYNC_HOST_MAX + 8];
	char			 addr[SYNC_HOST_MAX + 8];
	size_t			 i, n = 0;

	addr[0] = '\0';
	pn = xreallocarray(NULL, o->n + 1, sizeof(*pn));
	for (i = 0; i < o->n; i++) {
		if (etcd_value_get(o->kvs[i].val, o->kvs[i].vallen, &inc,
		    adv, sizeof(adv), &pn[n]) == -1)
			continue;	/* checked when put */
		n++;
		if (o->kvs[i].mod >= version) {
			version = o->kvs[i].mod;
			newest_inc = inc;
			snprintf(addr, sizeof(addr), "%s", adv);
		}
	}
	sync_origin_feed(bi, o->host, addr[0] != '\0' ? addr : NULL,
	    newest_inc, version, pn, n);
	free(pn);
	o->dirty = 0;
}

/* Feed what changed; drop the emptied. */
void
etcd_view_flush(struct etcd_view *v, struct sync_backend_inst *bi, int all)
{
	struct etcd_vorigin	*o, *next;

	for (o = TAILQ_FIRST(&v->origins); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->n == 0) {
			sync_origin_gone(bi, o->host);
			etcd_vorigin_free(v, o);
		} else if (o->dirty || all)
			etcd_vorigin_feed(o, bi);
	}
}

/* A fresh range replaces the view: feed it all, then say who went. */
void
etcd_view_swap(struct etcd_view *old, struct etcd_view *fresh,
    struct sync_backend_inst *bi)
{
	struct etcd_vorigin	*o;

	etcd_view_flush(fresh, bi, 1);
	TAILQ_FOREACH(o, &old->origins, entry)
		if (etcd_vorigin_find(fresh, o->host, 0) == NULL)
			sync_origin_gone(bi, o->host);
}

/* Every origin still held. */
void
etcd_view_touch(struct etcd_view *v, struct sync_backend_inst *bi)
{
	struct etcd_vorigin	*o;

	TAILQ_FOREACH(o, &v->origins, entry)
		sync_origin_touch(bi, o->host);
}

size_t
etcd_view_entries(const struct etcd_view *v)
{
	return v->entries;
}
