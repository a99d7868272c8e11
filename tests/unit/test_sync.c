/*
 * Unit tests for the sync core (sync.c, sync_peer.c, sync_origin.c):
 * HELLO checks, the merge rules (snapshots, deltas, versions,
 * incarnations, RESYNC), expiry, the peer set the backends feed, local
 * pushes and reload; and for sync_admit.c:
 * the slots of accepted streams and the self rule.
 *
 * The core is linked alone.  This file provides fakes of what it calls:
 * the stream transport of sync_session.c and sync_send.c (sync_send_msg()
 * records what would go on the wire) and the four backend tables (each
 * records its init/start/reload/free calls and reports the peers a test
 * gives it).
 * Messages are fed to the core's hello and message callbacks through
 * the real codec (encoded, then decoded), as a stream would deliver them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "epmdx.h"
#include "handover.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

#define ME		"me"
#define SECRET		"a-cluster-secret-of-some-length\n"
#define NAMES_PORT	4369

/* --- Fake backends ------------------------------------------------- */

enum { BE_STATIC, BE_HOSTS, BE_DNS, BE_MCAST, BE_N };

struct fake_report {
	const char	*host;
	unsigned int	 port;
};

struct fake_be {
	int				 inits, starts, reloads, frees;
	int				 fail_init;
	struct sync_backend_inst	*bi;	/* as init (or reload) saw it */
	void				*data;	/* what init put in bi->data */
	struct fake_report		 rep[4]; /* reported on start, reload */
	int				 nrep;
};

static struct fake_be	 fk[BE_N];

static int	fake_init(struct sync_backend_inst *, const struct sync_conf *,
		    char **);
static void	fake_start(struct sync_backend_inst *);
static int	fake_reload(struct sync_backend_inst *,
		    const struct sync_conf *, char **);
static void	fake_free(struct sync_backend_inst *);
static void	fake_local_changed(struct sync_backend_inst *,
		    const struct node *, int);
static int	local_changes;		/* fake_local_changed() calls */

const struct sync_backend sync_backend_static = {
	"static", fake_init, fake_start, fake_reload, fake_free,
	fake_local_changed, NULL, NULL
};
const struct sync_backend sync_backend_hosts = {
	"hosts", fake_init, fake_start, fake_reload, fake_free, NULL, NULL, NULL
};
/* No reload hook: the core frees and re-inits it. */
const struct sync_backend sync_backend_dns = {
	"dns", fake_init, fake_start, NULL, fake_free, NULL, NULL, NULL
};
const struct sync_backend sync_backend_mcast = {
	"mcast", fake_init, NULL, fake_reload, fake_free, NULL, NULL, NULL
};
/* Listed by the core, never configured here. */
const struct sync_backend sync_backend_etcd = {
	"etcd", fake_init, NULL, NULL, fake_free, NULL, NULL, NULL
};

/* The fake's record for a backend table. */
static struct fake_be *
fake_of(const struct sync_backend *b)
{
	if (b == &sync_backend_static)
		return &fk[BE_STATIC];
	if (b == &sync_backend_hosts)
		return &fk[BE_HOSTS];
	if (b == &sync_backend_dns)
		return &fk[BE_DNS];
	if (b == &sync_backend_mcast)
		return &fk[BE_MCAST];
	fail_msg("unknown backend table");
	return NULL;
}

static int
fake_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct fake_be	*f = fake_of(bi->backend);

	f->inits++;
	if (f->fail_init) {
		xasprintf(cause, "fake %s: refused", bi->backend->name);
		return -1;
	}
	f->bi = bi;
	f->data = xcalloc(1, 16);
	bi->data = f->data;
	return 0;
}

/* Report every peer the test configured. */
static void
fake_report_all(struct sync_backend_inst *bi)
{
	struct fake_be	*f = fake_of(bi->backend);
	int		 i;

	for (i = 0; i < f->nrep; i++)
		sync_peer_seen(bi, f->rep[i].host, f->rep[i].port);
}

static void
fake_start(struct sync_backend_inst *bi)
{
	fake_of(bi->backend)->starts++;
	fake_report_all(bi);
}

static int
fake_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct fake_be	*f = fake_of(bi->backend);

	f->reloads++;
	f->bi = bi;
	fake_report_all(bi);
	return 0;
}

static void
fake_free(struct sync_backend_inst *bi)
{
	struct fake_be	*f = fake_of(bi->backend);

	f->frees++;
	assert_ptr_equal(bi->data, f->data);
	free(bi->data);
	bi->data = NULL;
	f->data = NULL;
	f->bi = NULL;
}

/* --- Fake clocks --------------------------------------------------- */

static time_t	 fake_mono;	/* what mono_now() says */
static time_t	 fake_wall;	/* what time() says */

/* The monotonic clock of mono.c, set by each test. */
time_t
mono_now(void)
{
	return fake_mono;
}

/* The wall clock, for the whole binary: tests step it at will. */
time_t
time(time_t *t)
{
	if (t != NULL)
		*t = fake_wall;
	return fake_wall;
}

/* --- Fake transport (sync_session.c, sync_send.c) ------------------ */

#define MAXSENT	256

struct sent {
	struct sync_session	*sess;
	uint8_t			 type;
	uint64_t		 incarnation;
	uint64_t		 version;
	char			 name[64];
	unsigned int		 port;
};

static struct sent	 sent[MAXSENT];
static int		 nsent;
static int		 ndials;
static char		 last_dial[SYNC_HOST_MAX + 8];
static int		 nsnapshots;
static int		 naccepts;

void
sync_session_dial(struct sync_peer *p)
{
	ndials++;
	snprintf(last_dial, sizeof(last_dial), "%s:%u", p->host, p->port);
}

/* Names for the states the tests set. */
const char *
sync_session_state_name(enum sync_sess_state state)
{
	switch (state) {
	case SESS_NEW:
		return "new";
	case SESS_OPEN:
		return "handshake";
	case SESS_ESTABLISHED:
		return "established";
	default:
		return "other";
	}
}

/* As the real one: the core hears of it, then everything is freed. */
void
sync_session_free(struct sync_session *sess, const char *reason)
{
	struct sync	*s = sess->sync;

	s->cb->gone(sess);
	if (sess->peer != NULL) {
		sess->peer->sess = NULL;
		sess->peer->ended = sess->state;
	}
	if (!sess->outbound) {
		TAILQ_REMOVE(&s->inbound, sess, entry);
		s->ninbound--;
	}
	if (sess->staging != NULL)
		registry_free(sess->staging);
	free(sess);
}

/* As the real one: the state the peer keeps, then the teardown. */
void
sync_session_end(struct sync_session *sess, enum sync_sess_state state,
    const char *reason)
{
	sess->state = state;
	sync_session_free(sess, reason);
}

void
sync_session_accept(struct sync *s, int fd, const uint8_t *body, size_t len)
{
	naccepts++;
	close(fd);
}

/* Record the message, after checking the codec takes it. */
void
sync_send_msg(struct sync_session *sess, const struct sync_msg *m)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 d;
	struct sent	*r;
	int		 n;

	n = sync_msg_encode(buf, sizeof(buf), m);
	assert_true(n > 0);
	assert_int_equal(sync_msg_decode(buf, (size_t)n, &d, NULL), 0);
	assert_true(nsent < MAXSENT);
	sess->last_tx = sess->sync->ticks;	/* as the real one */
	r = &sent[nsent++];
	memset(r, 0, sizeof(*r));
	r->sess = sess;
	r->type = d.type;
	r->incarnation = d.incarnation;
	r->version = d.version;
	r->port = d.node.port;
	if (d.node.namelen > 0)
		snprintf(r->name, sizeof(r->name), "%.*s", (int)d.node.namelen,
		    (const char *)d.node.name);
}

/* Nothing is batched here: every message is recorded as it goes. */
void
sync_send_flush(struct sync_session *sess)
{
}

void
sync_send_flush_all(struct sync *s)
{
}

/* As the real one, a snapshot of 1000 bytes queued. */
void
sync_send_snapshot(struct sync_session *sess)
{
	nsnapshots++;
	sess->queued += 1000;
	sess->snap_end = sess->queued;
}

static size_t	 fake_pending;	/* bytes queued and not yet written */

size_t
sync_send_pending(struct sync_session *sess)
{
	return fake_pending;
}

/* --- The server under test ----------------------------------------- */

static struct server	 srv;
static char		 secret_path[] = "/tmp/epmdx-test-sync.XXXXXX";
static char		*strs[32];	/* conf strings to free */
static int		 nstrs;

/* A conf string the teardown frees. */
static char *
S(const char *s)
{
	assert_true(nstrs < 32);
	return strs[nstrs++] = xstrdup(s);
}

static int
setup(void **state)
{
	int	 fd;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	memset(fk, 0, sizeof(fk));
	nsent = ndials = nsnapshots = naccepts = 0;
	last_dial[0] = '\0';
	fake_mono = 1000000;
	fake_wall = 1700000000;
	fake_pending = 0;
	srv.base = event_base_new();
	srv.reg = registry_new(0);
	srv.names_port = NAMES_PORT;
	srv.started = time(NULL);
	snprintf(secret_path, sizeof(secret_path),
	    "/tmp/epmdx-test-sync.XXXXXX");
	if ((fd = mkstemp(secret_path)) == -1)
		return -1;
	if (write(fd, SECRET, strlen(SECRET)) != (ssize_t)strlen(SECRET) ||
	    fchmod(fd, 0600) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	srv.conf.sync.backends = S("static");
	srv.conf.sync.secret_file = S(secret_path);
	srv.conf.sync.hostname = S(ME);
	srv.conf.sync.ttl = 30;
	srv.conf.sync.interval = 5;
	return srv.base != NULL && srv.reg != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	int	 i;

	(void)state;
	sync_close(&srv);
	registry_free(srv.reg);
	event_base_free(srv.base);
	unlink(secret_path);
	for (i = 0; i < nstrs; i++)
		free(strs[i]);
	nstrs = 0;
	return 0;
}

/* Start sync with the conf as it stands; it must work. */
static struct sync *
start(void)
{
	char	*cause = NULL;

	if (sync_open(&srv, &cause) != 0)
		fail_msg("sync_open: %s", cause != NULL ? cause : "?");
	assert_non_null(srv.sync);
	return srv.sync;
}

/* A store backend's hook: count what the core tells it. */
static void
fake_local_changed(struct sync_backend_inst *bi, const struct node *n,
    int up)
{
	local_changes += up ? 1 : 100;
}

/* --- Sessions and messages ----------------------------------------- */

/* An accepted stream from addr, open, as sync_session.c would keep it. */
static struct sync_session *
inbound(const char *addr)
{
	struct sync_session	*sess;

	sess = xcalloc(1, sizeof(*sess));
	sess->sync = srv.sync;
	sess->outbound = 0;
	sess->state = SESS_ESTABLISHED;
	snprintf(sess->addr, sizeof(sess->addr), "%s", addr);
	TAILQ_INSERT_TAIL(&srv.sync->inbound, sess, entry);
	srv.sync->ninbound++;
	return sess;
}

/* A dialed stream to p; established (HELLO seen) if hello. */
static struct sync_session *
outbound(struct sync_peer *p, int hello)
{
	struct sync_session	*sess;

	assert_null(p->sess);
	sess = xcalloc(1, sizeof(*sess));
	sess->sync = srv.sync;
	sess->peer = p;
	sess->outbound = 1;
	sess->state = hello ? SESS_ESTABLISHED : SESS_OPEN;
	snprintf(sess->addr, sizeof(sess->addr), "%s:%u", p->host, p->port);
	p->sess = sess;
	if (hello)
		p->backoff = 0;		/* as the core's hello leaves it */
	return sess;
}

/* Round-trip m through the codec into buf, as a stream delivers it. */
static struct sync_msg
wire(const struct sync_msg *m, uint8_t *buf, size_t size)
{
	struct sync_msg	 d;
	const char	*why = NULL;
	int		 n;

	n = sync_msg_encode(buf, size, m);
	assert_true(n > 0);
	if (sync_msg_decode(buf, (size_t)n, &d, &why) != 0)
		fail_msg("decode: %s", why);
	return d;
}

/* Deliver a HELLO from origin/incarnation advertising adv. */
static int
hello(struct sync_session *sess, const char *origin, uint64_t inc,
    const char *adv)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m, d;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HELLO;
	m.proto = SYNC_PROTO_VERSION;
	m.incarnation = inc;
	m.origin = (const uint8_t *)origin;
	m.originlen = strlen(origin);
	m.advertise = (const uint8_t *)adv;
	m.advertiselen = strlen(adv);
	d = wire(&m, buf, sizeof(buf));
	return srv.sync->cb->hello(sess, &d);
}

/* Deliver m (after the codec) to the core. */
static int
deliver(struct sync_session *sess, const struct sync_msg *m)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 d;

	d = wire(m, buf, sizeof(buf));
	return srv.sync->cb->message(sess, &d);
}

static int
snap_begin(struct sync_session *sess, uint64_t inc, uint64_t ver,
    uint32_t count)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_BEGIN;
	m.incarnation = inc;
	m.version = ver;
	m.count = count;
	return deliver(sess, &m);
}

static int
snap_end(struct sync_session *sess)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_END;
	return deliver(sess, &m);
}

/* ADD name at port (version 0 inside a snapshot). */
static int
add(struct sync_session *sess, uint64_t ver, const char *name,
    unsigned int port)
{
	static const uint8_t	 extra[] = { 'x', 0, 'y' };
	struct sync_msg		 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_ADD;
	m.version = ver;
	m.node.port = (uint16_t)port;
	m.node.type = 77;
	m.node.high = 6;
	m.node.low = 5;
	m.node.name = (const uint8_t *)name;
	m.node.namelen = strlen(name);
	m.node.extra = extra;
	m.node.extralen = sizeof(extra);
	return deliver(sess, &m);
}

static int
del(struct sync_session *sess, uint64_t ver, const char *name)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_DEL;
	m.version = ver;
	m.node.name = (const uint8_t *)name;
	m.node.namelen = strlen(name);
	return deliver(sess, &m);
}

static int
heartbeat(struct sync_session *sess, uint64_t inc, uint64_t ver)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HEARTBEAT;
	m.incarnation = inc;
	m.version = ver;
	return deliver(sess, &m);
}

/* A whole snapshot: names[i] at port 1000 + i. */
static void
snapshot(struct sync_session *sess, uint64_t inc, uint64_t ver,
    const char *const *names, int n)
{
	int	 i;

	assert_int_equal(snap_begin(sess, inc, ver, (uint32_t)n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(add(sess, 0, names[i], 1000 + (unsigned)i),
		    0);
	assert_int_equal(snap_end(sess), 0);
}

/* HELLO from origin at inc and its snapshot of names. */
static struct sync_session *
origin_with(const char *addr, const char *origin, uint64_t inc, uint64_t ver,
    const char *const *names, int n)
{
	struct sync_session	*sess = inbound(addr);

	assert_int_equal(hello(sess, origin, inc, ""), 0);
	snapshot(sess, inc, ver, names, n);
	return sess;
}

/* How many messages of type were sent on sess (NULL: any). */
static int
count_sent(const struct sync_session *sess, uint8_t type)
{
	int	 i, n = 0;

	for (i = 0; i < nsent; i++)
		if ((sess == NULL || sent[i].sess == sess) &&
		    sent[i].type == type)
			n++;
	return n;
}

/* --- Queries ------------------------------------------------------- */

static char	 dump[65536];

/* The CLUSTER text, NUL-terminated in dump. */
static const char *
cluster(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;

	assert_non_null(b);
	sync_cluster_dump(&srv, b);
	len = evbuffer_get_length(b);
	assert_true(len < sizeof(dump));
	evbuffer_remove(b, dump, len);
	dump[len] = '\0';
	evbuffer_free(b);
	return dump;
}

/* The PEERS text, NUL-terminated in dump. */
static const char *
peers(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;

	assert_non_null(b);
	sync_peers_dump(&srv, b);
	len = evbuffer_get_length(b);
	assert_true(len < sizeof(dump));
	evbuffer_remove(b, dump, len);
	dump[len] = '\0';
	evbuffer_free(b);
	return dump;
}

/* Lines of the cluster dump whose host column is host (and name). */
static int
cluster_count(const char *name, const char *host)
{
	const char	*p, *nl;
	char		 line[2048], *tab, *h;
	int		 n = 0;
	size_t		 len;

	for (p = cluster(); *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		len = (size_t)(nl - p);
		assert_true(len < sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		h = tab + 1;
		if ((tab = strchr(h, '\t')) != NULL)
			*tab = '\0';
		if (strcmp(h, host) == 0 &&
		    (name == NULL || strcmp(line, name) == 0))
			n++;
	}
	return n;
}

/* Whether name@host is in the cluster dump with that port. */
static int
cluster_has(const char *name, const char *host, unsigned int port)
{
	char	 want[512];

	snprintf(want, sizeof(want), "\n%s\t%s\t%u\t", name, host, port);
	cluster();
	memmove(dump + 1, dump, strlen(dump) + 1);
	dump[0] = '\n';
	return strstr(dump, want) != NULL;
}

/* The port sync_resolve() gives name@host, 0 if unknown. */
static unsigned int
resolve_port(const char *name, const char *host)
{
	const struct node	*n;

	char			 addr[300];

	n = sync_resolve(&srv, (const uint8_t *)name, strlen(name), host,
	    addr, sizeof(addr));
	return n != NULL ? n->port : 0;
}

/* The remote origin named host, or NULL. */
static struct sync_origin *
origin(const char *host)
{
	struct sync_origin	*o;

	TAILQ_FOREACH(o, &srv.sync->origins, entry)
		if (strcmp(o->host, host) == 0)
			return o;
	return NULL;
}

static int
npeers(void)
{
	struct sync_peer	*p;
	int			 n = 0;

	TAILQ_FOREACH(p, &srv.sync->peers, entry)
		n++;
	return n;
}

/* Run the event loop for ms milliseconds. */
static void
run_for(unsigned int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_base_loopexit(srv.base, &tv);
	event_base_dispatch(srv.base);
}

/*
 * Run the event loop until sync has ticked n times since it started (the
 * tick falls on whole seconds of the wall clock, so a span of time may
 * hold one more or one less).
 */
static void
run_ticks(struct sync *s, uint64_t n)
{
	while (s->ticks < n)
		run_for(50);
}

/* --- sync_open ----------------------------------------------------- */

/* Backends without secret_file: refused, saying so; off: no sync. */
/* How many backend slots are in use. */
static int
nrunning(struct sync *s)
{
	int	 i, n = 0;

	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		n += s->insts[i].backend != NULL;
	return n;
}

static void
test_open_requires_secret(void **state)
{
	char	*cause = NULL;

	(void)state;
	srv.conf.sync.secret_file = NULL;
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_null(srv.sync);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "secret_file"));
	free(cause);
	assert_int_equal(fk[BE_STATIC].inits, 0);

	/* No backends at all: sync is off, and that is no error. */
	srv.conf.sync.backends = NULL;
	cause = NULL;
	assert_int_equal(sync_open(&srv, &cause), 0);
	assert_null(srv.sync);
	assert_null(cause);
}

/* A secret others can read, or a bad hostname: refused. */
static void
test_open_bad_secret_or_hostname(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(chmod(secret_path, 0644), 0);
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_null(srv.sync);
	assert_non_null(cause);
	assert_non_null(strstr(cause, secret_path));
	free(cause);
	cause = NULL;
	assert_int_equal(chmod(secret_path, 0600), 0);

	srv.conf.sync.hostname = S("me@there");
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_null(srv.sync);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(fk[BE_STATIC].inits, 0);
}

/* An unknown or failing backend: refused, the others freed. */
static void
test_open_bad_backend(void **state)
{
	char	*cause = NULL;

	(void)state;
	srv.conf.sync.backends = S("static, nosuch");
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_null(srv.sync);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "nosuch"));
	free(cause);
	cause = NULL;
	assert_int_equal(fk[BE_STATIC].inits, 1);
	assert_int_equal(fk[BE_STATIC].frees, 1);
	assert_int_equal(fk[BE_STATIC].starts, 0);

	srv.conf.sync.backends = S("static,hosts");
	fk[BE_HOSTS].fail_init = 1;
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_null(srv.sync);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(fk[BE_STATIC].frees, 2);
}

/* A good config: backends inited and started, accessors answer. */
static void
test_open_ok(void **state)
{
	struct sync	*s;

	(void)state;
	srv.conf.sync.backends = S("static, dns");
	fk[BE_STATIC].rep[0].host = "peer1";
	fk[BE_STATIC].rep[0].port = 24001;
	fk[BE_STATIC].rep[1].host = "peer2";
	fk[BE_STATIC].rep[1].port = 0;
	fk[BE_STATIC].nrep = 2;
	s = start();
	assert_int_equal(fk[BE_STATIC].inits, 1);
	assert_int_equal(fk[BE_STATIC].starts, 1);
	assert_int_equal(fk[BE_DNS].inits, 1);
	assert_int_equal(fk[BE_DNS].starts, 1);
	assert_int_equal(fk[BE_HOSTS].inits, 0);
	assert_string_equal(sync_hostname(s), ME);
	assert_int_equal(sync_default_port(s), NAMES_PORT);
	assert_ptr_equal(sync_base(s), srv.base);
	assert_non_null(sync_master_key(s));
	assert_true(sync_incarnation(s) != 0);
	/* Both peers dialed, the port-less one at the default port. */
	assert_int_equal(ndials, 2);
	assert_non_null(sync_peer_find(s, "peer1", 24001));
	assert_non_null(sync_peer_find(s, "peer2", NAMES_PORT));
	sync_close(&srv);
	assert_null(srv.sync);
	assert_int_equal(fk[BE_STATIC].frees, 1);
	assert_int_equal(fk[BE_DNS].frees, 1);
}

/* [sync] port moves the default port; incarnations differ per start. */
static void
test_open_port_and_incarnation(void **state)
{
	uint64_t	 inc;

	(void)state;
	srv.conf.sync.port = 24001;
	inc = sync_incarnation(start());
	assert_int_equal(sync_default_port(srv.sync), 24001);
	sync_close(&srv);
	assert_true(sync_incarnation(start()) != inc);
}

/* --- HELLO --------------------------------------------------------- */

/* Our own hostname and incarnation: that is us, refused. */
static void
test_hello_self(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	struct sync_peer	*p;

	(void)state;
	fk[BE_STATIC].rep[0].host = "10.0.0.9";
	fk[BE_STATIC].nrep = 1;
	s = start();
	sess = inbound("127.0.0.1:40000");
	assert_int_equal(hello(sess, ME, s->incarnation, ":4369"), -1);
	assert_true(TAILQ_EMPTY(&s->origins));
	assert_null(sess->origin);
	assert_int_equal(npeers(), 1);

	/* Dialing ourselves: the peer is marked self, never redialed. */
	p = sync_peer_find(s, "10.0.0.9", NAMES_PORT);
	assert_non_null(p);
	outbound(p, 0);
	assert_int_equal(hello(p->sess, ME, s->incarnation, ":4369"), -1);
	assert_int_equal(p->self, 1);
	assert_string_equal(sync_peer_status(p), "self");
	assert_true(TAILQ_EMPTY(&s->origins));
	assert_string_equal(cluster(), "");
}

/* Our hostname with another incarnation: a conflict, refused. */
static void
test_hello_conflict(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	struct sync_peer	*p;

	(void)state;
	fk[BE_STATIC].rep[0].host = "10.0.0.9";
	fk[BE_STATIC].nrep = 1;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, ME, s->incarnation + 1, ":24001"), -1);
	assert_true(TAILQ_EMPTY(&s->origins));
	assert_null(sess->origin);
	assert_int_equal(npeers(), 1);		/* nothing learned */
	assert_null(sync_peer_find(s, "127.0.0.7", 24001));
	/* Messages on it merge nothing. */
	assert_int_equal(snap_begin(sess, s->incarnation + 1, 1, 0), -1);

	p = sync_peer_find(s, "10.0.0.9", NAMES_PORT);
	outbound(p, 0);
	assert_int_equal(hello(p->sess, ME, s->incarnation + 1, ""), -1);
	assert_int_equal(p->self, 0);
	assert_string_equal(cluster(), "");
}

/* Advertise ":port": the peer is learned at the source address. */
static void
test_hello_advertise_port(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	struct sync_peer	*p;

	(void)state;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, ":24001"), 0);
	assert_non_null(origin("a"));
	assert_ptr_equal(sess->origin, origin("a"));
	p = sync_peer_find(s, "127.0.0.7", 24001);
	assert_non_null(p);
	assert_int_equal(p->sources, SYNC_SRC_LEARNED);
	assert_int_equal(ndials, 1);
	assert_string_equal(last_dial, "127.0.0.7:24001");
	assert_string_equal(origin("a")->addr, "127.0.0.7:24001");
	assert_null(sync_peer_find(s, "127.0.0.7", 5555));

	/* The origin address shows in the cluster's last column. */
	snapshot(sess, 11, 1, (const char *const[]){ "n1" }, 1);
	assert_non_null(strstr(cluster(), "\t127.0.0.7:24001\n"));

	/* A second stream from it learns nothing new. */
	sess = inbound("127.0.0.7:5556");
	assert_int_equal(hello(sess, "a", 11, ":24001"), 0);
	assert_int_equal(npeers(), 1);
	assert_int_equal(ndials, 1);

	/* IPv6 sources, v4-mapped ones unmapped. */
	sess = inbound("[::ffff:127.0.0.8]:5555");
	assert_int_equal(hello(sess, "b", 12, ":24002"), 0);
	assert_non_null(sync_peer_find(s, "127.0.0.8", 24002));
	sess = inbound("[fe80::1]:5555");
	assert_int_equal(hello(sess, "c", 13, ":24003"), 0);
	assert_non_null(sync_peer_find(s, "fe80::1", 24003));
	assert_string_equal(origin("c")->addr, "[fe80::1]:24003");
}

/* Advertise "host:port" (or just a host): learned as said. */
static void
test_hello_advertise_host(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	struct sync_peer	*p;

	(void)state;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "h:99"), 0);
	p = sync_peer_find(s, "h", 99);
	assert_non_null(p);
	assert_int_equal(p->sources, SYNC_SRC_LEARNED);
	assert_null(sync_peer_find(s, "127.0.0.7", 99));
	assert_string_equal(origin("a")->addr, "h:99");

	sess = inbound("127.0.0.8:5555");
	assert_int_equal(hello(sess, "b", 12, "hb"), 0);
	assert_non_null(sync_peer_find(s, "hb", NAMES_PORT));

	sess = inbound("127.0.0.9:5555");
	assert_int_equal(hello(sess, "c", 13, "[2001:db8::1]:98"), 0);
	assert_non_null(sync_peer_find(s, "2001:db8::1", 98));
	assert_int_equal(npeers(), 3);
	assert_non_null(strstr(peers(), "h:99\t"));
	assert_non_null(strstr(dump, "learned"));
}

/* An outbound stream's HELLO names the peer's origin. */
static void
test_hello_outbound(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;

	(void)state;
	fk[BE_STATIC].rep[0].host = "h";
	fk[BE_STATIC].rep[0].port = 99;
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "h", 99);
	outbound(p, 0);
	assert_int_equal(hello(p->sess, "a", 11, ""), 0);
	assert_string_equal(p->origin, "a");
	assert_true(p->last_ok != 0);
	/* The dialer's side holds no origin: entries come inbound. */
	assert_true(TAILQ_EMPTY(&s->origins));
}

/* --- Snapshots and deltas ------------------------------------------ */

/* BEGIN, ADD x3: nothing visible; END: all three at once. */
static void
test_snapshot_atomic(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, ":4369"), 0);
	assert_string_equal(cluster(), "");
	assert_int_equal(snap_begin(sess, 11, 3, 3), 0);
	assert_int_equal(add(sess, 0, "n1", 1001), 0);
	assert_int_equal(add(sess, 0, "n2", 1002), 0);
	assert_int_equal(cluster_count(NULL, "a"), 0);
	assert_int_equal(resolve_port("n1", "a"), 0);
	assert_int_equal(add(sess, 0, "n3", 1003), 0);
	assert_int_equal(cluster_count(NULL, "a"), 0);
	assert_int_equal(snap_end(sess), 0);
	assert_int_equal(cluster_count(NULL, "a"), 3);
	assert_true(cluster_has("n1", "a", 1001));
	assert_true(cluster_has("n2", "a", 1002));
	assert_true(cluster_has("n3", "a", 1003));
	assert_int_equal(resolve_port("n2", "a"), 1002);
	assert_true(origin("a")->version == 3);
	assert_true(origin("a")->incarnation == 11);
	assert_int_equal(origin("a")->synced, 1);
	assert_int_equal(count_sent(NULL, SYNC_MSG_RESYNC), 0);

	/* A later snapshot is the whole table: n2, n3 go. */
	snapshot(sess, 11, 5, (const char *const[]){ "n1" }, 1);
	assert_int_equal(cluster_count(NULL, "a"), 1);
	assert_true(cluster_has("n1", "a", 1000));
	assert_true(origin("a")->version == 5);
}

/* Remote entries never show as local, local ones come first. */
static void
test_cluster_local_and_remote(void **state)
{
	struct proto_node	 pn;
	const char		*c;

	(void)state;
	start();
	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"loc";
	pn.namelen = 3;
	pn.port = 5000;
	pn.type = 77;
	pn.high = 6;
	pn.low = 5;
	assert_non_null(registry_add(srv.reg, &pn, time(NULL), -1, NULL));
	origin_with("127.0.0.7:5555", "a", 11, 1,
	    (const char *const[]){ "loc", "n2" }, 2);
	c = cluster();
	assert_true(strncmp(c, "loc\tme\t5000\t6\t5\t0\tlocal\n",
	    strlen("loc\tme\t5000\t6\t5\t0\tlocal\n")) == 0);
	assert_int_equal(cluster_count("loc", ME), 1);
	assert_int_equal(cluster_count("loc", "a"), 1);
	assert_int_equal(resolve_port("loc", ME), 5000);
	assert_int_equal(resolve_port("loc", "localhost"), 5000);
	assert_int_equal(resolve_port("loc", "a"), 1000);
	assert_int_equal(resolve_port("n2", ME), 0);
	assert_int_equal(resolve_port("n2", "nosuchhost"), 0);
	/* Remote entries never touch the local registry. */
	assert_int_equal(registry_count(srv.reg), 1);
}

/*
 * A name with a newline, a tab, DEL or a backslash (stock registers any
 * UTF-8) stays one field of one CLUSTER line: those bytes come as \xHH.
 */
static void
test_cluster_name_escaped(void **state)
{
	struct proto_node	 pn;

	(void)state;
	start();
	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"a\nb\tc\\d\x7f";
	pn.namelen = 8;
	pn.port = 5000;
	pn.high = 6;
	pn.low = 5;
	assert_non_null(registry_add(srv.reg, &pn, time(NULL), -1, NULL));
	assert_string_equal(cluster(),
	    "a\\x0ab\\x09c\\x5cd\\x7f\tme\t5000\t6\t5\t0\tlocal\n");
	/* RESOLVE still takes the name as it is. */
	assert_int_equal(resolve_port("a\nb\tc\\d\x7f", ME), 5000);
}

/* Deltas apply at version+1; a repeat or an old one is ignored. */
static void
test_deltas_in_order(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1", "n2" }, 2);
	assert_int_equal(add(sess, 4, "n4", 4004), 0);
	assert_true(cluster_has("n4", "a", 4004));
	assert_true(origin("a")->version == 4);
	assert_int_equal(add(sess, 5, "n5", 4005), 0);
	assert_true(cluster_has("n5", "a", 4005));
	assert_true(origin("a")->version == 5);

	/* The same version again (say, from another stream): ignored. */
	assert_int_equal(add(sess, 5, "dup", 4099), 0);
	assert_int_equal(cluster_count("dup", "a"), 0);
	assert_int_equal(del(sess, 4, "n4"), 0);
	assert_true(cluster_has("n4", "a", 4004));
	assert_int_equal(add(sess, 1, "old", 4098), 0);
	assert_int_equal(cluster_count("old", "a"), 0);
	assert_true(origin("a")->version == 5);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
	assert_int_equal(cluster_count(NULL, "a"), 4);
}

/* A gap asks one RESYNC, no more until a snapshot lands. */
static void
test_gap_asks_one_resync(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	assert_int_equal(add(sess, 5, "gap", 4005), 0);	/* 4 is missing */
	assert_int_equal(cluster_count("gap", "a"), 0);
	assert_true(origin("a")->version == 3);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	assert_int_equal(count_sent(NULL, SYNC_MSG_RESYNC), 1);
	assert_int_equal(add(sess, 6, "gap2", 4006), 0);
	assert_int_equal(del(sess, 9, "n1"), 0);
	assert_int_equal(heartbeat(sess, 11, 9), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	assert_true(cluster_has("n1", "a", 1000));

	/* The snapshot lands; the next gap asks again, once. */
	snapshot(sess, 11, 9, (const char *const[]){ "n1", "x" }, 2);
	assert_true(origin("a")->version == 9);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	assert_int_equal(add(sess, 10, "y", 4010), 0);
	assert_true(cluster_has("y", "a", 4010));
	assert_int_equal(add(sess, 12, "z", 4012), 0);
	assert_int_equal(add(sess, 13, "z", 4013), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 2);
	assert_int_equal(cluster_count("z", "a"), 0);
	/* Nothing but RESYNC went out. */
	assert_int_equal(nsent, 2);
}

/* A delta before any snapshot: RESYNC, nothing merged. */
static void
test_delta_before_snapshot(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, ""), 0);
	assert_int_equal(add(sess, 1, "n1", 1), 0);
	assert_int_equal(del(sess, 2, "n1"), 0);
	assert_int_equal(cluster_count(NULL, "a"), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	snapshot(sess, 11, 2, NULL, 0);
	assert_int_equal(add(sess, 3, "n3", 3), 0);
	assert_true(cluster_has("n3", "a", 3));
}

/* DEL removes; a DEL of an unknown name still moves the version. */
static void
test_del_removes(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1", "n2", "n3" }, 3);
	assert_int_equal(del(sess, 4, "n2"), 0);
	assert_int_equal(cluster_count("n2", "a"), 0);
	assert_int_equal(cluster_count(NULL, "a"), 2);
	assert_int_equal(resolve_port("n2", "a"), 0);
	assert_int_equal(del(sess, 5, "never"), 0);
	assert_true(origin("a")->version == 5);
	assert_int_equal(add(sess, 6, "n2", 77), 0);
	assert_true(cluster_has("n2", "a", 77));
	assert_int_equal(count_sent(NULL, SYNC_MSG_RESYNC), 0);
}

/* ADD of a name it has: replaced (the new port), still one entry. */
static void
test_add_replaces(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1", "n2" }, 2);
	assert_true(cluster_has("n1", "a", 1000));
	assert_int_equal(add(sess, 4, "n1", 999), 0);
	assert_true(cluster_has("n1", "a", 999));
	assert_false(cluster_has("n1", "a", 1000));
	assert_int_equal(cluster_count("n1", "a"), 1);
	assert_int_equal(resolve_port("n1", "a"), 999);
	assert_int_equal(cluster_count(NULL, "a"), 2);

	/* A snapshot short of its announced count is ignored, RESYNC. */
	nsent = 0;
	assert_int_equal(snap_begin(sess, 11, 7, 3), 0);
	assert_int_equal(add(sess, 0, "x1", 1), 0);
	assert_int_equal(snap_end(sess), 0);
	assert_int_equal(cluster_count("x1", "a"), 0);
	assert_int_equal(cluster_count(NULL, "a"), 2);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);

	/* The same inside a snapshot: the last ADD wins. */
	assert_int_equal(snap_begin(sess, 11, 9, 2), 0);
	assert_int_equal(add(sess, 0, "n1", 1), 0);
	assert_int_equal(add(sess, 0, "n1", 2), 0);
	assert_int_equal(snap_end(sess), 0);
	assert_int_equal(cluster_count(NULL, "a"), 1);
	assert_true(cluster_has("n1", "a", 2));
}

/* A new incarnation's snapshot replaces the old entries wholesale. */
static void
test_new_incarnation_replaces(void **state)
{
	struct sync_session	*old, *sess;

	(void)state;
	start();
	old = origin_with("127.0.0.7:5555", "a", 11, 7,
	    (const char *const[]){ "n1", "n2" }, 2);
	/* The daemon restarts: a new stream, a new incarnation. */
	sess = inbound("127.0.0.7:5600");
	assert_int_equal(hello(sess, "a", 22, ""), 0);
	assert_ptr_equal(sess->origin, old->origin);
	/* Until its snapshot lands, the old entries stay. */
	assert_int_equal(cluster_count(NULL, "a"), 2);
	/* Its deltas wait for the snapshot. */
	assert_int_equal(add(sess, 1, "early", 1), 0);
	assert_int_equal(cluster_count("early", "a"), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	snapshot(sess, 22, 1, (const char *const[]){ "n3" }, 1);
	assert_int_equal(cluster_count(NULL, "a"), 1);
	assert_true(cluster_has("n3", "a", 1000));
	assert_int_equal(cluster_count("n1", "a"), 0);
	assert_true(origin("a")->incarnation == 22);
	assert_true(origin("a")->version == 1);
	/* A version lower than the old incarnation's is fine. */
	assert_int_equal(add(sess, 2, "n4", 4), 0);
	assert_true(cluster_has("n4", "a", 4));

	/* The old incarnation's stream merges nothing more. */
	assert_int_equal(add(old, 3, "stale", 5), 0);
	assert_int_equal(cluster_count("stale", "a"), 0);
	assert_int_equal(count_sent(old, SYNC_MSG_RESYNC), 1);
	assert_int_equal(cluster_count(NULL, "a"), 2);
}

/* What the core told the server (srv.remote_changed), one line each. */
static char	 events[4096];

static void
record_change(struct server *sv, const struct node *n, const char *host,
    const char *addr, int up)
{
	snprintf(events + strlen(events), sizeof(events) - strlen(events),
	    "%c%.*s@%s:%u/%s ", up ? '+' : '-', (int)n->namelen,
	    (const char *)n->name, host, up ? n->port : 0, addr);
}

/*
 * The core tells the server each remote entry that comes and goes (WATCH
 * hangs off it): deltas, a snapshot diffed against the table it replaces,
 * a new incarnation (all gone, all new), expiry.
 */
static void
test_remote_changes_told(void **state)
{
	struct sync_session	*sess, *sess2;
	struct proto_node	 pn[2];
	char			 addr[300];

	(void)state;
	start();
	srv.remote_changed = record_change;
	srv.nwatchers = 1;
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "192.0.2.7:4370"), 0);
	snapshot(sess, 11, 3, (const char *const[]){ "n1", "n2" }, 2);
	assert_string_equal(events, "+n2@a:1001/192.0.2.7 "
	    "+n1@a:1000/192.0.2.7 ");
	events[0] = '\0';
	assert_int_equal(add(sess, 4, "n3", 7), 0);
	assert_int_equal(del(sess, 5, "n1"), 0);
	assert_int_equal(del(sess, 6, "nobody"), 0);
	assert_string_equal(events, "+n3@a:7/192.0.2.7 -n1@a:0/192.0.2.7 ");
	assert_int_equal(resolve_port("n3", "a"), 7);
	assert_non_null(sync_resolve(&srv, (const uint8_t *)"n3", 2, "a",
	    addr, sizeof(addr)));
	assert_string_equal(addr, "192.0.2.7");

	/* A snapshot of the same incarnation: only the difference. */
	events[0] = '\0';
	snapshot(sess, 11, 9, (const char *const[]){ "n2", "n4" }, 2);
	/* n2 moved from port 1001 to 1000: told again; n3 went. */
	assert_string_equal(events, "-n3@a:0/192.0.2.7 +n4@a:1001/192.0.2.7 "
	    "+n2@a:1000/192.0.2.7 ");
	events[0] = '\0';
	snapshot(sess, 11, 10, (const char *const[]){ "n2", "n4" }, 2);
	assert_string_equal(events, "");

	/* A new incarnation: every old entry goes, every new one comes. */
	sess2 = inbound("127.0.0.7:5600");
	assert_int_equal(hello(sess2, "a", 22, "192.0.2.7:4370"), 0);
	events[0] = '\0';
	snapshot(sess2, 22, 1, (const char *const[]){ "n2" }, 1);
	assert_string_equal(events, "-n4@a:0/192.0.2.7 -n2@a:0/192.0.2.7 "
	    "+n2@a:1000/192.0.2.7 ");

	/* Expiry: one "-" per entry the origin had. */
	events[0] = '\0';
	fake_mono += 1000;
	sync_origin_expire(srv.sync);
	assert_string_equal(events, "-n2@a:0/192.0.2.7 ");

	/* A store's feed is diffed the same way; its address is unknown. */
	memset(pn, 0, sizeof(pn));
	pn[0].name = (const uint8_t *)"e1";
	pn[1].name = (const uint8_t *)"e2";
	pn[0].namelen = pn[1].namelen = 2;
	pn[0].port = 7000;
	pn[1].port = 7001;
	events[0] = '\0';
	sync_origin_feed(fk[BE_STATIC].bi, "store1", NULL, 5, 9, pn, 2);
	assert_string_equal(events, "+e2@store1:7001/- +e1@store1:7000/- ");
	events[0] = '\0';
	sync_origin_feed(fk[BE_STATIC].bi, "store1", NULL, 5, 10, pn + 1, 1);
	assert_string_equal(events, "-e1@store1:0/- ");
	events[0] = '\0';
	sync_origin_gone(fk[BE_STATIC].bi, "store1");
	assert_string_equal(events, "-e2@store1:0/- ");
	srv.remote_changed = NULL;
	events[0] = '\0';
}

/* HEARTBEAT: behind or another incarnation asks RESYNC, else not. */
static void
test_heartbeat_resync(void **state)
{
	struct sync_session	*sess;

	(void)state;
	start();
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	assert_int_equal(heartbeat(sess, 11, 3), 0);	/* up to date */
	assert_int_equal(heartbeat(sess, 11, 2), 0);	/* we are ahead */
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
	assert_int_equal(heartbeat(sess, 11, 4), 0);	/* missed one */
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	assert_int_equal(heartbeat(sess, 11, 5), 0);	/* asked already */
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	/* Heartbeats change no entries. */
	assert_int_equal(cluster_count(NULL, "a"), 1);
	assert_true(origin("a")->version == 3);

	snapshot(sess, 11, 5, (const char *const[]){ "n1" }, 1);
	assert_int_equal(heartbeat(sess, 11, 5), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
	assert_int_equal(heartbeat(sess, 12, 5), 0);	/* restarted */
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 2);

	/* Never synced: asks. */
	sess = inbound("127.0.0.8:5555");
	assert_int_equal(hello(sess, "b", 5, ""), 0);
	assert_int_equal(heartbeat(sess, 5, 0), 0);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 1);
}

/* Out-of-place messages close the stream, merging nothing. */
static void
test_bad_sequences(void **state)
{
	struct sync_session	*sess;
	struct sync_msg		 m;

	(void)state;
	start();
	/* No HELLO: no origin, everything refused. */
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(snap_begin(sess, 1, 1, 0), -1);
	assert_int_equal(heartbeat(sess, 1, 1), -1);

	sess = origin_with("127.0.0.8:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	assert_int_equal(snap_end(sess), -1);		/* no BEGIN */
	assert_int_equal(snap_begin(sess, 11, 4, 1), 0);
	assert_int_equal(del(sess, 0, "n1"), -1);	/* DEL in a snapshot */
	/* RESYNC and HELLO are not for the receiving side. */
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_RESYNC;
	assert_int_equal(deliver(sess, &m), -1);
	assert_true(cluster_has("n1", "a", 1000));
	assert_true(origin("a")->version == 3);
}

/* --- Expiry -------------------------------------------------------- */

/* An origin silent past ttl: its entries and learned peer go. */
static void
test_expiry(void **state)
{
	struct sync		*s;
	struct sync_session	*sa, *sb;
	struct sync_peer	*learned, *stat;

	(void)state;
	srv.conf.sync.ttl = 5;
	fk[BE_STATIC].rep[0].host = "s1";
	fk[BE_STATIC].rep[0].port = 7;
	fk[BE_STATIC].nrep = 1;
	s = start();
	sa = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sa, "a", 11, "ha:99"), 0);
	snapshot(sa, 11, 3, (const char *const[]){ "n1", "n2" }, 2);
	sb = origin_with("127.0.0.8:5555", "b", 12, 1,
	    (const char *const[]){ "m1" }, 1);
	/* Our dials reached a's daemon: both peers know their origin. */
	learned = sync_peer_find(s, "ha", 99);
	assert_non_null(learned);
	outbound(learned, 1);
	assert_int_equal(hello(learned->sess, "a", 11, ""), 0);
	stat = sync_peer_find(s, "s1", 7);
	assert_non_null(stat);
	outbound(stat, 1);
	assert_int_equal(hello(stat->sess, "a", 11, ""), 0);
	assert_int_equal(npeers(), 2);

	origin("a")->last_heard = mono_now() - (time_t)(s->ttl + 1);
	run_for(1300);

	assert_null(origin("a"));
	assert_int_equal(cluster_count(NULL, "a"), 0);
	assert_int_equal(resolve_port("n1", "a"), 0);
	assert_null(sync_peer_find(s, "ha", 99));	/* learned: gone */
	assert_ptr_equal(sync_peer_find(s, "s1", 7), stat); /* configured */
	assert_int_equal(npeers(), 1);
	assert_true(s->stats.expired == 1);
	/* b was heard: it stays. */
	assert_non_null(origin("b"));
	assert_true(cluster_has("m1", "b", 1000));
	/*
	 * Every stream to and from a went (a hung daemon: its kernel would
	 * go on acknowledging our stream): the configured peer's dialled
	 * stream ended timed out, and is dialled again; a's inbound stream
	 * is closed, b's stays.
	 */
	assert_null(stat->sess);
	assert_int_equal(stat->ended, SESS_TIMEOUT);
	assert_int_equal(s->ninbound, 1);
	assert_ptr_equal(TAILQ_FIRST(&s->inbound), sb);
	assert_ptr_equal(sb->origin, origin("b"));
	(void)sa;
}

/* Heard within ttl: nothing expires, however long the loop runs. */
static void
test_no_expiry_within_ttl(void **state)
{
	struct sync	*s;

	(void)state;
	srv.conf.sync.ttl = 5;
	s = start();
	origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	origin("a")->last_heard = mono_now() - (time_t)s->ttl + 2;
	run_for(1200);
	assert_non_null(origin("a"));
	assert_true(cluster_has("n1", "a", 1000));
	assert_true(s->stats.expired == 0);
}

/*
 * A peer learned from an origin's HELLO that we never reached (its
 * advertised address does not answer) goes with the origin too: it is
 * that origin's peer, and no backend reports it.
 */
static void
test_expiry_learned_peer_never_reached(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;

	(void)state;
	srv.conf.sync.ttl = 5;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "unreachable:99"), 0);
	assert_non_null(sync_peer_find(s, "unreachable", 99));
	origin("a")->last_heard = mono_now() - (time_t)(s->ttl + 1);
	run_for(1300);
	assert_null(origin("a"));
	assert_null(sync_peer_find(s, "unreachable", 99));
}

/* --- Peers from backends ------------------------------------------- */

/* Seen by two backends: gone from one keeps it, from both drops it. */
static void
test_peer_two_backends(void **state)
{
	struct sync		*s;
	struct sync_backend_inst *bs, *bh;
	struct sync_peer	*p;

	(void)state;
	srv.conf.sync.backends = S("static, hosts");
	s = start();
	bs = fk[BE_STATIC].bi;
	bh = fk[BE_HOSTS].bi;
	assert_non_null(bs);
	assert_non_null(bh);
	assert_true(bs->bit != bh->bit);

	sync_peer_seen(bs, "p", 7);
	sync_peer_seen(bh, "p", 7);
	assert_int_equal(npeers(), 1);
	assert_int_equal(ndials, 1);
	p = sync_peer_find(s, "p", 7);
	assert_non_null(p);
	assert_int_equal(p->sources, bs->bit | bh->bit);
	assert_non_null(strstr(peers(), "p:7\t"));
	assert_non_null(strstr(dump, "\tstatic,hosts\t0\n"));

	sync_peer_gone(bs, "p", 7);
	assert_ptr_equal(sync_peer_find(s, "p", 7), p);
	assert_int_equal(p->sources, bh->bit);
	sync_peer_gone(bs, "p", 7);			/* again: no change */
	assert_non_null(sync_peer_find(s, "p", 7));
	sync_peer_gone(bh, "p", 7);
	assert_null(sync_peer_find(s, "p", 7));
	assert_int_equal(npeers(), 0);
	sync_peer_gone(bh, "p", 7);			/* unknown: ignored */

	/* Port 0 is the default port, both ways. */
	sync_peer_seen(bs, "q", 0);
	assert_non_null(sync_peer_find(s, "q", NAMES_PORT));
	sync_peer_gone(bs, "q", NAMES_PORT);
	assert_int_equal(npeers(), 0);
	sync_peer_seen(bs, "q", NAMES_PORT);
	sync_peer_gone(bs, "q", 0);
	assert_int_equal(npeers(), 0);
}

/* A peer both learned and configured outlives the backend's report. */
static void
test_peer_learned_and_configured(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	struct sync_peer	*p;

	(void)state;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "h:99"), 0);
	sync_peer_seen(fk[BE_STATIC].bi, "h", 99);
	p = sync_peer_find(s, "h", 99);
	assert_int_equal(p->sources, SYNC_SRC_LEARNED | fk[BE_STATIC].bi->bit);
	assert_int_equal(ndials, 1);
	sync_peer_gone(fk[BE_STATIC].bi, "h", 99);
	assert_ptr_equal(sync_peer_find(s, "h", 99), p);
	assert_int_equal(p->sources, SYNC_SRC_LEARNED);
}

/* A peer's stream ends: it is redialed after a backoff. */
static void
test_peer_redial_after_backoff(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;

	(void)state;
	fk[BE_STATIC].rep[0].host = "p";
	fk[BE_STATIC].rep[0].port = 7;
	fk[BE_STATIC].nrep = 1;
	s = start();
	assert_int_equal(ndials, 1);
	p = sync_peer_find(s, "p", 7);
	outbound(p, 1);
	sync_session_free(p->sess, "test");
	assert_null(p->sess);
	assert_int_equal(ndials, 1);
	run_for(1700);		/* backoff 1 s, jitter up to 1.25 s */
	assert_int_equal(ndials, 2);
}

/*
 * The backoff doubles after each stream that never heard an authenticated
 * HELLO, and is back at its minimum after one that did; the peer shows
 * the state its last stream ended in.
 */
static void
test_peer_backoff_doubles_and_resets(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;
	struct sync_session	*sess;

	(void)state;
	fk[BE_STATIC].rep[0].host = "p";
	fk[BE_STATIC].rep[0].port = 7;
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "p", 7);
	assert_int_equal(p->backoff, SYNC_BACKOFF_MIN);
	assert_string_equal(sync_peer_status(p), "new");
	outbound(p, 0);
	assert_string_equal(sync_peer_status(p), "handshake");
	sync_session_free(p->sess, "test");
	assert_int_equal(p->backoff, 2 * SYNC_BACKOFF_MIN);
	assert_string_equal(sync_peer_status(p), "handshake");
	outbound(p, 0);
	sync_session_free(p->sess, "test");
	assert_int_equal(p->backoff, 4 * SYNC_BACKOFF_MIN);
	sess = outbound(p, 0);
	assert_int_equal(hello(sess, "remote", 5, ":7"), 0);
	sess->state = SESS_ESTABLISHED;	/* as the session layer does next */
	assert_string_equal(sync_peer_status(p), "established");
	sync_session_free(sess, "test");
	assert_int_equal(p->backoff, SYNC_BACKOFF_MIN);
	assert_string_equal(sync_peer_status(p), "established");
}

/* --- Local changes -------------------------------------------------- */

/* A local change: version+1, pushed to established outbound streams. */
static void
test_local_changed(void **state)
{
	struct sync		*s;
	struct sync_peer	*pa, *pb;
	struct sync_session	*sa, *in;
	struct proto_node	 pn;
	struct node		*n;
	uint64_t		 inc, ver;

	(void)state;
	fk[BE_STATIC].rep[0].host = "pa";
	fk[BE_STATIC].rep[1].host = "pb";
	fk[BE_STATIC].rep[2].host = "pc";
	fk[BE_STATIC].nrep = 3;
	s = start();
	pa = sync_peer_find(s, "pa", NAMES_PORT);
	pb = sync_peer_find(s, "pb", NAMES_PORT);
	sa = outbound(pa, 1);
	outbound(pb, 0);			/* handshake not done */
	in = origin_with("127.0.0.7:5555", "a", 11, 1, NULL, 0);
	assert_true(s->version == 0);

	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"loc";
	pn.namelen = 3;
	pn.port = 5000;
	pn.type = 77;
	pn.high = 6;
	pn.low = 5;
	n = registry_add(srv.reg, &pn, time(NULL), -1, NULL);
	assert_non_null(n);
	sync_local_changed(&srv, n, 1);
	assert_true(s->version == 1);
	assert_int_equal(nsent, 1);
	assert_ptr_equal(sent[0].sess, sa);
	assert_int_equal(sent[0].type, SYNC_MSG_ADD);
	assert_true(sent[0].version == 1);
	assert_string_equal(sent[0].name, "loc");
	assert_int_equal(sent[0].port, 5000);

	sync_local_changed(&srv, n, 0);
	registry_forget(srv.reg, n);
	assert_true(s->version == 2);
	assert_int_equal(nsent, 2);
	assert_ptr_equal(sent[1].sess, sa);
	assert_int_equal(sent[1].type, SYNC_MSG_DEL);
	assert_true(sent[1].version == 2);
	assert_string_equal(sent[1].name, "loc");
	assert_int_equal(count_sent(in, SYNC_MSG_ADD), 0);

	sync_handover_origin(&srv, &inc, &ver);
	assert_true(inc == s->incarnation);
	assert_true(ver == 2);
}

/* With sync off, a local change is nothing. */
static void
test_local_changed_sync_off(void **state)
{
	struct proto_node	 pn;
	struct node		*n;

	(void)state;
	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"loc";
	pn.namelen = 3;
	n = registry_add(srv.reg, &pn, time(NULL), -1, NULL);
	sync_local_changed(&srv, n, 1);
	assert_int_equal(nsent, 0);
	assert_null(srv.sync);
}

/*
 * An established outbound stream that sent nothing for two thirds of ttl
 * hears our version; one not established hears nothing.
 */
static void
test_heartbeat_sent(void **state)
{
	struct sync		*s;
	struct sync_session	*sa;
	int			 i;

	(void)state;
	srv.conf.sync.ttl = 3;
	srv.conf.sync.interval = 1;
	fk[BE_STATIC].rep[0].host = "pa";
	fk[BE_STATIC].rep[1].host = "pb";
	fk[BE_STATIC].nrep = 2;
	s = start();
	assert_int_equal(s->heartbeat, 2);
	sa = outbound(sync_peer_find(s, "pa", NAMES_PORT), 1);
	outbound(sync_peer_find(s, "pb", NAMES_PORT), 0);
	s->version = 41;
	run_ticks(s, 1);
	assert_int_equal(nsent, 0);	/* one tick: not idle long enough */
	run_ticks(s, 2);
	assert_int_equal(nsent, 1);
	for (i = 0; i < nsent; i++) {
		assert_ptr_equal(sent[i].sess, sa);
		assert_int_equal(sent[i].type, SYNC_MSG_HEARTBEAT);
		assert_true(sent[i].incarnation == s->incarnation);
		assert_true(sent[i].version == 41);
	}
}

/*
 * Any frame is a sign of life: a stream that carried a change within the
 * heartbeat period carries no heartbeat; the idle one beside it does.
 * The period follows ttl: two thirds of it, at least 1 s.
 */
static void
test_heartbeat_idle_only(void **state)
{
	struct sync		*s;
	struct sync_session	*sa, *sb;
	struct sync_msg		 m;
	int			 i, hb_a = 0, hb_b = 0;

	(void)state;
	srv.conf.sync.ttl = 6;
	fk[BE_STATIC].rep[0].host = "pa";
	fk[BE_STATIC].rep[1].host = "pb";
	fk[BE_STATIC].nrep = 2;
	s = start();
	assert_int_equal(s->heartbeat, 4);
	sa = outbound(sync_peer_find(s, "pa", NAMES_PORT), 1);
	sb = outbound(sync_peer_find(s, "pb", NAMES_PORT), 1);
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_DEL;
	m.node.name = (const uint8_t *)"x";
	m.node.namelen = 1;
	/* a carries a change every 2 ticks, b nothing, for 9 ticks. */
	for (i = 0; i < 9; i++) {
		if (i % 2 == 1)
			sync_send_msg(sa, &m);
		run_ticks(s, (uint64_t)i + 1);
	}
	for (i = 0; i < nsent; i++) {
		if (sent[i].type != SYNC_MSG_HEARTBEAT)
			continue;
		if (sent[i].sess == sa)
			hb_a++;
		else if (sent[i].sess == sb)
			hb_b++;
	}
	assert_int_equal(hb_a, 0);
	assert_int_equal(hb_b, 2);	/* at 4 and 8 s */
	sync_close(&srv);
	srv.conf.sync.ttl = 2;
	s = start();
	assert_int_equal(s->heartbeat, 1);
	sync_close(&srv);
	srv.conf.sync.ttl = 30;
	s = start();
	assert_int_equal(s->heartbeat, 20);
}

/*
 * A peer whose stream fell back to version 1 (closed before its answer:
 * an older daemon, or only an admission limit) is dialled again at
 * version 2 as soon as its origin dials us at 2; one that dials us at 1
 * changes nothing.
 */
static void
test_peer_speaks_batch(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;
	struct sync_session	*out, *in;

	(void)state;
	fk[BE_STATIC].rep[0].host = "pa";
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "pa", NAMES_PORT);
	assert_non_null(p);
	assert_int_equal(p->proto, SYNC_PROTO_BATCH);
	p->proto = SYNC_PROTO_VERSION;		/* as after a fallback */
	out = outbound(p, 1);
	out->proto = SYNC_PROTO_VERSION;
	assert_int_equal(hello(out, "a", 11, ""), 0);
	in = inbound("127.0.0.7:5555");
	in->proto = SYNC_PROTO_VERSION;
	assert_int_equal(hello(in, "a", 11, ":99"), 0);
	assert_ptr_equal(p->sess, out);		/* version 1: nothing */
	in = inbound("127.0.0.7:5556");
	in->proto = SYNC_PROTO_BATCH;
	assert_int_equal(hello(in, "a", 11, ":99"), 0);
	assert_null(p->sess);
	assert_int_equal(p->ended, SESS_CLOSED);
	assert_int_equal(p->proto, SYNC_PROTO_BATCH);
}

/*
 * A stream opened at version 2 and closed before its answer (the session
 * layer sets fallback): the peer is dialled again at once at version 1;
 * once such a stream, established, ends, the next dial is at 2 again.
 */
static void
test_peer_fallback(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;
	struct sync_session	*sess;
	struct timeval		 tv;
	int			 dials;

	(void)state;
	fk[BE_STATIC].rep[0].host = "pa";
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "pa", NAMES_PORT);
	sess = outbound(p, 0);
	sess->proto = SYNC_PROTO_BATCH;
	p->fallback = 1;
	dials = ndials;
	sync_session_free(sess, "closed by peer");
	assert_int_equal(p->proto, SYNC_PROTO_VERSION);
	assert_int_equal(p->fallback, 0);
	assert_true(evtimer_pending(p->retry, &tv));
	run_for(50);			/* at once, no backoff */
	assert_int_equal(ndials, dials + 1);
	assert_int_equal(p->backoff, SYNC_BACKOFF_MIN);	/* not doubled */
	sess = outbound(p, 1);
	sess->proto = SYNC_PROTO_VERSION;
	assert_int_equal(hello(sess, "a", 11, ""), 0);
	sync_session_free(sess, "closed by peer");
	assert_int_equal(p->proto, SYNC_PROTO_BATCH);
}

/* --- Reload --------------------------------------------------------- */

/* Reload: remote origins and still-reported peers stay. */
static void
test_reload_keeps_origins(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	uint64_t		 inc;
	char			*cause = NULL;

	(void)state;
	fk[BE_STATIC].rep[0].host = "s1";
	fk[BE_STATIC].rep[0].port = 1;
	fk[BE_STATIC].rep[1].host = "s2";
	fk[BE_STATIC].rep[1].port = 2;
	fk[BE_STATIC].nrep = 2;
	s = start();
	inc = s->incarnation;
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "h:99"), 0);
	snapshot(sess, 11, 3, (const char *const[]){ "n1", "n2" }, 2);
	assert_int_equal(npeers(), 3);

	/* s2 leaves the list; ttl changes. */
	fk[BE_STATIC].nrep = 1;
	srv.conf.sync.ttl = 60;
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_null(cause);
	assert_ptr_equal(srv.sync, s);
	assert_true(s->incarnation == inc);
	assert_int_equal(s->ttl, 60);
	assert_int_equal(fk[BE_STATIC].reloads, 1);
	assert_int_equal(fk[BE_STATIC].frees, 0);
	assert_int_equal(fk[BE_STATIC].inits, 1);
	assert_non_null(sync_peer_find(s, "s1", 1));
	assert_null(sync_peer_find(s, "s2", 2));
	assert_non_null(sync_peer_find(s, "h", 99));	/* learned */
	assert_int_equal(npeers(), 2);
	assert_int_equal(cluster_count(NULL, "a"), 2);
	assert_true(cluster_has("n1", "a", 1000));
	assert_ptr_equal(sess->origin, origin("a"));
	/* The merge goes on where it was. */
	assert_int_equal(add(sess, 4, "n4", 4), 0);
	assert_true(cluster_has("n4", "a", 4));

	/* Another backend joins, then leaves. */
	srv.conf.sync.backends = S("static, hosts");
	fk[BE_HOSTS].rep[0].host = "hh";
	fk[BE_HOSTS].nrep = 1;
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_int_equal(fk[BE_HOSTS].inits, 1);
	assert_int_equal(fk[BE_HOSTS].starts, 1);
	assert_non_null(sync_peer_find(s, "hh", NAMES_PORT));
	srv.conf.sync.backends = S("static");
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_int_equal(fk[BE_HOSTS].frees, 1);
	assert_null(sync_peer_find(s, "hh", NAMES_PORT));
	assert_int_equal(cluster_count(NULL, "a"), 3);
	assert_int_equal(nrunning(s), 1);
}

/* A backend without a reload hook is freed and started again. */
static void
test_reload_reinits_hookless(void **state)
{
	struct sync	*s;
	char		*cause = NULL;

	(void)state;
	srv.conf.sync.backends = S("dns");
	fk[BE_DNS].rep[0].host = "d1";
	fk[BE_DNS].nrep = 1;
	s = start();
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_int_equal(fk[BE_DNS].frees, 1);
	assert_int_equal(fk[BE_DNS].inits, 2);
	assert_int_equal(fk[BE_DNS].starts, 2);
	assert_non_null(sync_peer_find(s, "d1", NAMES_PORT));
	assert_int_equal(ndials, 1);		/* kept, not redialed */
	assert_int_equal(nrunning(s), 1);
}

/* A bad reload keeps everything; backends = nothing stops sync. */
static void
test_reload_refused_and_off(void **state)
{
	struct sync	*s;
	char		*cause = NULL;

	(void)state;
	s = start();
	origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	srv.conf.sync.secret_file = NULL;
	assert_int_equal(sync_reload(&srv, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "secret_file"));
	free(cause);
	cause = NULL;
	assert_ptr_equal(srv.sync, s);
	assert_true(cluster_has("n1", "a", 1000));

	srv.conf.sync.secret_file = S(secret_path);
	assert_int_equal(chmod(secret_path, 0666), 0);
	assert_int_equal(sync_reload(&srv, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_true(cluster_has("n1", "a", 1000));

	srv.conf.sync.backends = NULL;
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_null(srv.sync);
	assert_int_equal(fk[BE_STATIC].frees, 1);
	assert_string_equal(cluster(), "");

	/* And on again. */
	assert_int_equal(chmod(secret_path, 0600), 0);
	srv.conf.sync.backends = S("static");
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_non_null(srv.sync);
	assert_int_equal(fk[BE_STATIC].inits, 2);
}

/*
 * A kept backend's instance stays where it was: backends hold their
 * struct sync_backend_inst pointer (sync_hosts.c arms its timer with
 * it), so after a reload that drops an earlier backend and adds another,
 * that pointer must still be this backend's instance.
 */
static void
test_reload_kept_instance_stable(void **state)
{
	struct sync_backend_inst	*bh;
	void				*data;
	char				*cause = NULL;

	(void)state;
	srv.conf.sync.backends = S("static, hosts");
	start();
	bh = fk[BE_HOSTS].bi;
	data = fk[BE_HOSTS].data;
	assert_ptr_equal(bh->backend, &sync_backend_hosts);

	srv.conf.sync.backends = S("hosts, mcast");
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_int_equal(fk[BE_HOSTS].frees, 0);
	assert_int_equal(fk[BE_MCAST].inits, 1);
	/* What the hosts backend still holds must be its own instance. */
	assert_ptr_equal(bh->backend, &sync_backend_hosts);
	assert_ptr_equal(bh->data, data);
}

/* --- Upgrade handover ----------------------------------------------- */

#define MAXREC	16

static struct handover_rec	 recs[MAXREC];
static int		 nrecs;

/* Keep a deep copy of a handed-over record. */
static void
keep_rec(void *arg, const struct handover_rec *r)
{
	struct handover_rec	*c;
	uint8_t		*p;

	assert_true(nrecs < MAXREC);
	c = &recs[nrecs++];
	*c = *r;
	c->host = c->addr = c->node.name = c->node.extra = NULL;
	if (r->hostlen > 0) {
		p = xmalloc(r->hostlen);
		memcpy(p, r->host, r->hostlen);
		c->host = p;
	}
	if (r->addrlen > 0) {
		p = xmalloc(r->addrlen);
		memcpy(p, r->addr, r->addrlen);
		c->addr = p;
	}
	if (r->node.namelen > 0) {
		p = xmalloc(r->node.namelen);
		memcpy(p, r->node.name, r->node.namelen);
		c->node.name = p;
	}
	if (r->node.extralen > 0) {
		p = xmalloc(r->node.extralen);
		memcpy(p, r->node.extra, r->node.extralen);
		c->node.extra = p;
	}
}

/* Free the copies. */
static void
free_recs(void)
{
	int	 i;

	for (i = 0; i < nrecs; i++) {
		free((void *)(uintptr_t)recs[i].host);
		free((void *)(uintptr_t)recs[i].addr);
		free((void *)(uintptr_t)recs[i].node.name);
		free((void *)(uintptr_t)recs[i].node.extra);
	}
	nrecs = 0;
}

/* Our origin and the remote ones survive an upgrade, merge goes on. */
static void
test_handover_round_trip(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;
	uint64_t		 inc, ver;
	int			 i;

	(void)state;
	s = start();
	s->version = 17;
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "h:99"), 0);
	snapshot(sess, 11, 3, (const char *const[]){ "n1", "n2" }, 2);
	/* Heard, never synced: not handed over. */
	sess = inbound("127.0.0.8:5555");
	assert_int_equal(hello(sess, "b", 12, ""), 0);
	origin("a")->last_heard = mono_now() - 4;

	sync_handover_origin(&srv, &inc, &ver);
	assert_true(inc == s->incarnation);
	assert_true(ver == 17);
	nrecs = 0;
	sync_handover_origins(&srv, keep_rec, NULL);
	assert_int_equal(nrecs, 3);		/* ORIGIN a, ONODE x2 */
	assert_int_equal(recs[0].type, HANDOVER_ORIGIN);
	assert_true(recs[0].age >= 4 && recs[0].age <= 5);
	sync_close(&srv);

	/* The new process: same incarnation and version, same origins. */
	srv.restored = 1;
	srv.sync_incarnation = inc;
	srv.sync_version = ver;
	s = start();
	assert_true(s->incarnation == inc);
	assert_true(s->version == 17);
	for (i = 0; i < nrecs; i++)
		sync_handover_restore(&srv, &recs[i]);
	free_recs();
	assert_int_equal(cluster_count(NULL, "a"), 2);
	assert_true(cluster_has("n1", "a", 1000));
	assert_true(cluster_has("n2", "a", 1001));
	assert_null(origin("b"));
	assert_string_equal(origin("a")->addr, "h:99");
	assert_true(mono_now() - origin("a")->last_heard >= 4);

	/* a's next stream carries on at version 4, no snapshot needed. */
	sess = inbound("127.0.0.7:5556");
	assert_int_equal(hello(sess, "a", 11, "h:99"), 0);
	assert_int_equal(add(sess, 4, "n4", 4), 0);
	assert_true(cluster_has("n4", "a", 4));
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
}

/*
 * The interface a store backend (etcd, later) needs, with no core change:
 * it hears local changes and feeds whole origin tables, which the core
 * alone writes and which expire like any other.
 */
static void
test_store_backend_interface(void **state)
{
	struct sync		*s;
	struct proto_node	 pn[3];
	struct node		*n;
	static const char *const names[] = { "e1", "e2", "e\0bad" };
	char			 addr[300];
	int			 i;

	(void)state;
	s = start();
	memset(pn, 0, sizeof(pn));
	for (i = 0; i < 3; i++) {
		pn[i].name = (const uint8_t *)names[i];
		pn[i].namelen = i < 2 ? 2 : 5;
		pn[i].port = (uint16_t)(7000 + i);
		pn[i].high = 6;
		pn[i].low = 5;
	}
	sync_origin_feed(fk[BE_STATIC].bi, "store1", NULL, 5, 9, pn, 3);
	assert_int_equal(cluster_count(NULL, "store1"), 2);	/* bad dropped */
	assert_int_equal(cluster_count("e2", "store1"), 1);
	assert_non_null(sync_resolve(&srv, (const uint8_t *)"e1", 2,
	    "store1", addr, sizeof(addr)));
	assert_string_equal(addr, "-");		/* a fed origin: unknown */
	/* Fed again: the table is replaced wholesale. */
	sync_origin_feed(fk[BE_STATIC].bi, "store1", NULL, 5, 10, pn + 1, 1);
	assert_int_equal(cluster_count(NULL, "store1"), 1);
	assert_int_equal(cluster_count("e2", "store1"), 1);
	/* Never our own origin. */
	sync_origin_feed(fk[BE_STATIC].bi, "me", NULL, 1, 1, pn, 1);
	assert_int_equal(cluster_count(NULL, "me"), 0);
	sync_origin_gone(fk[BE_STATIC].bi, "store1");
	assert_int_equal(cluster_count(NULL, "store1"), 0);

	/* Local changes reach the backend's hook. */
	local_changes = 0;
	n = registry_add(srv.reg, &pn[0], time(NULL), -1, NULL);
	assert_non_null(n);
	sync_local_changed(&srv, n, 1);
	sync_local_changed(&srv, n, 0);
	registry_forget(srv.reg, n);
	assert_int_equal(local_changes, 101);
	(void)s;
}


/* --- Entries sync cannot take; clocks; caps (issue 9) -------------- */

/*
 * An entry the registry cannot hold (here a name that is not UTF-8) is
 * skipped, counted and shown in PEERS; the stream goes on, the snapshot
 * still lands (its count includes the skipped entry), deltas after it
 * apply without a RESYNC.  The empty name, which stock registers, is an
 * entry like any other.
 */
static void
test_rejected_entry_skipped(void **state)
{
	struct sync		*s;
	struct sync_session	*sess;

	(void)state;
	s = start();
	sess = inbound("127.0.0.7:5555");
	assert_int_equal(hello(sess, "a", 11, "ha:99"), 0);
	assert_int_equal(snap_begin(sess, 11, 3, 3), 0);
	assert_int_equal(add(sess, 0, "", 1000), 0);
	assert_int_equal(add(sess, 0, "bad\xff", 1001), 0);
	assert_int_equal(add(sess, 0, "real", 1002), 0);
	assert_int_equal(snap_end(sess), 0);
	assert_true(origin("a")->synced);
	assert_true(cluster_has("", "a", 1000));
	assert_true(cluster_has("real", "a", 1002));
	assert_int_equal(cluster_count(NULL, "a"), 2);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
	assert_true(origin("a")->rejected == 1);
	assert_true(s->stats.rejected_entries == 1);

	/* A delta the same: skipped, the version moves on, no RESYNC. */
	assert_int_equal(add(sess, 4, "x\xc0\xaf", 7), 0);
	assert_int_equal(add(sess, 5, "later", 8), 0);
	assert_true(cluster_has("later", "a", 8));
	assert_true(origin("a")->version == 5);
	assert_int_equal(del(sess, 6, "x\xc0\xaf"), 0);
	assert_true(origin("a")->version == 6);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
	assert_true(s->stats.rejected_entries == 2);

	/* PEERS: the peer learned from a, its entries, then rejected. */
	assert_string_equal(peers(), "ha:99\tnew\ta\t0\t3\tlearned\t2\n");
	assert_true(s->nremote == 3);
}

/*
 * Durations run on the monotonic clock: the wall clock stepping a day
 * forward expires nothing; stepping back keeps nothing past ttl.  AGE in
 * CLUSTER is a monotonic delta too.
 */
static void
test_clock_steps(void **state)
{
	struct sync	*s;

	(void)state;
	srv.conf.sync.ttl = 5;
	s = start();
	origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	fake_wall += 86400;
	run_for(1200);
	assert_non_null(origin("a"));
	assert_true(s->stats.expired == 0);

	fake_mono += 2;
	assert_non_null(strstr(cluster(), "n1\ta\t1000\t6\t5\t2\t"));

	fake_wall -= 2 * 86400;
	fake_mono += s->ttl;
	run_for(1200);
	assert_null(origin("a"));
	assert_true(s->stats.expired == 1);
}

/*
 * One origin's table, and a snapshot being staged, hold at most
 * lim.origin_entries: the rest is skipped and counted, the snapshot still
 * lands, a delta past the cap is skipped, a replacement is taken.
 */
static void
test_cap_origin_entries(void **state)
{
	static const char *const names[] = { "n0", "n1", "n2", "n3", "n4" };
	struct sync		*s;
	struct sync_session	*sess;

	(void)state;
	s = start();
	s->lim.origin_entries = 3;
	sess = origin_with("127.0.0.7:5555", "a", 11, 1, names, 5);
	assert_true(origin("a")->synced);
	assert_int_equal(cluster_count(NULL, "a"), 3);
	assert_true(origin("a")->rejected == 2);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);

	assert_int_equal(add(sess, 2, "n9", 9), 0);
	assert_int_equal(cluster_count("n9", "a"), 0);
	assert_true(origin("a")->version == 2);
	assert_true(origin("a")->rejected == 3);
	assert_int_equal(add(sess, 3, "n0", 77), 0);
	assert_true(cluster_has("n0", "a", 77));
	assert_true(s->stats.rejected_entries == 3);
	assert_int_equal(count_sent(sess, SYNC_MSG_RESYNC), 0);
}

/*
 * Every origin and snapshot together hold at most lim.remote_entries;
 * an origin's new snapshot may still replace its whole table.
 */
static void
test_cap_remote_entries(void **state)
{
	static const char *const names[] = { "n0", "n1", "n2" };
	struct sync		*s;
	struct sync_session	*sa;

	(void)state;
	s = start();
	s->lim.remote_entries = 4;
	sa = origin_with("127.0.0.7:5555", "a", 11, 1, names, 3);
	origin_with("127.0.0.8:5555", "b", 12, 1, names, 3);
	assert_int_equal(cluster_count(NULL, "a"), 3);
	assert_int_equal(cluster_count(NULL, "b"), 1);
	assert_true(origin("b")->rejected == 2);
	assert_true(s->nremote == 4);

	/* a again (new incarnation): the whole new table lands. */
	assert_int_equal(snap_begin(sa, 13, 1, 3), 0);
	assert_int_equal(add(sa, 0, "m0", 5), 0);
	assert_int_equal(add(sa, 0, "m1", 6), 0);
	assert_int_equal(add(sa, 0, "m2", 7), 0);
	assert_int_equal(snap_end(sa), 0);
	assert_int_equal(cluster_count(NULL, "a"), 3);
	assert_true(cluster_has("m2", "a", 7));
	assert_true(s->nremote == 4);

	/* Gone origins give their room back. */
	sync_origin_gone(fk[BE_STATIC].bi, "b");
	assert_true(s->nremote == 3);
}

/* At most lim.origins remote origins: the next HELLO is refused. */
static void
test_cap_origins(void **state)
{
	struct sync		*s;
	struct proto_node	 pn;

	(void)state;
	s = start();
	s->lim.origins = 2;
	assert_int_equal(hello(inbound("127.0.0.7:5555"), "a", 1, ""), 0);
	assert_int_equal(hello(inbound("127.0.0.8:5555"), "b", 2, ""), 0);
	assert_int_equal(hello(inbound("127.0.0.9:5555"), "c", 3, ""), -1);
	assert_null(origin("c"));
	/* Known ones still come in. */
	assert_int_equal(hello(inbound("127.0.0.7:5556"), "a", 1, ""), 0);
	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"e1";
	pn.namelen = 2;
	sync_origin_feed(fk[BE_STATIC].bi, "store1", NULL, 5, 9, &pn, 1);
	assert_null(origin("store1"));
	assert_true(s->stats.refused_origins == 2);
	sync_origin_gone(fk[BE_STATIC].bi, "b");
	assert_int_equal(hello(inbound("127.0.0.9:5556"), "c", 3, ""), 0);
	assert_non_null(origin("c"));
}

/* At most lim.learned peers learned from HELLOs; configured ones apart. */
static void
test_cap_learned_peers(void **state)
{
	struct sync	*s;

	(void)state;
	fk[BE_STATIC].rep[0].host = "s1";
	fk[BE_STATIC].rep[0].port = 7;
	fk[BE_STATIC].nrep = 1;
	s = start();
	s->lim.learned = 1;
	assert_int_equal(hello(inbound("127.0.0.7:5555"), "a", 1, "ha:99"),
	    0);
	assert_int_equal(hello(inbound("127.0.0.8:5555"), "b", 2, "hb:98"),
	    0);
	assert_non_null(sync_peer_find(s, "ha", 99));
	assert_null(sync_peer_find(s, "hb", 98));
	assert_non_null(origin("b"));		/* its entries still come */
	assert_int_equal(npeers(), 2);
	assert_true(s->stats.refused_peers == 1);
}

/*
 * RESYNC floods: while a snapshot is still queued on the stream, another
 * RESYNC queues nothing (that snapshot answers it); once it is written,
 * the next one is answered.
 */
static void
test_resync_flood(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;
	struct sync_session	*sess;
	int			 i;

	(void)state;
	fk[BE_STATIC].rep[0].host = "s1";
	fk[BE_STATIC].rep[0].port = 7;
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "s1", 7);
	assert_non_null(p);
	sess = outbound(p, 1);
	sync_send_snapshot(sess);		/* after HELLO */
	fake_pending = 1000;			/* none of it written */
	for (i = 0; i < 100; i++)
		srv.sync->cb->resync(sess);
	assert_int_equal(nsnapshots, 1);
	assert_true(s->stats.resyncs_ignored == 100);
	fake_pending = 10;			/* the tail of it */
	srv.sync->cb->resync(sess);
	assert_int_equal(nsnapshots, 1);
	fake_pending = 0;
	srv.sync->cb->resync(sess);
	assert_int_equal(nsnapshots, 2);
	assert_true(s->stats.resyncs == 1);
	sess->queued += 50;			/* heartbeats since */
	fake_pending = 50;
	srv.sync->cb->resync(sess);
	assert_int_equal(nsnapshots, 3);
}

/*
 * Origin names are host names everywhere: our own (config), a store
 * backend's, a handed-over one.
 */
static void
test_host_names(void **state)
{
	struct proto_node	 pn;
	struct handover_rec		 r;
	char			*cause = NULL;

	(void)state;
	srv.conf.sync.hostname = S("bad host");
	assert_int_equal(sync_open(&srv, &cause), -1);
	assert_non_null(cause);
	free(cause);
	srv.conf.sync.hostname = S(ME);
	start();
	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"e1";
	pn.namelen = 2;
	sync_origin_feed(fk[BE_STATIC].bi, "st\x1b[0m", NULL, 5, 9, &pn, 1);
	assert_null(srv.sync->origins.tqh_first);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_ORIGIN;
	r.host = (const uint8_t *)"a\nb";
	r.hostlen = 3;
	sync_handover_restore(&srv, &r);
	r.type = HANDOVER_ONODE;
	r.node = pn;
	sync_handover_restore(&srv, &r);
	assert_null(srv.sync->origins.tqh_first);
	assert_int_equal(cluster_count("e1", "a\nb"), 0);
}

/* An origin's empty-named entry survives an upgrade, its age too. */
static void
test_handover_empty_name(void **state)
{
	int	 i;

	(void)state;
	start();
	origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "", "n1" }, 2);
	fake_mono += 3;
	nrecs = 0;
	sync_handover_origins(&srv, keep_rec, NULL);
	assert_int_equal(nrecs, 3);
	assert_true(recs[0].age == 3);
	sync_close(&srv);
	fake_mono = 50;				/* a new boot, say */
	start();
	for (i = 0; i < nrecs; i++)
		sync_handover_restore(&srv, &recs[i]);
	free_recs();
	assert_true(cluster_has("", "a", 1000));
	assert_true(cluster_has("n1", "a", 1001));
	assert_true(mono_now() - origin("a")->last_heard == 3);
	assert_true(srv.sync->nremote == 2);
}

/* --- Slots for accepted streams, and self (sync_admit.c) ----------- */

/* An accepted stream not yet authenticated, from 10.0.0.<host>. */
static struct sync_session *
pending(unsigned int host)
{
	struct sync_session	*sess;
	struct sockaddr_in	 sin;

	sess = xcalloc(1, sizeof(*sess));
	sess->sync = srv.sync;
	sess->state = SESS_WAIT_HEADER;
	snprintf(sess->addr, sizeof(sess->addr), "10.0.0.%u:5000", host);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000000U | host);
	sync_admit_source((const struct sockaddr_storage *)&sin, sess->src);
	TAILQ_INSERT_TAIL(&srv.sync->inbound, sess, entry);
	srv.sync->ninbound++;
	return sess;
}

/* The source key of 10.0.0.<host>. */
static void
source_of(unsigned int host, uint8_t key[SYNC_SRC_BYTES])
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a000000U | host);
	sync_admit_source((const struct sockaddr_storage *)&sin, key);
}

/* One source holds at most SYNC_MAX_UNAUTH_SRC unauthenticated streams. */
static void
test_admit_per_source(void **state)
{
	struct sync_session	*first, *sess;
	uint8_t			 src[SYNC_SRC_BYTES];
	const char		*why;
	int			 i;

	(void)state;
	start();
	source_of(7, src);
	first = pending(7);
	pending(8);
	for (i = 1; i < SYNC_MAX_UNAUTH_SRC; i++) {
		assert_null(sync_admit(srv.sync, src, &why));
		assert_null(why);
		pending(7);
	}
	/* Full for 7: its oldest goes, not 8's (older still). */
	sess = sync_admit(srv.sync, src, &why);
	assert_ptr_equal(sess, first);
	assert_non_null(why);
	/* Authenticated streams of 7 do not count. */
	first->state = SESS_ESTABLISHED;
	sess = sync_admit(srv.sync, src, &why);
	assert_null(sess);
	assert_null(why);
	/* Another source is not held back. */
	source_of(9, src);
	assert_null(sync_admit(srv.sync, src, &why));
	assert_null(why);
}

/* Every slot taken: the oldest unauthenticated goes; never a HELLO'd one. */
static void
test_admit_slots_full(void **state)
{
	struct sync_session	*sess, *want = NULL;
	uint8_t			 src[SYNC_SRC_BYTES];
	const char		*why;
	unsigned int		 i;

	(void)state;
	start();
	for (i = 0; i < SYNC_MAX_INBOUND; i++) {
		sess = pending(1 + i % 200);
		if (i < 10)
			sess->state = SESS_ESTABLISHED;	/* real peers, oldest */
		else if (want == NULL)
			want = sess;
	}
	source_of(250, src);
	sess = sync_admit(srv.sync, src, &why);
	assert_ptr_equal(sess, want);
	assert_non_null(why);
	/* All authenticated: the new stream is refused. */
	TAILQ_FOREACH(sess, &srv.sync->inbound, entry)
		sess->state = SESS_ESTABLISHED;
	assert_null(sync_admit(srv.sync, src, &why));
	assert_non_null(why);
}

/* IPv6 sources count by /64; v4-mapped ones as their IPv4 address. */
static void
test_admit_source_keys(void **state)
{
	struct sockaddr_in6	 a, b;
	struct sockaddr_in	 c;
	uint8_t			 ka[SYNC_SRC_BYTES], kb[SYNC_SRC_BYTES];
	uint8_t			 kc[SYNC_SRC_BYTES];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2::1", &a.sin6_addr);
	b = a;
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &b.sin6_addr);
	sync_admit_source((const struct sockaddr_storage *)&a, ka);
	sync_admit_source((const struct sockaddr_storage *)&b, kb);
	assert_memory_equal(ka, kb, SYNC_SRC_BYTES);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &b.sin6_addr);
	sync_admit_source((const struct sockaddr_storage *)&b, kb);
	assert_memory_not_equal(ka, kb, SYNC_SRC_BYTES);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &b.sin6_addr);
	sync_admit_source((const struct sockaddr_storage *)&b, kb);
	memset(&c, 0, sizeof(c));
	c.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &c.sin_addr);
	sync_admit_source((const struct sockaddr_storage *)&c, kc);
	assert_memory_equal(kb, kc, SYNC_SRC_BYTES);
}

/*
 * Self needs the authenticated HELLO: our random alone, or our host name
 * with another incarnation, marks nothing; our host name and incarnation
 * on the stream that carries one of our randoms marks that peer.
 */
static void
test_self_needs_hello(void **state)
{
	struct sync		*s;
	struct sync_session	*in, *out;
	struct sync_peer	*p;
	struct sync_msg		 m;

	(void)state;
	fk[BE_STATIC].rep[0].host = "10.0.0.9";
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "10.0.0.9", NAMES_PORT);
	assert_non_null(p);
	out = outbound(p, 0);
	memset(out->mine, 0x5a, sizeof(out->mine));
	in = pending(9);
	memcpy(in->theirs, out->mine, sizeof(in->theirs));

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HELLO;
	m.proto = SYNC_PROTO_VERSION;
	m.origin = (const uint8_t *)"other";
	m.originlen = 5;
	m.incarnation = s->incarnation;
	assert_int_equal(sync_self_check(in, &m), 0);	/* not our name */
	m.origin = (const uint8_t *)ME;
	m.originlen = strlen(ME);
	m.incarnation = s->incarnation + 1;
	assert_int_equal(sync_self_check(in, &m), 0);	/* another daemon */
	assert_int_equal(p->self, 0);
	m.incarnation = s->incarnation;
	in->theirs[0] ^= 1;
	assert_int_equal(sync_self_check(in, &m), 0);	/* not our stream */
	in->theirs[0] ^= 1;
	assert_int_equal(sync_self_check(in, &m), 1);
	assert_int_equal(p->self, 1);
	assert_string_equal(sync_peer_status(p), "self");
}

/* A reload asks a self peer again. */
static void
test_reload_rechecks_self(void **state)
{
	struct sync		*s;
	struct sync_peer	*p;
	char			*cause = NULL;
	int			 dials;

	(void)state;
	fk[BE_STATIC].rep[0].host = "10.0.0.9";
	fk[BE_STATIC].nrep = 1;
	s = start();
	p = sync_peer_find(s, "10.0.0.9", NAMES_PORT);
	assert_non_null(p);
	p->self = 1;
	dials = ndials;
	assert_int_equal(sync_reload(&srv, &cause), 0);
	assert_ptr_equal(sync_peer_find(s, "10.0.0.9", NAMES_PORT), p);
	assert_int_equal(p->self, 0);
	assert_int_equal(ndials, dials + 1);
}

/*
 * An authenticated peer that sends snapshot after short snapshot, or
 * HELLO after HELLO claiming our host name, gets a few warnings a second
 * logged, not one per frame (found by reading, with fuzz_sync_session).
 */
static void
test_warnings_limited(void **state)
{
	struct sync		*s;
	struct sync_session	*sess, *other;
	char			 line[512];
	FILE			*tmp;
	int			 saved, i, n = 0;

	(void)state;
	s = start();
	fake_mono = 2000000;		/* a second no other test logs in */
	sess = origin_with("127.0.0.7:5555", "a", 11, 3,
	    (const char *const[]){ "n1" }, 1);
	assert_non_null(tmp = tmpfile());
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) != -1);
	for (i = 0; i < 50; i++) {
		assert_int_equal(snap_begin(sess, 11, 4, 2), 0);
		assert_int_equal(add(sess, 0, "x", 4000), 0);
		assert_int_equal(snap_end(sess), 0);	/* 1 of 2: ignored */
		other = inbound("127.0.0.8:5555");
		assert_int_equal(hello(other, ME, s->incarnation + 1, ""), -1);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	while (fgets(line, sizeof(line), tmp) != NULL)
		if (strstr(line, "announced") != NULL ||
		    strstr(line, "claims our own hostname") != NULL)
			n++;
	fclose(tmp);
	assert_true(n >= 1);
	assert_true(n <= 5);
	assert_true(cluster_has("n1", "a", 1000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_store_backend_interface),
		T(test_open_requires_secret),
		T(test_open_bad_secret_or_hostname),
		T(test_open_bad_backend),
		T(test_open_ok),
		T(test_open_port_and_incarnation),
		T(test_hello_self),
		T(test_hello_conflict),
		T(test_hello_advertise_port),
		T(test_hello_advertise_host),
		T(test_hello_outbound),
		T(test_snapshot_atomic),
		T(test_cluster_local_and_remote),
		T(test_cluster_name_escaped),
		T(test_deltas_in_order),
		T(test_gap_asks_one_resync),
		T(test_delta_before_snapshot),
		T(test_del_removes),
		T(test_add_replaces),
		T(test_new_incarnation_replaces),
		T(test_remote_changes_told),
		T(test_heartbeat_resync),
		T(test_bad_sequences),
		T(test_expiry),
		T(test_no_expiry_within_ttl),
		T(test_heartbeat_idle_only),
		T(test_peer_speaks_batch),
		T(test_peer_fallback),
		T(test_expiry_learned_peer_never_reached),
		T(test_peer_two_backends),
		T(test_peer_learned_and_configured),
		T(test_peer_redial_after_backoff),
		T(test_peer_backoff_doubles_and_resets),
		T(test_local_changed),
		T(test_local_changed_sync_off),
		T(test_heartbeat_sent),
		T(test_reload_keeps_origins),
		T(test_reload_reinits_hookless),
		T(test_reload_refused_and_off),
		T(test_reload_kept_instance_stable),
		T(test_handover_round_trip),
		T(test_rejected_entry_skipped),
		T(test_clock_steps),
		T(test_cap_origin_entries),
		T(test_cap_remote_entries),
		T(test_cap_origins),
		T(test_cap_learned_peers),
		T(test_resync_flood),
		T(test_host_names),
		T(test_handover_empty_name),
		T(test_admit_per_source),
		T(test_admit_slots_full),
		T(test_admit_source_keys),
		T(test_self_needs_hello),
		T(test_reload_rechecks_self),
		T(test_warnings_limited),
#undef T
	};

	log_init(LOG_TO_STDERR, 0, "test_sync");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
