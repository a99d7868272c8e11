/*
 * Sync message codec: the plaintext of the sealed frames daemons exchange.
 * Pure: no I/O, no allocation, no libevent.  Integers are big-endian;
 * strings are a 16-bit length and bytes.  See epmdx-sync(7).
 */
#ifndef SYNC_MSG_H
#define SYNC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define SYNC_PROTO_VERSION	1
#define SYNC_HOST_MAX		255	/* origin host name, bytes */
#define SYNC_FRAME_MAX		(64 * 1024) /* sealed frame, bytes */
#define SYNC_MSG_MAX		(16 + 2 * PROTO_MAXSYMLEN + 16)

#define SYNC_CLUSTER_MAX	64	/* bytes of a cluster name */
#define SYNC_OPEN_RANDOM	(PROTO_SYNC_OPEN_LEN - 1) /* dialer's random */
#define SYNC_OPEN_MAX		(PROTO_SYNC_OPEN_LEN + SYNC_CLUSTER_MAX)
#define SYNC_REFUSE_MAGIC	"EPXC"	/* acceptor: not our cluster */
#define SYNC_REFUSE_MAX		(4 + 1 + SYNC_CLUSTER_MAX)

/*
 * The SYNC request's body, in the clear: the protocol version, the
 * dialer's random, then its cluster name unless that is "default" (the
 * 33 bytes of a daemon older than cluster names mean "default" too).
 */
struct sync_open {
	uint8_t		 version;
	const uint8_t	*random;	/* SYNC_OPEN_RANDOM bytes */
	char		 cluster[SYNC_CLUSTER_MAX + 1];
};

enum sync_msg_type {
	SYNC_MSG_HELLO = 1,	/* who I am: origin, incarnation, advertise */
	SYNC_MSG_SNAP_BEGIN,	/* a full table follows as ADDs */
	SYNC_MSG_ADD,		/* one entry (version 0 inside a snapshot) */
	SYNC_MSG_DEL,		/* one name gone */
	SYNC_MSG_SNAP_END,	/* the full table is complete */
	SYNC_MSG_HEARTBEAT,	/* incarnation and version, every interval */
	SYNC_MSG_RESYNC,	/* receiver to sender: send a snapshot */
};

struct sync_msg {
	uint8_t			 type;
	uint8_t			 proto;		/* HELLO */
	uint64_t		 incarnation;	/* HELLO, SNAP_BEGIN, HEARTBEAT */
	uint64_t		 version;	/* SNAP_BEGIN, ADD, DEL, HEARTBEAT */
	uint32_t		 count;		/* SNAP_BEGIN */
	const uint8_t		*origin;	/* HELLO */
	size_t			 originlen;
	const uint8_t		*advertise;	/* HELLO, may be empty */
	size_t			 advertiselen;
	struct proto_node	 node;		/* ADD; DEL uses name only */
	/*
	 * ADD, DEL: non-NULL when the frame is whole but its entry is not
	 * one the registry can hold (a name ALIVE2 refuses, an over-long
	 * Extra): the receiver skips that entry, the stream goes on.
	 */
	const char		*reject;
};

/*
 * Whether s[0..len) may name an origin: 1 to SYNC_HOST_MAX bytes of what
 * a host name holds (letters, digits, '-', '.', '_').
 */
int	sync_host_ok(const uint8_t *s, size_t len);
/*
 * Whether s[0..len) may be an advertise address: up to SYNC_HOST_MAX + 6
 * bytes of host name characters, ':', '[', ']' and '%'.
 */
int	sync_addr_ok(const uint8_t *s, size_t len);

/* Encode m into buf; returns the length or -1 if it does not fit. */
int	sync_msg_encode(uint8_t *buf, size_t size, const struct sync_msg *m);
/*
 * Decode exactly len bytes; pointers point into buf.  -1 (with *why) on
 * anything malformed: unknown type, short or trailing bytes, an origin or
 * advertise address that is no host name, over-long strings.  An entry
 * the registry cannot hold is not malformed: see reject.
 */
int	sync_msg_decode(const uint8_t *buf, size_t len, struct sync_msg *m,
	    const char **why);

/*
 * Whether s[0..len) may name a cluster: 1 to SYNC_CLUSTER_MAX letters,
 * digits, '.', '_' or '-'.
 */
int	sync_cluster_ok(const uint8_t *s, size_t len);
/* Encode a SYNC body into buf; returns the length or -1. */
int	sync_open_encode(uint8_t *buf, size_t size, uint8_t version,
	    const uint8_t *random, const char *cluster);
/* Decode a SYNC body of len bytes; -1 with *why if malformed. */
int	sync_open_decode(const uint8_t *body, size_t len, struct sync_open *,
	    const char **why);
/*
 * The acceptor's answer to a dialer of another cluster, instead of its
 * random: "EPXC", a length byte and its own cluster name, in the clear,
 * then it closes.  Encode returns the length or -1.
 */
int	sync_refuse_encode(uint8_t *buf, size_t size, const char *cluster);
/*
 * Whether the acceptor's first len bytes are such a refusal: -1 if not
 * (they are its random), 0 if they may be but are not whole yet, else
 * the refusal's length, with its cluster name in cluster.  (A random that
 * happens to look like one costs that stream, not the next.)
 */
int	sync_refuse_decode(const uint8_t *buf, size_t len,
	    char cluster[SYNC_CLUSTER_MAX + 1]);

#endif /* SYNC_MSG_H */
