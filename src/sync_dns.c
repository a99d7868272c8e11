/*
 * Sync backend "dns": peers from DNS.  Every dns_interval seconds
 * (jittered) ask the name server about dns_query: A and AAAA (peers at the
 * cluster's default port) or SRV (each target at its port, its addresses
 * from the additional section, else asked for).  Each question has its
 * own connected, non-blocking UDP socket, so its own random source port,
 * and a random id; only an answer from the server asked, to that id and
 * that question, counts.  A question waits for its answer with a timeout
 * and one retry.  A complete poll is folded into the known peers by
 * sync_dns_set.c (a peer goes only once it has really vanished); a failed
 * poll (timeout, SERVFAIL, ...) keeps them.  The messages are built and
 * parsed by dns.c: evdns cannot ask for SRV.
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
#include "sync_crypto.h"
#include "sync_dns_set.h"
#include "xmalloc.h"

#define SYNC_DNS_TIMEOUT	2	/* seconds a try waits for its answer */
#define SYNC_DNS_TRIES		2	/* a question is sent, then once more */
#define SYNC_DNS_EDNS		1232	/* UDP payload offered (DNS flag day) */
#define SYNC_DNS_MAX_TARGETS	32	/* SRV targets asked about per poll */
#define SYNC_DNS_WARN_EVERY	300	/* seconds between repeated warnings */
#define SYNC_DNS_INFLIGHT	16	/* questions (sockets) at once */
#define SYNC_DNS_READS		64	/* datagrams read per wakeup */
#define SYNC_DNS_RECV_MAX	65536	/* largest datagram */
#define SYNC_DNS_RESOLV		"/etc/resolv.conf"

struct sync_dns;

TAILQ_HEAD(sync_dns_queries, sync_dns_query);

/* One question: waiting its turn, or asked on its own socket. */
struct sync_dns_query {
	TAILQ_ENTRY(sync_dns_query) entry;
	struct sync_dns		*d;
	int			 fd;	/* -1 while waiting */
	struct event		*rev;
	struct event		*timer;
	uint16_t		 id;
	uint16_t		 qtype;
	unsigned int		 port;	/* for the addresses it yields */
	uint32_t		 ttl;	/* their TTL, at most */
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
	struct event		*timer;		/* the next poll */

	struct sync_dns_queries	 waiting;	/* not asked yet */
	struct sync_dns_queries	 queries;	/* asked, each on its socket */
	unsigned int		 nqueries;	/* in queries */
	int			 polling;
	const char		*failed;	/* why this poll failed */
	char			 why[192];	/* room for a failure's text */
	int			 partial;	/* a truncated answer came */
	int			 sockerr;	/* last send/recv errno, or 0 */
	unsigned int		 ntargets;
	unsigned int		 ignored;	/* stray or bad datagrams */
	struct sync_dns_set	 cur;		/* this poll's peers */
	struct sync_dns_set	 last;		/* the peers known, reported */
	int			 added;		/* by this poll */
	int			 removed;

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

/*
 * Which name server this poll asks: dns_server, or the first of
 * resolv.conf as it is now.  0, or -1 with the reason in d->why.
 */
static int
sync_dns_server(struct sync_dns *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*cause = NULL, addr[INET6_ADDRSTRLEN];

	if (sync_dns_server_addr(d->server, &ss, &sslen, &cause) == -1) {
		snprintf(d->why, sizeof(d->why), "%s", cause);
		free(cause);
		return -1;
	}
	if (d->nslen != 0 && sync_dns_same_addr(&ss, &d->ns))
		return 0;
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
	if (n != -1 && send(q->fd, msg, (size_t)n, 0) == -1) {
		d->sockerr = errno;
		log_debug("sync: dns send server=%s: %s", d->nsname,
		    strerror(errno));
	}
	evtimer_add(q->timer, &tv);
}

/*
 * Ask a waiting question on a socket of its own, connected to the name
 * server: connect() binds it to an ephemeral port the kernel picks at
 * random, and the kernel drops datagrams from anyone but the server.  0,
 * or -1 with the reason in d->why (q still waiting).
 */
static int
sync_dns_query_open(struct sync_dns_query *q)
{
	struct sync_dns	*d = q->d;
	int		 fd;

	if ((fd = socket(d->ns.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(d->why, sizeof(d->why), "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&d->ns, d->nslen) == -1) {
		snprintf(d->why, sizeof(d->why), "connect: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	TAILQ_REMOVE(&d->waiting, q, entry);
	TAILQ_INSERT_TAIL(&d->queries, q, entry);
	d->nqueries++;
	q->fd = fd;
	q->rev = event_new(sync_base(d->bi->sync), fd, EV_READ | EV_PERSIST,
	    sync_dns_read_cb, q);
	event_add(q->rev, NULL);
	sync_dns_send(q);
	return 0;
}

/* Forget a question, closing its socket. */
static void
sync_dns_query_free(struct sync_dns_query *q)
{
	struct sync_dns	*d = q->d;

	if (q->fd != -1) {
		TAILQ_REMOVE(&d->queries, q, entry);
		d->nqueries--;
		event_free(q->rev);
		close(q->fd);
	} else
		TAILQ_REMOVE(&d->waiting, q, entry);
	event_free(q->timer);
	free(q);
}

/* Forget every question, asked or waiting. */
static void
sync_dns_queries_free(struct sync_dns *d)
{
	struct sync_dns_query	*q;

	while ((q = TAILQ_FIRST(&d->queries)) != NULL)
		sync_dns_query_free(q);
	while ((q = TAILQ_FIRST(&d->waiting)) != NULL)
		sync_dns_query_free(q);
}

/*
 * Queue a question about name; the addresses it yields are peers at port,
 * their TTL at most ttl.
 */
static void
sync_dns_ask(struct sync_dns *d, const char *name, uint16_t qtype,
    unsigned int port, uint32_t ttl)
{
	struct sync_dns_query	*q;

	if (!dns_name_valid(name)) {
		log_debug("sync: dns skipping name=%s", name);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->fd = -1;
	sync_random(&q->id, sizeof(q->id));
	q->qtype = qtype;
	q->port = port;
	q->ttl = ttl;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->timer = evtimer_new(sync_base(d->bi->sync), sync_dns_timeout_cb,
	    q);
	TAILQ_INSERT_TAIL(&d->waiting, q, entry);
}

/* Drop the poll under way, if any. */
static void
sync_dns_poll_abort(struct sync_dns *d)
{
	sync_dns_queries_free(d);
	sync_dns_set_clear(&d->cur);
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

/* A change of the known peers: tell the core. */
static void
sync_dns_report(void *arg, const struct sync_dns_addr *a, int up)
{
	struct sync_dns	*d = arg;

	if (up) {
		log_debug("sync: dns peer seen query=%s peer=%s port=%u",
		    d->query, a->host, a->port);
		sync_peer_seen(d->bi, a->host, a->port);
		d->added++;
	} else {
		log_debug("sync: dns peer gone query=%s peer=%s port=%u "
		    "misses=%u", d->query, a->host, a->port, a->misses);
		sync_peer_gone(d->bi, a->host, a->port);
		d->removed++;
	}
}

/*
 * The poll is over.  Complete: fold it into the known peers (a peer
 * absent goes only once it has really vanished: sync_dns_set.h).
 * Failed: keep them.
 */
static void
sync_dns_poll_end(struct sync_dns *d)
{
	d->polling = 0;
	if (d->failed != NULL) {
		sync_dns_poll_failed(d);
		sync_dns_set_clear(&d->cur);
		return;
	}
	if (d->failures > 0)
		log_info("sync: dns poll recovered query=%s failures=%u",
		    d->query, d->failures);
	d->failures = 0;
	d->ignored = 0;
	if (d->partial)
		log_warnx("sync: dns answer truncated query=%s: no miss "
		    "counted this poll", d->query);
	d->added = d->removed = 0;
	sync_dns_set_merge(&d->last, &d->cur, d->partial, sync_dns_now(),
	    sync_dns_report, d);
	sync_dns_set_clear(&d->cur);
	if (d->added > 0 || d->removed > 0)
		log_info("sync: dns poll query=%s type=%s added=%d removed=%d "
		    "peers=%zu", d->query, sync_dns_typename(d), d->added,
		    d->removed, d->last.n);
	else
		log_debug("sync: dns poll query=%s peers=%zu unchanged",
		    d->query, d->last.n);
}

/*
 * After a question ends: a failed poll forgets its other questions; else
 * ask those waiting, up to SYNC_DNS_INFLIGHT at once.  End the poll once
 * no question is left.
 */
static void
sync_dns_check_done(struct sync_dns *d)
{
	struct sync_dns_query	*q;

	if (!d->polling)
		return;
	while (d->failed == NULL && d->nqueries < SYNC_DNS_INFLIGHT &&
	    (q = TAILQ_FIRST(&d->waiting)) != NULL)
		if (sync_dns_query_open(q) == -1)
			d->failed = d->why;
	if (d->failed != NULL)
		sync_dns_queries_free(d);
	if (TAILQ_EMPTY(&d->queries) && TAILQ_EMPTY(&d->waiting))
		sync_dns_poll_end(d);
}

/* Add an A or AAAA record's address as a peer at port, TTL at most ttl. */
static void
sync_dns_add_rr(struct sync_dns *d, const struct dns_rr *rr,
    unsigned int port, uint32_t ttl)
{
	char	 host[INET6_ADDRSTRLEN];

	if (rr->type == DNS_T_A)
		inet_ntop(AF_INET, rr->u.a, host, sizeof(host));
	else
		inet_ntop(AF_INET6, rr->u.aaaa, host, sizeof(host));
	if (sync_dns_set_add(&d->cur, host, port,
	    rr->ttl < ttl ? rr->ttl : ttl) == -1)
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
sync_dns_srv(struct sync_dns *d, const struct dns_resp *r, uint32_t ttl)
{
	const struct dns_srv	*srv;
	uint32_t		 sttl;
	int			 i, j, found;

	for (i = 0; i < r->nrr; i++) {
		if (r->rr[i].type != DNS_T_SRV ||
		    r->rr[i].section != DNS_S_ANSWER)
			continue;
		srv = &r->rr[i].u.srv;
		if (*srv->target == '\0' ||
		    sync_dns_srv_dup(r, i, srv->target, srv->port))
			continue;	/* "." : no service */
		sttl = r->rr[i].ttl < ttl ? r->rr[i].ttl : ttl;
		found = 0;
		for (j = 0; j < r->nrr; j++) {
			if (r->rr[j].section != DNS_S_ADDITIONAL ||
			    (r->rr[j].type != DNS_T_A &&
			    r->rr[j].type != DNS_T_AAAA) ||
			    !dns_name_equal(r->rr[j].name, srv->target))
				continue;
			sync_dns_add_rr(d, &r->rr[j], srv->port, sttl);
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
		sync_dns_ask(d, srv->target, DNS_T_A, srv->port, sttl);
		sync_dns_ask(d, srv->target, DNS_T_AAAA, srv->port, sttl);
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
		sync_dns_srv(d, r, q->ttl);
		return;
	}
	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].section == DNS_S_ANSWER &&
		    r->rr[i].type == q->qtype)
			sync_dns_add_rr(d, &r->rr[i], q->port, q->ttl);
}

/*
 * A datagram on q's socket: its answer if it is a well-formed response
 * to q's id that repeats q's question.  Returns 1 when q was answered
 * (and is gone), else 0.
 */
static int
sync_dns_datagram(struct sync_dns_query *q, const uint8_t *buf, size_t len)
{
	struct sync_dns	*d = q->d;
	const char	*why;

	if (dns_parse(buf, len, q->id, &d->resp, &why) == -1) {
		log_debug("sync: dns ignored reply name=%s type=%s: %s",
		    q->name, dns_type_name(q->qtype), why);
		d->ignored++;
		return 0;
	}
	if (!dns_resp_matches(&d->resp, q->name, q->qtype)) {
		log_debug("sync: dns ignored reply name=%s type=%s: other "
		    "question", q->name, dns_type_name(q->qtype));
		d->ignored++;
		return 0;
	}
	sync_dns_answer(q, &d->resp);
	sync_dns_query_free(q);
	sync_dns_check_done(d);
	return 1;
}

/* Datagrams on a question's socket. */
static void
sync_dns_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_dns_query	*q = arg;
	struct sync_dns		*d = q->d;
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
		if (sync_dns_datagram(q, d->buf, (size_t)n))
			return;
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

/* Begin a poll: find the server, ask the first questions. */
static void
sync_dns_poll_begin(struct sync_dns *d)
{
	d->polling = 1;
	d->failed = NULL;
	d->partial = 0;
	d->sockerr = 0;
	d->ntargets = 0;
	sync_dns_set_clear(&d->cur);
	if (sync_dns_server(d) == -1) {
		d->failed = d->why;
		sync_dns_poll_end(d);
		return;
	}
	log_debug("sync: dns poll query=%s type=%s server=%s", d->query,
	    sync_dns_typename(d), d->nsname);
	if (d->srv)
		sync_dns_ask(d, d->query, DNS_T_SRV, 0, SYNC_DNS_TTL_MAX);
	else {
		sync_dns_ask(d, d->query, DNS_T_A, 0, SYNC_DNS_TTL_MAX);
		sync_dns_ask(d, d->query, DNS_T_AAAA, 0, SYNC_DNS_TTL_MAX);
	}
	sync_dns_check_done(d);
}

/* Arm the next poll in interval seconds, give or take 10%. */
static void
sync_dns_arm(struct sync_dns *d)
{
	struct timeval	 tv;
	uint64_t	 ms, spread;

	ms = (uint64_t)d->interval * 1000;
	spread = ms / 5;
	if (spread > 0)
		ms = ms - spread / 2 +
		    randombytes_uniform((uint32_t)spread + 1);
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
	TAILQ_INIT(&d->waiting);
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
	int		 srv, asked;

	if (sync_dns_check(sc, &srv, cause) == -1)
		return -1;
	/* Another question: the old answers' TTLs no longer hold peers. */
	asked = strcmp(d->query, sc->dns_query) != 0 || d->srv != srv;
	for (i = 0; asked && i < d->last.n; i++)
		d->last.v[i].until = 0;
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

/* Free everything: questions and their sockets, timers. */
static void
sync_dns_free(struct sync_backend_inst *bi)
{
	struct sync_dns	*d = bi->data;

	if (d == NULL)
		return;
	sync_dns_poll_abort(d);
	if (d->timer != NULL)
		event_free(d->timer);
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
