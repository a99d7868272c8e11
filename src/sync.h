/*
 * Peer sync, its interface to backends and to the rest of the daemon.
 * Daemons share their local registrations.  Each daemon is an origin
 * (host name, incarnation, version) and alone writes its own entries; the
 * core keeps the remote origins' tables, merges what peers push, expires
 * origins not heard within ttl, and dials the peers that the backends
 * report.  Backends never touch the registry: a discovery backend calls
 * sync_peer_seen() and sync_peer_gone(); a store backend publishes our
 * local changes (local_changed) and feeds whole origins
 * (sync_origin_feed(), sync_origin_touch(), sync_origin_gone()).  See
 * epmdx-sync(7).
 */
#ifndef SYNC_H
#define SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mono.h"

struct event_base;
struct evbuffer;
struct node;
struct registry;
struct server;
struct sync;
struct sync_conf;

/* One backend instance's private state is behind sb->data. */
struct sync_backend_inst {
	const struct sync_backend	*backend;
	struct sync			*sync;
	void				*data;
	unsigned int			 bit;	/* this backend's peer source */
};

/*
 * A backend: a const table of function pointers (OpenSMTPD's
 * table_backend), listed by name in sync.c.  Optional hooks may be NULL.
 */
struct sync_backend {
	const char	*name;		/* "static", "hosts", "dns", "mcast" */
	/* Check conf, allocate state; -1 with *cause on a bad config. */
	int		 (*init)(struct sync_backend_inst *,
			    const struct sync_conf *, char **cause);
	/* Arm timers and sockets. */
	void		 (*start)(struct sync_backend_inst *);
	/*
	 * A new configuration, the backend still enabled.  The core has
	 * taken back every peer this backend reported: report again, at
	 * once, every peer still valid (peers left unreported are dropped
	 * when all reloads are done).  NULL: the core frees and re-inits.
	 */
	int		 (*reload)(struct sync_backend_inst *,
			    const struct sync_conf *, char **cause);
	/* Free everything; peers it reported are withdrawn by the core. */
	void		 (*free)(struct sync_backend_inst *);
	/*
	 * Optional, for a store backend: a local registration came (up=1)
	 * or went, after the core pushed it to the peers' streams; the
	 * backend publishes it to its store.  Discovery backends: NULL.
	 */
	void		 (*local_changed)(struct sync_backend_inst *,
			    const struct node *, int up);
	/*
	 * Optional: lines of its own for PEERS (the PEERS columns: where,
	 * state, origin, seconds since heard, entries, source, rejected),
	 * and metric families for /metrics.
	 */
	void		 (*peers)(struct sync_backend_inst *, struct evbuffer *);
	void		 (*metrics)(struct sync_backend_inst *,
			    struct evbuffer *);
};

extern const struct sync_backend sync_backend_static;
extern const struct sync_backend sync_backend_hosts;
extern const struct sync_backend sync_backend_dns;
extern const struct sync_backend sync_backend_mcast;
extern const struct sync_backend sync_backend_etcd;

/*
 * What backends may call.  host is a name or address literal, port 0
 * means the cluster's default sync port.
 */
void		 sync_peer_seen(struct sync_backend_inst *, const char *host,
		    unsigned int port);
void		 sync_peer_gone(struct sync_backend_inst *, const char *host,
		    unsigned int port);
/*
 * What a store backend may call instead of reporting peers: an origin's
 * whole table as the store holds it (replacing what the core had, under
 * the same name checks and caps as entries that come by a stream; our own
 * host name is ignored), and the origin's removal.  The core alone writes
 * its tables, as always; an origin fed this way expires after ttl unless
 * fed again or touched (the store still holds it, unchanged).  addr is
 * the origin's advertised host:port, NULL if unknown.
 */
struct proto_node;
void		 sync_origin_feed(struct sync_backend_inst *, const char *host,
		    const char *addr, uint64_t incarnation, uint64_t version,
		    const struct proto_node *nodes, size_t n);
void		 sync_origin_touch(struct sync_backend_inst *, const char *host);
void		 sync_origin_gone(struct sync_backend_inst *, const char *host);
/*
 * A store backend being freed leaves its token (etcd: its lease) for the
 * next instance, and takes the one left, 0 if none: when a reload
 * restarts sync (another cluster), the new instance revokes the old
 * lease once its own holds every local node.
 */
void		 sync_store_leave(struct sync_backend_inst *, uint64_t);
uint64_t	 sync_store_take(struct sync_backend_inst *);
/* Accessors backends need. */
struct event_base *sync_base(const struct sync *);
const char	*sync_hostname(const struct sync *);
uint64_t	 sync_incarnation(const struct sync *);
unsigned int	 sync_default_port(const struct sync *);
/* The master key derived from the shared secret and cluster (32 bytes). */
const uint8_t	*sync_master_key(const struct sync *);
/* The cluster name ([sync] cluster, "default" if unset). */
const char	*sync_cluster_name(const struct sync *);

/* Daemon side (main.c, conn.c). */
/* Start sync per srv->conf.sync; NULL srv->sync when sync is off. */
int		 sync_open(struct server *, char **cause);
/* Apply a reloaded configuration; -1 with *cause keeps the old one. */
int		 sync_reload(struct server *, char **cause);
void		 sync_close(struct server *);
/* A local registration came (up=1) or went (up=0). */
void		 sync_local_changed(struct server *, const struct node *,
		    int up);
/* An inbound sync stream: conn.c hands over fd after the opening frame. */
void		 sync_accept(struct server *, int fd, const uint8_t *body,
		    size_t len);

/* Upgrade handover (sync_handover.c): our origin, remote origins, restore. */
struct handover_rec;
void		 sync_handover_origin(struct server *, uint64_t *incarnation,
		    uint64_t *version);
void		 sync_handover_origins(struct server *,
		    void (*)(void *, const struct handover_rec *), void *);
void		 sync_handover_restore(struct server *,
		    const struct handover_rec *);

/* The cluster of srv: sync's when on, else the configured one. */
const char	*sync_cluster(const struct server *);
/* Prometheus families for /metrics (sync_metrics.c); nothing when off. */
void		 sync_metrics(struct server *, struct evbuffer *);

/* Queries (sync_query.c): conn.c answers CLUSTER, RESOLVE, PEERS. */
void		 sync_cluster_dump(struct server *, struct evbuffer *);
/*
 * The node name@host from the cluster table, NULL if unknown; addr gets
 * the address of the host it runs on (SYNC_LOCAL_ADDR for ours, "-" when
 * the origin's is unknown).
 */
const struct node *sync_resolve(struct server *, const uint8_t *name,
		    size_t namelen, const char *host, char *addr,
		    size_t addrsize);
/* The address a local node is reached at, in WATCH and RESOLVE. */
#define SYNC_LOCAL_ADDR	"127.0.0.1"
/* This host's name in the cluster table. */
void		 sync_local_host(struct server *, char *buf, size_t size);
/*
 * fn for every node of the cluster table, local first: the node, its
 * host, that host's address, age in seconds, and where it came from
 * ("local", or the origin's address as CLUSTER shows it).
 */
typedef void	 sync_node_fn(void *, const struct node *, const char *host,
		    const char *addr, long age, const char *from);
void		 sync_cluster_foreach(struct server *, sync_node_fn *, void *);
void		 sync_peers_dump(struct server *, struct evbuffer *);

#endif /* SYNC_H */
