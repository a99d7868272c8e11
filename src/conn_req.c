/*
 * Requests: one row per opcode says who may ask (local peers only, an
 * [access] allow list, sync on) and which handler answers; the handlers
 * fill the reply and tell conn.c what to do with the connection.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "acl.h"
#include "addr.h"
#include "answer.h"
#include "config.h"
#include "conn_req.h"
#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"

typedef void	conn_req_fn(struct server *, int, const struct proto_req *,
		    struct evbuffer *, struct conn_req_result *);

struct conn_req_op {
	conn_req_fn	*fn;
	/* Local peers only: the drop reason for another, else NULL. */
	const char	*nonlocal;
	int		 flags;
#define CONN_REQ_F_SYNC	0x1		/* dropped while sync is off */
#define CONN_REQ_F_ACL	0x2		/* an [access] list may apply */
	const char	*what;		/* the request, in refusal logs */
	size_t		 acl;		/* offsetof(struct access_conf, x) */
	size_t		 refused;	/* offsetof(struct server_stats, x) */
};

static conn_req_fn	conn_req_alive2, conn_req_port2, conn_req_names,
			conn_req_dump, conn_req_kill, conn_req_stop,
			conn_req_status, conn_req_sync, conn_req_cluster,
			conn_req_peers, conn_req_upgrade, conn_req_resolve,
			conn_req_watch;

/* An [access] list: the request's name, the list, its refusal counter. */
#define ACL(what, list, counter)	CONN_REQ_F_ACL, (what),		\
	offsetof(struct access_conf, list),				\
	offsetof(struct server_stats, counter)

/* Every opcode proto_decode() returns, and who may send it. */
static const struct conn_req_op conn_req_ops[256] = {
	[PROTO_ALIVE2_REQ] = { conn_req_alive2,
	    "ALIVE2 from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_PORT2_REQ] = { conn_req_port2, NULL,
	    ACL("PORT_PLEASE2", port_please, refused_port_please) },
	[PROTO_NAMES_REQ] = { conn_req_names, NULL,
	    ACL("NAMES", names, refused_names) },
	[PROTO_DUMP_REQ] = { conn_req_dump,
	    "DUMP from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_KILL_REQ] = { conn_req_kill,
	    "KILL from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_STOP_REQ] = { conn_req_stop,
	    "STOP from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_STATUS_REQ] = { conn_req_status,
	    "STATUS from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_SYNC_REQ] = { conn_req_sync, NULL,
	    CONN_REQ_F_SYNC | ACL("sync", sync, refused_sync) },
	[PROTO_X_CLUSTER_REQ] = { conn_req_cluster,
	    "cluster query from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_PEERS_REQ] = { conn_req_peers,
	    "cluster query from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_UPGRADE_REQ] = { conn_req_upgrade,
	    "UPGRADE from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_RESOLVE_REQ] = { conn_req_resolve,
	    "RESOLVE from a non-local peer", 0, NULL, 0, 0 },
	[PROTO_X_WATCH_REQ] = { conn_req_watch,
	    "WATCH from a non-local peer", 0, NULL, 0, 0 },
};

/* The peer of fd, for logs. */
static const char *
conn_req_peer(int fd)
{
	static char	 buf[ADDR_TEXT_MAX];

	return addr_fd_text(fd, 1, buf, sizeof(buf));
}

/* A node name made safe for a log line: escaped, truncated. */
const char *
conn_req_name(const uint8_t *name, size_t len)
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

/* Whether a connected socket's peer is local, as stock decides it. */
static int
conn_req_local_fd(int fd)
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

/* Local as stock decides it, starting from the address accept() gave. */
int
conn_req_local(int fd, const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa == NULL)
		return conn_req_local_fd(fd);
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
			return 1;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
	}
	return conn_req_local_fd(fd);	/* peer == local address? */
}

/*
 * [access]: a local peer (stock's rule) may ask what stock lets it ask;
 * another must be in the allow list, if there is one.  A refused request
 * is closed unanswered, as stock closes the requests it refuses.
 */
static int
conn_req_allowed(struct server *srv, int fd, int local,
    const struct conn_req_op *op)
{
	static struct log_rate	 rl = LOG_RATE("access refusals", 10, 1);
	const struct acl	*acl;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	memcpy(&acl, (const char *)&srv->conf.access + op->acl, sizeof(acl));
	if (acl == NULL || local)
		return 1;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    acl_match(acl, (struct sockaddr *)&ss))
		return 1;
	(*(uint64_t *)(void *)((char *)&srv->stats + op->refused))++;
	log_rate_warnx(&rl, "access refused peer=%s request=%s, closing",
	    conn_req_peer(fd), op->what);
	return 0;
}

/* Decide and answer one request. */
void
conn_req_dispatch(struct server *srv, int fd, int local,
    const struct proto_req *req, struct evbuffer *out,
    struct conn_req_result *res)
{
	const struct conn_req_op	*op = &conn_req_ops[req->op];

	memset(res, 0, sizeof(*res));
	res->action = CONN_REQ_REPLY;
	if (op->fn == NULL)
		fatalx("conn_req_dispatch: opcode %u", req->op);
	if (op->nonlocal != NULL && !local) {
		res->action = CONN_REQ_DROP;
		res->why = op->nonlocal;
		return;
	}
	if ((op->flags & CONN_REQ_F_SYNC) && srv->sync == NULL) {
		res->action = CONN_REQ_DROP;
		res->why = "SYNC request but sync is off";
		return;
	}
	if ((op->flags & CONN_REQ_F_ACL) && !conn_req_allowed(srv, fd,
	    local, op)) {
		res->action = CONN_REQ_CLOSE;
		res->why = "not in the allow list";
		return;
	}
	op->fn(srv, fd, req, out, res);
}

/*
 * The common case, PORT_PLEASE2 from a node connecting to another: the
 * whole request is usually in the socket when accept() returns.  Answer
 * it right here, with no connection object or event: 0 if answered (and
 * the socket closed), -1 to take the ordinary path (the bytes are only
 * peeked, so they are still there).
 */
int
conn_req_fast(struct server *srv, int fd)
{
	uint8_t			 in[PROTO_MAXPAYLOAD + 3];
	uint8_t			 out[ANSWER_PORT2_MAX];
	struct proto_req	 req;
	size_t			 used;
	ssize_t			 got;
	int			 len;

	if (srv->conf.access.port_please != NULL)
		return -1;	/* an allow list: conn_req_dispatch() decides */
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

/* ALIVE2: the connection registers; conn.c does it. */
static void
conn_req_alive2(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	res->action = CONN_REQ_ALIVE2;
}

/* PORT_PLEASE2: the node's PORT2 reply. */
static void
conn_req_port2(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	uint8_t		 buf[ANSWER_PORT2_MAX];
	int		 len;

	len = answer_port2(registry_lookup(srv->reg, req->node.name,
	    req->node.namelen), buf, sizeof(buf));
	evbuffer_add(out, buf, (size_t)len);
}

/* NAMES. */
static void
conn_req_names(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	answer_names(srv, out);
}

/* DUMP. */
static void
conn_req_dump(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	answer_dump(srv, out);
}

/* KILL: "NO" while nodes are registered (unless relaxed), else exit. */
static void
conn_req_kill(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	if (registry_count(srv->reg) > 0 && !srv->conf.relaxed) {
		evbuffer_add(out, "NO", 2);
		return;
	}
	log_info("KILL request from %s, exiting", conn_req_peer(fd));
	res->action = CONN_REQ_KILL;
	evbuffer_add(out, "OK", 2);
}

/* STOP name: end that registration (relaxed_command_check only). */
static void
conn_req_stop(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	struct node	*n;

	if (!srv->conf.relaxed) {
		log_info("STOP refused peer=%s: relaxed_command_check "
		    "is off", conn_req_peer(fd));
		res->action = CONN_REQ_CLOSE;
		res->why = "STOP not allowed";
		return;
	}
	n = registry_lookup(srv->reg, req->node.name, req->node.namelen);
	if (n == NULL) {
		/* Stock writes both: there is no return between. */
		evbuffer_add(out, "NOEXISTSTOPPED", 14);
		return;
	}
	log_info("node stopped name=%s by=%s",
	    conn_req_name(n->name, n->namelen), conn_req_peer(fd));
	res->action = CONN_REQ_STOP;
	res->stop = n->owner;
	evbuffer_add(out, "STOPPED", 7);
}

/* STATUS (ours). */
static void
conn_req_status(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	answer_status(srv, out);
}

/* SYNC: the stream belongs to sync from here. */
static void
conn_req_sync(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	res->action = CONN_REQ_SYNC;
}

/* CLUSTER (ours): the cluster table. */
static void
conn_req_cluster(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	sync_cluster_dump(srv, out);
}

/* PEERS (ours): the sync peers. */
static void
conn_req_peers(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	sync_peers_dump(srv, out);
}

/*
 * UPGRADE over TCP: TCP cannot tell who asks, so it is refused with the
 * way to do it (control.c); an old epmdxctl prints the message.
 */
static void
conn_req_upgrade(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	static struct log_rate	 rl = LOG_RATE("UPGRADE refusals", 1, 10);
	char			 path[128];

	log_rate_warnx(&rl, "UPGRADE refused peer=%s: not the control "
	    "socket", conn_req_peer(fd));
	evbuffer_add_printf(out, "ERR use the control socket %s "
	    "(epmdxctl upgrade, as root or group %s)\n",
	    config_control_path(&srv->conf, srv->names_port, path,
	    sizeof(path)), config_control_group(&srv->conf));
}

/*
 * RESOLVE name@host (ours): a PORT2 reply from the cluster table; when
 * found, [AddrLen:1][address] follows its Extra.
 */
static void
conn_req_resolve(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	const struct node	*n;
	uint8_t			 buf[ANSWER_PORT2_MAX];
	char			 addr[PROTO_RESOLVE_ADDR_MAX + 1] = "-";
	uint8_t			 alen;
	int			 len;

	n = answer_resolve(srv, req, addr, sizeof(addr));
	len = answer_port2(n, buf, sizeof(buf));
	evbuffer_add(out, buf, (size_t)len);
	if (n == NULL)
		return;
	alen = (uint8_t)strlen(addr);
	evbuffer_add(out, &alen, 1);
	evbuffer_add(out, addr, alen);
}

/* WATCH (ours): the connection becomes a subscriber (watch.c). */
static void
conn_req_watch(struct server *srv, int fd, const struct proto_req *req,
    struct evbuffer *out, struct conn_req_result *res)
{
	res->action = CONN_REQ_WATCH;
}
