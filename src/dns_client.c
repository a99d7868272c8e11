/*
 * A UDP stub resolver for one batch of questions at a time.  Each
 * question has its own connected, non-blocking UDP socket, so its own
 * random source port, and a random id; only an answer from the server
 * asked, to that id and that question, counts.  A question waits for its
 * answer with a timeout and one retry; at most DNS_CLIENT_INFLIGHT are
 * asked at once, the rest wait their turn.  The messages are built and
 * parsed by dns.c.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "addr.h"
#include "config.h"
#include "dns.h"
#include "dns_client.h"
#include "log.h"
#include "xmalloc.h"

#define DNS_CLIENT_TIMEOUT	2	/* seconds a try waits for its answer */
#define DNS_CLIENT_TRIES	2	/* a question is sent, then once more */
#define DNS_CLIENT_EDNS		1232	/* UDP payload offered (DNS flag day) */
#define DNS_CLIENT_INFLIGHT	16	/* questions (sockets) at once */
#define DNS_CLIENT_READS	64	/* datagrams read per wakeup */
#define DNS_CLIENT_RECV_MAX	65536	/* largest datagram */

TAILQ_HEAD(dns_client_queries, dns_client_query);

/* One question: waiting its turn, or asked on its own socket. */
struct dns_client_query {
	TAILQ_ENTRY(dns_client_query) entry;
	struct dns_client	*c;
	int			 fd;	/* -1 while waiting */
	struct event		*rev;
	struct event		*timer;
	uint16_t		 id;
	uint16_t		 qtype;
	int			 tries;
	dns_client_answer_cb	*cb;
	void			*arg;
	char			 name[DNS_NAME_MAX + 1];
};

struct dns_client {
	struct event_base	*base;
	dns_client_done_cb	*done;
	void			*arg;

	struct sockaddr_storage	 ns;		/* the name server in use */
	socklen_t		 nslen;
	char			 nsname[ADDR_TEXT_MAX];

	struct dns_client_queries waiting;	/* not asked yet */
	struct dns_client_queries queries;	/* asked, each on its socket */
	unsigned int		 nqueries;	/* in queries */
	int			 running;
	const char		*failed;	/* why this batch failed */
	char			 why[192];	/* room for a failure's text */
	int			 sockerr;	/* last send/recv errno, or 0 */
	unsigned int		 ignored;	/* stray or bad datagrams */

	uint8_t			 buf[DNS_CLIENT_RECV_MAX];
	struct dns_resp		 resp;
};

static void	dns_client_read_cb(evutil_socket_t, short, void *);
static void	dns_client_timeout_cb(evutil_socket_t, short, void *);

/* The first nameserver of resolv.conf into buf; 0, or -1 if none. */
static int
dns_client_resolv(char *buf, size_t size)
{
	FILE	*f;
	char	 line[512], *p, *tok;
	int	 found = -1;

	if ((f = fopen(DNS_CLIENT_RESOLV, "r")) == NULL)
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
int
dns_client_server_addr(const char *spec, struct sockaddr_storage *ss,
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
	} else if (dns_client_resolv(host, sizeof(host)) == -1)
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
dns_client_same_addr(const struct sockaddr_storage *a,
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

/* A resolver with no batch under way. */
struct dns_client *
dns_client_new(struct event_base *base, dns_client_done_cb *done, void *arg)
{
	struct dns_client	*c;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->done = done;
	c->arg = arg;
	TAILQ_INIT(&c->waiting);
	TAILQ_INIT(&c->queries);
	return c;
}

/* The name server last asked. */
const char *
dns_client_server(const struct dns_client *c)
{
	return c->nsname;
}

/* Send (or resend) a question and wait for its answer. */
static void
dns_client_send(struct dns_client_query *q)
{
	struct dns_client	*c = q->c;
	uint8_t			 msg[DNS_QUERY_MAX];
	struct timeval		 tv = { DNS_CLIENT_TIMEOUT, 0 };
	int			 n;

	q->tries++;
	n = dns_query_encode(msg, sizeof(msg), q->id, q->name, q->qtype,
	    DNS_CLIENT_EDNS);
	if (n != -1 && send(q->fd, msg, (size_t)n, 0) == -1) {
		c->sockerr = errno;
		log_debug("sync: dns send server=%s: %s", c->nsname,
		    strerror(errno));
	}
	evtimer_add(q->timer, &tv);
}

/*
 * Ask a waiting question on a socket of its own, connected to the name
 * server: connect() binds it to an ephemeral port the kernel picks at
 * random, and the kernel drops datagrams from anyone but the server.  0,
 * or -1 with the reason in c->why (q still waiting).
 */
static int
dns_client_query_open(struct dns_client_query *q)
{
	struct dns_client	*c = q->c;
	int			 fd;

	if ((fd = socket(c->ns.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(c->why, sizeof(c->why), "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&c->ns, c->nslen) == -1) {
		snprintf(c->why, sizeof(c->why), "connect: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	TAILQ_REMOVE(&c->waiting, q, entry);
	TAILQ_INSERT_TAIL(&c->queries, q, entry);
	c->nqueries++;
	q->fd = fd;
	q->rev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    dns_client_read_cb, q);
	event_add(q->rev, NULL);
	dns_client_send(q);
	return 0;
}

/* Forget a question, closing its socket. */
static void
dns_client_query_free(struct dns_client_query *q)
{
	struct dns_client	*c = q->c;

	if (q->fd != -1) {
		TAILQ_REMOVE(&c->queries, q, entry);
		c->nqueries--;
		event_free(q->rev);
		close(q->fd);
	} else
		TAILQ_REMOVE(&c->waiting, q, entry);
	event_free(q->timer);
	free(q);
}

/* Forget every question, asked or waiting. */
static void
dns_client_queries_free(struct dns_client *c)
{
	struct dns_client_query	*q;

	while ((q = TAILQ_FIRST(&c->queries)) != NULL)
		dns_client_query_free(q);
	while ((q = TAILQ_FIRST(&c->waiting)) != NULL)
		dns_client_query_free(q);
}

/*
 * Which name server this batch asks: spec, or the first of resolv.conf
 * as it is now.  Forgets the last batch.
 */
int
dns_client_begin(struct dns_client *c, const char *spec, const char **why)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*cause = NULL;

	dns_client_cancel(c);
	c->failed = NULL;
	c->sockerr = 0;
	c->ignored = 0;
	if (dns_client_server_addr(spec, &ss, &sslen, &cause) == -1) {
		snprintf(c->why, sizeof(c->why), "%s", cause);
		free(cause);
		*why = c->why;
		return -1;
	}
	c->running = 1;
	if (c->nslen != 0 && dns_client_same_addr(&ss, &c->ns))
		return 0;
	c->ns = ss;
	c->nslen = sslen;
	addr_text((struct sockaddr *)&ss, c->nsname, sizeof(c->nsname));
	log_debug("sync: dns server=%s", c->nsname);
	return 0;
}

/* Queue a question about name; cb hears its answer. */
void
dns_client_ask(struct dns_client *c, const char *name, uint16_t qtype,
    dns_client_answer_cb *cb, void *arg)
{
	struct dns_client_query	*q;

	if (!dns_name_valid(name)) {
		log_debug("sync: dns skipping name=%s", name);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	q->c = c;
	q->fd = -1;
	randombytes_buf(&q->id, sizeof(q->id));
	q->qtype = qtype;
	q->cb = cb;
	q->arg = arg;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->timer = evtimer_new(c->base, dns_client_timeout_cb, q);
	TAILQ_INSERT_TAIL(&c->waiting, q, entry);
}

/* Give the batch up: its other questions are forgotten. */
void
dns_client_fail(struct dns_client *c, const char *why)
{
	c->failed = why;
}

/* Forget the batch under way, if any. */
void
dns_client_cancel(struct dns_client *c)
{
	dns_client_queries_free(c);
	c->running = 0;
}

/*
 * After a question ends: a failed batch forgets its other questions;
 * else ask those waiting, up to DNS_CLIENT_INFLIGHT at once.  The batch
 * is done once no question is left.
 */
void
dns_client_run(struct dns_client *c)
{
	struct dns_client_query	*q;

	if (!c->running)
		return;
	while (c->failed == NULL && c->nqueries < DNS_CLIENT_INFLIGHT &&
	    (q = TAILQ_FIRST(&c->waiting)) != NULL)
		if (dns_client_query_open(q) == -1)
			c->failed = c->why;
	if (c->failed != NULL)
		dns_client_queries_free(c);
	if (TAILQ_EMPTY(&c->queries) && TAILQ_EMPTY(&c->waiting)) {
		c->running = 0;
		c->done(c->arg, c->failed, c->ignored);
	}
}

/*
 * A datagram on q's socket: its answer if it is a well-formed response
 * to q's id that repeats q's question.  Returns 1 when q was answered
 * (and is gone), else 0.
 */
static int
dns_client_datagram(struct dns_client_query *q, const uint8_t *buf,
    size_t len)
{
	struct dns_client	*c = q->c;
	const char		*why;

	if (dns_parse(buf, len, q->id, &c->resp, &why) == -1) {
		log_debug("sync: dns ignored reply name=%s type=%s: %s",
		    q->name, dns_type_name(q->qtype), why);
		c->ignored++;
		return 0;
	}
	if (!dns_resp_matches(&c->resp, q->name, q->qtype)) {
		log_debug("sync: dns ignored reply name=%s type=%s: other "
		    "question", q->name, dns_type_name(q->qtype));
		c->ignored++;
		return 0;
	}
	q->cb(q->arg, q->name, q->qtype, &c->resp);
	dns_client_query_free(q);
	dns_client_run(c);
	return 1;
}

/* Datagrams on a question's socket. */
static void
dns_client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_client_query	*q = arg;
	struct dns_client	*c = q->c;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < DNS_CLIENT_READS; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, c->buf, sizeof(c->buf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				c->sockerr = errno;
				log_debug("sync: dns recv server=%s: %s",
				    c->nsname, strerror(errno));
			}
			return;
		}
		if (!dns_client_same_addr(&from, &c->ns)) {
			c->ignored++;
			continue;
		}
		if (dns_client_datagram(q, c->buf, (size_t)n))
			return;
	}
}

/* No answer in time: ask again, or give the batch up as failed. */
static void
dns_client_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_client_query	*q = arg;
	struct dns_client	*c = q->c;

	if (q->tries < DNS_CLIENT_TRIES) {
		log_debug("sync: dns retry name=%s type=%s", q->name,
		    dns_type_name(q->qtype));
		dns_client_send(q);
		return;
	}
	if (c->sockerr != 0) {
		snprintf(c->why, sizeof(c->why), "timeout, %s",
		    strerror(c->sockerr));
		c->failed = c->why;
	} else
		c->failed = "timeout";
	dns_client_query_free(q);
	dns_client_run(c);
}

/* Free everything: questions and their sockets. */
void
dns_client_free(struct dns_client *c)
{
	if (c == NULL)
		return;
	dns_client_cancel(c);
	free(c);
}
