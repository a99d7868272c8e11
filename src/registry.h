/*
 * The node table: registered names hash-indexed for constant-time lookup,
 * kept in registration order for NAMES/DUMP, plus stock epmd's memory of
 * unregistered names (the "unreg" FIFO) that drives creation numbers.
 * Pure C: no libevent, no I/O.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"


struct node {
	TAILQ_ENTRY(node) entry;	/* active list, or unreg FIFO */
	struct node	*hnext;		/* hash chain (active or unreg) */
	uint32_t	 hash;
	uint32_t	 cr_counter;	/* stock's per-name creation counter */
	int		 active;	/* registered now, else remembered */
	int		 fd;		/* shown by DUMP; -1 if none */
	void		*owner;		/* the conn holding the registration */
	uint64_t	 sid;		/* fd store id, 0 when not stored */
	uint16_t	 port;
	uint8_t		 type;
	uint8_t		 proto;
	uint16_t	 high;
	uint16_t	 low;
	uint16_t	 extralen;
	uint16_t	 namelen;
	uint8_t		*extra;		/* NULL when extralen == 0 */
	uint8_t		 name[];	/* namelen bytes, then a NUL */
};
TAILQ_HEAD(node_list, node);

struct registry;

/* unreg_max: how many unregistered names to remember (stock: 1000). */
struct registry	*registry_new(unsigned int unreg_max);
/* Free the table and every node in it (active and remembered). */
void		 registry_free(struct registry *);
/* Change the unreg cap; excess old entries go on the next registration. */
void		 registry_set_unreg_max(struct registry *, unsigned int);

/*
 * Register a node whose fields come from an ALIVE2 request that passed
 * proto_decode() without a refuse reason.  now seeds the creation
 * counter of a brand-new name.  Returns the node, or NULL if the name is
 * registered already (the caller replies Result 1, creation 99).
 */
struct node	*registry_add(struct registry *, const struct proto_node *,
		    time_t now, int fd, void *owner);
/* Move an active node to the unreg FIFO (its connection closed). */
void		 registry_unregister(struct registry *, struct node *);
/* Put back a handed-over registration with its counter; NULL if dup. */
struct node	*registry_restore(struct registry *, const struct proto_node *,
		    uint32_t cr_counter, int fd, void *owner);
/* Put back a remembered name at the unreg tail; -1 if known already. */
int		 registry_restore_unreg(struct registry *, const uint8_t *name,
		    size_t namelen, uint16_t port, int fd, uint32_t cr_counter);
/* Forget an active node entirely, freeing it (no unreg memory). */
void		 registry_forget(struct registry *, struct node *);
/* Active node with exactly this name, or NULL. */
struct node	*registry_lookup(struct registry *, const uint8_t *name,
		    size_t namelen);

/* Active nodes, most recently registered first (NAMES order). */
struct node	*registry_first(struct registry *);
/* Active nodes, oldest first: registry_last(), then registry_prev(). */
struct node	*registry_last(struct registry *);
struct node	*registry_prev(struct node *);
/* fn(fd, arg) / fn(node, arg) for every active node. */
void		 registry_foreach_fd(struct registry *,
		    void (*)(int, void *), void *);
void		 registry_foreach_node(struct registry *,
		    void (*)(struct node *, void *), void *);
/* Remembered names, oldest first (DUMP order). */
struct node	*registry_unreg_first(struct registry *);
/* Next in whichever list n is on. */
struct node	*registry_next(struct node *n);

size_t		 registry_count(const struct registry *);
size_t		 registry_unreg_count(const struct registry *);

/*
 * The creation a node is told: cr_counter when high >= 6 (4..2^32-1),
 * else cr_counter % 3 + 1.
 */
uint32_t	 registry_creation(const struct node *);

/* Fill a proto_node view of n (pointers into n) for encoding. */
void		 registry_node_view(const struct node *, struct proto_node *);

#endif /* REGISTRY_H */
