/*
 * The etcd backend's parts: the cluster as etcd holds it (the view,
 * sync_etcd_view.c), fed to the sync core one origin at a time, and the
 * value a key holds.  Keys are <prefix><cluster>/<host>/<node name>.
 */
#ifndef SYNC_ETCD_H
#define SYNC_ETCD_H

#include <stddef.h>
#include <stdint.h>

struct proto_node;
struct sync_backend_inst;
struct etcd_view;

/* A value: magic, incarnation, advertise, the node (wire.h). */
#define ETCD_VALUE_MAGIC	0x45580001u	/* "EX", version 1 */
#define ETCD_VALUE_MAX		1024

/* Encode a local node's value into buf; its length, or 0. */
size_t		 etcd_value_put(uint8_t *buf, size_t size, uint64_t incarnation,
		    const char *advertise, const struct proto_node *);
/*
 * Decode a value: the node points into buf, advertise is copied; -1 if
 * it is not one.
 */
int		 etcd_value_get(const uint8_t *buf, size_t len,
		    uint64_t *incarnation, char *advertise, size_t advsize,
		    struct proto_node *);

struct etcd_view *etcd_view_new(void);
void		 etcd_view_free(struct etcd_view *);
/*
 * A key of origin host was put (its value, revision, lease) or deleted.
 * -1 (nothing changed) when the value is no node or names another one.
 */
int		 etcd_view_put(struct etcd_view *, const char *host,
		    const uint8_t *name, size_t namelen, const uint8_t *val,
		    size_t vallen, uint64_t mod_revision);
void		 etcd_view_del(struct etcd_view *, const char *host,
		    const uint8_t *name, size_t namelen);
/*
 * Feed the core each origin changed since the last flush (every origin
 * when all), an origin left with no key as gone.
 */
void		 etcd_view_flush(struct etcd_view *, struct sync_backend_inst *,
		    int all);
/* Origins of old that fresh lacks are gone; fresh's are all fed. */
void		 etcd_view_swap(struct etcd_view *old, struct etcd_view *fresh,
		    struct sync_backend_inst *);
/* Tell the core every origin is still held (etcd answered). */
void		 etcd_view_touch(struct etcd_view *,
		    struct sync_backend_inst *);
size_t		 etcd_view_entries(const struct etcd_view *);

/* The backend's state, shared by sync_etcd.c and sync_etcd_backend.c. */
#include <time.h>

#include "log.h"
#include "sync_msg.h"

struct etcd_http;
struct event;
struct node;
struct sync;

#define ETCD_KEY_MAX		1024	/* a key's bytes */
/* JSON tokens a reply of len bytes may make: at most 4M (160 MiB). */
#define ETCD_TOKENS(len)	((len) / 2 + 64 < (4U << 20) ? \
				    (len) / 2 + 64 : (4U << 20))
#define ETCD_STALE_LEASES	4	/* earlier sessions' leases to revoke */
/* Puts and deletes in one txn, at most (etcd's --max-txn-ops default). */
#define ETCD_TXN_OPS		128
#define ETCD_BACKOFF_MAX	5000	/* ms between sessions, at most */
/*
 * A watch asks for progress notices, which etcd sends every 10 minutes
 * by default: one silent for longer is read again (a proxy may have
 * dropped it without a word).
 */
#define ETCD_WATCH_QUIET	(11 * 60)

enum etcd_state {
	ETCD_IDLE,		/* waiting to start a session */
	ETCD_AUTH,
	ETCD_GRANT,
	ETCD_PUT,		/* putting every local node */
	ETCD_REVOKE,
	ETCD_RANGE,
	ETCD_RUNNING,		/* watching, keeping the lease alive */
};

struct sync_etcd {
	struct sync_backend_inst *bi;
	struct sync		*s;
	struct etcd_http	*http;
	struct etcd_view	*view;
	char			*endpoints, *prefix, *cluster;
	char			*cacert, *cert, *key, *password_file;
	char			*auth;		/* {"name":..,"password":..} */
	char			 keyprefix[512]; /* <prefix><cluster>/ */
	char			 advertise[SYNC_HOST_MAX + 8]; /* in values */
	enum etcd_state		 state;
	unsigned int		 session;	/* counts sessions */
	uint64_t		 lease;
	uint64_t		 stale[ETCD_STALE_LEASES];
	unsigned int		 pending;	/* puts in flight */
	unsigned int		 revoking;	/* revokes in flight */
	uint64_t		 revision;	/* of the last range */
	unsigned int		 ttl;
	unsigned int		 backoff;	/* ms */
	unsigned int		 fails;		/* in a row */
	int			 ever;		/* a session once ran */
	int			 warned;	/* this outage is logged */
	char			 why[160];	/* with this reason */
	struct log_rate		 rate;		/* reasons that change */
	time_t			 contact;	/* last answer, mono_now() */
	time_t			 lost;		/* since when, 0 while up */
	time_t			 watch_heard;	/* the watch's last line */
	struct event		*retry;
	struct event		*keepalive;
	/*
	 * This loop turn's puts and deletes, as txn operations, sent as one
	 * txn at the end of the turn (or when ETCD_TXN_OPS are in).
	 */
	struct evbuffer		*batch;
	unsigned int		 batchops;
	struct event		*flush;
	uint64_t		 sessions, ranges, events, puts;
};

/* sync_etcd.c: the session. */
void		 etcd_session_cb(int, short, void *);	/* start one */
void		 etcd_keepalive_tick(int, short, void *);
void		 etcd_fail(struct sync_etcd *, const char *what,
		    const char *why);
/* Put (up) or delete a local node's key, in this turn's txn. */
void		 etcd_publish(struct sync_etcd *, const struct node *, int up);
/* Send this turn's txn now; drop it (a session ended). */
void		 etcd_flush(struct sync_etcd *);
void		 etcd_flush_cb(int, short, void *);
void		 etcd_batch_drop(struct sync_etcd *);
/* Helpers of both halves. */
struct json;
void		 etcd_b64(char *out, size_t size, const void *in, size_t len);
int		 etcd_unb64(const struct json *, int t, uint8_t *out,
		    size_t size);
/* A local node's key, base64 (name NULL: the cluster's prefix). */
void		 etcd_key(struct sync_etcd *, const uint8_t *name,
		    size_t namelen, char *out, size_t size);
/* Parse a reply; -1 (logged, the session failed) unless 200 and JSON. */
int		 etcd_reply(struct sync_etcd *, const char *what,
		    struct json *, int code, const char *body, size_t len,
		    const char *err);
/* A put or delete answered (an etcd_http_done). */
void		 etcd_put_cb(void *, int, const char *, size_t, const char *);

/* sync_etcd_read.c: read the whole cluster, then watch it. */
void		 etcd_range(struct sync_etcd *);

/* After a reload: if the address in our values changed, write them. */
void		 etcd_readvertise(struct sync_etcd *);

#endif /* SYNC_ETCD_H */
