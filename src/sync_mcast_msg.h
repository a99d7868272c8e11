/*
 * Multicast announcements (the "mcast" sync backend): the plaintext codec
 * and the replay filter, both pure (no I/O, no libevent, no allocation)
 * so that tests and the fuzzer use them alone.  The backend itself is
 * sync_backend_mcast in sync_mcast.c.
 *
 * An announcement, before sync_dgram_seal(), big-endian:
 *	"EPX2"			magic
 *	u64 incarnation		the origin's, random per start
 *	u64 seq			grows with every announcement of an
 *				incarnation, whatever the wall clock does
 *	u64 time		the origin's wall clock, ms since the epoch,
 *				when sent: orders its incarnations
 *	u16 port		the sync port to dial
 *	u16 len, origin		host name the origin's nodes carry
 *	u16 len, advertise	host to dial (never the datagram's source)
 * Nothing may follow.  See epmdx-sync(7).
 *
 * A sealed announcement of a cluster other than "default" goes behind a
 * clear tag, "EPXC", a length byte and the cluster name, so that a
 * daemon can tell another cluster's datagrams (not an error) from a
 * wrong secret's; "default" sends none, as daemons older than cluster
 * names do.  The key is bound to the cluster too (sync_master_cluster).
 */
#ifndef SYNC_MCAST_MSG_H
#define SYNC_MCAST_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYNC_MCAST_MAGIC	"EPX2"
#define SYNC_MCAST_MAGIC_LEN	4
#define SYNC_MCAST_HOST_MAX	255	/* origin and advertise, bytes */
#define SYNC_MCAST_FIXED	(SYNC_MCAST_MAGIC_LEN + 8 + 8 + 8 + 2 + 2 + 2)
#define SYNC_MCAST_PLAIN_MAX	(SYNC_MCAST_FIXED + 2 * SYNC_MCAST_HOST_MAX)
#define SYNC_MCAST_DGRAM_MAX	1200	/* sealed datagram, bytes */
#define SYNC_MCAST_REPLAY_MAX	1024	/* origins whose replay state is kept */
#define SYNC_MCAST_TAG_MAGIC	"EPXC"
#define SYNC_MCAST_CLUSTER_MAX	64	/* bytes of a cluster name */
#define SYNC_MCAST_TAG_MAX	(4 + 1 + SYNC_MCAST_CLUSTER_MAX)

/* One announcement; strings point into the decoded buffer. */
struct sync_mcast_ann {
	uint64_t	 incarnation;
	uint64_t	 seq;
	uint64_t	 time;		/* origin's wall clock, ms */
	uint16_t	 port;		/* never 0 */
	const char	*origin;	/* not NUL-terminated */
	size_t		 originlen;	/* 1..SYNC_MCAST_HOST_MAX */
	const char	*advertise;	/* not NUL-terminated */
	size_t		 advertiselen;	/* 1..SYNC_MCAST_HOST_MAX */
};

/*
 * What was last accepted from one origin: the incarnation, its highest
 * seq, the highest time of any incarnation, and when (monotonic).
 */
struct sync_mcast_replay_ent {
	char		 origin[SYNC_MCAST_HOST_MAX + 1];
	uint64_t	 incarnation;
	uint64_t	 seq;
	uint64_t	 time;
	time_t		 last;
};

/* Bounded: when full, the origin accepted least recently is forgotten. */
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
 * empty origin or advertise, or a host with bytes that are not printable
 * ASCII.
 */
int	sync_mcast_decode(const uint8_t *buf, size_t len,
	    struct sync_mcast_ann *a, const char **why);

/*
 * Write the tag of cluster into buf (SYNC_MCAST_TAG_MAX bytes); returns
 * its length, 0 for "default".
 */
size_t	sync_mcast_tag_encode(uint8_t *buf, const char *cluster);
/*
 * The cluster a datagram names, into cluster ("default" when it has no
 * valid tag); returns where its sealed part starts.
 */
size_t	sync_mcast_tag_decode(const uint8_t *buf, size_t len,
	    char cluster[SYNC_MCAST_CLUSTER_MAX + 1]);

/* Empty the filter. */
void	sync_mcast_replay_init(struct sync_mcast_replay *);
/*
 * 1 (and remember it) if a is fresh; 0 if it repeats the incarnation
 * accepted last without a higher seq (a replay, or a duplicate); -1 if it
 * is another incarnation and stale.  Another incarnation is fresh if its
 * time is above every time accepted from this origin, or once the last
 * one has been silent (nothing accepted) for more than ttl seconds of the
 * monotonic clock now.
 */
int	sync_mcast_replay_check(struct sync_mcast_replay *,
	    const struct sync_mcast_ann *a, time_t now, unsigned int ttl);

/*
 * The seq to send after last: boot_us (microseconds on a clock that never
 * goes back while the host is up, so a process that keeps the
 * incarnation, upgraded in place, starts above its predecessor), or
 * last + 1 if that is not above last.
 */
uint64_t sync_mcast_seq_next(uint64_t last, uint64_t boot_us);

#endif /* SYNC_MCAST_MSG_H */
