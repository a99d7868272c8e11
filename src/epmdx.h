/*
 * The daemon's shared state, one per process: server.c sets it up and
 * runs it; every module it runs is handed a pointer.  The modules reach
 * the server back only through the calls in it (server.c fills them in),
 * so none of them includes server.h.  The configuration and the log
 * state are the only other globals.
 */
#ifndef EPMDX_H
#define EPMDX_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <time.h>

#include "config.h"

#ifndef EPMDX_VERSION
#define EPMDX_VERSION	"0.0.0"
#endif

struct conn;
struct listener;
struct node;
struct registry;
struct sync;
struct event_base;
struct watcher;
TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(watcher_list, watcher);

/* Counters, reported by STATUS and /metrics. */
struct server_stats {
	uint64_t	 accepted;
	uint64_t	 requests[256];	/* by opcode */
	uint64_t	 refused;	/* ALIVE2 answered Result 1 */
	uint64_t	 dropped;	/* closed without reply: bad input */
	uint64_t	 evicted;	/* closed to make room (cap, EMFILE) */
	uint64_t	 timeouts;
	uint64_t	 limit_hits;	/* max_connections reached */
	uint64_t	 fd_exhausted;	/* accept failed: out of fds */
	uint64_t	 registered;	/* successful ALIVE2 */
	uint64_t	 unregistered;
	/* Replies closed unsent to stay within reply_buffer_total. */
	uint64_t	 reply_evicted;
	/* Requests refused by an [access] allow list, by request. */
	uint64_t	 refused_names;
	uint64_t	 refused_port_please;
	uint64_t	 refused_sync;
	/* WATCH: subscribers closed for overflow, refused at max_watchers. */
	uint64_t	 watch_overflows;
	uint64_t	 watch_refused;
};

struct server {
	struct event_base	*base;
	struct epmd_conf	 conf;
	struct registry		*reg;
	unsigned int		 names_port;	/* NAMES/DUMP header port */
	time_t			 started;	/* wall clock, as printed */
	time_t			 started_mono;	/* monotonic, for uptime */

	/* Requests under way and kept (refused ALIVE2) sockets, oldest first. */
	struct conn_list	 requests;
	unsigned int		 nrequests;
	struct conn_list	 regs;		/* holding a registration */
	unsigned int		 nregs;
	unsigned long		 nofile;	/* RLIMIT_NOFILE in force */
	size_t			 reply_queued;	/* reply bytes not yet sent */

	struct watcher_list	 watchers;	/* WATCH subscribers (watch.c) */
	unsigned int		 nwatchers;

	TAILQ_HEAD(listener_list, listener) listeners;
	unsigned int		 nlisteners;

	struct server_stats	 stats;
	void			*metrics;	/* metrics.c, when listening */
	struct sync		*sync;		/* sync.c, when enabled */
	int			 restored;	/* state came from a handover */
	uint64_t		 sync_incarnation; /* kept across an upgrade */
	/*
	 * A store backend's token (etcd: its lease) from a sync that a
	 * reload closed, for the sync it opens next to revoke.
	 */
	uint64_t		 sync_store_left;
	uint64_t		 sync_version;

	/* What the server does for its modules (server.c sets these). */
	/* A registration is complete (its reply sent), or it ended. */
	void			(*node_added)(struct server *, struct node *);
	void			(*node_removed)(struct server *, struct node *);
	/*
	 * Sync took a remote entry of host (reached at addr) into the
	 * cluster table (up=1), or dropped it.
	 */
	void			(*remote_changed)(struct server *,
				    const struct node *, const char *host,
				    const char *addr, int up);
	/* A socket restored from a handover or the fd store (n or NULL). */
	void			(*adopt)(struct server *, int fd, struct node *n);
	/* An accepted socket; make room by closing the oldest request. */
	void			(*accept)(struct server *, int fd,
				    const struct sockaddr *, socklen_t);
	int			(*evict)(struct server *, const char *reason,
				    int min_age);
	/* An authorised UPGRADE; the server answers on reply_fd. */
	void			(*upgrade)(struct server *, int reply_fd);
	/* Called after a KILL reply went out: shut down, exit 0. */
	void			(*kill)(struct server *);
};

#endif /* EPMDX_H */
