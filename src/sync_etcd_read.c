/*
 * Sync backend "etcd", reading the cluster: one range, then one watch
 * from the next revision; keys grouped by host into the view and fed to
 * the core per origin; a compacted or silent watch reads it all again and
 * swaps the result in whole, so nothing vanishes and comes back.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "epmdx.h"
#include "etcd_http.h"
#include "json.h"
#include "log.h"
#include "registry.h"
#include "sync_etcd.h"
#include "sync_int.h"
#include "xmalloc.h"

/* The end of the cluster's range: the prefix with its last byte + 1. */
static void
etcd_range_end(struct sync_etcd *e, char *out, size_t size)
{
	char	 raw[sizeof(e->keyprefix)];
	size_t	 n;

	n = (size_t)snprintf(raw, sizeof(raw), "%s", e->keyprefix);
	raw[n - 1]++;			/* '/' + 1 */
	etcd_b64(out, size, raw, n);
}


/*
 * A key from a range or a watch event: origin host and node name, or -1
 * when it is not ours to read (another prefix, our own host).
 */
static int
etcd_key_split(struct sync_etcd *e, const uint8_t *key, size_t len,
    char *host, size_t hostsize, const uint8_t **name, size_t *namelen)
{
	size_t		 plen = strlen(e->keyprefix), hlen;
	const uint8_t	*slash;

	if (len <= plen || memcmp(key, e->keyprefix, plen) != 0)
		return -1;
	key += plen;
	len -= plen;
	if ((slash = memchr(key, '/', len)) == NULL)
		return -1;
	hlen = (size_t)(slash - key);
	if (hlen == 0 || hlen >= hostsize || memchr(key, '\0', hlen) != NULL)
		return -1;
	memcpy(host, key, hlen);
	host[hlen] = '\0';
	*name = slash + 1;
	*namelen = len - hlen - 1;
	return *namelen > 0 ? 0 : -1;
}

/* One key-value of a range or an event into view v (del: it went). */
static void
etcd_apply(struct sync_etcd *e, struct etcd_view *v, const struct json *j,
    int kv, int del)
{
	uint8_t		 key[ETCD_KEY_MAX], val[ETCD_VALUE_MAX];
	char		 host[SYNC_HOST_MAX + 1], b64[ETCD_KEY_MAX * 2];
	char		 body[ETCD_KEY_MAX * 2 + 16];
	const uint8_t	*name;
	struct node	*n;
	size_t		 namelen;
	uint64_t	 mod = 0, lease = 0;
	int		 klen, vlen;

	if ((klen = etcd_unb64(j, json_get(j, kv, "key"), key,
	    sizeof(key))) <= 0 || etcd_key_split(e, key, (size_t)klen, host,
	    sizeof(host), &name, &namelen) == -1)
		return;
	(void)json_u64(j, json_get(j, kv, "mod_revision"), &mod);
	(void)json_u64(j, json_get(j, kv, "lease"), &lease);
	if (strcmp(host, e->s->hostname) == 0) {
		/* Ours from an earlier run, not ours now: it goes. */
		if (!del && lease != e->lease && v != e->view) {
			etcd_b64(b64, sizeof(b64), key, (size_t)klen);
			snprintf(body, sizeof(body), "{\"key\":\"%s\"}", b64);
			etcd_http_post(e->http, "/v3/kv/deleterange", body,
			    etcd_put_cb, e);
			log_info("etcd: deleting a key of this host's earlier "
			    "run (lease %llx)", (unsigned long long)lease);
		}
		/* Ours, deleted by someone else while the node runs. */
		if (del && v == e->view && (n = registry_lookup(e->s->srv->reg,
		    name, namelen)) != NULL) {
			log_info("etcd: a key of a local node was deleted: "
			    "writing it again");
			etcd_publish(e, n, 1);
		}
		return;
	}
	if (del) {
		etcd_view_del(v, host, name, namelen);
		return;
	}
	if ((vlen = etcd_unb64(j, json_get(j, kv, "value"), val,
	    sizeof(val))) < 0 || etcd_view_put(v, host, name, namelen, val,
	    (size_t)vlen, mod) == -1)
		log_rate_warnx(&e->s->warn_rate, "etcd: a key of host %s "
		    "holds no node: ignored", host);
}

/* A line of the watch: events, or the watch's end. */
static void
etcd_watch_line(void *arg, const char *line, size_t len)
{
	struct sync_etcd	*e = arg;
	struct json		 j;
	int			 r, ev, evs;
	uint64_t		 compact = 0;

	if (json_parse(&j, line, len, ETCD_TOKENS(len)) == -1) {
		etcd_fail(e, "watch", "a line that is no JSON");
		return;
	}
	if ((r = json_get(&j, 0, "result")) == -1) {
		json_free(&j);
		etcd_fail(e, "watch", "a line with no result");
		return;
	}
	e->contact = e->watch_heard = mono_now();
	if (json_u64(&j, json_get(&j, r, "compact_revision"), &compact) == 0 ||
	    json_bool(&j, json_get(&j, r, "canceled")) == 1) {
		json_free(&j);
		log_info("etcd: %s: watch from revision %llu canceled "
		    "(compacted at %llu): reading the cluster again",
		    etcd_http_endpoint(e->http),
		    (unsigned long long)e->revision + 1,
		    (unsigned long long)compact);
		etcd_range(e);
		return;
	}
	evs = json_get(&j, r, "events");
	for (ev = json_first(&j, evs); ev != -1; ev = json_next(&j, evs, ev)) {
		e->events++;
		etcd_apply(e, e->view, &j, json_get(&j, ev, "kv"),
		    json_eq(&j, json_get(&j, ev, "type"), "DELETE"));
	}
	json_free(&j);
	etcd_view_flush(e->view, e->bi, 0);
}

/* The watch stream ended. */
static void
etcd_watch_done(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	etcd_fail(arg, "watch", err != NULL ? err : "ended");
}

/* The cluster as of a revision: the view anew, then watch what follows. */
static void
etcd_range_cb(void *arg, int code, const char *body, size_t len,
    const char *err)
{
	struct sync_etcd	*e = arg;
	struct etcd_view	*fresh;
	struct timeval		 tv;
	struct json		 j;
	char			 key[sizeof(e->keyprefix) * 2];
	char			 end[sizeof(e->keyprefix) * 2], *req;
	int			 kvs, kv;

	if (etcd_reply(e, "range", &j, code, body, len, err) == -1)
		return;
	if (json_u64(&j, json_path(&j, 0, "header", "revision",
	    (const char *)NULL), &e->revision) == -1) {
		json_free(&j);
		etcd_fail(e, "range", "no revision in the reply");
		return;
	}
	fresh = etcd_view_new();
	kvs = json_get(&j, 0, "kvs");
	for (kv = json_first(&j, kvs); kv != -1; kv = json_next(&j, kvs, kv))
		etcd_apply(e, fresh, &j, kv, 0);
	json_free(&j);
	etcd_view_swap(e->view, fresh, e->bi);
	etcd_view_free(e->view);
	e->view = fresh;
	e->ranges++;

	etcd_key(e, NULL, 0, key, sizeof(key));
	etcd_range_end(e, end, sizeof(end));
	xasprintf(&req, "{\"create_request\":{\"key\":\"%s\",\"range_end\":"
	    "\"%s\",\"start_revision\":\"%llu\",\"progress_notify\":true}}",
	    key, end, (unsigned long long)e->revision + 1);
	e->watch_heard = mono_now();
	etcd_http_stream(e->http, "/v3/watch", req, etcd_watch_line,
	    etcd_watch_done, e);
	free(req);
	if (e->state != ETCD_RUNNING) {
		if (e->lost != 0 && e->ever)
			log_info("etcd: %s: contact back after %lld s: "
			    "every local node written again",
			    etcd_http_endpoint(e->http),
			    (long long)(mono_now() - e->lost));
		else
			log_info("etcd: %s: connected, cluster at revision "
			    "%llu", etcd_http_endpoint(e->http),
			    (unsigned long long)e->revision);
		e->state = ETCD_RUNNING;
		e->lost = 0;
		e->ever = 1;
		e->warned = 0;
		e->backoff = 0;
		e->fails = 0;
		tv.tv_sec = e->ttl / 3;
		tv.tv_usec = (e->ttl % 3) * 333333;
		event_add(e->keepalive, &tv);
	}
}

/* Read the whole cluster. */
void
etcd_range(struct sync_etcd *e)
{
	char	 key[sizeof(e->keyprefix) * 2], end[sizeof(e->keyprefix) * 2];
	char	*body;

	if (e->state != ETCD_RUNNING)
		e->state = ETCD_RANGE;
	etcd_http_stream_stop(e->http);
	etcd_key(e, NULL, 0, key, sizeof(key));
	etcd_range_end(e, end, sizeof(end));
	xasprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\"}", key, end);
	etcd_http_post(e->http, "/v3/kv/range", body, etcd_range_cb, e);
	free(body);
}

