/*
 * Multicast announcements (the "mcast" sync backend): the plaintext codec
 * and the replay filter, both pure (no I/O, no libevent, no allocation)
 * so that tests and the fuzzer use them alone.  The backend itself is
 * sync_backend_mcast in sync_mcast.c.
 *
 * An announcement, before sync_dgram_seal(), big-endian:
 *	"EPX1"			magic
 *	u64 incarnation		the origin's, random per start
 *	u64 seq			grows with every announcement
 *	u16 port		the sync port to dial
 *	u16 len, origin		host name the origin's nodes carry
 *	u16 len, advertise	host to dial; empty: the datagram's source
 * Nothing may follow.  See epmdx-sync(7).
 */
#ifndef SYNC_MCAST_H
#define SYNC_MCAST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYNC_MCAST_MAGIC	"EPX1"
#define SYNC_MCAST_MAGIC_LEN	4
#define SYNC_MCAST_HOST_MAX	255	/* origin and advertise, bytes */
#define SYNC_MCAST_FIXED	(SYNC_MCAST_MAGIC_LEN + 8 + 8 + 2 + 2 + 2)
#define SYNC_MCAST_PLAIN_MAX	(SYNC_MCAST_FIXED + 2 * SYNC_MCAST_HOST_MAX)
#define SYNC_MCAST_DGRAM_MAX	1200	/* sealed datagram, bytes */
#define SYNC_MCAST_REPLAY_MAX	512	/* (origin, incarnation) pairs kept */

/* One announcement; strings point into the decoded buffer. */
struct sync_mcast_ann {
	uint64_t	 incarnation;
	uint64_t	 seq;
	uint16_t	 port;		/* never 0 */
	const char	*origin;	/* not NUL-terminated */
	size_t		 originlen;	/* 1..SYNC_MCAST_HOST_MAX */
	const char	*advertise;	/* not NUL-terminated */
	size_t		 advertiselen;	/* 0..SYNC_MCAST_HOST_MAX */
};

/* The highest seq accepted from one incarnation of one origin. */
struct sync_mcast_replay_ent {
	char		 origin[SYNC_MCAST_HOST_MAX + 1];
	uint64_t	 incarnation;
	uint64_t	 seq;
	time_t		 last;		/* when it was last accepted */
};

/* Bounded: when full, the entry heard least recently is forgotten. */
struct sync_mcast_replay {
	struct sync_mcast_replay_ent ents[SYNC_MCAST_REPLAY_MAX];
	size_t		 n;
};

/* Encode a into buf; returns the length, or -1 if invalid or too long. */
int	sync_mcast_encode(uint8_t *buf, size_t size,
	    const struct sync_mcast_ann *a);
/*
 * Decode exactly len bytes into a (pointers into buf).  -1 with *why on
 * a wrong magic, a short or over-long field, trailing bytes, port 0, an
 * empty origin, or a host with bytes that are not printable ASCII.
 */
int	sync_mcast_decode(const uint8_t *buf, size_t len,
	    struct sync_mcast_ann *a, const char **why);

/* Empty the filter. */
void	sync_mcast_replay_init(struct sync_mcast_replay *);
/*
 * 1 (and remember seq) if seq is above every seq accepted from this
 * origin and incarnation; 0 if it is a replay or older.  A new
 * incarnation starts afresh.
 */
int	sync_mcast_replay_check(struct sync_mcast_replay *,
	    const char *origin, size_t originlen, uint64_t incarnation,
	    uint64_t seq, time_t now);
/* Forget pairs not accepted for more than ttl seconds. */
void	sync_mcast_replay_expire(struct sync_mcast_replay *, time_t now,
	    unsigned int ttl);

#endif /* SYNC_MCAST_H */
