/*
 * Client connections.  Each is a small state machine:
 *
 *   DELAY -> READ -> [WRITE_DELAY ->] FLUSH -> freed
 *                 -> REGISTERED (ALIVE2 accepted) -> freed on any event
 *                 -> KEPT (ALIVE2 refused, kept open as stock) -> freed
 *
 * A request is read through a bufferevent; a registration is then held
 * with a bare read event, which is all it needs and costs far less.
 * conn_free() is the one teardown and the only place a local
 * registration is removed.  Who may ask what, and the answers, are
 * conn_req.c's; the server hears of each registration that comes and
 * goes.  Replies waiting for slow readers count against
 * reply_buffer_total, all connections together (conn_reply.c).  The
 * connections as a whole (evicting, counting, closing them all) are
 * conn_set.c's.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "conn.h"
#include "conn_int.h"
#include "conn_reply.h"
#include "conn_req.h"
#include "epmdx.h"
#include "log.h"
#include "mono.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"
#include "watch.h"
#include "xmalloc.h"

static const char *const conn_state_names[] = {
	"delay", "read", "write-delay", "flush", "kept", "registered"
};

static void	conn_enter_state(struct conn *, enum conn_state);
static void	conn_drop(struct conn *, const char *);
static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_watch_cb(evutil_socket_t, short, void *);
static void	conn_dispatch(struct conn *, const struct proto_req *);
static void	conn_alive2(struct conn *, const struct proto_req *);
static void	conn_alive2_send(struct conn *);
static void	conn_handoff_sync(struct conn *, const struct proto_req *);
static void	conn_handoff_watch(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_delay(struct conn *, unsigned int);
static void	conn_reply_account(struct conn *);

/* The peer's address, for logs. */
const char *
conn_peer(const struct conn *c)
{
	static char	 buf[ADDR_TEXT_MAX];

	return addr_fd_text(c->fd, 1, buf, sizeof(buf));
}

/* Take over an accepted, non-blocking socket. */
void
conn_accept(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen)
{
	static struct log_rate	 rl = LOG_RATE("connection limit", 1, 60);
	struct conn		*c;

	if (srv->nrequests >= srv->conf.max_connections) {
		srv->stats.limit_hits++;
		log_rate_warnx(&rl, "connection limit reached "
		    "max_connections=%u, closing the oldest idle connections",
		    srv->conf.max_connections);
		conn_evict_oldest(srv, "connection limit reached", 0);
	}

	srv->stats.accepted++;
	if (srv->conf.delay_accept == 0 && srv->conf.delay_write == 0 &&
	    conn_req_fast(srv, fd) == 0)
		return;

	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->since = mono_now();
	c->local = conn_req_local(fd, peer);
	TAILQ_INSERT_TAIL(&srv->requests, c, entry);
	srv->nrequests++;

	if ((c->bev = bufferevent_socket_new(srv->base, fd, 0)) == NULL) {
		conn_free(c, "out of memory");
		return;
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	/* A frame is at most Len+2 < 3060 bytes; one more means garbage. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAXPAYLOAD + 3);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	conn_set_timeouts(c);

	if (srv->conf.delay_accept > 0) {
		c->state = CONN_DELAY;
		conn_delay(c, srv->conf.delay_accept);
		return;
	}
	c->state = CONN_READ;
	bufferevent_enable(c->bev, EV_READ);
}

/* Arm the one-shot timer for delay_accept or delay_write. */
static void
conn_delay(struct conn *c, unsigned int secs)
{
	struct timeval	 tv;

	if (c->timer == NULL)
		c->timer = evtimer_new(c->srv->base, conn_timer_cb, c);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(c->timer, &tv);
}

/* Move to a new state, with a debug trace. */
static void
conn_enter_state(struct conn *c, enum conn_state state)
{
	if (log_getverbose() >= 3)
		log_debug("conn fd=%d %s -> %s", c->fd,
		    conn_state_names[c->state], conn_state_names[state]);
	c->state = state;
}

/*
 * Read and write timeouts: stock closes a connection idle for more than
 * packet_timeout whole seconds, so allow one second more than that.
 */
void
conn_set_timeouts(struct conn *c)
{
	struct timeval	 tv;

	tv.tv_sec = c->srv->conf.packet_timeout + 1;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* The one teardown: unregister, close, free. */
void
conn_free(struct conn *c, const char *reason)
{
	struct server	*srv = c->srv;

	if (c->node != NULL) {
		log_debug("node unregistered name=%s port=%u reason=\"%s\"",
		    conn_req_name(c->node->name, c->node->namelen),
		    c->node->port, reason);
		if (c->state == CONN_REGISTERED)
			srv->node_removed(srv, c->node);
		registry_unregister(srv->reg, c->node);
		c->node = NULL;
	} else if (log_getverbose() >= 3)
		log_debug("conn closed fd=%d state=%s reason=\"%s\"", c->fd,
		    conn_state_names[c->state], reason);

	if (c->state == CONN_REGISTERED) {
		TAILQ_REMOVE(&srv->regs, c, entry);
		srv->nregs--;
	} else {
		TAILQ_REMOVE(&srv->requests, c, entry);
		srv->nrequests--;
	}
	conn_reply_release(&c->reply);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->timer != NULL)
		event_free(c->timer);
	close(c->fd);
	free(c);
}

/* Close on bad input: logged (rate-limited), never more than that. */
static void
conn_drop(struct conn *c, const char *why)
{
	static struct log_rate	 rl = LOG_RATE("bad requests", 10, 1);

	c->srv->stats.dropped++;
	log_rate_warnx(&rl, "bad request peer=%s reason=\"%s\", closing",
	    conn_peer(c), why);
	conn_free(c, why);
}

/*
 * Adopt a socket handed over by the previous process: a registration
 * (n != NULL, already in the registry) or a kept connection.
 */
void
conn_adopt(struct server *srv, int fd, struct node *n)
{
	struct conn	*c;

	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->local = 1;
	c->node = n;
	c->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, conn_watch_cb,
	    c);
	event_add(c->ev, NULL);
	if (n != NULL) {
		n->owner = c;
		n->fd = fd;
		c->state = CONN_REGISTERED;
		TAILQ_INSERT_TAIL(&srv->regs, c, entry);
		srv->nregs++;
	} else {
		c->state = CONN_KEPT;
		TAILQ_INSERT_TAIL(&srv->requests, c, entry);
		srv->nrequests++;
	}
}

/* delay_accept or delay_write ran out. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	switch (c->state) {
	case CONN_DELAY:
		conn_enter_state(c, CONN_READ);
		bufferevent_enable(c->bev, EV_READ);
		break;
	case CONN_WRITE_DELAY:
		if (c->alivelen > 0) {
			conn_alive2_send(c);
			break;
		}
		conn_enter_state(c, CONN_FLUSH);
		bufferevent_enable(c->bev, EV_WRITE);
		break;
	default:
		fatalx("conn_timer_cb: state %d", c->state);
	}
}

/* Bytes arrived: decode once a whole frame is in. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct proto_req	 req;
	const uint8_t		*buf;
	const char		*why = NULL;
	size_t			 len, used;

	if (c->state != CONN_READ)
		return;
	len = evbuffer_get_length(in);
	buf = evbuffer_pullup(in, -1);
	switch (proto_decode(buf, len, &req, &used, &why)) {
	case PROTO_NEED_MORE:
		return;
	case PROTO_ERR:
		conn_drop(c, why != NULL ? why : "malformed request");
		return;
	case PROTO_OK:
		break;
	}
	bufferevent_disable(bev, EV_READ);
	c->srv->stats.requests[req.op]++;
	conn_dispatch(c, &req);	/* may free c */
}

/* Output drained: the reply is out, close (or exit after KILL). */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct server	*srv = c->srv;
	int		 kill;

	if (c->state != CONN_FLUSH ||
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	kill = c->flags & CONN_F_KILL;
	conn_free(c, "reply sent");
	if (kill)
		srv->kill(srv);
}

/* EOF, error or timeout while reading or replying. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		c->srv->stats.timeouts++;
		conn_free(c, "timeout");
	} else if (what & BEV_EVENT_EOF)
		conn_free(c, "closed by peer");
	else
		conn_free(c, "socket error");
}

/* Anything on a registration (or kept) connection ends it, as stock. */
static void
conn_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 b;
	ssize_t		 n;

	n = recv(fd, &b, 1, MSG_PEEK);
	if (n > 0)
		conn_free(c, "data on registration connection");
	else if (n == 0)
		conn_free(c, "closed by peer");
	else if (errno != EAGAIN && errno != EINTR)
		conn_free(c, strerror(errno));
}

/* The reply is complete: send it (after delay_write), then close. */
static void
conn_flush(struct conn *c)
{

	conn_reply_account(c);
	if (c->srv->conf.delay_write > 0) {
		conn_enter_state(c, CONN_WRITE_DELAY);
		conn_delay(c, c->srv->conf.delay_write);
		return;
	}
	conn_enter_state(c, CONN_FLUSH);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* SYNC: the stream belongs to sync from here; the fd goes with it. */
static void
conn_handoff_sync(struct conn *c, const struct proto_req *req)
{
	struct server	*srv = c->srv;
	uint8_t		 body[PROTO_SYNC_OPEN_MAX];
	size_t		 len = req->bodylen;
	int		 fd;

	if (len > sizeof(body))
		len = sizeof(body);	/* proto.c allows no more */
	memcpy(body, req->body, len);	/* req points into bev */
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);	/* no exec'd child gets it */
	conn_free(c, "handed to sync");
	if (fd == -1) {
		log_warn("sync handoff: dup");
		return;
	}
	sync_accept(srv, fd, body, len);
}

/* WATCH: the connection becomes a subscriber; the fd goes with it. */
static void
conn_handoff_watch(struct conn *c)
{
	struct server	*srv = c->srv;
	int		 fd;

	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);	/* no exec'd child gets it */
	conn_free(c, "handed to watch");
	if (fd == -1) {
		log_warn("watch handoff: dup");
		return;
	}
	watch_accept(srv, fd);
}

/* Act on what conn_req.c decided about one request. */
static void
conn_dispatch(struct conn *c, const struct proto_req *req)
{
	struct conn_req_result	 res;

	conn_req_dispatch(c->srv, c->fd, c->local, req,
	    bufferevent_get_output(c->bev), &res);
	switch (res.action) {
	case CONN_REQ_REPLY:
		break;
	case CONN_REQ_KILL:
		c->flags |= CONN_F_KILL;
		break;
	case CONN_REQ_DROP:
		conn_drop(c, res.why);
		return;
	case CONN_REQ_CLOSE:
		conn_free(c, res.why);
		return;
	case CONN_REQ_ALIVE2:
		conn_alive2(c, req);
		return;
	case CONN_REQ_SYNC:
		conn_handoff_sync(c, req);
		return;
	case CONN_REQ_WATCH:
		conn_handoff_watch(c);
		return;
	case CONN_REQ_STOP:
		conn_free(res.stop, "stopped by STOP request");
		break;
	}
	conn_flush(c);
}

/* ALIVE2: register (or refuse), reply in one write, keep the socket. */
static void
conn_alive2(struct conn *c, const struct proto_req *req)
{
	struct server	*srv = c->srv;
	struct node	*n = NULL;
	uint32_t	 creation = PROTO_ERR_CREATION;
	int		 len;

	if (req->refuse != NULL)
		log_info("registration refused name=%s reason=\"%s\"",
		    conn_req_name(req->node.name, req->node.namelen), req->refuse);
	else if ((n = registry_add(srv->reg, &req->node, time(NULL), c->fd,
	    c)) == NULL)
		log_info("registration refused name=%s reason=\"name in use\"",
		    conn_req_name(req->node.name, req->node.namelen));
	if (n != NULL) {
		c->node = n;
		creation = registry_creation(n);
		log_debug("node registered name=%s port=%u creation=%u",
		    conn_req_name(n->name, n->namelen), n->port, creation);
	} else
		srv->stats.refused++;

	len = proto_encode_alive2_resp(c->alive, sizeof(c->alive),
	    req->node.high, n != NULL ? 0 : 1, creation);
	if (len < 0)
		fatalx("conn_alive2: reply does not fit");
	c->alivelen = (uint8_t)len;

	/* The request is consumed; the rest is a plain read watch. */
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (srv->conf.delay_write > 0) {
		conn_enter_state(c, CONN_WRITE_DELAY);
		conn_delay(c, srv->conf.delay_write);
		return;
	}
	conn_alive2_send(c);
}

/*
 * Write the ALIVE2 reply in one write(), as erl_epmd needs, then watch
 * the socket: stock keeps it open even after a refusal.
 */
static void
conn_alive2_send(struct conn *c)
{
	struct server	*srv = c->srv;
	ssize_t		 n;

	do {
		n = write(c->fd, c->alive, c->alivelen);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)c->alivelen) {
		conn_free(c, "ALIVE2 reply write failed");
		return;
	}
	c->alivelen = 0;
	c->ev = event_new(srv->base, c->fd, EV_READ | EV_PERSIST,
	    conn_watch_cb, c);
	event_add(c->ev, NULL);
	if (c->node == NULL) {
		conn_enter_state(c, CONN_KEPT);
		return;
	}
	TAILQ_REMOVE(&srv->requests, c, entry);
	srv->nrequests--;
	TAILQ_INSERT_TAIL(&srv->regs, c, entry);
	srv->nregs++;
	conn_enter_state(c, CONN_REGISTERED);
	srv->node_added(srv, c->node);
}

/*
 * Count the reply just queued against reply_buffer_total.  Room is made
 * by closing the oldest connections still holding reply bytes, never by
 * cutting a reply short; a reply larger than the whole budget is sent
 * alone.
 */
static void
conn_reply_account(struct conn *c)
{
	static struct log_rate	 rl = LOG_RATE("slow readers closed", 10, 1);
	struct server		*srv = c->srv;
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	struct conn		*o, *next;
	size_t			 len = evbuffer_get_length(out);

	if (len == 0 || c->reply.out != NULL)
		return;
	for (o = TAILQ_FIRST(&srv->requests); o != NULL &&
	    conn_reply_over(srv, len); o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o == c || o->reply.queued == 0 || (o->flags & CONN_F_KILL))
			continue;
		srv->stats.reply_evicted++;
		srv->stats.evicted++;
		log_rate_warnx(&rl, "reply_buffer_total reached (%zu bytes "
		    "queued): closing slow reader peer=%s with %zu bytes "
		    "unread", srv->reply_queued, conn_peer(o), o->reply.queued);
		conn_free(o, "reply_buffer_total reached");
	}
	conn_reply_count(&c->reply, srv, out);
}
