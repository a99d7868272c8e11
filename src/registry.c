/*
 * The node table.  Every node, registered or remembered, sits in one hash
 * table keyed by its name (SipHash-1-3 under a per-registry random key, so
 * clients cannot precompute colliding names) and on one of two lists: the
 * active list (newest first) or the unreg FIFO (oldest first).
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"
#include "xmalloc.h"

#define REGISTRY_MIN_BUCKETS	64	/* initial size, a power of two */
#define REGISTRY_CR_MIN		4	/* stock skips creations 0..3 */

struct registry {
	struct node	**buckets;
	size_t		  nbuckets;	/* a power of two */
	size_t		  nentries;	/* active + remembered */
	struct node_list  active;	/* newest first */
	struct node_list  unreg;	/* oldest first */
	size_t		  count;
	size_t		  unreg_count;
	unsigned int	  unreg_max;
	uint64_t	  key[2];	/* hash key */
};

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

/* Little-endian 64-bit load of up to 8 bytes. */
static uint64_t
load_le(const uint8_t *p, size_t n)
{
	uint64_t	 v = 0;

	while (n-- > 0)
		v |= (uint64_t)p[n] << (8 * n);
	return v;
}

/* SipHash-1-3 of name[0..len) under the registry's key, folded to 32 bits. */
static uint32_t
registry_hash(const struct registry *r, const uint8_t *name, size_t len)
{
	uint64_t	 v0, v1, v2, v3, m;
	size_t		 left;

	v0 = r->key[0] ^ 0x736f6d6570736575ULL;
	v1 = r->key[1] ^ 0x646f72616e646f6dULL;
	v2 = r->key[0] ^ 0x6c7967656e657261ULL;
	v3 = r->key[1] ^ 0x7465646279746573ULL;
	for (left = len; left >= 8; left -= 8, name += 8) {
		m = load_le(name, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = load_le(name, left) | (uint64_t)len << 56;
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	m = v0 ^ v1 ^ v2 ^ v3;
	return (uint32_t)(m ^ (m >> 32));
}

/* Pick the hash key: getrandom(), else a mix of time, pid and addresses. */
static void
registry_seed(struct registry *r)
{
	struct timespec	 ts;

	if (getrandom(r->key, sizeof(r->key), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(r->key))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->key[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^
	    (uint64_t)ts.tv_nsec;
	r->key[1] = (uint64_t)(uintptr_t)r ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)(uintptr_t)&ts;
}

/* stock's bump_creation: never 0..3, so 2^32-1 wraps to 4. */
static void
registry_bump(struct node *n)
{
	if (++n->cr_counter < REGISTRY_CR_MIN)
		n->cr_counter = REGISTRY_CR_MIN;
}

/* The node (active or remembered) named name, or NULL. */
static struct node *
registry_find(const struct registry *r, const uint8_t *name, size_t namelen,
    uint32_t hash)
{
	struct node	*n;

	for (n = r->buckets[hash & (r->nbuckets - 1)]; n != NULL; n = n->hnext)
		if (n->hash == hash && n->namelen == namelen &&
		    (namelen == 0 || memcmp(n->name, name, namelen) == 0))
			return n;
	return NULL;
}

/* Double the bucket array and rehash every node. */
static void
registry_grow(struct registry *r)
{
	struct node	**nb, *n, *next;
	size_t		  i, nsize = r->nbuckets * 2;

	nb = xcalloc(nsize, sizeof(*nb));
	for (i = 0; i < r->nbuckets; i++) {
		for (n = r->buckets[i]; n != NULL; n = next) {
			next = n->hnext;
			n->hnext = nb[n->hash & (nsize - 1)];
			nb[n->hash & (nsize - 1)] = n;
		}
	}
	free(r->buckets);
	r->buckets = nb;
	r->nbuckets = nsize;
}

/* Link n (hash set) into the table, growing it past load factor 1. */
static void
registry_hash_insert(struct registry *r, struct node *n)
{
	struct node	**b;

	if (r->nentries + 1 > r->nbuckets)
		registry_grow(r);
	b = &r->buckets[n->hash & (r->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	r->nentries++;
}

/* Unlink n from the table. */
static void
registry_hash_remove(struct registry *r, struct node *n)
{
	struct node	**pp;

	for (pp = &r->buckets[n->hash & (r->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			r->nentries--;
			return;
		}
	}
	fatalx("registry_hash_remove: node not in table");
}

/* Allocate an empty registry remembering up to unreg_max old names. */
struct registry *
registry_new(unsigned int unreg_max)
{
	struct registry	*r;

	r = xcalloc(1, sizeof(*r));
	r->nbuckets = REGISTRY_MIN_BUCKETS;
	r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
	TAILQ_INIT(&r->active);
	TAILQ_INIT(&r->unreg);
	r->unreg_max = unreg_max;
	registry_seed(r);
	return r;
}

/* Free the registry and all its nodes. */
void
registry_free(struct registry *r)
{
	struct node	*n;

	if (r == NULL)
		return;
	while ((n = TAILQ_FIRST(&r->active)) != NULL) {
		TAILQ_REMOVE(&r->active, n, entry);
		free(n->extra);
		free(n);
	}
	while ((n = TAILQ_FIRST(&r->unreg)) != NULL) {
		TAILQ_REMOVE(&r->unreg, n, entry);
		free(n->extra);
		free(n);
	}
	free(r->buckets);
	free(r);
}

/* Set the unreg cap; it is applied lazily, as stock does. */
void
registry_set_unreg_max(struct registry *r, unsigned int unreg_max)
{
	r->unreg_max = unreg_max;
}

/* Register pn; NULL if its name is active already. */
struct node *
registry_add(struct registry *r, const struct proto_node *pn, time_t now,
    int fd, void *owner)
{
	struct node	*n;
	uint32_t	 hash;

	if (pn->namelen > UINT16_MAX || pn->extralen > UINT16_MAX)
		fatalx("registry_add: name or extra too long");
	hash = registry_hash(r, pn->name, pn->namelen);
	n = registry_find(r, pn->name, pn->namelen, hash);
	if (n != NULL && n->active)
		return NULL;

	if (n != NULL) {
		/* A remembered name: reuse its struct, next creation. */
		TAILQ_REMOVE(&r->unreg, n, entry);
		r->unreg_count--;
		registry_bump(n);
	} else {
		if (r->unreg_count > r->unreg_max) {
			/* Too many remembered: recycle the oldest as is. */
			n = TAILQ_FIRST(&r->unreg);
			TAILQ_REMOVE(&r->unreg, n, entry);
			r->unreg_count--;
			registry_hash_remove(r, n);
			n = xreallocarray(n, 1, sizeof(*n) + pn->namelen + 1);
		} else {
			n = xmalloc(sizeof(*n) + pn->namelen + 1);
			n->cr_counter = (uint32_t)now;
			registry_bump(n);
		}
		n->hash = hash;
		n->namelen = (uint16_t)pn->namelen;
		if (pn->namelen > 0)	/* the empty name may come as NULL */
			memcpy(n->name, pn->name, pn->namelen);
		n->name[pn->namelen] = '\0';
		registry_hash_insert(r, n);
	}

	n->active = 1;
	n->fd = fd;
	n->owner = owner;
	n->sid = 0;
	n->port = pn->port;
	n->type = pn->type;
	n->proto = pn->proto;
	n->high = pn->high;
	n->low = pn->low;
	n->extralen = (uint16_t)pn->extralen;
	n->extra = NULL;
	if (pn->extralen > 0) {
		n->extra = xmalloc(pn->extralen);
		memcpy(n->extra, pn->extra, pn->extralen);
	}
	TAILQ_INSERT_HEAD(&r->active, n, entry);
	r->count++;
	return n;
}

/* Unregister n: to the unreg tail, keeping name, port, fd and counter. */
void
registry_unregister(struct registry *r, struct node *n)
{
	if (!n->active)
		fatalx("registry_unregister: node not active");
	TAILQ_REMOVE(&r->active, n, entry);
	r->count--;
	n->active = 0;
	n->owner = NULL;
	free(n->extra);		/* DUMP shows only name, port, fd */
	n->extra = NULL;
	n->extralen = 0;
	TAILQ_INSERT_TAIL(&r->unreg, n, entry);
	r->unreg_count++;
}

/*
 * Put back a registration handed over by a previous process: the node as
 * it was, with its creation counter (no bump).  NULL on a duplicate.
 */
struct node *
registry_restore(struct registry *r, const struct proto_node *pn,
    uint32_t cr_counter, int fd, void *owner)
{
	struct node	*n;

	if (registry_lookup(r, pn->name, pn->namelen) != NULL)
		return NULL;
	if ((n = registry_add(r, pn, 0, fd, owner)) == NULL)
		return NULL;
	n->cr_counter = cr_counter;
	return n;
}

/* Put back a remembered name at the tail of the unreg list. */
int
registry_restore_unreg(struct registry *r, const uint8_t *name,
    size_t namelen, uint16_t port, int fd, uint32_t cr_counter)
{
	struct proto_node	 pn;
	struct node		*n;

	memset(&pn, 0, sizeof(pn));
	pn.name = name;
	pn.namelen = namelen;
	pn.port = port;
	if (registry_find(r, name, namelen, registry_hash(r, name, namelen))
	    != NULL)
		return -1;
	if ((n = registry_add(r, &pn, 0, fd, NULL)) == NULL)
		return -1;
	registry_unregister(r, n);
	n->cr_counter = cr_counter;
	return 0;
}

/* Forget an active node entirely (remote tables: no unreg memory). */
void
registry_forget(struct registry *r, struct node *n)
{
	if (!n->active)
		fatalx("registry_forget: node not active");
	TAILQ_REMOVE(&r->active, n, entry);
	r->count--;
	registry_hash_remove(r, n);
	free(n->extra);
	free(n);
}

/* The active node named name[0..namelen), or NULL. */
struct node *
registry_lookup(struct registry *r, const uint8_t *name, size_t namelen)
{
	struct node	*n;

	n = registry_find(r, name, namelen, registry_hash(r, name, namelen));
	if (n == NULL || !n->active)
		return NULL;
	return n;
}

/* First active node, the most recently registered. */
struct node *
registry_first(struct registry *r)
{
	return TAILQ_FIRST(&r->active);
}

/* Last active node, the oldest registration. */
struct node *
registry_last(struct registry *r)
{
	return TAILQ_LAST(&r->active, node_list);
}

/* The active node registered just before n. */
struct node *
registry_prev(struct node *n)
{
	return TAILQ_PREV(n, node_list, entry);
}

/* fn(fd, arg) for every active node's socket. */
void
registry_foreach_fd(struct registry *r, void (*fn)(int, void *), void *arg)
{
	struct node	*n;

	TAILQ_FOREACH(n, &r->active, entry)
		fn(n->fd, arg);
}

/* fn(node, arg) for every active node (fn must not remove it). */
void
registry_foreach_node(struct registry *r, void (*fn)(struct node *, void *),
    void *arg)
{
	struct node	*n;

	TAILQ_FOREACH(n, &r->active, entry)
		fn(n, arg);
}

/* First remembered node, the oldest. */
struct node *
registry_unreg_first(struct registry *r)
{
	return TAILQ_FIRST(&r->unreg);
}

/* The node after n on its list. */
struct node *
registry_next(struct node *n)
{
	return TAILQ_NEXT(n, entry);
}

/* Number of active nodes. */
size_t
registry_count(const struct registry *r)
{
	return r->count;
}

/* Number of remembered names. */
size_t
registry_unreg_count(const struct registry *r)
{
	return r->unreg_count;
}

/* The creation reported to n: 32-bit for high >= 6, else 1..3. */
uint32_t
registry_creation(const struct node *n)
{
	if (n->high >= 6)
		return n->cr_counter;
	return n->cr_counter % 3 + 1;
}

/* Point pn at n's fields. */
void
registry_node_view(const struct node *n, struct proto_node *pn)
{
	pn->port = n->port;
	pn->type = n->type;
	pn->proto = n->proto;
	pn->high = n->high;
	pn->low = n->low;
	pn->name = n->name;
	pn->namelen = n->namelen;
	pn->extra = n->extra;
	pn->extralen = n->extralen;
}
