/*
 * Sync backend "dns": peers from DNS.  Every dns_interval seconds
 * (jittered) ask the name server about dns_query: A and AAAA (peers at the
 * cluster's default port) or SRV (each target at its port, its addresses
 * from the additional section, else asked for).  Questions go over one
 * connected, non-blocking UDP socket, with a timeout and one retry each.
 * A complete poll is diffed against the previous one; a failed poll
 * (timeout, SERVFAIL, ...) keeps the previous peers.  The messages are
 * built and parsed by dns.c: evdns cannot ask for SRV.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "sync.h"
#include "xmalloc.h"

#define SYNC_DNS_TIMEOUT	2	/* seconds a try waits for its answer */
#define SYNC_DNS_TRIES		2	/* a question is sent, then once more */
#define SYNC_DNS_EDNS		1232	/* UDP payload offered (DNS flag day) */
#define SYNC_DNS_MAX_PEERS	256	/* addresses kept from one poll */
#define SYNC_DNS_MAX_TARGETS	32	/* SRV targets asked about per poll */
#define SYNC_DNS_WARN_EVERY	300	/* seconds between repeated warnings */
#define SYNC_DNS_READS		64	/* datagrams read per wakeup */
#define SYNC_DNS_RECV_MAX	65536	/* largest datagram */
#define SYNC_DNS_RESOLV		"/etc/resolv.conf"

/* One peer address as reported to the core. */
struct sync_dns_addr {
	char		 host[INET6_ADDRSTRLEN];
	unsigned int	 port;		/* 0: the cluster's default */
};

/* A set of peer addresses. */
struct sync_dns_set {
	struct sync_dns_addr	*v;
	size_t			 n;
	size_t			 cap;
};

struct sync_dns;

/* One question in flight. */
struct sync_dns_query {
	TAILQ_ENTRY(sync_dns_query) entry;
	struct sync_dns		*d;
	struct event		*timer;
	uint16_t		 id;
	uint16_t		 qtype;
	unsigned int		 port;	/* for the addresses it yields */
	int			 tries;
	char			 name[DNS_NAME_MAX + 1];
};

struct sync_dns {
	struct sync_backend_inst *bi;
	char			*query;
	int			 srv;		/* SRV, else A and AAAA */
	unsigned int		 interval;
	char			*server;	/* dns_server; NULL: resolv.conf */

	struct sockaddr_storage	 ns;		/* the name server in use */
	socklen_t		 nslen;
	char			 nsname[INET6_ADDRSTRLEN + 8];
	int			 fd;
	struct event		*rev;
	struct event		*timer;		/* the next poll */

	TAILQ_HEAD(, sync_dns_query) queries;
	int			 polling;
	const char		*failed;	/* why this poll failed */
	char			 why[192];	/* room for a failure's text */
	int			 partial;	/* a truncated answer came */
	int			 sockerr;	/* last send/recv errno, or 0 */
	unsigned int		 ntargets;
	unsigned int		 ignored;	/* stray or bad datagrams */
	struct sync_dns_set	 cur;		/* this poll's peers */
	struct sync_dns_set	 last;		/* the peers reported */

	unsigned int		 failures;	/* failed polls in a row */
	time_t			 warned;	/* last failure warning */

	uint8_t			 buf[SYNC_DNS_RECV_MAX];
	struct dns_resp		 resp;
};

static void	sync_dns_read_cb(evutil_socket_t, short, void *);
static void	sync_dns_timeout_cb(evutil_socket_t, short, void *);
static void	sync_dns_timer_cb(evutil_socket_t, short, void *);

/* Seconds on a clock that does not jump. */
static time_t
sync_dns_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The configured type's name for logs. */
static const char *
sync_dns_typename(const struct sync_dns *d)
{
	return d->srv ? "srv" : "a";
}

/* Whether the set holds host:port. */
static int
sync_dns_set_has(const struct sync_dns_set *set, const char *host,
    unsigned int port)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].port == port && strcmp(set->v[i].host, host) == 0)
			return 1;
	return 0;
}

/* Add host:port unless present; 0, or -1 when the set is full. */
static int
sync_dns_set_add(struct sync_dns_set *set, const char *host,
    unsigned int port)
{
	if (sync_dns_set_has(set, host, port))
		return 0;
	if (set->n == SYNC_DNS_MAX_PEERS)
		return -1;
	if (set->n == set->cap) {
		set->cap = set->cap == 0 ? 8 : set->cap * 2;
		set->v = xreallocarray(set->v, set->cap, sizeof(*set->v));
	}
	snprintf(set->v[set->n].host, sizeof(set->v[set->n].host), "%s",
	    host);
	set->v[set->n].port = port;
	set->n++;
	return 0;
}

/* Empty a set, keeping nothing. */
static void
sync_dns_set_free(struct sync_dns_set *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/* The first nameserver of resolv.conf into buf; 0, or -1 if none. */
static int
sync_dns_resolv(char *buf, size_t size)
{
	FILE	*f;
	char	 line[512], *p, *tok;
	int	 found = -1;

	if ((f = fopen(SYNC_DNS_RESOLV, "r")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "nameserver", 10) != 0 ||
		    !isspace((unsigned char)p[10]))
			continue;
		p += 10;
		if ((tok = strtok(p, " \t\r\n")) == NULL)
			continue;
		if ((size_t)snprintf(buf, size, "%s", tok) < size)
			found = 0;
	}
	fclose(f);
	return found;
}

/*
 * Where to send questions: spec ("ip[:port]", "[v6]:port") or, when
 * NULL, the first nameserver of resolv.conf (127.0.0.1 if none, as the
 * C library does).  0, or -1 with *cause.
 */
static int
sync_dns_server_addr(const char *spec, struct sockaddr_storage *ss,
    socklen_t *sslen, char **cause)
{
	struct addrinfo	 hints, *res;
	char		 host[256], serv[16];
	unsigned int	 port = 0;
	int		 error;

	if (spec != NULL) {
		if (config_hostport(spec, host, sizeof(host), &port) == -1) {
			xasprintf(cause, "sync: dns_server \"%s\" is not "
			    "ip[:port]", spec);
			return -1;
		}
	} else if (sync_dns_resolv(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(serv, sizeof(serv), "%u", port != 0 ? port : DNS_PORT);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, serv, &hints, &res)) != 0) {
		xasprintf(cause, "sync: dns_server \"%s\" is not an address "
		    "(%s)", spec != NULL ? spec : host, gai_strerror(error));
		return -1;
	}
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		xasprintf(cause, "sync: dns_server \"%s\": odd address", host);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Whether two socket addresses are the same address and port. */
static int
sync_dns_same_addr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss_family != b->ss_family)
		return 0;
	switch (a->ss_family) {
	case AF_INET:
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

/* Close the socket. */
static void
sync_dns_close(struct sync_dns *d)
{
	if (d->rev != NULL) {
		event_free(d->rev);
		d->rev = NULL;
	}
	if (d->fd != -1) {
		close(d->fd);
		d->fd = -1;
	}
}

/*
 * Point the socket at the configured name server, opening it anew when
 * the server changed.  0, or -1 with the reason in d->why.
 */
static int
sync_dns_open(struct sync_dns *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*cause = NULL, addr[INET6_ADDRSTRLEN];
	int			 fd;

	if (sync_dns_server_addr(d->server, &ss, &sslen, &cause) == -1) {
		snprintf(d->why, sizeof(d->why), "%s", cause);
		free(cause);
		return -1;
	}
	if (d->fd != -1 && sync_dns_same_addr(&ss, &d->ns))
		return 0;
	sync_dns_close(d);
	d->ns = ss;
	d->nslen = sslen;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    addr, sizeof(addr));
		snprintf(d->nsname, sizeof(d->nsname), "[%s]:%u", addr,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    addr, sizeof(addr));
		snprintf(d->nsname, sizeof(d->nsname), "%s:%u", addr,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(d->why, sizeof(d->why), "socket: %s",
		    strerror(errno));
		return -1;
	}
	/* Connected: the kernel drops datagrams from anyone else. */
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1) {
		snprintf(d->why, sizeof(d->why), "connect: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	d->fd = fd;
	d->rev = event_new(sync_base(d->bi->sync), fd, EV_READ | EV_PERSIST,
	    sync_dns_read_cb, d);
	event_add(d->rev, NULL);
	log_debug("sync: dns server=%s", d->nsname);
	return 0;
}

/* Send (or resend) a question and wait for its answer. */
static void
sync_dns_send(struct sync_dns_query *q)
{
	struct sync_dns	*d = q->d;
	uint8_t		 msg[DNS_QUERY_MAX];
	struct timeval	 tv = { SYNC_DNS_TIMEOUT, 0 };
	int		 n;

	q->tries++;
	n = dns_query_encode(msg, sizeof(msg), q->id, q->name, q->qtype,
	    SYNC_DNS_EDNS);
	if (n != -1 && send(d->fd, msg, (size_t)n, 0) == -1) {
		d->sockerr = errno;
		log_debug("sync: dns send server=%s: %s", d->nsname,
		    strerror(errno));
	}
	evtimer_add(q->timer, &tv);
}

/* Forget a question. */
static void
sync_dns_query_free(struct sync_dns_query *q)
{
	TAILQ_REMOVE(&q->d->queries, q, entry);
	event_free(q->timer);
	free(q);
}

/* An id no question in flight uses. */
static uint16_t
sync_dns_new_id(struct sync_dns *d)
{
	struct sync_dns_query	*q;
	uint16_t		 id;

	for (;;) {
		evutil_secure_rng_get_bytes(&id, sizeof(id));
		TAILQ_FOREACH(q, &d->queries, entry)
			if (q->id == id)
				break;
		if (q == NULL)
			return id;
	}
}

/* Ask about name; the addresses it yields are peers at port. */
static void
sync_dns_ask(struct sync_dns *d, const char *name, uint16_t qtype,
    unsigned int port)
{
	struct sync_dns_query	*q;

	if (!dns_name_valid(name)) {
		log_debug("sync: dns skipping name=%s", name);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->id = sync_dns_new_id(d);
	q->qtype = qtype;
	q->port = port;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->timer = evtimer_new(sync_base(d->bi->sync), sync_dns_timeout_cb,
	    q);
	TAILQ_INSERT_TAIL(&d->queries, q, entry);
	sync_dns_send(q);
}

/* Drop the poll under way, if any. */
static void
sync_dns_poll_abort(struct sync_dns *d)
{
	struct sync_dns_query	*q;

	while ((q = TAILQ_FIRST(&d->queries)) != NULL)
		sync_dns_query_free(q);
	sync_dns_set_free(&d->cur);
	d->polling = 0;
}

/* A failed poll: keep the peers, warn (not every time). */
static void
sync_dns_poll_failed(struct sync_dns *d)
{
	time_t	 now = sync_dns_now();

	d->failures++;
	if (d->failures == 1 || now - d->warned >= SYNC_DNS_WARN_EVERY) {
		log_warnx("sync: dns poll failed query=%s type=%s server=%s "
		    "reason=\"%s\" failures=%u ignored=%u kept=%zu", d->query,
		    sync_dns_typename(d), d->nsname, d->failed, d->failures,
		    d->ignored, d->last.n);
		d->warned = now;
	} else
		log_debug("sync: dns poll failed query=%s reason=\"%s\" "
		    "failures=%u", d->query, d->failed, d->failures);
}

/* The poll is complete: report the difference with the previous one. */
static void
sync_dns_poll_end(struct sync_dns *d)
{
	struct sync_backend_inst	*bi = d->bi;
	struct sync_dns_set		*cur = &d->cur, *last = &d->last;
	size_t				 i;
	int				 added = 0, removed = 0;

	d->polling = 0;
	if (d->failed != NULL) {
		sync_dns_poll_failed(d);
		sync_dns_set_free(cur);
		return;
	}
	if (d->failures > 0)
		log_info("sync: dns poll recovered query=%s failures=%u",
		    d->query, d->failures);
	d->failures = 0;
	d->ignored = 0;
	/* A truncated answer may lack peers: only add, never drop. */
	if (d->partial) {
		log_warnx("sync: dns answer truncated query=%s: no peer "
		    "dropped this poll", d->query);
		for (i = 0; i < last->n; i++)
			sync_dns_set_add(cur, last->v[i].host, last->v[i].port);
	}
	for (i = 0; i < last->n; i++) {
		if (sync_dns_set_has(cur, last->v[i].host, last->v[i].port))
			continue;
		log_debug("sync: dns peer gone query=%s peer=%s port=%u",
		    d->query, last->v[i].host, last->v[i].port);
		sync_peer_gone(bi, last->v[i].host, last->v[i].port);
		removed++;
	}
	for (i = 0; i < cur->n; i++) {
		if (sync_dns_set_has(last, cur->v[i].host, cur->v[i].port))
			continue;
		log_debug("sync: dns peer seen query=%s peer=%s port=%u",
		    d->query, cur->v[i].host, cur->v[i].port);
		sync_peer_seen(bi, cur->v[i].host, cur->v[i].port);
		added++;
	}
	sync_dns_set_free(last);
	*last = *cur;
	memset(cur, 0, sizeof(*cur));
	if (added > 0 || removed > 0)
		log_info("sync: dns poll query=%s type=%s added=%d removed=%d "
		    "peers=%zu", d->query, sync_dns_typename(d), added,
		    removed, last->n);
	else
		log_debug("sync: dns poll query=%s peers=%zu unchanged",
		    d->query, last->n);
}

/* End the poll once no question is left. */
static void
sync_dns_check_done(struct sync_dns *d)
{
	if (d->polling && TAILQ_EMPTY(&d->queries))
		sync_dns_poll_end(d);
}

/* Add an A or AAAA record's address as a peer at port. */
static void
sync_dns_add_rr(struct sync_dns *d, const struct dns_rr *rr,
    unsigned int port)
{
	char	 host[INET6_ADDRSTRLEN];

	if (rr->type == DNS_T_A)
		inet_ntop(AF_INET, rr->u.a, host, sizeof(host));
	else
		inet_ntop(AF_INET6, rr->u.aaaa, host, sizeof(host));
	if (sync_dns_set_add(&d->cur, host, port) == -1)
		log_debug("sync: dns query=%s over %d peers, dropping %s",
		    d->query, SYNC_DNS_MAX_PEERS, host);
}

/* Whether an earlier SRV record of this answer named target:port. */
static int
sync_dns_srv_dup(const struct dns_resp *r, int upto, const char *target,
    unsigned int port)
{
	int	 i;

	for (i = 0; i < upto; i++)
		if (r->rr[i].type == DNS_T_SRV &&
		    r->rr[i].section == DNS_S_ANSWER &&
		    r->rr[i].u.srv.port == port &&
		    dns_name_equal(r->rr[i].u.srv.target, target))
			return 1;
	return 0;
}

/* Use SRV records: each target at its port. */
static void
sync_dns_srv(struct sync_dns *d, const struct dns_resp *r)
{
	const struct dns_srv	*srv;
	int			 i, j, found;

	for (i = 0; i < r->nrr; i++) {
		if (r->rr[i].type != DNS_T_SRV ||
		    r->rr[i].section != DNS_S_ANSWER)
			continue;
		srv = &r->rr[i].u.srv;
		if (*srv->target == '\0' ||
		    sync_dns_srv_dup(r, i, srv->target, srv->port))
			continue;	/* "." : no service */
		found = 0;
		for (j = 0; j < r->nrr; j++) {
			if (r->rr[j].section != DNS_S_ADDITIONAL ||
			    (r->rr[j].type != DNS_T_A &&
			    r->rr[j].type != DNS_T_AAAA) ||
			    !dns_name_equal(r->rr[j].name, srv->target))
				continue;
			sync_dns_add_rr(d, &r->rr[j], srv->port);
			found = 1;
		}
		if (found)
			continue;
		if (d->ntargets == SYNC_DNS_MAX_TARGETS) {
			log_debug("sync: dns query=%s over %d targets, "
			    "skipping %s", d->query, SYNC_DNS_MAX_TARGETS,
			    srv->target);
			continue;
		}
		d->ntargets++;
		sync_dns_ask(d, srv->target, DNS_T_A, srv->port);
		sync_dns_ask(d, srv->target, DNS_T_AAAA, srv->port);
	}
}

/* An answer to q: use it, or mark the poll failed. */
static void
sync_dns_answer(struct sync_dns_query *q, const struct dns_resp *r)
{
	struct sync_dns	*d = q->d;
	int		 i;

	if (r->rcode == DNS_R_NXDOMAIN) {
		log_debug("sync: dns name=%s type=%s NXDOMAIN", q->name,
		    dns_type_name(q->qtype));
		return;
	}
	if (r->rcode != DNS_R_NOERROR) {
		d->failed = dns_rcode_name(r->rcode);
		return;
	}
	if (r->truncated)
		d->partial = 1;
	if (q->qtype == DNS_T_SRV) {
		sync_dns_srv(d, r);
		return;
	}
	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].section == DNS_S_ANSWER &&
		    r->rr[i].type == q->qtype)
			sync_dns_add_rr(d, &r->rr[i], q->port);
}

/* Handle one datagram from the name server. */
static void
sync_dns_datagram(struct sync_dns *d, const uint8_t *buf, size_t len)
{
	struct sync_dns_query	*q;
	const char		*why;
	uint16_t		 id;

	if (len < 2) {
		d->ignored++;
		return;
	}
	id = (uint16_t)(buf[0] << 8 | buf[1]);
	TAILQ_FOREACH(q, &d->queries, entry)
		if (q->id == id)
			break;
	if (q == NULL) {
		log_debug("sync: dns ignored reply id=%u: no such question",
		    id);
		d->ignored++;
		return;
	}
	if (dns_parse(buf, len, q->id, &d->resp, &why) == -1) {
		log_debug("sync: dns ignored reply id=%u: %s", id, why);
		d->ignored++;
		return;
	}
	if (d->resp.qtype != q->qtype ||
	    !dns_name_equal(d->resp.qname, q->name)) {
		log_debug("sync: dns ignored reply id=%u: other question", id);
		d->ignored++;
		return;
	}
	sync_dns_answer(q, &d->resp);
	sync_dns_query_free(q);
	sync_dns_check_done(d);
}

/* Datagrams on the socket. */
static void
sync_dns_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_dns		*d = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < SYNC_DNS_READS; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, d->buf, sizeof(d->buf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				d->sockerr = errno;
				log_debug("sync: dns recv server=%s: %s",
				    d->nsname, strerror(errno));
			}
			return;
		}
		if (!sync_dns_same_addr(&from, &d->ns)) {
			d->ignored++;
			continue;
		}
		sync_dns_datagram(d, d->buf, (size_t)n);
	}
}

/* No answer in time: ask again, or give the poll up as failed. */
static void
sync_dns_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_dns_query	*q = arg;
	struct sync_dns		*d = q->d;

	if (q->tries < SYNC_DNS_TRIES) {
		log_debug("sync: dns retry name=%s type=%s", q->name,
		    dns_type_name(q->qtype));
		sync_dns_send(q);
		return;
	}
	if (d->sockerr != 0) {
		snprintf(d->why, sizeof(d->why), "timeout, %s",
		    strerror(d->sockerr));
		d->failed = d->why;
	} else
		d->failed = "timeout";
	sync_dns_query_free(q);
	sync_dns_check_done(d);
}

/* Begin a poll: open the socket, ask the first questions. */
static void
sync_dns_poll_begin(struct sync_dns *d)
{
	d->polling = 1;
	d->failed = NULL;
	d->partial = 0;
	d->sockerr = 0;
	d->ntargets = 0;
	sync_dns_set_free(&d->cur);
	if (sync_dns_open(d) == -1) {
		d->failed = d->why;
		sync_dns_poll_end(d);
		return;
	}
	log_debug("sync: dns poll query=%s type=%s server=%s", d->query,
	    sync_dns_typename(d), d->nsname);
	if (d->srv)
		sync_dns_ask(d, d->query, DNS_T_SRV, 0);
	else {
		sync_dns_ask(d, d->query, DNS_T_A, 0);
		sync_dns_ask(d, d->query, DNS_T_AAAA, 0);
	}
	sync_dns_check_done(d);
}

/* Arm the next poll in interval seconds, give or take 10%. */
static void
sync_dns_arm(struct sync_dns *d)
{
	struct timeval	 tv;
	uint32_t	 r;
	uint64_t	 ms, spread;

	ms = (uint64_t)d->interval * 1000;
	spread = ms / 5;
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	if (spread > 0)
		ms = ms - spread / 2 + r % (spread + 1);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(d->timer, &tv);
}

/* Time to poll, unless the last poll is still waiting for answers. */
static void
sync_dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_dns	*d = arg;

	sync_dns_arm(d);
	if (d->polling) {
		log_debug("sync: dns query=%s previous poll still running",
		    d->query);
		return;
	}
	sync_dns_poll_begin(d);
}

/* Check the [sync] keys this backend reads; 0, or -1 with *cause. */
static int
sync_dns_check(const struct sync_conf *sc, int *srv, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	if (sc->dns_query == NULL) {
		xasprintf(cause, "sync: dns backend needs dns_query");
		return -1;
	}
	if (!dns_name_valid(sc->dns_query)) {
		xasprintf(cause, "sync: dns_query \"%s\" is not a domain name",
		    sc->dns_query);
		return -1;
	}
	if (sc->dns_type == NULL || strcasecmp(sc->dns_type, "a") == 0)
		*srv = 0;
	else if (strcasecmp(sc->dns_type, "srv") == 0)
		*srv = 1;
	else {
		xasprintf(cause, "sync: dns_type \"%s\" is not a or srv",
		    sc->dns_type);
		return -1;
	}
	if (sc->dns_server != NULL &&
	    sync_dns_server_addr(sc->dns_server, &ss, &sslen, cause) == -1)
		return -1;
	return 0;
}

/* Take the configuration's values. */
static void
sync_dns_set_conf(struct sync_dns *d, const struct sync_conf *sc, int srv)
{
	free(d->query);
	d->query = xstrdup(sc->dns_query);
	d->srv = srv;
	d->interval = sc->dns_interval != 0 ? sc->dns_interval :
	    CONF_DNS_INTERVAL;
	free(d->server);
	d->server = sc->dns_server != NULL ? xstrdup(sc->dns_server) : NULL;
}

/* Check the configuration and allocate the state. */
static int
sync_dns_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_dns	*d;
	int		 srv;

	if (sync_dns_check(sc, &srv, cause) == -1)
		return -1;
	d = xcalloc(1, sizeof(*d));
	d->bi = bi;
	d->fd = -1;
	TAILQ_INIT(&d->queries);
	sync_dns_set_conf(d, sc, srv);
	bi->data = d;
	return 0;
}

/* Poll now, then every interval. */
static void
sync_dns_start(struct sync_backend_inst *bi)
{
	struct sync_dns	*d = bi->data;

	d->timer = evtimer_new(sync_base(bi->sync), sync_dns_timer_cb, d);
	log_info("sync: dns polling query=%s type=%s interval=%u server=%s",
	    d->query, sync_dns_typename(d), d->interval,
	    d->server != NULL ? d->server : SYNC_DNS_RESOLV);
	sync_dns_arm(d);
	sync_dns_poll_begin(d);
}

/* New settings: report what we know again, then poll at once. */
static int
sync_dns_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_dns	*d = bi->data;
	size_t		 i;
	int		 srv;

	if (sync_dns_check(sc, &srv, cause) == -1)
		return -1;
	if (strcmp(d->query, sc->dns_query) != 0 || d->srv != srv ||
	    d->interval != sc->dns_interval ||
	    (d->server == NULL) != (sc->dns_server == NULL) ||
	    (d->server != NULL && strcmp(d->server, sc->dns_server) != 0))
		log_info("sync: dns reconfigured query=%s type=%s "
		    "interval=%u server=%s", sc->dns_query,
		    srv ? "srv" : "a", sc->dns_interval,
		    sc->dns_server != NULL ? sc->dns_server : SYNC_DNS_RESOLV);
	sync_dns_set_conf(d, sc, srv);
	/* The core took our reports back; the next poll diffs from these. */
	for (i = 0; i < d->last.n; i++)
		sync_peer_seen(bi, d->last.v[i].host, d->last.v[i].port);
	sync_dns_poll_abort(d);
	if (d->timer != NULL) {
		sync_dns_arm(d);
		sync_dns_poll_begin(d);
	}
	return 0;
}

/* Free everything: questions, timers, socket, sets. */
static void
sync_dns_free(struct sync_backend_inst *bi)
{
	struct sync_dns	*d = bi->data;

	if (d == NULL)
		return;
	sync_dns_poll_abort(d);
	if (d->timer != NULL)
		event_free(d->timer);
	sync_dns_close(d);
	sync_dns_set_free(&d->last);
	free(d->query);
	free(d->server);
	free(d);
	bi->data = NULL;
}

const struct sync_backend sync_backend_dns = {
	"dns",
	sync_dns_init,
	sync_dns_start,
	sync_dns_reload,
	sync_dns_free,
	NULL,			/* local_changed: peers only, no store */
};
