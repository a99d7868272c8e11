/*
 * Sync streams between daemons, over TCP to the peer's EPMD (or sync)
 * port.  The dialer opens with an ordinary framed request, opcode SYNC,
 * carrying its random; the acceptor answers its own random and its
 * secretstream header; the dialer sends its header; then sealed frames
 * [Len:32][secretstream message] flow.  The dialer pushes its origin's
 * entries; the acceptor only answers HELLO and asks for RESYNC.  A
 * session changes state only in sess_enter_state() and ends only in
 * sync_session_free(); it tells the core what it hears through the
 * callback table the core gave it (sync->cb), and calls nothing else of
 * the core.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "addr.h"
#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync_int.h"
#include "wire.h"
#include "xmalloc.h"

/* Ties an evdns lookup to its session, which may go first. */
struct sess_resolve {
	struct sync_session	*sess;
};

static void	sess_read_cb(struct bufferevent *, void *);
static void	sess_event_cb(struct bufferevent *, short, void *);
static void	sess_resolved_cb(int, struct evutil_addrinfo *, void *);
static void	sess_connect(struct sync_session *, const struct sockaddr *,
		    socklen_t);
static void	sess_enter_state(struct sync_session *, enum sync_sess_state);
static void	sess_deadline_cb(evutil_socket_t, short, void *);

static struct log_rate sess_warn_rate = LOG_RATE("sync: peer warnings", 5, 1);

/* Warn about a peer's failure, at most a few times a second. */
static void
sess_warn_addr(const char *addr, const char *what)
{
	log_rate_warnx(&sess_warn_rate, "sync: %s peer=%s", what, addr);
}

/* The same, for a session. */
static void
sess_warn(struct sync_session *sess, const char *what)
{
	sess_warn_addr(sess->addr, what);
}

static const char *const sess_state_names[] = {
	[SESS_NEW] = "new",
	[SESS_RESOLVING] = "resolving",
	[SESS_CONNECTING] = "connecting",
	[SESS_WAIT_ACCEPT] = "handshake",
	[SESS_WAIT_HEADER] = "handshake",
	[SESS_OPEN] = "handshake",
	[SESS_ESTABLISHED] = "established",
	[SESS_UNRESOLVED] = "unresolved",
	[SESS_UNREACHABLE] = "unreachable",
	[SESS_REFUSED] = "refused",
	[SESS_TIMEOUT] = "timeout",
	[SESS_AUTH_FAILED] = "auth-failed",
	[SESS_ERROR] = "error",
	[SESS_CLOSED] = "closed",
	[SESS_CLUSTER] = "other-cluster",
};

/* A state as `epmdxctl peers` shows it. */
const char *
sync_session_state_name(enum sync_sess_state state)
{
	if ((size_t)state >= sizeof(sess_state_names) /
	    sizeof(sess_state_names[0]) || sess_state_names[state] == NULL)
		fatalx("sync_session_state_name: %d", (int)state);
	return sess_state_names[state];
}

/* The one place a session changes state. */
static void
sess_enter_state(struct sync_session *sess, enum sync_sess_state state)
{
	log_debug("sync: stream peer=%s dir=%s state %s -> %s", sess->addr,
	    sess->outbound ? "out" : "in", sync_session_state_name(sess->state),
	    sync_session_state_name(state));
	sess->state = state;
}

/* A new session, not yet on any list. */
static struct sync_session *
sess_new(struct sync *s, int outbound, const char *addr)
{
	struct sync_session	*sess;

	sess = xcalloc(1, sizeof(*sess));
	sess->sync = s;
	sess->outbound = outbound;
	sess->state = SESS_NEW;
	snprintf(sess->addr, sizeof(sess->addr), "%s", addr);
	sync_random(sess->mine, sizeof(sess->mine));
	return sess;
}

/*
 * The one teardown of a session: the core hears of it first, then the
 * session leaves its peer (which keeps the state it ended in) or the
 * inbound list.
 */
void
sync_session_free(struct sync_session *sess, const char *reason)
{
	struct sync	*s = sess->sync;

	log_debug("sync: stream closed peer=%s dir=%s reason=\"%s\"",
	    sess->addr, sess->outbound ? "out" : "in", reason);
	s->cb->gone(sess);
	if (sess->peer != NULL) {
		sess->peer->sess = NULL;
		sess->peer->ended = sess->state;
	}
	if (!sess->outbound) {
		TAILQ_REMOVE(&s->inbound, sess, entry);
		s->ninbound--;
	}
	if (sess->resolve != NULL) {
		sess->resolve->sess = NULL;
		if (sess->dnsreq != NULL)
			evdns_getaddrinfo_cancel(sess->dnsreq);
	}
	if (sess->deadline != NULL)
		event_free(sess->deadline);
	if (sess->bev != NULL)
		bufferevent_free(sess->bev);
	if (sess->staging != NULL)
		registry_free(sess->staging);
	free(sess->batch);
	sodium_memzero(sess->key_tx, sizeof(sess->key_tx));
	sodium_memzero(sess->key_rx, sizeof(sess->key_rx));
	free(sess);
}

/* The core ends a stream: it ends in state, which its peer keeps. */
void
sync_session_end(struct sync_session *sess, enum sync_sess_state state,
    const char *reason)
{
	sess_enter_state(sess, state);
	sync_session_free(sess, reason);
}

/*
 * Read and write timeouts.  Until HELLO, the handshake deadline rules
 * (sess_deadline_start); then an accepted stream must hear a frame (at
 * least the dialer's heartbeat, every two thirds of ttl) within ttl + 1.
 * A dialled stream hears nothing regular from the acceptor: its output
 * must be taken (write timeout) and acknowledged by the peer's TCP
 * (TCP_USER_TIMEOUT, set at connect) within ttl + 1, and it is closed
 * when the peer's origin expires (sync_origin_expire), which catches a
 * hung peer whose kernel still acknowledges.
 */
static void
sess_timeouts(struct sync_session *sess)
{
	struct timeval	 tv;

	tv.tv_sec = sess->sync->ttl + 1;
	tv.tv_usec = 0;
	if (!sess->outbound && sess->state == SESS_ESTABLISHED)
		bufferevent_set_timeouts(sess->bev, &tv, &tv);
	else
		bufferevent_set_timeouts(sess->bev, NULL, &tv);
}

/* Arm the handshake deadline: HELLO within SYNC_HANDSHAKE_SECS. */
static void
sess_deadline_start(struct sync_session *sess)
{
	struct timeval	 tv;

	tv.tv_sec = SYNC_HANDSHAKE_SECS;
	tv.tv_usec = 0;
	sess->deadline = evtimer_new(sess->sync->base, sess_deadline_cb, sess);
	if (sess->deadline == NULL)
		fatalx("sess_deadline_start: evtimer_new");
	evtimer_add(sess->deadline, &tv);
}

/* No authenticated HELLO in time: the stream goes, whatever its state. */
static void
sess_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_session	*sess = arg;

	sess->sync->stats.handshake_timeouts++;
	sess_enter_state(sess, SESS_TIMEOUT);
	sess_warn(sess, "no HELLO within the handshake deadline");
	sync_session_free(sess, "handshake deadline");
}

/* HELLO authenticated: no deadline any more, the stream's own timeouts. */
static void
sess_authenticated(struct sync_session *sess)
{
	sess_enter_state(sess, SESS_ESTABLISHED);
	if (sess->deadline != NULL) {
		event_free(sess->deadline);
		sess->deadline = NULL;
	}
	sess_timeouts(sess);
}

/*
 * Give the session its socket fd and enter state, under the handshake
 * deadline.  -1 when out of memory: fd closed and the session freed.
 */
static int
sess_attach(struct sync_session *sess, int fd, enum sync_sess_state state)
{
	sess->bev = bufferevent_socket_new(sess->sync->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (sess->bev == NULL) {
		close(fd);
		sync_session_free(sess, "out of memory");
		return -1;
	}
	bufferevent_setcb(sess->bev, sess_read_cb, NULL, sess_event_cb, sess);
	sess_enter_state(sess, state);
	sess_timeouts(sess);
	sess_deadline_start(sess);
	return 0;
}

/* Open the sealed channel once both randoms and headers are known. */
static int
sess_open(struct sync_session *sess, const uint8_t *theirs,
    const uint8_t *header)
{
	uint8_t		 c2s[SYNC_KEY_BYTES], s2c[SYNC_KEY_BYTES];
	uint8_t		 myheader[SYNC_STREAM_HEADER];

	if (sess->outbound)
		sync_stream_keys(sess->sync->master, sess->mine, theirs, c2s,
		    s2c);
	else
		sync_stream_keys(sess->sync->master, theirs, sess->mine, c2s,
		    s2c);
	memcpy(sess->key_tx, sess->outbound ? c2s : s2c, SYNC_KEY_BYTES);
	memcpy(sess->key_rx, sess->outbound ? s2c : c2s, SYNC_KEY_BYTES);
	sodium_memzero(c2s, sizeof(c2s));
	sodium_memzero(s2c, sizeof(s2c));
	if (header != NULL &&
	    sync_stream_pull_init(&sess->rx, sess->key_rx, header) == -1)
		return -1;
	sync_stream_push_init(&sess->tx, sess->key_tx, myheader);
	if (!sess->outbound)
		evbuffer_add(bufferevent_get_output(sess->bev), sess->mine,
		    sizeof(sess->mine));
	evbuffer_add(bufferevent_get_output(sess->bev), myheader,
	    sizeof(myheader));
	return 0;
}

/* An inbound stream: conn.c read the opening SYNC request. */
void
sync_session_accept(struct sync *s, int fd, const uint8_t *body,
    size_t bodylen)
{
	struct sync_session	*sess;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 addr[ADDR_TEXT_MAX];
	uint8_t			 src[SYNC_SRC_BYTES];
	const uint8_t		*random;
	const char		*why;
	int			 on = 1, proto;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		ss.ss_family = AF_UNSPEC;
	addr_text((struct sockaddr *)&ss, addr, sizeof(addr));
	if (sync_cluster_admit(s, fd, addr, body, bodylen, &random, &proto) == -1)
		return;
	sync_admit_source(&ss, src);
	if ((sess = sync_admit(s, src, &why)) != NULL) {
		s->stats.handshake_evictions++;
		sess_warn(sess, why);
		sync_session_free(sess, "evicted before authenticating");
	} else if (why != NULL) {
		sess_warn_addr(addr, why);
		close(fd);
		return;
	}
	sess = sess_new(s, 0, addr);
	sess->proto = proto;
	memcpy(sess->src, src, sizeof(sess->src));
	memcpy(sess->theirs, random, sizeof(sess->theirs));
	TAILQ_INSERT_TAIL(&s->inbound, sess, entry);
	s->ninbound++;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (sess_attach(sess, fd, SESS_WAIT_HEADER) == -1)
		return;
	/* Our random and header now; theirs arrives next. */
	if (sess_open(sess, sess->theirs, NULL) == -1) {
		sync_session_free(sess, "handshake failed");
		return;
	}
	bufferevent_enable(sess->bev, EV_READ | EV_WRITE);
	log_debug("sync: stream accepted peer=%s", sess->addr);
}

/* A session dialled to peer p: resolve, connect, open. */
void
sync_session_dial(struct sync_peer *p)
{
	struct sync		*s = p->sync;
	struct sync_session	*sess;
	struct sess_resolve	*ctx;
	struct evdns_getaddrinfo_request *req;
	struct evutil_addrinfo	 hints;
	struct sockaddr_storage	 ss;
	int			 sslen;
	char			 addr[SYNC_HOST_MAX + 8], serv[8];

	addr_join(p->host, p->port, addr, sizeof(addr));
	sess = sess_new(s, 1, addr);
	sess->proto = p->proto;
	sess->peer = p;
	p->sess = sess;
	sess_enter_state(sess, SESS_RESOLVING);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(serv, sizeof(serv), "%u", p->port);
	/*
	 * An address literal needs no lookup (and evdns's ADDRCONFIG would
	 * refuse unique-local IPv6 ones).
	 */
	memset(&ss, 0, sizeof(ss));
	sslen = sizeof(ss);
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss,
	    &sslen) == 0) {
		sess_connect(sess, (struct sockaddr *)&ss, (socklen_t)sslen);
		return;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->sess = sess;
	sess->resolve = ctx;
	/* May call back at once (literals, /etc/hosts): sess may be gone. */
	req = evdns_getaddrinfo(s->dns, p->host, serv, &hints,
	    sess_resolved_cb, ctx);
	if (req != NULL)
		sess->dnsreq = req;
}

/* The peer's name resolved (or not). */
static void
sess_resolved_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct sess_resolve	*ctx = arg;
	struct sync_session	*sess = ctx->sess;

	free(ctx);
	if (sess == NULL) {		/* cancelled: the session is gone */
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	sess->resolve = NULL;
	sess->dnsreq = NULL;
	if (err != 0 || ai == NULL) {
		sess_enter_state(sess, SESS_UNRESOLVED);
		sess_warn(sess, evutil_gai_strerror(err));
		sync_session_free(sess, "cannot resolve");
		return;
	}
	sess_connect(sess, ai->ai_addr, (socklen_t)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
}

/* Start the TCP connect, on a close-on-exec socket of our own. */
static void
sess_connect(struct sync_session *sess, const struct sockaddr *sa,
    socklen_t len)
{
	struct sync	*s = sess->sync;
	int		 fd;
#ifdef TCP_USER_TIMEOUT
	unsigned int	 ms = (s->ttl + 1) * 1000;
#endif

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP)) == -1) {
		sess_enter_state(sess, SESS_ERROR);
		sess_warn(sess, strerror(errno));
		sync_session_free(sess, "socket failed");
		return;
	}
#ifdef TCP_USER_TIMEOUT
	/* Heartbeats the peer's TCP does not acknowledge close the stream. */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
#endif
	if (sess_attach(sess, fd, SESS_CONNECTING) == -1)
		return;
	bufferevent_enable(sess->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(sess->bev, sa, (int)len) == -1) {
		sess_enter_state(sess, SESS_UNREACHABLE);
		sync_session_free(sess, "connect failed");
	}
}

/* Connected, closed, failed or timed out. */
static void
sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sync_session	*sess = arg;
	uint8_t			 frame[3 + PROTO_SYNC_OPEN_MAX];
	int			 fd, on = 1, len;

	if (what & BEV_EVENT_CONNECTED) {
		fd = bufferevent_getfd(bev);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		len = sync_cluster_open(sess->sync, sess->proto, sess->mine,
		    frame, sizeof(frame));
		evbuffer_add(bufferevent_get_output(bev), frame, (size_t)len);
		sess_enter_state(sess, SESS_WAIT_ACCEPT);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		sess_enter_state(sess, SESS_TIMEOUT);
		sess_warn(sess, "stream timed out");
		sync_session_free(sess, "timeout");
	} else if (what & BEV_EVENT_EOF) {
		/* Unanswered at BATCH: perhaps an older daemon (sync_peer.c). */
		if (sess->state == SESS_WAIT_ACCEPT && sess->peer != NULL &&
		    sess->proto == SYNC_PROTO_BATCH)
			sess->peer->fallback = 1;
		if (sess->state != SESS_ESTABLISHED) {
			sess_enter_state(sess, SESS_REFUSED);
			if (sess->peer != NULL && !sess->peer->self &&
			    !sess->peer->fallback)
				sess_warn(sess, "peer closed the stream before "
				    "its HELLO (wrong secret, another cluster, "
				    "sync off there, or not epmdx)");
		} else
			sess_enter_state(sess, SESS_CLOSED);
		sync_session_free(sess, "closed by peer");
	} else if (sess->state == SESS_CONNECTING) {
		sess_enter_state(sess, SESS_UNREACHABLE);
		sync_session_free(sess, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	} else {
		sess_enter_state(sess, SESS_ERROR);
		sess_warn(sess, "stream error");
		sync_session_free(sess, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	}
}

/* Handle one opened message; -1 closes the stream. */
static int
sess_message(struct sync_session *sess, const struct sync_msg *m)
{
	if (sess->state != SESS_ESTABLISHED) {
		if (m->type != SYNC_MSG_HELLO) {
			sess_warn(sess, "sync stream did not start with HELLO");
			return -1;
		}
		if (m->proto != SYNC_PROTO_VERSION) {
			sess_warn(sess, "unsupported sync protocol version");
			return -1;
		}
		sync_self_check(sess, m);
		if (sess->sync->cb->hello(sess, m) == -1)
			return -1;
		sess_authenticated(sess);
		if (sess->outbound)	/* the acceptor proved the key: push */
			sync_send_snapshot(sess);
		else
			sync_send_hello(sess);
		return 0;
	}
	if (sess->outbound) {
		if (m->type != SYNC_MSG_RESYNC) {
			sess_warn(sess, "unexpected message on a push stream");
			return -1;
		}
		sess->sync->cb->resync(sess);
		return 0;
	}
	return sess->sync->cb->message(sess, m);
}

/* Bytes arrived: handshake steps, then sealed frames. */
static void
sess_read_cb(struct bufferevent *bev, void *arg)
{
	struct sync_session	*sess = arg;
	struct sync		*s = sess->sync;
	struct evbuffer		*in = bufferevent_get_input(bev);
	uint8_t			 hdr[SYNC_RANDOM_BYTES + SYNC_STREAM_HEADER];
	uint8_t			 frame[SYNC_FRAME_MAX];
	uint8_t			 plain[SYNC_FRAME_MAX];
	struct sync_msg		 m;
	const char		*why = NULL;
	uint8_t			 lenb[4];
	struct wire_r		 r;
	uint32_t		 len;
	size_t			 off;
	int			 rc;

	if (sess->state == SESS_WAIT_ACCEPT) {
		if ((rc = sync_cluster_refused(sess)) != -1) {
			if (rc == 1) {
				sess_enter_state(sess, SESS_CLUSTER);
				sync_session_free(sess, "another cluster");
			}
			return;
		}
		if (evbuffer_get_length(in) < sizeof(hdr))
			return;
		evbuffer_remove(in, hdr, sizeof(hdr));
		if (sess_open(sess, hdr, hdr + SYNC_RANDOM_BYTES) == -1) {
			sync_session_free(sess, "bad stream header");
			return;
		}
		sess_enter_state(sess, SESS_OPEN);
		sync_send_hello(sess);
	} else if (sess->state == SESS_WAIT_HEADER) {
		if (evbuffer_get_length(in) < SYNC_STREAM_HEADER)
			return;
		evbuffer_remove(in, hdr, SYNC_STREAM_HEADER);
		if (sync_stream_pull_init(&sess->rx, sess->key_rx, hdr) ==
		    -1) {
			sync_session_free(sess, "bad stream header");
			return;
		}
		sess_enter_state(sess, SESS_OPEN);
	}
	if (sess->state != SESS_OPEN && sess->state != SESS_ESTABLISHED)
		return;

	while (evbuffer_get_length(in) >= 4) {
		evbuffer_copyout(in, lenb, 4);
		r.p = lenb;
		r.left = 4;
		r.err = 0;
		len = (uint32_t)wire_get_int(&r, 4);
		if (len < SYNC_STREAM_ABYTES + 1 || len > SYNC_FRAME_MAX) {
			s->stats.bad_frames++;
			sess_warn(sess, "bad frame length");
			sync_session_free(sess, "bad frame length");
			return;
		}
		if (evbuffer_get_length(in) < 4 + (size_t)len)
			return;
		evbuffer_drain(in, 4);
		evbuffer_remove(in, frame, len);
		s->stats.frames_in++;
		s->stats.bytes_in += 4 + len;
		if (sync_stream_open(&sess->rx, frame, len, plain) == -1) {
			s->stats.auth_failures++;
			sess_enter_state(sess, SESS_AUTH_FAILED);
			sess_warn(sess, "authentication failed (wrong secret, "
			    "forged or replayed frame)");
			sync_session_free(sess, "authentication failed");
			return;
		}
		off = 0;
		while ((rc = sync_batch_next(plain, len - SYNC_STREAM_ABYTES,
		    sess->proto == SYNC_PROTO_BATCH, &off, &m, &why)) == 1)
			if (sess_message(sess, &m) == -1) {
				sync_session_free(sess, "refused");
				return;
			}
		if (rc == -1) {
			s->stats.bad_frames++;
			sess_warn(sess, why);
			sync_session_free(sess, why);
			return;
		}
	}
}
