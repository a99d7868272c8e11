/*
 * Sync backend "etcd", the session (the reading of the cluster is in
 * sync_etcd_read.c).  A store.  Each daemon writes its local nodes as
 * keys <prefix><cluster>/<host>/<name> under one lease of ttl, kept
 * alive at ttl/3, and reads the cluster with one range and then one watch
 * from the next revision (sync_etcd_view.c holds what they say).  A
 * session with etcd runs: [authenticate], grant a lease, put every local
 * node, revoke the leases of earlier sessions, range, watch.  Any failure
 * ends it; the next session, on the next member, starts over, so a new
 * lease holds every local node before the old one is revoked.  See
 * epmdx-sync(7).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <sodium.h>

#include "epmdx.h"
#include "etcd_http.h"
#include "json.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "sync_etcd.h"
#include "sync_int.h"
#include "xmalloc.h"

/* base64 of len bytes into out (NUL-terminated). */
void
etcd_b64(char *out, size_t size, const void *in, size_t len)
{
	sodium_bin2base64(out, size, in, len,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* String t of j, base64-decoded into out; its length, or -1. */
int
etcd_unb64(const struct json *j, int t, uint8_t *out, size_t size)
{
	char	 text[ETCD_VALUE_MAX * 2];
	size_t	 len;
	int	 n;

	if ((n = json_str(j, t, text, sizeof(text))) < 0 ||
	    sodium_base642bin(out, size, text, (size_t)n, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return (int)len;
}

/* The key of a local node (base64), or of the whole cluster (name NULL). */
void
etcd_key(struct sync_etcd *e, const uint8_t *name, size_t namelen,
    char *out, size_t size)
{
	uint8_t	 raw[ETCD_KEY_MAX];
	size_t	 n;

	n = (size_t)snprintf((char *)raw, sizeof(raw), "%s", e->keyprefix);
	if (name != NULL) {
		n += (size_t)snprintf((char *)raw + n, sizeof(raw) - n, "%s/",
		    e->s->hostname);
		if (namelen > sizeof(raw) - n)
			namelen = sizeof(raw) - n;
		memcpy(raw + n, name, namelen);
		n += namelen;
	}
	etcd_b64(out, size, raw, n);
}

/* Parse a reply; -1 (logged, session failed) unless a 200 with JSON. */
int
etcd_reply(struct sync_etcd *e, const char *what, struct json *j, int code,
    const char *body, size_t len, const char *err)
{
	char	 msg[256];
	int	 t;

	if (code == 0) {
		etcd_fail(e, what, err);
		return -1;
	}
	if (json_parse(j, body, len, ETCD_TOKENS(len)) == -1) {
		snprintf(msg, sizeof(msg), "HTTP %d, no JSON reply", code);
		etcd_fail(e, what, msg);
		return -1;
	}
	if (code != 200) {
		if ((t = json_get(j, 0, "message")) == -1 ||
		    json_str(j, t, msg, sizeof(msg)) == -1)
			snprintf(msg, sizeof(msg), "HTTP %d", code);
		etcd_fail(e, what, msg);
		json_free(j);
		return -1;
	}
	e->contact = mono_now();
	return 0;
}

/*
 * Put (up) or delete a local node's key: an operation of this turn's
 * txn, so that a thousand nodes starting at once are a few requests, not
 * a thousand in a row.  While a txn is in flight, operations gather until
 * it is answered, then go as the next one.  A key already in the batch (a node gone and back
 * within one turn) sends the batch first: a txn may name a key once.
 */
void
etcd_publish(struct sync_etcd *e, const struct node *n, int up)
{
	struct proto_node	 pn;
	uint8_t			 val[ETCD_VALUE_MAX];
	char			 key[ETCD_KEY_MAX * 2], b64[ETCD_VALUE_MAX * 2];
	char			 tag[ETCD_KEY_MAX * 2 + 16];
	size_t			 len;

	registry_node_view(n, &pn);
	etcd_key(e, pn.name, pn.namelen, key, sizeof(key));
	snprintf(tag, sizeof(tag), "\"key\":\"%s\"", key);
	if (e->batchops > 0 &&
	    evbuffer_search(e->batch, tag, strlen(tag), NULL).pos != -1)
		etcd_flush(e);
	if (up) {
		if ((len = etcd_value_put(val, sizeof(val),
		    e->s->incarnation, e->advertise, &pn)) == 0)
			return;
		etcd_b64(b64, sizeof(b64), val, len);
		evbuffer_add_printf(e->batch, "%s{\"requestPut\":{%s,"
		    "\"value\":\"%s\",\"lease\":\"%llu\"}}",
		    e->batchops > 0 ? "," : "", tag, b64,
		    (unsigned long long)e->lease);
	} else
		evbuffer_add_printf(e->batch, "%s{\"requestDeleteRange\":{%s}}",
		    e->batchops > 0 ? "," : "", tag);
	e->puts++;
	if (++e->batchops >= ETCD_TXN_OPS)
		etcd_flush(e);
	else if (e->batchops == 1 && e->pending == 0)
		event_active(e->flush, EV_TIMEOUT, 0);
	/* (with a txn in flight, its answer sends the next: etcd_put_cb) */
}

/* This turn's operations as one txn (no compare: always applied). */
void
etcd_flush(struct sync_etcd *e)
{
	char	*body;
	size_t	 len;

	if (e->batchops == 0)
		return;
	len = evbuffer_get_length(e->batch);
	body = xmalloc(len + 32);
	memcpy(body, "{\"success\":[", 12);
	evbuffer_remove(e->batch, body + 12, len);
	memcpy(body + 12 + len, "]}", 3);
	e->batchops = 0;
	etcd_http_post(e->http, "/v3/kv/txn", body, etcd_put_cb, e);
	free(body);
	e->pending++;
}

/* The end of a loop turn that published something. */
void
etcd_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	etcd_flush(arg);
}

/* A session ended: its unsent operations go (the next one puts all). */
void
etcd_batch_drop(struct sync_etcd *e)
{
	evbuffer_drain(e->batch, evbuffer_get_length(e->batch));
	e->batchops = 0;
}

/* Revoke the leases of earlier sessions, then range. */
static void	etcd_revoke_cb(void *, int, const char *, size_t,
		    const char *);

static void
etcd_revoke(struct sync_etcd *e)
{
	char	*body;
	int	 i;

	e->state = ETCD_REVOKE;
	e->revoking = 0;
	for (i = 0; i < ETCD_STALE_LEASES; i++) {
		if (e->stale[i] == 0)
			continue;
		xasprintf(&body, "{\"ID\":\"%llu\"}",
		    (unsigned long long)e->stale[i]);
		etcd_http_post(e->http, "/v3/lease/revoke", body,
		    etcd_revoke_cb, e);
		free(body);
		e->revoking++;
	}
	if (e->revoking == 0)
		etcd_range(e);
}

/* A revoke answered: a lease not found is revoked too. */
static void
etcd_revoke_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;

	if (code == 0) {
		etcd_fail(e, "revoke", err);
		return;
	}
	e->contact = mono_now();
	if (--e->revoking > 0)
		return;
	memset(e->stale, 0, sizeof(e->stale));
	etcd_range(e);
}

/* A put or delete answered. */
void
etcd_put_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;
	struct json		 j;

	if (etcd_reply(e, "put", &j, code, body, len, err) == -1)
		return;
	json_free(&j);
	if (e->pending > 0)
		e->pending--;
	if (e->pending == 0)
		etcd_flush(e);		/* what gathered meanwhile */
	if (e->state == ETCD_PUT && e->pending == 0)
		etcd_revoke(e);
}

/* Every local node, under the new lease. */
static void
etcd_put_all(struct sync_etcd *e)
{
	struct node	*n;

	e->state = ETCD_PUT;
	e->pending = 0;
	for (n = registry_first(e->s->srv->reg); n != NULL;
	    n = registry_next(n))
		etcd_publish(e, n, 1);
	etcd_flush(e);
	if (e->pending == 0)
		etcd_revoke(e);
}

/*
 * The address peers reach us at, in our values: advertise when set,
 * else the address we speak to etcd from, with our sync port.
 */
static void
etcd_advertise(struct sync_etcd *e)
{
	char	 addr[64];

	if (e->s->advertise[0] != ':' ||
	    etcd_http_local_addr(e->http, addr, sizeof(addr)) == -1)
		snprintf(e->advertise, sizeof(e->advertise), "%s",
		    e->s->advertise);
	else if (strchr(addr, ':') != NULL)
		snprintf(e->advertise, sizeof(e->advertise), "[%s]%.7s", addr,
		    e->s->advertise);
	else
		snprintf(e->advertise, sizeof(e->advertise), "%s%.7s", addr,
		    e->s->advertise);
}

/* advertise changed by a reload: every local node written again. */
void
etcd_readvertise(struct sync_etcd *e)
{
	char		 old[sizeof(e->advertise)];
	struct node	*n;

	if (e->state < ETCD_PUT)
		return;			/* the next grant does it */
	memcpy(old, e->advertise, sizeof(old));
	etcd_advertise(e);
	if (strcmp(old, e->advertise) == 0)
		return;
	log_info("etcd: advertise is now %s: writing every local node again",
	    e->advertise);
	for (n = registry_first(e->s->srv->reg); n != NULL;
	    n = registry_next(n))
		etcd_publish(e, n, 1);
}

/* A lease granted. */
static void
etcd_grant_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;
	struct json		 j;

	if (etcd_reply(e, "lease grant", &j, code, body, len, err) == -1)
		return;
	if (json_u64(&j, json_get(&j, 0, "ID"), &e->lease) == -1 ||
	    e->lease == 0) {
		json_free(&j);
		etcd_fail(e, "lease grant", "no lease ID in the reply");
		return;
	}
	json_free(&j);
	etcd_advertise(e);
	log_debug("etcd: %s: lease %llx ttl %u", etcd_http_endpoint(e->http),
	    (unsigned long long)e->lease, e->ttl);
	etcd_put_all(e);
}

/* Ask for a lease. */
static void
etcd_grant(struct sync_etcd *e)
{
	char	 body[64];

	e->state = ETCD_GRANT;
	snprintf(body, sizeof(body), "{\"TTL\":%u}", e->ttl);
	etcd_http_post(e->http, "/v3/lease/grant", body, etcd_grant_cb, e);
}

/* Authenticated: the token goes with every request from now on. */
static void
etcd_auth_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;
	struct json		 j;
	char			 token[1024];

	if (etcd_reply(e, "authenticate", &j, code, body, len, err) == -1)
		return;
	if (json_str(&j, json_get(&j, 0, "token"), token,
	    sizeof(token)) <= 0) {
		json_free(&j);
		etcd_fail(e, "authenticate", "no token in the reply");
		return;
	}
	json_free(&j);
	etcd_http_set_token(e->http, token);
	etcd_grant(e);
}

/* A session starts. */
void
etcd_session_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_etcd	*e = arg;

	e->session++;
	e->sessions++;
	if (e->lease != 0) {
		memmove(e->stale + 1, e->stale, sizeof(e->stale) -
		    sizeof(e->stale[0]));
		e->stale[0] = e->lease;
		e->lease = 0;
	}
	if (e->auth != NULL) {
		e->state = ETCD_AUTH;
		etcd_http_set_token(e->http, NULL);
		etcd_http_post(e->http, "/v3/auth/authenticate", e->auth,
		    etcd_auth_cb, e);
	} else
		etcd_grant(e);
}

/* The session failed: say so once, try the next member after a while. */
void
etcd_fail(struct sync_etcd *e, const char *what, const char *why)
{
	struct timeval	 tv;
	unsigned int	 n;

	if (e->state == ETCD_IDLE)
		return;
	/*
	 * Once per outage, and again when the reason changes (at most 3
	 * times a minute: members may fail in turns, each its own way).
	 */
	if (!e->warned)
		log_warnx("etcd: %s: %s: %s; local nodes still served, "
		    "trying the next member", etcd_http_endpoint(e->http),
		    what, why);
	else if (strncmp(e->why, why, sizeof(e->why) - 1) != 0)
		log_rate_warnx(&e->rate, "etcd: %s: %s: %s",
		    etcd_http_endpoint(e->http), what, why);
	else
		log_debug("etcd: %s: %s: %s", etcd_http_endpoint(e->http),
		    what, why);
	e->warned = 1;
	snprintf(e->why, sizeof(e->why), "%s", why);
	if (e->lost == 0)
		e->lost = mono_now();
	e->state = ETCD_IDLE;
	e->pending = e->revoking = 0;
	etcd_batch_drop(e);
	event_del(e->keepalive);
	etcd_http_reset(e->http, 1);
	/*
	 * The next member at once (100 ms); after each round of them all,
	 * twice as long, up to ttl/2: back in time to keep our keys.
	 */
	n = (unsigned int)etcd_http_members(e->http);
	if (++e->fails % n != 0)
		e->backoff = 100;
	else
		e->backoff = 200U << (e->fails / n > 5 ? 5 : e->fails / n - 1);
	if (e->backoff > ETCD_BACKOFF_MAX || e->backoff > e->ttl * 500)
		e->backoff = e->ttl * 500 < ETCD_BACKOFF_MAX ? e->ttl * 500 :
		    ETCD_BACKOFF_MAX;
	tv.tv_sec = e->backoff / 1000;
	tv.tv_usec = (e->backoff % 1000) * 1000;
	event_add(e->retry, &tv);
}

/* The lease kept alive: etcd answers, so what it holds still stands. */
static void
etcd_keepalive_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;
	struct json		 j;
	uint64_t		 ttl = 0;

	if (etcd_reply(e, "keepalive", &j, code, body, len, err) == -1)
		return;
	(void)json_u64(&j, json_path(&j, 0, "result", "TTL",
	    (const char *)NULL), &ttl);
	json_free(&j);
	if (ttl == 0) {
		etcd_fail(e, "keepalive", "the lease expired");
		return;
	}
	etcd_view_touch(e->view, e->bi);
}

/* Every ttl/3. */
void
etcd_keepalive_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sync_etcd	*e = arg;
	char			 body[64];

	if (e->state != ETCD_RUNNING)
		return;
	if (mono_now() - e->watch_heard > ETCD_WATCH_QUIET) {
		log_info("etcd: %s: the watch was silent for %d s: reading "
		    "the cluster again", etcd_http_endpoint(e->http),
		    ETCD_WATCH_QUIET);
		etcd_range(e);
	}
	snprintf(body, sizeof(body), "{\"ID\":\"%llu\"}",
	    (unsigned long long)e->lease);
	etcd_http_post(e->http, "/v3/lease/keepalive", body,
	    etcd_keepalive_cb, e);
}

