/*
 * Carrying the daemon's state across a process boundary, for both the
 * live upgrade (a snapshot in a memfd handed over an exec) and the
 * systemd fd store (a journal memfd systemd keeps): writing the state's
 * records, reading a memfd whole within a bound, checking that a
 * descriptor is the socket a record says, and reading a state back into
 * a registry (a snapshot checked whole, a journal replayed).  No libevent.
 */
#ifndef CARRY_H
#define CARRY_H

#include <stddef.h>
#include <stdint.h>

#include "handover.h"

struct node;
struct registry;

#define CARRY_STATE_MAX		(256 * 1024 * 1024)	/* bytes, read whole */

/* A growing buffer of handover records; err once a record did not fit. */
struct carry_buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 size;
	int		 err;
};

/* What carry_is_socket() checks for. */
#define CARRY_CONNECTED		0	/* a connected stream socket */
#define CARRY_LISTENING		1	/* a listening stream socket */

/* Start a buffer with the file header of generation. */
void		 carry_begin(struct carry_buf *, uint64_t generation);
/* Append one record. */
void		 carry_put(struct carry_buf *, const struct handover_rec *);
/* Append a record of type (LISTEN, KEPT, REPLY) for fd. */
void		 carry_put_fd(struct carry_buf *, uint8_t type, int fd);
/* The ADD record for an active node (fd -1 for a journal). */
void		 carry_rec_add(struct handover_rec *, const struct node *,
		    int fd);
/*
 * The registry's records: UNREG for each remembered name, then ADD for
 * each active node, oldest first.  A journal (journal=1) carries no
 * descriptors and only the nodes the fd store holds (sid != 0).
 */
void		 carry_put_registry(struct carry_buf *, struct registry *,
		    int journal);
/* Free the buffer. */
void		 carry_free(struct carry_buf *);

/*
 * Read a memfd whole: a header's worth of bytes up to max.  The buffer
 * (free it) or NULL with *cause.
 */
uint8_t		*carry_read(int fd, size_t max, size_t *len, char **cause);
/* Whether fd (3 or more) is a stream socket, listening or connected. */
int		 carry_is_socket(int fd, int how);
/* Set (on) or clear close-on-exec on fd. */
void		 carry_cloexec(int fd, int on);

/*
 * Check a whole upgrade snapshot and build its registry, using nothing
 * yet: every record sound, META first, END last, every descriptor the
 * socket its record says and named once.  Fills reg, fds[] (at most
 * maxfds; each below maxfds) and meta; -1 with *cause if damaged.
 */
int		 carry_validate(const uint8_t *buf, size_t len,
		    struct registry *reg, int *fds, int *nfds, int maxfds,
		    struct handover_rec *meta, char **cause);

/* The fd store's id -> node map, filled by carry_replay(). */
struct carry_map {
	uint64_t	*ids;
	struct node	**nodes;
	size_t		 size;		/* a power of two */
	size_t		 count;
};

/*
 * Replay an fd-store journal into reg (nodes without descriptors) and
 * map: UNREG and ADD restore, DEL forgets.  A torn or damaged tail ends
 * the replay there: what came before it stands.  meta gets the last META,
 * its next_id raised to the highest id met.  Returns the records applied.
 */
size_t		 carry_replay(const uint8_t *buf, size_t len,
		    struct registry *reg, struct carry_map *map,
		    struct handover_rec *meta);
/* The node a journal id names, or NULL. */
struct node	*carry_map_get(struct carry_map *, uint64_t id);
/* Free the map's tables. */
void		 carry_map_free(struct carry_map *);

#endif /* CARRY_H */
