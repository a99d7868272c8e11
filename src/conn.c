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
 * registration is removed.  Replies waiting for slow readers count
 * against reply_buffer_total, all connections together.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>

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

#include "acl.h"
#include "answer.h"
#include "conn.h"
#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"
#include "xmalloc.h"

enum conn_state {
	CONN_DELAY,		/* waiting out delay_accept */
	CONN_READ,		/* reading one request */
	CONN_WRITE_DELAY,	/* reply ready, waiting out delay_write */
	CONN_FLUSH,		/* writing the reply, then close */
	CONN_KEPT,		/* ALIVE2 refused; open until the peer acts */
	CONN_REGISTERED,	/* holds a registration */
};

static const char *const conn_state_names[] = {
	"delay", "read", "write-delay", "flush", "kept", "registered"
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* srv->requests or srv->regs */
	struct server		*srv;
	enum conn_state		 state;
	int			 fd;
	int			 local;		/* peer is local (stock rule) */
	int			 flags;
#define CONN_F_KILL	0x1			/* exit once the reply is out */
	time_t			 since;		/* accepted at */
	struct bufferevent	*bev;		/* while reading and replying */
	struct event		*ev;		/* KEPT, REGISTERED: read watch */
	struct event		*timer;		/* delay_accept, delay_write */
	struct node		*node;		/* our registration, if any */
	uint8_t			 alive[6];	/* ALIVE2 reply under delay */
	uint8_t			 alivelen;
	size_t			 queued;	/* reply bytes in reply_queued */
};

/* A log line rate limit: at most CONN_LOG_BURST a second, then a count. */
#define CONN_LOG_BURST	10
struct conn_ratelimit {
	time_t		 window;
	unsigned int	 count;
	unsigned int	 suppressed;
};

static void	conn_enter_state(struct conn *, enum conn_state);
static void	conn_free(struct conn *, const char *);
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
static void	conn_upgrade_refused(struct conn *);
static void	conn_reply(struct conn *, const void *, size_t);
static void	conn_flush(struct conn *);
static void	conn_set_timeouts(struct conn *);
static void	conn_delay(struct conn *, unsigned int);
static const char *conn_peer(const struct conn *);
static const char *conn_name(const uint8_t *, size_t);
static int	conn_allowed(struct conn *, const struct acl *, uint64_t *,
		    const char *);
static void	conn_reply_account(struct conn *);
static void	conn_reply_release(struct conn *);

/* Whether a connected socket's peer is local, as stock decides it. */
int
conn_local_peer(int fd)
{
	struct sockaddr_storage	 peer, self;
	struct sockaddr_in	*p4, *s4;
	struct sockaddr_in6	*p6, *s6;
	socklen_t		 len;

	len = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) == -1)
		return 0;
	if (peer.ss_family == AF_INET) {
		p4 = (struct sockaddr_in *)&peer;
		if ((ntohl(p4->sin_addr.s_addr) >> 24) == 127)
			return 1;
	} else if (peer.ss_family == AF_INET6) {
		p6 = (struct sockaddr_in6 *)&peer;
		if (IN6_IS_ADDR_LOOPBACK(&p6->sin6_addr))
			return 1;
	} else
		return 0;

	/* A connection from one of the host's own addresses to itself. */
	len = sizeof(self);
	if (getsockname(fd, (struct sockaddr *)&self, &len) == -1 ||
	    self.ss_family != peer.ss_family)
		return 0;
	if (peer.ss_family == AF_INET) {
		s4 = (struct sockaddr_in *)&self;
		return p4->sin_addr.s_addr == s4->sin_addr.s_addr;
	}
	s6 = (struct sockaddr_in6 *)&self;
	return memcmp(&p6->sin6_addr, &s6->sin6_addr,
	    sizeof(s6->sin6_addr)) == 0;
}

/* conn_local_peer(), starting from the address accept() returned. */
static int
conn_local_peer_addr(int fd, const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa == NULL)
		return conn_local_peer(fd);
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
			return 1;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
	}
	return conn_local_peer(fd);	/* peer == local address? */
}

/*
 * The common case, PORT_PLEASE2 from a node connecting to another: the
 * whole request is usually in the socket when accept() returns.  Answer
 * it right here, with no connection object or event: 0 if answered (and
 * the socket closed), -1 to take the ordinary path (the bytes are only
 * peeked, so they are still there).
 */
static int
conn_fast(struct server *srv, int fd)
{
	uint8_t			 in[PROTO_MAXPAYLOAD + 3];
	uint8_t			 out[ANSWER_PORT2_MAX];
	struct proto_req	 req;
	size_t			 used;
	ssize_t			 got;
	int			 len;

	if (srv->conf.access.port_please != NULL)
		return -1;	/* an allow list: conn_dispatch() decides */
	if ((got = recv(fd, in, sizeof(in), MSG_PEEK)) <= 0 ||
	    proto_decode(in, (size_t)got, &req, &used, NULL) != PROTO_OK ||
	    req.op != PROTO_PORT2_REQ)
		return -1;
	len = answer_port2(registry_lookup(srv->reg, req.node.name,
	    req.node.namelen), out, sizeof(out));
	/* Consume the request, then answer in one write. */
	if (recv(fd, in, used, 0) != (ssize_t)used ||
	    write(fd, out, (size_t)len) != len) {
		/* Cannot happen on a fresh socket; stock would close too. */
		srv->stats.dropped++;
		close(fd);
		return 0;
	}
	srv->stats.requests[PROTO_PORT2_REQ]++;
	close(fd);
	return 0;
}

/* The peer's address, for logs. */
static const char *
conn_peer(const struct conn *c)
{
	static char		 buf[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 host[INET6_ADDRSTRLEN];
	const void		*a;
	unsigned int		 port;

	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == -1)
		return "unknown";
	if (ss.ss_family == AF_INET) {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else
		return "unknown";
	if (inet_ntop(ss.ss_family, a, host, sizeof(host)) == NULL)
		return "unknown";
	snprintf(buf, sizeof(buf), ss.ss_family == AF_INET6 ? "[%s]:%u" :
	    "%s:%u", host, port);
	return buf;
}

/* A node name made safe for a log line: escaped, truncated. */
static const char *
conn_name(const uint8_t *name, size_t len)
{
	static char	 buf[256];
	size_t		 i, o = 0;

	for (i = 0; i < len && o + 9 < sizeof(buf); i++) {
		if (name[i] >= 0x21 && name[i] < 0x7f && name[i] != '\\')
			buf[o++] = (char)name[i];
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", name[i]);
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "...");
	buf[o] = '\0';
	return buf;
}

/* Take over an accepted, non-blocking socket. */
void
conn_accept(struct server *srv, int fd, const struct sockaddr *peer,
    socklen_t peerlen)
{
	static time_t	 last_warn;
	struct conn	*c;
	time_t		 now;

	if (srv->nrequests >= srv->conf.max_connections) {
		srv->stats.limit_hits++;
		now = time(NULL);
		if (now - last_warn >= 60) {
			log_warnx("connection limit reached max_connections=%u"
			    ", closing the oldest idle connections",
			    srv->conf.max_connections);
			last_warn = now;
		}
		conn_evict_oldest(srv, "connection limit reached", 0);
	}

	srv->stats.accepted++;
	if (srv->conf.delay_accept == 0 && srv->conf.delay_write == 0 &&
	    conn_fast(srv, fd) == 0)
		return;

	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->since = time(NULL);
	c->local = conn_local_peer_addr(fd, peer);
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
static void
conn_set_timeouts(struct conn *c)
{
	struct timeval	 tv;

	tv.tv_sec = c->srv->conf.packet_timeout + 1;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* Apply a changed configuration to open connections. */
void
conn_reconfigure(struct server *srv)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->bev != NULL)
			conn_set_timeouts(c);
}

/* The one teardown: unregister, close, free. */
static void
conn_free(struct conn *c, const char *reason)
{
	struct server	*srv = c->srv;

	if (c->node != NULL) {
		log_debug("node unregistered name=%s port=%u reason=\"%s\"",
		    conn_name(c->node->name, c->node->namelen),
		    c->node->port, reason);
		if (c->state == CONN_REGISTERED)
			srv->node_removed(srv, c->node);
		registry_remove(srv->reg, c->node);
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
	conn_reply_release(c);
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
	static time_t	 window;
	static unsigned	 count, suppressed;
	time_t		 now = time(NULL);

	c->srv->stats.dropped++;
	if (now != window) {
		if (suppressed > 0)
			log_warnx("bad requests: %u more not logged",
			    suppressed);
		window = now;
		count = suppressed = 0;
	}
	if (count++ < 10)
		log_warnx("bad request peer=%s reason=\"%s\", closing",
		    conn_peer(c), why);
	else
		suppressed++;
	conn_free(c, why);
}

/*
 * Close the oldest connection holding no registration, if it has been
 * open at least min_age seconds.
 */
int
conn_evict_oldest(struct server *srv, const char *reason, int min_age)
{
	struct conn	*c;
	time_t		 now = time(NULL);

	TAILQ_FOREACH(c, &srv->requests, entry) {
		if (now - c->since < min_age)
			return -1;	/* the oldest is too young */
		if (c->node == NULL) {
			srv->stats.evicted++;
			conn_free(c, reason);
			return 0;
		}
	}
	return -1;
}

/* Requests under way: open connections neither kept nor registered. */
unsigned int
conn_count_requests(struct server *srv)
{
	struct conn	*c;
	unsigned int	 n = 0;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->state != CONN_KEPT)
			n++;
	return n;
}

/* Close the requests still under way (an upgrade could not wait). */
void
conn_close_requests(struct server *srv, const char *reason)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&srv->requests); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state != CONN_KEPT) {
			log_info("closing request peer=%s reason=\"%s\"",
			    conn_peer(c), reason);
			conn_free(c, reason);
		}
	}
}

/* Call fn for every kept (refused ALIVE2) connection's fd. */
void
conn_foreach_kept(struct server *srv, void (*fn)(int, void *), void *arg)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->state == CONN_KEPT)
			fn(c->fd, arg);
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

/* Close every connection, registrations included. */
void
conn_free_all(struct server *srv, const char *reason)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&srv->requests)) != NULL)
		conn_free(c, reason);
	while ((c = TAILQ_FIRST(&srv->regs)) != NULL)
		conn_free(c, reason);
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

/* Queue reply bytes. */
static void
conn_reply(struct conn *c, const void *buf, size_t len)
{
	evbuffer_add(bufferevent_get_output(c->bev), buf, len);
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
	uint8_t		 body[PROTO_SYNC_OPEN_LEN];
	int		 fd;

	memcpy(body, req->body, sizeof(body));	/* req points into bev */
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);	/* no exec'd child gets it */
	conn_free(c, "handed to sync");
	if (fd == -1) {
		log_warn("sync handoff: dup");
		return;
	}
	sync_accept(srv, fd, body, sizeof(body));
}

/*
 * UPGRADE over TCP: TCP cannot tell who asks, so it is refused with the
 * way to do it (control.c); an old epmdxctl prints the message.
 */
static void
conn_upgrade_refused(struct conn *c)
{
	static time_t	 last_warn;
	char		 buf[256], path[128];
	time_t		 now = time(NULL);
	int		 n;

	if (now - last_warn >= 10) {
		log_warnx("UPGRADE refused peer=%s: not the control socket",
		    conn_peer(c));
		last_warn = now;
	}
	n = snprintf(buf, sizeof(buf), "ERR use the control socket %s "
	    "(epmdxctl upgrade, as root or group %s)\n",
	    config_control_path(&c->srv->conf, c->srv->names_port, path,
	    sizeof(path)), config_control_group(&c->srv->conf));
	if (n > 0 && (size_t)n < sizeof(buf))
		conn_reply(c, buf, (size_t)n);
}

/* Answer one decoded request. */
static void
conn_dispatch(struct conn *c, const struct proto_req *req)
{
	struct server	*srv = c->srv;
	struct node	*n;
	uint8_t		 buf[ANSWER_PORT2_MAX];
	int		 len;

	switch (req->op) {
	case PROTO_ALIVE2_REQ:
		if (!c->local) {
			conn_drop(c, "ALIVE2 from a non-local peer");
			return;
		}
		conn_alive2(c, req);
		return;
	case PROTO_PORT2_REQ:
		if (!conn_allowed(c, srv->conf.access.port_please,
		    &srv->stats.refused_port_please, "PORT_PLEASE2"))
			return;
		len = answer_port2(registry_lookup(srv->reg, req->node.name,
		    req->node.namelen), buf, sizeof(buf));
		conn_reply(c, buf, (size_t)len);
		break;
	case PROTO_NAMES_REQ:
		if (!conn_allowed(c, srv->conf.access.names,
		    &srv->stats.refused_names, "NAMES"))
			return;
		answer_names(srv, bufferevent_get_output(c->bev));
		break;
	case PROTO_DUMP_REQ:
		if (!c->local) {
			conn_drop(c, "DUMP from a non-local peer");
			return;
		}
		answer_dump(srv, bufferevent_get_output(c->bev));
		break;
	case PROTO_KILL_REQ:
		if (!c->local) {
			conn_drop(c, "KILL from a non-local peer");
			return;
		}
		if (registry_count(srv->reg) > 0 && !srv->conf.relaxed) {
			conn_reply(c, "NO", 2);
			break;
		}
		log_info("KILL request from %s, exiting", conn_peer(c));
		c->flags |= CONN_F_KILL;
		conn_reply(c, "OK", 2);
		break;
	case PROTO_STOP_REQ:
		if (!c->local) {
			conn_drop(c, "STOP from a non-local peer");
			return;
		}
		if (!srv->conf.relaxed) {
			log_info("STOP refused peer=%s: relaxed_command_check "
			    "is off", conn_peer(c));
			conn_free(c, "STOP not allowed");
			return;
		}
		n = registry_lookup(srv->reg, req->node.name,
		    req->node.namelen);
		if (n == NULL) {
			/* Stock writes both: there is no return between. */
			conn_reply(c, "NOEXISTSTOPPED", 14);
			break;
		}
		log_info("node stopped name=%s by=%s",
		    conn_name(n->name, n->namelen), conn_peer(c));
		conn_free(n->owner, "stopped by STOP request");
		conn_reply(c, "STOPPED", 7);
		break;
	case PROTO_X_STATUS_REQ:
		if (!c->local) {
			conn_drop(c, "STATUS from a non-local peer");
			return;
		}
		answer_status(srv, bufferevent_get_output(c->bev));
		break;
	case PROTO_X_SYNC_REQ:
		if (srv->sync == NULL) {
			conn_drop(c, "SYNC request but sync is off");
			return;
		}
		if (!conn_allowed(c, srv->conf.access.sync,
		    &srv->stats.refused_sync, "sync"))
			return;
		conn_handoff_sync(c, req);
		return;
	case PROTO_X_CLUSTER_REQ:
	case PROTO_X_PEERS_REQ:
		if (!c->local) {
			conn_drop(c, "cluster query from a non-local peer");
			return;
		}
		if (req->op == PROTO_X_CLUSTER_REQ)
			sync_cluster_dump(srv, bufferevent_get_output(c->bev));
		else
			sync_peers_dump(srv, bufferevent_get_output(c->bev));
		break;
	case PROTO_X_UPGRADE_REQ:
		if (!c->local) {
			conn_drop(c, "UPGRADE from a non-local peer");
			return;
		}
		conn_upgrade_refused(c);
		break;
	case PROTO_X_RESOLVE_REQ:
		if (!c->local) {
			conn_drop(c, "RESOLVE from a non-local peer");
			return;
		}
		len = answer_port2(answer_resolve(srv, req), buf, sizeof(buf));
		conn_reply(c, buf, (size_t)len);
		break;
	default:
		fatalx("conn_dispatch: opcode %u", req->op);
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
		    conn_name(req->node.name, req->node.namelen), req->refuse);
	else if ((n = registry_add(srv->reg, &req->node, time(NULL), c->fd,
	    c)) == NULL)
		log_info("registration refused name=%s reason=\"name in use\"",
		    conn_name(req->node.name, req->node.namelen));
	if (n != NULL) {
		c->node = n;
		creation = registry_creation(n);
		log_debug("node registered name=%s port=%u creation=%u",
		    conn_name(n->name, n->namelen), n->port, creation);
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

/* Whether a line may be logged under rl; says how many were not. */
static int
conn_ratelimit_ok(struct conn_ratelimit *rl, const char *what)
{
	time_t	 now = time(NULL);

	if (now != rl->window) {
		if (rl->suppressed > 0)
			log_warnx("%s: %u more not logged", what,
			    rl->suppressed);
		rl->window = now;
		rl->count = rl->suppressed = 0;
	}
	if (rl->count++ < CONN_LOG_BURST)
		return 1;
	rl->suppressed++;
	return 0;
}

/*
 * [access]: a local peer (stock's rule) may ask what stock lets it ask;
 * another must be in the allow list, if there is one.  A refused request
 * is closed unanswered, as stock closes the requests it refuses: 0, and
 * c is freed.
 */
static int
conn_allowed(struct conn *c, const struct acl *acl, uint64_t *counter,
    const char *what)
{
	static struct conn_ratelimit	 rl;
	struct sockaddr_storage		 ss;
	socklen_t			 len = sizeof(ss);

	if (acl == NULL || c->local)
		return 1;
	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0 &&
	    acl_match(acl, (struct sockaddr *)&ss))
		return 1;
	(*counter)++;
	if (conn_ratelimit_ok(&rl, "access refusals"))
		log_warnx("access refused peer=%s request=%s, closing",
		    conn_peer(c), what);
	conn_free(c, "not in the allow list");
	return 0;
}

/* Reply bytes went out (or were dropped): they no longer count. */
static void
conn_reply_drain_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;
	size_t		 n;

	n = info->n_deleted < c->queued ? info->n_deleted : c->queued;
	c->queued -= n;
	c->srv->reply_queued -= n;
}

/*
 * Count the reply just queued against reply_buffer_total, the bytes all
 * replies together may hold while their readers are slow.  Room is made
 * by closing the oldest connections still holding reply bytes, never by
 * cutting a reply short; a reply larger than the whole budget is sent
 * alone.
 */
static void
conn_reply_account(struct conn *c)
{
	static struct conn_ratelimit	 rl;
	struct server			*srv = c->srv;
	struct evbuffer			*out = bufferevent_get_output(c->bev);
	struct conn			*o, *next;
	size_t				 len = evbuffer_get_length(out);

	if (len == 0 || c->queued != 0)
		return;
	for (o = TAILQ_FIRST(&srv->requests); o != NULL &&
	    srv->reply_queued + len > srv->conf.reply_buffer_total; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o == c || o->queued == 0 || (o->flags & CONN_F_KILL))
			continue;
		srv->stats.reply_evicted++;
		srv->stats.evicted++;
		if (conn_ratelimit_ok(&rl, "slow readers closed"))
			log_warnx("reply_buffer_total reached (%zu bytes "
			    "queued): closing slow reader peer=%s with %zu "
			    "bytes unread", srv->reply_queued, conn_peer(o),
			    o->queued);
		conn_free(o, "reply_buffer_total reached");
	}
	c->queued = len;
	srv->reply_queued += len;
	evbuffer_add_cb(out, conn_reply_drain_cb, c);
}

/*
 * Give back what c's reply still holds (c is being freed).  The bytes
 * are freed now: libevent frees a bufferevent's buffers only later in
 * the loop, and a burst of requests in one pass must not pile them up.
 * (A socket bufferevent keeps its output frozen at the front between
 * writes, so it must be thawed to drain.)
 */
static void
conn_reply_release(struct conn *c)
{
	struct evbuffer	*out;

	if (c->bev != NULL) {
		out = bufferevent_get_output(c->bev);
		evbuffer_remove_cb(out, conn_reply_drain_cb, c);
		evbuffer_unfreeze(out, 1);
		evbuffer_drain(out, evbuffer_get_length(out));
	}
	c->srv->reply_queued -= c->queued;
	c->queued = 0;
}
