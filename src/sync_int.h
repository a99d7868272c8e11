/*
 * Sync internals: the structures the core (sync.c, sync_peer.c,
 * sync_origin.c), the stream layer (sync_session.c, sync_admit.c,
 * sync_cluster.c) and the queries (sync_query.c, sync_metrics.c,
 * sync_handover.c) share.  Nothing outside sync includes this.
 */
#ifndef SYNC_INT_H
#define SYNC_INT_H

#include <sys/queue.h>

#include <stdint.h>
#include <time.h>

#include "log.h"
#include "sync.h"
#include "sync_batch.h"
#include "sync_crypto.h"
#include "sync_msg.h"

#define SYNC_MAX_BACKENDS	4
#define SYNC_SRC_LEARNED	0x80	/* peer learned from an inbound HELLO */
#define SYNC_BACKOFF_MIN	1	/* seconds */
#define SYNC_BACKOFF_MAX	30
#define SYNC_MAX_INBOUND	1024	/* accepted sync streams at once */
#define SYNC_MAX_UNAUTH_SRC	8	/* not yet authenticated, per source */
#define SYNC_HANDSHAKE_SECS	5	/* from connect or accept to HELLO */
#define SYNC_SRC_BYTES		16	/* a source key: v4-mapped, or a /64 */
#define SYNC_BATCH_MAX		(SYNC_FRAME_MAX - SYNC_STREAM_ABYTES)
#define SYNC_BATCH_MIN		256	/* a batch's first allocation */

/*
 * What a peer with the secret may make us hold (epmdx-sync(7), LIMITS).
 * Beyond these, entries are skipped (counted, shown in PEERS), origins
 * and learned peers refused, each with a rate-limited log line.
 */
#define SYNC_MAX_ORIGIN_ENTRIES	65536	/* an origin's table, a snapshot */
#define SYNC_MAX_REMOTE_ENTRIES	262144	/* all origins and snapshots */
#define SYNC_MAX_ORIGINS	1024	/* remote origins at once */
#define SYNC_MAX_LEARNED	1024	/* peers learned from HELLOs only */

struct evdns_base;
struct evdns_getaddrinfo_request;
struct sess_resolve;
struct sync_session;
struct bufferevent;
struct event;

/* A remote daemon we have heard from, and its entries. */
struct sync_origin {
	TAILQ_ENTRY(sync_origin) entry;
	char			 host[SYNC_HOST_MAX + 1];
	char			 addr[SYNC_HOST_MAX + 8]; /* where it speaks from */
	uint64_t		 incarnation;
	uint64_t		 version;
	int			 synced;	/* a snapshot has landed */
	time_t			 last_heard;	/* mono_now() */
	uint64_t		 rejected;	/* entries not taken */
	struct registry		*table;
};

/*
 * A stream's state, changed only by sess_enter_state().  The live states
 * come first; a stream ends in one of the last ones, which its peer keeps
 * (as `epmdxctl peers` shows it) until the next dial.
 */
enum sync_sess_state {
	SESS_NEW,		/* not dialled yet (a peer's status only) */
	SESS_RESOLVING,		/* out: looking the peer up */
	SESS_CONNECTING,	/* out: TCP connect */
	SESS_WAIT_ACCEPT,	/* out: sent SYNC, waiting random + header */
	SESS_WAIT_HEADER,	/* in: sent random + header, waiting header */
	SESS_OPEN,		/* frames flow, HELLO not yet authenticated */
	SESS_ESTABLISHED,	/* the remote proved the key with its HELLO */
	SESS_UNRESOLVED,	/* ended: the name did not resolve */
	SESS_UNREACHABLE,	/* ended: connect failed */
	SESS_REFUSED,		/* ended: closed before its HELLO */
	SESS_TIMEOUT,		/* ended: handshake deadline or idle */
	SESS_AUTH_FAILED,	/* ended: a frame failed authentication */
	SESS_ERROR,		/* ended: a socket error */
	SESS_CLOSED,		/* ended: closed after its HELLO */
	SESS_CLUSTER,		/* ended: the peer is of another cluster */
};

/*
 * What the session layer tells the core, through the table the core
 * gives it (sync->cb): the session layer never calls the core otherwise.
 */
struct sync_session_cb {
	/* The first frame, authenticated; -1 closes the stream. */
	int	 (*hello)(struct sync_session *, const struct sync_msg *);
	/* Any later frame of an accepted stream; -1 closes it. */
	int	 (*message)(struct sync_session *, const struct sync_msg *);
	/* A RESYNC on a dialled stream. */
	void	 (*resync)(struct sync_session *);
	/* The stream is going (sync_session_free): its last word. */
	void	 (*gone)(struct sync_session *);
};

/* One TCP stream, dialed (outbound, we push) or accepted (we receive). */
struct sync_session {
	TAILQ_ENTRY(sync_session) entry;	/* s->inbound (accepted only) */
	struct sync		*sync;
	struct sync_peer	*peer;		/* outbound: our target */
	int			 outbound;
	enum sync_sess_state	 state;		/* sess_enter_state() only */
	struct bufferevent	*bev;
	struct sess_resolve	*resolve;	/* out: lookup under way */
	struct evdns_getaddrinfo_request *dnsreq;
	char			 addr[SYNC_HOST_MAX + 8];
	uint8_t			 src[SYNC_SRC_BYTES]; /* in: source address */
	struct event		*deadline;	/* until HELLO authenticates */
	uint8_t			 mine[SYNC_RANDOM_BYTES];
	uint8_t			 theirs[SYNC_RANDOM_BYTES]; /* in: dialer's */
	uint8_t			 key_tx[SYNC_KEY_BYTES];
	uint8_t			 key_rx[SYNC_KEY_BYTES];
	struct sync_stream	 tx;
	struct sync_stream	 rx;
	/* Inbound: what the remote told us. */
	struct sync_origin	*origin;
	uint64_t		 incarnation;
	struct registry		*staging;	/* snapshot being received */
	uint64_t		 snap_incarnation;
	uint64_t		 snap_version;
	uint32_t		 snap_count;	/* ADDs the BEGIN announced */
	uint32_t		 snap_adds;	/* ADDs received since */
	int			 resync_asked;
	/* Outbound: bytes ever queued; that count after the last snapshot. */
	uint64_t		 queued;
	uint64_t		 snap_end;
	uint64_t		 last_tx;	/* sync->ticks at the last frame */
	int			 proto;		/* opened at: SYNC_PROTO_* */
	uint8_t			*batch;		/* messages not yet sealed */
	size_t			 batchlen;
	size_t			 batchcap;	/* bytes allocated */
};

/* A daemon we dial and push our entries to. */
struct sync_peer {
	TAILQ_ENTRY(sync_peer)	 entry;
	struct sync		*sync;
	char			 host[SYNC_HOST_MAX + 1];
	unsigned int		 port;
	unsigned int		 sources;	/* backend bits, LEARNED */
	struct sync_session	*sess;		/* NULL while backing off */
	struct event		*retry;
	unsigned int		 backoff;	/* seconds; 0 while our stream
						   is established */
	int			 self;		/* it is us (an authenticated HELLO
						   said so): not dialled again
						   until a reload */
	enum sync_sess_state	 ended;		/* how its last stream ended */
	char			 origin[SYNC_HOST_MAX + 1];
	time_t			 last_ok;	/* last HELLO (mono_now) */
	int			 proto;		/* the next dial opens at it */
	int			 fallback;	/* refused at BATCH: redial now */
};

struct sync_stats {
	uint64_t		 frames_in;
	uint64_t		 frames_out;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 auth_failures;
	uint64_t		 bad_frames;
	uint64_t		 resyncs;
	uint64_t		 expired;
	uint64_t		 rejected_entries;
	uint64_t		 refused_origins;
	uint64_t		 refused_peers;
	uint64_t		 resyncs_ignored;
	uint64_t		 handshake_timeouts; /* no HELLO in time */
	uint64_t		 handshake_evictions; /* unauthenticated,
						   closed to make room */
	uint64_t		 refused_clusters; /* streams of another
						   cluster, either side */
};

/* The caps in force: the SYNC_MAX_* defaults (tests lower them). */
struct sync_limits {
	size_t			 origin_entries;
	size_t			 remote_entries;
	unsigned int		 origins;
	unsigned int		 learned;
};

struct sync {
	struct server		*srv;
	const struct sync_session_cb *cb;	/* the core, to sessions */
	struct event_base	*base;
	struct evdns_base	*dns;
	char			 hostname[SYNC_HOST_MAX + 1];
	char			 cluster[SYNC_CLUSTER_MAX + 1];
	char			 advertise[SYNC_HOST_MAX + 8];
	uint64_t		 incarnation;
	uint64_t		 version;
	uint8_t			 master[SYNC_KEY_BYTES];
	unsigned int		 port;		/* our sync port, and default */
	unsigned int		 ttl;
	unsigned int		 interval;
	unsigned int		 heartbeat;	/* idle seconds before one */
	uint64_t		 ticks;		/* seconds of sync->tick */
	struct sync_backend_inst insts[SYNC_MAX_BACKENDS]; /* fixed slots */
	TAILQ_HEAD(, sync_peer)	 peers;
	TAILQ_HEAD(, sync_session) inbound;
	unsigned int		 ninbound;
	TAILQ_HEAD(, sync_origin) origins;
	unsigned int		 norigins;
	size_t			 nremote;	/* origin + staging entries */
	struct sync_limits	 lim;
	struct event		*tick;		/* every second */
	struct event		*flush;		/* batches, at the turn's end */
	struct sync_stats	 stats;
	struct log_rate		 warn_rate;	/* what peers made us refuse */
	struct sync_origin	*restoring;	/* handover: ONODEs go here */
};

/* sync_session.c: streams, called by the core. */
void	sync_session_dial(struct sync_peer *);
const char *sync_session_state_name(enum sync_sess_state);
void	sync_session_free(struct sync_session *, const char *reason);
void	sync_session_end(struct sync_session *, enum sync_sess_state,
	    const char *reason);
void	sync_session_accept(struct sync *, int fd, const uint8_t *body,
	    size_t len);

/* sync_cluster.c: the cluster in a stream's clear-text opening. */
int	sync_cluster_open(struct sync *, int proto, const uint8_t *random,
	    uint8_t *frame, size_t size);
int	sync_cluster_admit(struct sync *, int fd, const char *addr,
	    const uint8_t *body, size_t len, const uint8_t **random,
	    int *proto);
int	sync_cluster_refused(struct sync_session *);

/* sync_send.c: what an open stream writes. */
void	sync_send_msg(struct sync_session *, const struct sync_msg *);
void	sync_send_flush(struct sync_session *);
void	sync_send_flush_all(struct sync *);
void	sync_send_hello(struct sync_session *);
void	sync_send_snapshot(struct sync_session *);
size_t	sync_send_pending(struct sync_session *);

/* sync_admit.c: slots for accepted streams, the self rule. */
struct sockaddr_storage;
void	sync_admit_source(const struct sockaddr_storage *,
	    uint8_t key[SYNC_SRC_BYTES]);
struct sync_session *sync_admit(struct sync *,
	    const uint8_t src[SYNC_SRC_BYTES], const char **why);
int	sync_self_check(struct sync_session *, const struct sync_msg *);

/* sync_peer.c: peers, and what streams tell the core about them. */
struct sync_peer *sync_peer_find(struct sync *, const char *host,
	    unsigned int port);
struct sync_peer *sync_peer_add(struct sync *, const char *host,
	    unsigned int port, unsigned int source);
void	sync_peer_free(struct sync_peer *, const char *reason);
const char *sync_peer_status(const struct sync_peer *);
int	sync_peer_hello(struct sync_session *, const struct sync_msg *);
void	sync_peer_resync(struct sync_session *);
void	sync_peer_session_gone(struct sync_session *);

/* sync_origin.c: remote origins, the merge, the caps, expiry. */
struct sync_origin *sync_origin_find(struct sync *, const char *host);
struct sync_origin *sync_origin_new(struct sync *, const char *host,
	    const char *addr);
void	sync_origin_free(struct sync *, struct sync_origin *,
	    const char *why);
void	sync_origin_take(struct sync *, struct sync_origin *,
	    struct registry *, const struct proto_node *, const char *reject);
int	sync_origin_message(struct sync_session *, const struct sync_msg *);
void	sync_origin_staging_drop(struct sync_session *);
void	sync_origin_expire(struct sync *);
void	sync_origin_address(const struct sync_origin *, char *buf,
	    size_t size);

#endif /* SYNC_INT_H */
