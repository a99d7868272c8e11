/*
 * Sync backend "etcd", its table: the settings (endpoints, prefix,
 * cluster, TLS files, the password file), start, reload, stop, local
 * changes, and what PEERS and /metrics show of it.  The session itself
 * is in sync_etcd.c.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <sodium.h>

#include "config.h"
#include "etcd_http.h"
#include "log.h"
#include "prom.h"
#include "registry.h"
#include "sync_etcd.h"
#include "sync_int.h"
#include "xmalloc.h"

#define ETCD_PREFIX_DEFAULT	"/epmdx/"
#define ETCD_PASSWORD_MAX	512

/* s as a JSON string's inside, into buf; -1 if it does not fit. */
static int
etcd_json_escape(char *buf, size_t size, const char *s)
{
	size_t	 o = 0;
	int	 n;

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			n = snprintf(buf + o, size - o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			n = snprintf(buf + o, size - o, "\\u%04x",
			    (unsigned char)*s);
		else
			n = snprintf(buf + o, size - o, "%c", *s);
		if (n < 0 || (size_t)n >= size - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

/*
 * The authenticate request's body from path: "user:password" on one
 * line, or the user and the password on two.  The file must be readable
 * by its owner only.
 */
static char *
etcd_password_load(const char *path, char **cause)
{
	char		 buf[ETCD_PASSWORD_MAX], user[ETCD_PASSWORD_MAX * 2];
	char		 pass[ETCD_PASSWORD_MAX * 2], *sep, *body;
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "etcd_password_file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "etcd_password_file %s: not a regular file",
		    path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		xasprintf(cause, "etcd_password_file %s: open to group or "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)st.st_mode & 07777);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		xasprintf(cause, "etcd_password_file %s: empty or unreadable",
		    path);
		return NULL;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if ((sep = strchr(buf, '\n')) == NULL && (sep = strchr(buf, ':')) ==
	    NULL) {
		sodium_memzero(buf, sizeof(buf));
		xasprintf(cause, "etcd_password_file %s: want user:password, "
		    "or the user and the password on two lines", path);
		return NULL;
	}
	*sep++ = '\0';
	sep[strcspn(sep, "\r\n")] = '\0';
	if (etcd_json_escape(user, sizeof(user), buf) == -1 ||
	    etcd_json_escape(pass, sizeof(pass), sep) == -1 || *buf == '\0') {
		sodium_memzero(buf, sizeof(buf));
		xasprintf(cause, "etcd_password_file %s: bad user", path);
		return NULL;
	}
	xasprintf(&body, "{\"name\":\"%s\",\"password\":\"%s\"}", user, pass);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(pass, sizeof(pass));
	return body;
}

/* A copy of s, or NULL. */
static char *
etcd_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Whether two settings (either NULL) differ. */
static int
etcd_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* Free the settings. */
static void
etcd_settings_free(struct sync_etcd *e)
{
	free(e->endpoints);
	free(e->prefix);
	free(e->cluster);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e->password_file);
	if (e->auth != NULL) {
		sodium_memzero(e->auth, strlen(e->auth));
		free(e->auth);
	}
	e->endpoints = e->prefix = e->cluster = e->auth = NULL;
	e->cacert = e->cert = e->key = e->password_file = NULL;
}

/*
 * Check sc's etcd settings and take them into e (a new HTTP client, the
 * key prefix, the credentials); -1 with *cause, e untouched.
 */
static int
etcd_settings(struct sync_etcd *e, const struct sync_conf *sc,
    char **cause)
{
	struct etcd_http	*http;
	const char		*prefix, *cluster;
	char			*auth = NULL, *copy, *p, *tok;
	char			 keyprefix[sizeof(e->keyprefix)];
	unsigned int		 timeout;

	copy = xstrdup(sc->backends);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;)
		if (*tok != '\0' && strcmp(tok, "etcd") != 0) {
			xasprintf(cause, "sync: the etcd backend runs alone, "
			    "not with \"%s\": an origin would be written "
			    "both by its own stream and by its etcd keys",
			    tok);
			free(copy);
			return -1;
		}
	free(copy);
	if (sc->etcd_endpoints == NULL) {
		xasprintf(cause, "sync: the etcd backend needs "
		    "etcd_endpoints = http[s]://host:port, ...");
		return -1;
	}
	prefix = sc->etcd_prefix != NULL ? sc->etcd_prefix :
	    ETCD_PREFIX_DEFAULT;
	cluster = config_sync_cluster(sc);
	if (*cluster == '\0' || strchr(cluster, '/') != NULL ||
	    (size_t)snprintf(keyprefix, sizeof(keyprefix), "%s%s/", prefix,
	    cluster) >= sizeof(keyprefix)) {
		xasprintf(cause, "sync: etcd_prefix and cluster make no key "
		    "prefix (cluster: no '/', not empty; under %zu bytes)",
		    sizeof(keyprefix));
		return -1;
	}
	if (sc->etcd_password_file != NULL &&
	    (auth = etcd_password_load(sc->etcd_password_file, cause)) == NULL)
		return -1;
	/* A member slower than ttl/2 (2 to 10 s): try the next one. */
	timeout = sc->ttl / 2 < 2 ? 2 : sc->ttl / 2 > 10 ? 10 : sc->ttl / 2;
	if ((http = etcd_http_new(e->s->base, e->s->dns, timeout,
	    sc->etcd_endpoints,
	    sc->etcd_cacert, sc->etcd_cert, sc->etcd_key, cause)) == NULL) {
		free(auth);
		return -1;
	}
	etcd_http_free(e->http);
	e->http = http;
	etcd_settings_free(e);
	e->auth = auth;
	e->endpoints = etcd_dup(sc->etcd_endpoints);
	e->prefix = etcd_dup(sc->etcd_prefix);
	e->cluster = etcd_dup(sc->cluster);
	e->cacert = etcd_dup(sc->etcd_cacert);
	e->cert = etcd_dup(sc->etcd_cert);
	e->key = etcd_dup(sc->etcd_key);
	e->password_file = etcd_dup(sc->etcd_password_file);
	snprintf(e->keyprefix, sizeof(e->keyprefix), "%s", keyprefix);
	e->ttl = sc->ttl;
	return 0;
}

/* Check the settings, make the state. */
static int
sync_etcd_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_etcd	*e;

	e = xcalloc(1, sizeof(*e));
	e->bi = bi;
	e->s = bi->sync;
	if (etcd_settings(e, sc, cause) == -1) {
		free(e);
		return -1;
	}
	e->view = etcd_view_new();
	e->rate = (struct log_rate)LOG_RATE("etcd: failures", 3, 60);
	e->retry = evtimer_new(e->s->base, etcd_session_cb, e);
	e->keepalive = event_new(e->s->base, -1, EV_PERSIST,
	    etcd_keepalive_tick, e);
	e->batch = evbuffer_new();
	e->flush = event_new(e->s->base, -1, 0, etcd_flush_cb, e);
	bi->data = e;
	return 0;
}

/* Start the first session now. */
static void
sync_etcd_start(struct sync_backend_inst *bi)
{
	struct sync_etcd	*e = bi->data;
	struct timeval		 now = { 0, 0 };

	e->lost = mono_now();
	/* A lease a reload's restart left (another cluster): revoke it. */
	e->lease = sync_store_take(bi);
	event_add(e->retry, &now);
}

/*
 * A new configuration: unchanged etcd settings go on as they are;
 * changed ones start a new session (a new lease holding every local
 * node before the old one is revoked, the cluster read anew).
 */
static int
sync_etcd_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_etcd	*e = bi->data;
	struct timeval		 now = { 0, 0 };

	if (!etcd_differ(e->endpoints, sc->etcd_endpoints) &&
	    !etcd_differ(e->prefix, sc->etcd_prefix) &&
	    !etcd_differ(e->cluster, sc->cluster) &&
	    !etcd_differ(e->cacert, sc->etcd_cacert) &&
	    !etcd_differ(e->cert, sc->etcd_cert) &&
	    !etcd_differ(e->key, sc->etcd_key) &&
	    !etcd_differ(e->password_file, sc->etcd_password_file) &&
	    e->ttl == sc->ttl) {
		etcd_readvertise(e);
		return 0;
	}
	if (etcd_settings(e, sc, cause) == -1)
		return -1;
	log_info("etcd: settings changed: a new session with %s",
	    e->endpoints);
	e->state = ETCD_IDLE;
	e->pending = e->revoking = 0;
	etcd_batch_drop(e);
	event_del(e->keepalive);
	event_del(e->retry);
	event_add(e->retry, &now);
	return 0;
}

/* Stop: our keys stay until the lease runs out (ttl), like a kill. */
static void
sync_etcd_free(struct sync_backend_inst *bi)
{
	struct sync_etcd	*e = bi->data;

	if (e == NULL)
		return;
	sync_store_leave(bi, e->lease != 0 ? e->lease : e->stale[0]);
	etcd_http_free(e->http);
	etcd_view_free(e->view);
	if (e->retry != NULL)
		event_free(e->retry);
	if (e->keepalive != NULL)
		event_free(e->keepalive);
	if (e->flush != NULL)
		event_free(e->flush);
	if (e->batch != NULL)
		evbuffer_free(e->batch);
	etcd_settings_free(e);
	free(e);
	bi->data = NULL;
}

/* A local node came or went: to etcd, once a lease holds our keys. */
static void
sync_etcd_local_changed(struct sync_backend_inst *bi, const struct node *n,
    int up)
{
	struct sync_etcd	*e = bi->data;

	if (e->state >= ETCD_PUT)
		etcd_publish(e, n, up);
}

/* The state's name in PEERS. */
static const char *
etcd_state_name(const struct sync_etcd *e)
{
	if (e->state == ETCD_RUNNING)
		return "established";
	if (e->ever && e->lost != 0)
		return "lost";
	return "connecting";
}

/*
 * PEERS: one line for etcd: the member, its state, seconds since it last
 * answered (-1: never), the remote entries it holds.
 */
static void
sync_etcd_peers(struct sync_backend_inst *bi, struct evbuffer *out)
{
	struct sync_etcd	*e = bi->data;

	evbuffer_add_printf(out, "%s\t%s\t-\t%lld\t%zu\tetcd\t0\n",
	    etcd_http_endpoint(e->http), etcd_state_name(e),
	    e->contact != 0 ? (long long)(mono_now() - e->contact) : -1LL,
	    etcd_view_entries(e->view));
}

/* /metrics: contact, and what went through. */
static void
sync_etcd_metrics(struct sync_backend_inst *bi, struct evbuffer *out)
{
	struct sync_etcd	*e = bi->data;

	prom_one(out, "epmdx_sync_etcd_up", "gauge",
	    "1 while a session with etcd runs (lease kept, watch open).",
	    e->state == ETCD_RUNNING);
	prom_one(out, "epmdx_sync_etcd_lost_seconds", "gauge",
	    "Seconds since contact with etcd was lost, 0 while it runs.",
	    e->lost != 0 ? (unsigned long long)(mono_now() - e->lost) : 0);
	prom_one(out, "epmdx_sync_etcd_sessions_total", "counter",
	    "Sessions started with etcd (each a new lease).", e->sessions);
	prom_one(out, "epmdx_sync_etcd_ranges_total", "counter",
	    "Whole reads of the cluster (sessions and compactions).",
	    e->ranges);
	prom_one(out, "epmdx_sync_etcd_events_total", "counter",
	    "Watch events received.", e->events);
	prom_one(out, "epmdx_sync_etcd_writes_total", "counter",
	    "Local nodes written to or deleted from etcd.", e->puts);
}

const struct sync_backend sync_backend_etcd = {
	"etcd",
	sync_etcd_init,
	sync_etcd_start,
	sync_etcd_reload,
	sync_etcd_free,
	sync_etcd_local_changed,
	sync_etcd_peers,
	sync_etcd_metrics,
};
