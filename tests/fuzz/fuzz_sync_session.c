/*
 * libFuzzer target for an authenticated sync stream, the state machine
 * and not only the codec: the real sync_peer.c, sync.c, sync_admit.c and
 * sync_query.c run under a real event loop.  Per input, sync starts
 * afresh (sync_open), the harness dials it over a socketpair as a peer
 * with the secret would (SYNC opening, randoms, secretstream headers),
 * then seals each message the input holds into a frame and sends it; it
 * opens and decodes whatever the daemon answers.  After the input: the
 * caps hold, the counts agree with the tables, no origin is us or badly
 * named, and once our end closes every session is gone; sync_close()
 * then frees everything (ASan reports a leak).
 *
 * Input: [ctl:8] then messages [len:16 big-endian][bytes].  The top bit
 * of len picks the accepted stream (two may be open at once; a message
 * for one that closed dials a new one); the next bit sends the message
 * the other way instead, on the stream the daemon dialled (the first
 * peer a HELLO taught it), where the harness is the acceptor: it answers
 * the opening and checks what is pushed (and the second accepted stream
 * opens with the daemon's own random then, as when it dials itself).
 * The rest of len is capped
 * at SYNC_MSG_MAX and at what is left.  ctl & 3: 0 nothing special, 1
 * corrupt the sealed frame of message ctl >> 2, 2 send half of that
 * frame and hang up, 3 write that message's bytes raw, unsealed and
 * unframed.  Seeds: tests/fuzz/seedgen_sync_session.c.
 *
 * Faked at link time, as tests/unit/test_sync.c does: the four backend
 * tables (sync starts with "static" and no peers).  Faked so that no
 * packet leaves the host: evdns_getaddrinfo() (the first lookup of an
 * input gives 127.0.0.1, the others fail) and
 * bufferevent_socket_connect() (the first dial of an input is given a
 * socketpair, the others find the peer unreachable).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "epmdx.h"
#include "fuzz.h"
#include "handover.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

#define ME		"me"
#define SECRET		"a-cluster-secret-of-some-length\n"
#define INCARNATION	0x1122334455667788ULL	/* ours, so HELLO can be us */
#define NSTREAMS	2
#define PUMP_MAX	64	/* event loop turns per step, at most */

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* --- Fakes ----------------------------------------------------------- */

static int	 be_init(struct sync_backend_inst *, const struct sync_conf *,
		    char **);
static void	 be_free(struct sync_backend_inst *);

const struct sync_backend sync_backend_static = {
	"static", be_init, NULL, NULL, be_free, NULL, NULL, NULL
};
const struct sync_backend sync_backend_hosts = {
	"hosts", be_init, NULL, NULL, be_free, NULL, NULL, NULL
};
const struct sync_backend sync_backend_dns = {
	"dns", be_init, NULL, NULL, be_free, NULL, NULL, NULL
};
const struct sync_backend sync_backend_mcast = {
	"mcast", be_init, NULL, NULL, be_free, NULL, NULL, NULL
};
const struct sync_backend sync_backend_etcd = {
	"etcd", be_init, NULL, NULL, be_free, NULL, NULL, NULL
};

static int
be_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	(void)sc;
	(void)cause;
	bi->data = NULL;
	return 0;
}

static void
be_free(struct sync_backend_inst *bi)
{
	(void)bi;
}

static int	 resolved;	/* lookups answered this input */

/*
 * No lookup leaves the host: the first of an input answers 127.0.0.1
 * (then the dial below), every other fails, at once.
 */
struct evdns_getaddrinfo_request *
evdns_getaddrinfo(struct evdns_base *base, const char *node,
    const char *service, const struct evutil_addrinfo *hints,
    evdns_getaddrinfo_cb cb, void *arg)
{
	struct evutil_addrinfo	 h, *ai = NULL;

	(void)base;
	(void)node;
	if (resolved++ == 0) {
		h = *hints;
		h.ai_family = AF_INET;
		h.ai_flags = EVUTIL_AI_NUMERICHOST;
		if (evutil_getaddrinfo("127.0.0.1", service, &h, &ai) == 0) {
			cb(0, ai, arg);
			return NULL;
		}
	}
	cb(EVUTIL_EAI_FAIL, NULL, arg);
	return NULL;
}

/*
 * No connect leaves the host either.  The first dial of an input is
 * connected to a socketpair whose other end the harness plays (the
 * acceptor, struct acceptor); any other dial finds the peer unreachable.
 */
struct acceptor {
	int			 fd;		/* -1: none */
	int			 used;		/* a dial took it this input */
	int			 stage;		/* 0 SYNC, 1 header, 2 frames */
	int			 batched;	/* opened at SYNC_PROTO_BATCH */
	struct sync_stream	 tx, rx;
	uint8_t			 key_rx[SYNC_KEY_BYTES];
	uint8_t			 dialer[SYNC_RANDOM_BYTES]; /* its random */
	uint8_t			 in[SYNC_FRAME_MAX + 4];
	size_t			 inlen;
	int			 hellos;	/* HELLOs the daemon sent */
	int			 in_snap;	/* inside a snapshot */
	uint32_t		 snap_count, snap_adds;
};

static struct acceptor	 acc = { .fd = -1 };

int
bufferevent_socket_connect(struct bufferevent *bev,
    const struct sockaddr *sa, int len)
{
	static int	(*real)(struct bufferevent *, const struct sockaddr *,
			    int);
	int		 fds[2], fd = bufferevent_getfd(bev);

	(void)sa;
	(void)len;
	if (acc.used || fd == -1)
		return -1;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT,
		    "bufferevent_socket_connect");
	check(real != NULL);
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, fds) == 0);
	check(dup2(fds[0], fd) == fd);	/* the session's socket, now ours */
	close(fds[0]);
	memset(&acc, 0, sizeof(acc));
	acc.fd = fds[1];
	acc.used = 1;
	return real(bev, NULL, 0);	/* "connected": fd is set */
}

/* --- The daemon ------------------------------------------------------ */

static struct server	 srv;
static uint8_t		 master[SYNC_KEY_BYTES];
static struct evbuffer	*scratch;
static char		 secret_path[] = "/tmp/epmdx-fuzz-sync.XXXXXX";

static void
unlink_secret(void)
{
	unlink(secret_path);
}

/* A local registration, for the snapshots the daemon pushes. */
static void
local(const char *name, uint16_t port)
{
	struct proto_node	 n;

	memset(&n, 0, sizeof(n));
	n.port = port;
	n.type = 77;
	n.high = n.low = 6;
	n.name = (const uint8_t *)name;
	n.namelen = strlen(name);
	check(registry_add(srv.reg, &n, 0, -1, NULL) != NULL);
}

/* Once: the secret file, the base, the (empty) local registry. */
static void
init(void)
{
	int	 fd;

	log_init(LOG_TO_STDERR, 0, "fuzz_sync_session");
	check(sync_crypto_init() == 0);
	sync_master_derive((const uint8_t *)SECRET, strlen(SECRET) - 1,
	    master);
	if ((fd = mkstemp(secret_path)) == -1)
		abort();
	atexit(unlink_secret);
	check(write(fd, SECRET, strlen(SECRET)) == (ssize_t)strlen(SECRET));
	check(fchmod(fd, 0600) == 0);
	close(fd);
	memset(&srv, 0, sizeof(srv));
	check((srv.base = event_base_new()) != NULL);
	check((srv.reg = registry_new(0)) != NULL);
	check((scratch = evbuffer_new()) != NULL);
	srv.names_port = 4369;
	local("here1", 5001);
	local("here2", 5002);
	srv.conf.sync.backends = xstrdup("static");
	srv.conf.sync.secret_file = xstrdup(secret_path);
	srv.conf.sync.hostname = xstrdup(ME);
	srv.conf.sync.ttl = 30;
	srv.conf.sync.interval = 5;
	/* A fixed incarnation (as after an upgrade): inputs may claim it. */
	srv.restored = 1;
	srv.sync_incarnation = INCARNATION;
}

/* --- Our side of the dialled stream: the acceptor -------------------- */

static void
acc_consume(size_t n)
{
	memmove(acc.in, acc.in + n, acc.inlen - n);
	acc.inlen -= n;
}

static void
acc_hangup(void)
{
	if (acc.fd != -1)
		close(acc.fd);
	acc.fd = -1;
}

static void
acc_put(const uint8_t *buf, size_t len)
{
	ssize_t	 n;

	while (acc.fd != -1 && len > 0) {
		if ((n = send(acc.fd, buf, len, MSG_NOSIGNAL)) <= 0) {
			acc_hangup();	/* gone, or not reading */
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* What the daemon pushes: HELLO, then whole snapshots and deltas. */
static void
acc_frame(const struct sync_msg *m)
{
	if (acc.hellos++ == 0) {
		check(m->type == SYNC_MSG_HELLO);
		check(m->proto == SYNC_PROTO_VERSION);
		check(m->incarnation == INCARNATION);
		check(m->originlen == strlen(ME) &&
		    memcmp(m->origin, ME, m->originlen) == 0);
		return;
	}
	switch (m->type) {
	case SYNC_MSG_SNAP_BEGIN:
		check(!acc.in_snap && m->incarnation == INCARNATION);
		check(m->count == registry_count(srv.reg));
		acc.in_snap = 1;
		acc.snap_count = m->count;
		acc.snap_adds = 0;
		break;
	case SYNC_MSG_ADD:
		check(m->reject == NULL);
		if (acc.in_snap)
			acc.snap_adds++;
		break;
	case SYNC_MSG_SNAP_END:
		check(acc.in_snap && acc.snap_adds == acc.snap_count);
		acc.in_snap = 0;
		break;
	case SYNC_MSG_HEARTBEAT:
	case SYNC_MSG_DEL:
		check(!acc.in_snap);
		break;
	default:
		check(0);	/* a second HELLO, RESYNC: not a dialer's */
	}
}

/* Read what the dialled stream brought: opening, header, frames. */
static void
acc_step(void)
{
	uint8_t		 out[SYNC_RANDOM_BYTES + SYNC_STREAM_HEADER];
	uint8_t		 plain[SYNC_FRAME_MAX], s2c[SYNC_KEY_BYTES];
	struct sync_msg	 m;
	const char	*why;
	ssize_t		 n;
	uint32_t	 len;
	size_t		 off;
	int		 eof, rc;

	if (acc.fd == -1)
		return;
	while ((n = read(acc.fd, acc.in + acc.inlen, sizeof(acc.in) -
	    acc.inlen)) > 0)
		acc.inlen += (size_t)n;
	eof = n == 0 || (n == -1 && errno != EAGAIN);
	/* [Len:16 = 34][SYNC][version][random:32], then our answer. */
	if (acc.stage == 0 && acc.inlen >= 3 + PROTO_SYNC_OPEN_LEN) {
		check(acc.in[0] == 0 && acc.in[1] == 1 + PROTO_SYNC_OPEN_LEN);
		check(acc.in[2] == PROTO_X_SYNC_REQ &&
		    (acc.in[3] == SYNC_PROTO_VERSION ||
		    acc.in[3] == SYNC_PROTO_BATCH));
		acc.batched = acc.in[3] == SYNC_PROTO_BATCH;
		sync_random(out, SYNC_RANDOM_BYTES);
		memcpy(acc.dialer, acc.in + 4, SYNC_RANDOM_BYTES);
		sync_stream_keys(master, acc.in + 4, out, acc.key_rx, s2c);
		sync_stream_push_init(&acc.tx, s2c, out + SYNC_RANDOM_BYTES);
		acc_consume(3 + PROTO_SYNC_OPEN_LEN);
		acc.stage = 1;
		acc_put(out, sizeof(out));
	}
	if (acc.stage == 1 && acc.inlen >= SYNC_STREAM_HEADER) {
		check(sync_stream_pull_init(&acc.rx, acc.key_rx, acc.in) == 0);
		acc_consume(SYNC_STREAM_HEADER);
		acc.stage = 2;
	}
	while (acc.stage == 2 && acc.inlen >= 4) {
		len = (uint32_t)acc.in[0] << 24 | (uint32_t)acc.in[1] << 16 |
		    (uint32_t)acc.in[2] << 8 | acc.in[3];
		check(len > SYNC_STREAM_ABYTES && len <= (acc.batched ?
		    SYNC_FRAME_MAX : SYNC_MSG_MAX + SYNC_STREAM_ABYTES));
		if (acc.inlen < 4 + len)
			break;
		check(sync_stream_open(&acc.rx, acc.in + 4, len, plain) == 0);
		off = 0;
		while ((rc = sync_batch_next(plain, len - SYNC_STREAM_ABYTES,
		    acc.batched, &off, &m, &why)) == 1)
			acc_frame(&m);
		check(rc == 0);
		acc_consume(4 + len);
	}
	if (eof)
		acc_hangup();
}

/*
 * A message from the acceptor to the daemon's dialled stream (on a
 * batched stream, a batch of that one message).
 */
static void
acc_send(const uint8_t *msg, size_t len, int action)
{
	uint8_t		 frame[4 + 2 + SYNC_MSG_MAX + SYNC_STREAM_ABYTES];
	uint8_t		 one[2 + SYNC_MSG_MAX];
	uint32_t	 flen;

	if (acc.fd == -1 || acc.stage == 0)
		return;
	if (action == 3) {
		acc_put(msg, len);
		return;
	}
	if (acc.batched) {
		one[0] = (uint8_t)(len >> 8);
		one[1] = (uint8_t)len;
		memcpy(one + 2, msg, len);
		msg = one;
		len += 2;
	}
	flen = (uint32_t)len + SYNC_STREAM_ABYTES;
	frame[0] = (uint8_t)(flen >> 24);
	frame[1] = (uint8_t)(flen >> 16);
	frame[2] = (uint8_t)(flen >> 8);
	frame[3] = (uint8_t)flen;
	sync_stream_seal(&acc.tx, msg, len, frame + 4);
	if (action == 1)
		frame[4 + (len * 7) % flen] ^= 0x20;
	acc_put(frame, action == 2 ? (4 + flen) / 2 : 4 + flen);
	if (action == 2)
		acc_hangup();
}

/* --- Our side of a stream: the dialer -------------------------------- */

struct dialer {
	int			 fd;		/* -1: closed or never opened */
	int			 peer;		/* the daemon's end */
	int			 hellos;	/* HELLOs the daemon sent */
	struct sync_stream	 tx, rx;
	uint8_t			 in[SYNC_FRAME_MAX + 4];
	size_t			 inlen;
	int			 keyed;		/* rx set up */
};

static struct dialer	 d[NSTREAMS];

static void	 hangup(struct dialer *);

/* Turn the loop until sess's socket is read, or the session is gone. */
static void
pump(int fd)
{
	int	 i, avail;

	for (i = 0; i < PUMP_MAX; i++) {
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
		if (srv.sync->ninbound == 0 || fd == -1)
			break;
		if (ioctl(fd, FIONREAD, &avail) == -1 || avail == 0)
			break;
	}
	/* And a few more, for what was queued, and the dialled stream. */
	for (i = 0; i < 4; i++) {
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
		acc_step();
	}
}

/* Open and check what the daemon sent: HELLO first, then RESYNCs. */
static void
drain(struct dialer *dl)
{
	uint8_t		 plain[SYNC_FRAME_MAX];
	struct sync_msg	 m;
	const char	*why;
	ssize_t		 n;
	uint32_t	 len;
	int		 eof;

	if (dl->fd == -1)
		return;
	while ((n = read(dl->fd, dl->in + dl->inlen, sizeof(dl->in) -
	    dl->inlen)) > 0)
		dl->inlen += (size_t)n;
	eof = n == 0 || (n == -1 && errno != EAGAIN);
	while (dl->keyed && dl->inlen >= 4) {
		len = (uint32_t)dl->in[0] << 24 | (uint32_t)dl->in[1] << 16 |
		    (uint32_t)dl->in[2] << 8 | dl->in[3];
		check(len > SYNC_STREAM_ABYTES &&
		    len <= SYNC_MSG_MAX + SYNC_STREAM_ABYTES);
		if (dl->inlen < 4 + len)
			break;
		check(sync_stream_open(&dl->rx, dl->in + 4, len, plain) == 0);
		check(sync_msg_decode(plain, len - SYNC_STREAM_ABYTES, &m,
		    &why) == 0);
		if (dl->hellos == 0) {
			check(m.type == SYNC_MSG_HELLO);
			check(m.proto == SYNC_PROTO_VERSION);
			check(m.incarnation == INCARNATION);
			check(m.originlen == strlen(ME) &&
			    memcmp(m.origin, ME, m.originlen) == 0);
			dl->hellos++;
		} else
			check(m.type == SYNC_MSG_RESYNC);
		memmove(dl->in, dl->in + 4 + len, dl->inlen - 4 - len);
		dl->inlen -= 4 + len;
	}
	if (eof && dl->keyed)
		hangup(dl);	/* the daemon closed: the next one dials */
}

static void
hangup(struct dialer *dl)
{
	if (dl->fd != -1)
		close(dl->fd);
	dl->fd = -1;
}

/* Write all of buf, or give up when the daemon has gone. */
static void
put(struct dialer *dl, const uint8_t *buf, size_t len)
{
	ssize_t	 n;
	int	 tries = 0;

	while (dl->fd != -1 && len > 0) {
		n = send(dl->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EAGAIN && tries++ < PUMP_MAX) {
			pump(dl->peer);
			drain(dl);
			continue;
		}
		hangup(dl);	/* gone, or not reading */
	}
}

/* Dial: the SYNC opening, the daemon's random and header, ours. */
static void
dial(struct dialer *dl, uint8_t seed)
{
	uint8_t		 body[PROTO_SYNC_OPEN_LEN];
	uint8_t		 hdr[SYNC_STREAM_HEADER];
	uint8_t		 c2s[SYNC_KEY_BYTES], s2c[SYNC_KEY_BYTES];
	int		 fds[2], i;

	memset(dl, 0, sizeof(*dl));
	dl->fd = dl->peer = -1;
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, fds) == 0);
	body[0] = SYNC_PROTO_VERSION;
	memset(body + 1, seed, SYNC_RANDOM_BYTES);
	/* The second stream replays the daemon's own dial: it meets itself. */
	if (dl == &d[1] && acc.stage > 0)
		memcpy(body + 1, acc.dialer, SYNC_RANDOM_BYTES);
	sync_accept(&srv, fds[0], body, sizeof(body));
	check(srv.sync->ninbound >= 1);
	dl->fd = fds[1];
	dl->peer = fds[0];
	for (i = 0; i < PUMP_MAX && dl->inlen < SYNC_RANDOM_BYTES +
	    SYNC_STREAM_HEADER; i++) {
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
		drain(dl);
	}
	check(dl->inlen == SYNC_RANDOM_BYTES + SYNC_STREAM_HEADER);
	sync_stream_keys(master, body + 1, dl->in, c2s, s2c);
	check(sync_stream_pull_init(&dl->rx, s2c, dl->in +
	    SYNC_RANDOM_BYTES) == 0);
	dl->keyed = 1;
	dl->inlen = 0;
	sync_stream_push_init(&dl->tx, c2s, hdr);
	put(dl, hdr, sizeof(hdr));
	pump(dl->peer);
}

/* Send one message as ctl says: sealed, corrupted, half, or raw. */
static void
send_msg(struct dialer *dl, const uint8_t *msg, size_t len, int action)
{
	uint8_t		 frame[4 + SYNC_MSG_MAX + SYNC_STREAM_ABYTES];
	uint32_t	 flen = (uint32_t)len + SYNC_STREAM_ABYTES;

	if (dl->fd == -1)
		return;
	if (action == 3) {
		put(dl, msg, len);
		return;
	}
	frame[0] = (uint8_t)(flen >> 24);
	frame[1] = (uint8_t)(flen >> 16);
	frame[2] = (uint8_t)(flen >> 8);
	frame[3] = (uint8_t)flen;
	sync_stream_seal(&dl->tx, msg, len, frame + 4);
	if (action == 1)
		frame[4 + (len * 7) % flen] ^= 0x20;
	if (action == 2) {
		put(dl, frame, (4 + flen) / 2);
		pump(dl->peer);
		hangup(dl);
		return;
	}
	put(dl, frame, 4 + flen);
}

/* --- Invariants ------------------------------------------------------ */

static void
count_put(void *arg, const struct handover_rec *r)
{
	(void)r;
	(*(size_t *)arg)++;
}

/* Every entry of a remote table is one the registry may hold. */
static size_t
check_table(struct registry *t)
{
	struct proto_node	 v;
	struct node		*n;
	size_t			 k = 0;

	for (n = registry_first(t); n != NULL; n = registry_next(n)) {
		registry_node_view(n, &v);
		check(proto_name_ok(v.name, v.namelen));
		check(v.extralen <= PROTO_MAXSYMLEN);
		check(registry_lookup(t, v.name, v.namelen) == n);
		k++;
	}
	check(k == registry_count(t));
	return k;
}

static void
invariants(void)
{
	struct sync		*s = srv.sync;
	struct sync_origin	*o;
	struct sync_session	*sess;
	struct sync_peer	*p;
	size_t			 tables = 0, staged = 0, n, recs = 0, i;
	const char		*lines;
	unsigned int		 norigins = 0, ninbound = 0, nlearned = 0;

	TAILQ_FOREACH(o, &s->origins, entry) {
		norigins++;
		check(sync_host_ok((const uint8_t *)o->host, strlen(o->host)));
		check(strcmp(o->host, s->hostname) != 0);
		check(sync_origin_find(s, o->host) == o);
		n = check_table(o->table);
		check(n <= s->lim.origin_entries);
		tables += n;
	}
	check(norigins == s->norigins && norigins <= s->lim.origins);
	TAILQ_FOREACH(sess, &s->inbound, entry) {
		ninbound++;
		check(!sess->outbound);
		if (sess->origin != NULL) {
			check(sess->state == SESS_ESTABLISHED);
			TAILQ_FOREACH(o, &s->origins, entry)
				if (o == sess->origin)
					break;
			check(o != NULL);
		}
		if (sess->staging != NULL) {
			check(sess->state == SESS_ESTABLISHED);
			n = check_table(sess->staging);
			check(n <= s->lim.origin_entries);
			staged += n;
		}
	}
	check(ninbound == s->ninbound);
	check(s->nremote == tables + staged);
	check(tables <= s->lim.remote_entries);
	TAILQ_FOREACH(p, &s->peers, entry) {
		check(p->sources == SYNC_SRC_LEARNED);
		nlearned++;
		check(p->sess == NULL || p->sess->outbound);
	}
	check(nlearned <= s->lim.learned);

	/* The queries see the same cluster. */
	evbuffer_drain(scratch, evbuffer_get_length(scratch));
	sync_cluster_dump(&srv, scratch);
	lines = (const char *)evbuffer_pullup(scratch, -1);
	for (n = 0, i = 0; i < evbuffer_get_length(scratch); i++)
		if (lines[i] == '\n')
			n++;
	check(n == registry_count(srv.reg) + tables);	/* local first */
	sync_peers_dump(&srv, scratch);
	sync_metrics(&srv, scratch);
	evbuffer_drain(scratch, evbuffer_get_length(scratch));
	sync_handover_origins(&srv, count_put, &recs);
	check(recs <= norigins + tables);
	TAILQ_FOREACH(o, &s->origins, entry) {
		struct node		*e;
		struct proto_node	 v;
		char			 addr[300];

		/* "localhost" means this host to RESOLVE, never an origin. */
		if ((e = registry_first(o->table)) == NULL ||
		    strcmp(o->host, "localhost") == 0)
			continue;
		registry_node_view(e, &v);
		check(sync_resolve(&srv, v.name, v.namelen, o->host, addr,
		    sizeof(addr)) == e);
	}
}

/* --- One input ------------------------------------------------------- */

/* Streams open: accepted, and dialled (which close once the peer does). */
static unsigned int
streams(struct sync *s)
{
	struct sync_peer	*p;
	unsigned int		 n = s->ninbound;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sess != NULL && p->sess->bev != NULL)
			n++;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	struct sync	*s;
	char		*cause = NULL;
	size_t		 off, len;
	unsigned int	 idx, at;
	int		 action, which, i;
	uint16_t	 hdr;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (sync_open(&srv, &cause) != 0)
		abort();
	s = srv.sync;
	check(s != NULL && s->incarnation == INCARNATION);
	/* Caps an input can reach (tests lower them, as test_sync.c). */
	s->lim.origin_entries = 4;
	s->lim.remote_entries = 6;
	s->lim.origins = 3;
	s->lim.learned = 2;
	for (i = 0; i < NSTREAMS; i++)
		d[i].fd = d[i].peer = -1;
	memset(&acc, 0, sizeof(acc));
	acc.fd = -1;
	resolved = 0;

	action = data[0] & 3;
	at = data[0] >> 2;
	for (off = 1, idx = 0; off + 2 <= size; idx++) {
		hdr = (uint16_t)(data[off] << 8 | data[off + 1]);
		off += 2;
		which = hdr >> 15;
		len = hdr & 0x3fff;
		if (len > SYNC_MSG_MAX)
			len = SYNC_MSG_MAX;
		if (len > size - off)
			len = size - off;
		if (hdr & 0x4000) {		/* to the dialled stream */
			acc_send(data + off, len, idx == at ? action : 0);
			off += len;
			pump(-1);
			invariants();
			continue;
		}
		if (d[which].fd == -1)
			dial(&d[which], (uint8_t)(0xa0 + which));
		send_msg(&d[which], data + off, len, idx == at ? action : 0);
		off += len;
		pump(d[which].fd == -1 ? -1 : d[which].peer);
		drain(&d[which]);
		invariants();
	}

	/* Our ends close: every session goes, nothing is left behind. */
	for (i = 0; i < NSTREAMS; i++)
		hangup(&d[i]);
	acc_hangup();
	for (i = 0; i < PUMP_MAX && streams(s) > 0; i++)
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
	check(streams(s) == 0 && TAILQ_EMPTY(&s->inbound));
	invariants();
	sync_close(&srv);
	check(srv.sync == NULL);
	return 0;
}
