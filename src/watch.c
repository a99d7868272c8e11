/*
 * WATCH subscribers.  A watcher is sent the cluster table as "+" lines,
 * then "=", then a "+" or "-" line for each change until it closes.  Its
 * output queue may hold its table plus watch_queue_max bytes of changes;
 * a watcher that falls further behind is sent "! overflow" (if the
 * socket takes it) and closed: it reconnects and gets the table again.
 * An idle watcher is a bufferevent with no timeout: no CPU, no timer.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_SYNCED	"=\n"		/* the table is complete */
#define WATCH_OVERFLOW	"!\toverflow\n"	/* the last line of a dropped one */
#define WATCH_BUSY	"!\tmax_watchers\n" /* refused: too many */
/*
 * The socket's send buffer, fixed: what a watcher that does not read
 * makes the kernel hold on top of its queue stays small and known.
 */
#define WATCH_SNDBUF	(32 * 1024)

struct watcher {
	TAILQ_ENTRY(watcher)	 entry;		/* srv->watchers */
	struct server		*srv;
	int			 fd;
	struct bufferevent	*bev;
	size_t			 limit;		/* queue bound, bytes */
};

static void	watch_free(struct watcher *, const char *);
static void	watch_read_cb(struct bufferevent *, void *);
static void	watch_event_cb(struct bufferevent *, short, void *);

/* The peer, for logs. */
static const char *
watch_peer(const struct watcher *w)
{
	static char	 buf[ADDR_TEXT_MAX];

	return addr_fd_text(w->fd, 1, buf, sizeof(buf));
}

/* One table line into the new watcher's queue. */
static void
watch_table_line(void *arg, const struct node *n, const char *host,
    const char *addr, long age, const char *from)
{
	struct evbuffer		*out = arg;
	struct proto_node	 view;
	char			 line[PROTO_WATCH_LINE_MAX];
	int			 len;

	registry_node_view(n, &view);
	if ((len = proto_encode_watch_line(line, sizeof(line), 1, &view, host,
	    addr)) > 0)
		evbuffer_add(out, line, (size_t)len);
}

/* Subscribe fd: the table, "=", then changes. */
void
watch_accept(struct server *srv, int fd)
{
	static struct log_rate	 rl = LOG_RATE("watchers refused", 1, 10);
	struct watcher		*w;
	struct evbuffer		*out;
	ssize_t			 n;
	int			 sndbuf;

	if (srv->nwatchers >= srv->conf.max_watchers) {
		srv->stats.watch_refused++;
		log_rate_warnx(&rl, "WATCH refused: max_watchers=%u reached",
		    srv->conf.max_watchers);
		do {
			n = send(fd, WATCH_BUSY, sizeof(WATCH_BUSY) - 1,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		} while (n == -1 && errno == EINTR);
		close(fd);
		return;
	}
	sndbuf = WATCH_SNDBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) == -1)
		log_debug("watcher: SO_SNDBUF: %s", strerror(errno));
	w = xcalloc(1, sizeof(*w));
	w->srv = srv;
	w->fd = fd;
	if ((w->bev = bufferevent_socket_new(srv->base, fd, 0)) == NULL) {
		close(fd);
		free(w);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->watchers, w, entry);
	srv->nwatchers++;
	bufferevent_setcb(w->bev, watch_read_cb, NULL, watch_event_cb, w);
	out = bufferevent_get_output(w->bev);
	sync_cluster_foreach(srv, watch_table_line, out);
	evbuffer_add(out, WATCH_SYNCED, sizeof(WATCH_SYNCED) - 1);
	/* The table may be large: the bound is on what comes after it. */
	w->limit = evbuffer_get_length(out) + srv->conf.watch_queue_max;
	bufferevent_enable(w->bev, EV_READ | EV_WRITE);
	log_debug("watcher subscribed peer=%s watchers=%u", watch_peer(w),
	    srv->nwatchers);
}

/* The one teardown. */
static void
watch_free(struct watcher *w, const char *reason)
{
	struct server	*srv = w->srv;

	log_debug("watcher closed peer=%s reason=\"%s\"", watch_peer(w),
	    reason);
	TAILQ_REMOVE(&srv->watchers, w, entry);
	srv->nwatchers--;
	bufferevent_free(w->bev);
	close(w->fd);
	free(w);
}

/*
 * The watcher fell behind: the overflow line goes last into its queue
 * (the bound keeps room for it), one write is tried, then it is closed.
 */
static void
watch_overflow(struct watcher *w)
{
	static struct log_rate	 rl = LOG_RATE("watchers overflowed", 10, 1);
	struct server		*srv = w->srv;
	struct evbuffer		*out = bufferevent_get_output(w->bev);

	srv->stats.watch_overflows++;
	log_rate_warnx(&rl, "watcher too slow peer=%s queued=%zu "
	    "watch_queue_max=%zu, closing", watch_peer(w),
	    evbuffer_get_length(out), srv->conf.watch_queue_max);
	evbuffer_add(out, WATCH_OVERFLOW, sizeof(WATCH_OVERFLOW) - 1);
	(void)evbuffer_write(out, w->fd);
	watch_free(w, "overflow");
}

/* A node came or went: one line to every watcher, or its overflow. */
void
watch_changed(struct server *srv, const struct node *n, const char *host,
    const char *addr, int up)
{
	struct watcher		*w, *next;
	struct proto_node	 view;
	char			 line[PROTO_WATCH_LINE_MAX];
	size_t			 queued;
	int			 len;

	if (TAILQ_EMPTY(&srv->watchers))
		return;
	registry_node_view(n, &view);
	if ((len = proto_encode_watch_line(line, sizeof(line), up, &view,
	    host, addr)) < 0)
		return;
	for (w = TAILQ_FIRST(&srv->watchers); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		queued = evbuffer_get_length(bufferevent_get_output(w->bev));
		if (queued + (size_t)len + sizeof(WATCH_OVERFLOW) - 1 >
		    w->limit) {
			watch_overflow(w);
			continue;
		}
		bufferevent_write(w->bev, line, (size_t)len);
	}
}

/* A watcher sends nothing after WATCH: anything it sends ends it. */
static void
watch_read_cb(struct bufferevent *bev, void *arg)
{
	static struct log_rate	 rl = LOG_RATE("bad requests", 10, 1);
	struct watcher		*w = arg;

	w->srv->stats.dropped++;
	log_rate_warnx(&rl, "bad request peer=%s reason=\"data after "
	    "WATCH\", closing", watch_peer(w));
	watch_free(w, "data after WATCH");
}

/* EOF or a socket error. */
static void
watch_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct watcher	*w = arg;

	watch_free(w, (what & BEV_EVENT_EOF) ? "closed by peer" :
	    "socket error");
}

/* Close every watcher. */
void
watch_close_all(struct server *srv, const char *reason)
{
	struct watcher	*w;

	while ((w = TAILQ_FIRST(&srv->watchers)) != NULL)
		watch_free(w, reason);
}
