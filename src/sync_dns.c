/*
 * Sync backend "dns": peers from DNS.  Every dns_interval seconds
 * (jittered) ask the name server about dns_query: A and AAAA (peers at the
 * cluster's default port) or SRV (each target at its port, its addresses
 * from the additional section, else asked for).  The questions are asked
 * by dns_client.c.  A complete poll is folded into the known peers by
 * sync_dns_set.c (a peer goes only once it has really vanished); a failed
 * poll (timeout, SERVFAIL, ...) keeps them.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <event2/util.h>

#include "config.h"
#include "dns.h"
#include "dns_client.h"
#include "log.h"
#include "sync.h"
#include "sync_crypto.h"
#include "sync_dns_set.h"
#include "xmalloc.h"

#define SYNC_DNS_MAX_TARGETS	32	/* SRV targets asked about per poll */
#define SYNC_DNS_WARN_EVERY	300	/* seconds between repeated warnings */

struct sync_dns;

/* What a question's addresses are for: peers at port, TTL at most ttl. */
struct sync_dns_ask {
	struct sync_dns		*d;
	unsigned int		 port;
	uint32_t		 ttl;
};

struct sync_dns {
	struct sync_backend_inst *bi;
	char			*query;
	int			 srv;		/* SRV, else A and AAAA */
	unsigned int		 interval;
	char			*server;	/* NULL: resolv.conf */

	struct dns_client	*client;
	struct event		*timer;		/* the next poll */

	int			 polling;
	const char		*failed;	/* why this poll failed */
	int			 partial;	/* a truncated answer came */
	unsigned int		 ntargets;
	/* [0] the query itself, then one per SRV target asked about. */
	struct sync_dns_ask	 asks[1 + SYNC_DNS_MAX_TARGETS];
	unsigned int		 ignored;	/* stray or bad datagrams */
	struct sync_dns_set	 cur;		/* this poll's peers */
	struct sync_dns_set	 last;		/* the peers known, reported */
	int			 added;		/* by this poll */
	int			 removed;

	unsigned int		 failures;	/* failed polls in a row */
	time_t			 warned;	/* last failure warning */
};

static void	sync_dns_timer_cb(evutil_socket_t, short, void *);
static void	sync_dns_answer(void *, const char *, uint16_t,
		    const struct dns_resp *);

/* The configured type's name for logs. */
static const char *
sync_dns_typename(const struct sync_dns *d)
{
	return d->srv ? "srv" : "a";
}

/* Drop the poll under way, if any. */
static void
sync_dns_poll_abort(struct sync_dns *d)
{
	if (d->client != NULL)
		dns_client_cancel(d->client);
	sync_dns_set_clear(&d->cur);
	d->polling = 0;
}

/* A failed poll: keep the peers, warn (not every time). */
static void
sync_dns_poll_failed(struct sync_dns *d)
{
	time_t	 now = mono_now();

	d->failures++;
	if (d->failures == 1 || now - d->warned >= SYNC_DNS_WARN_EVERY) {
		log_warnx("sync: dns poll failed query=%s type=%s server=%s "
		    "reason=\"%s\" failures=%u ignored=%u kept=%zu", d->query,
		    sync_dns_typename(d), dns_client_server(d->client),
		    d->failed, d->failures, d->ignored, d->last.n);
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
	sync_dns_set_merge(&d->last, &d->cur, d->partial, mono_now(),
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


/* An ask slot for addresses at port, TTL at most ttl; NULL when full. */
static struct sync_dns_ask *
sync_dns_slot(struct sync_dns *d, unsigned int port, uint32_t ttl)
{
	struct sync_dns_ask	*a;

	if (d->ntargets == SYNC_DNS_MAX_TARGETS)
		return NULL;
	a = &d->asks[++d->ntargets];
	a->d = d;
	a->port = port;
	a->ttl = ttl;
	return a;
}

/* Use SRV records: each target at its port. */
static void
sync_dns_srv(struct sync_dns *d, const struct dns_resp *r, uint32_t ttl)
{
	const struct dns_srv	*srv;
	struct sync_dns_ask	*a;
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
		if ((a = sync_dns_slot(d, srv->port, sttl)) == NULL) {
			log_debug("sync: dns query=%s over %d targets, "
			    "skipping %s", d->query, SYNC_DNS_MAX_TARGETS,
			    srv->target);
			continue;
		}
		dns_client_ask(d->client, srv->target, DNS_T_A,
		    sync_dns_answer, a);
		dns_client_ask(d->client, srv->target, DNS_T_AAAA,
		    sync_dns_answer, a);
	}
}

/* An answer to a question: use it, or mark the poll failed. */
static void
sync_dns_answer(void *arg, const char *name, uint16_t qtype,
    const struct dns_resp *r)
{
	struct sync_dns_ask	*a = arg;
	struct sync_dns		*d = a->d;
	int			 i;

	if (r->rcode == DNS_R_NXDOMAIN) {
		log_debug("sync: dns name=%s type=%s NXDOMAIN", name,
		    dns_type_name(qtype));
		return;
	}
	if (r->rcode != DNS_R_NOERROR) {
		dns_client_fail(d->client, dns_rcode_name(r->rcode));
		return;
	}
	if (r->truncated)
		d->partial = 1;
	if (qtype == DNS_T_SRV) {
		sync_dns_srv(d, r, a->ttl);
		return;
	}
	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].section == DNS_S_ANSWER &&
		    r->rr[i].type == qtype)
			sync_dns_add_rr(d, &r->rr[i], a->port, a->ttl);
}

/* Every question of the poll is over. */
static void
sync_dns_done(void *arg, const char *failed, unsigned int ignored)
{
	struct sync_dns	*d = arg;

	d->failed = failed;
	d->ignored += ignored;
	sync_dns_poll_end(d);
}

/* Begin a poll: find the server, ask the first questions. */
static void
sync_dns_poll_begin(struct sync_dns *d)
{
	const char		*why;
	struct sync_dns_ask	*a = &d->asks[0];

	d->polling = 1;
	d->failed = NULL;
	d->partial = 0;
	d->ntargets = 0;
	sync_dns_set_clear(&d->cur);
	if (dns_client_begin(d->client, d->server, &why) == -1) {
		d->failed = why;
		sync_dns_poll_end(d);
		return;
	}
	log_debug("sync: dns poll query=%s type=%s server=%s", d->query,
	    sync_dns_typename(d), dns_client_server(d->client));
	a->d = d;
	a->port = 0;
	a->ttl = SYNC_DNS_TTL_MAX;
	if (d->srv)
		dns_client_ask(d->client, d->query, DNS_T_SRV,
		    sync_dns_answer, a);
	else {
		dns_client_ask(d->client, d->query, DNS_T_A,
		    sync_dns_answer, a);
		dns_client_ask(d->client, d->query, DNS_T_AAAA,
		    sync_dns_answer, a);
	}
	dns_client_run(d->client);
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
	    dns_client_server_addr(sc->dns_server, &ss, &sslen, cause) == -1)
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
	sync_dns_set_conf(d, sc, srv);
	bi->data = d;
	return 0;
}

/* Poll now, then every interval. */
static void
sync_dns_start(struct sync_backend_inst *bi)
{
	struct sync_dns	*d = bi->data;

	d->client = dns_client_new(sync_base(bi->sync), sync_dns_done, d);
	d->timer = evtimer_new(sync_base(bi->sync), sync_dns_timer_cb, d);
	log_info("sync: dns polling query=%s type=%s interval=%u server=%s",
	    d->query, sync_dns_typename(d), d->interval,
	    d->server != NULL ? d->server : DNS_CLIENT_RESOLV);
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
		    sc->dns_server != NULL ? sc->dns_server :
		    DNS_CLIENT_RESOLV);
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

/* Free everything: the resolver, the poll timer. */
static void
sync_dns_free(struct sync_backend_inst *bi)
{
	struct sync_dns	*d = bi->data;

	if (d == NULL)
		return;
	sync_dns_poll_abort(d);
	dns_client_free(d->client);
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
	NULL,			/* peers: the core lists them */
	NULL,			/* metrics */
};
