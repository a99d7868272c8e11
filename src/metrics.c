/* Optional HTTP listener: /metrics (Prometheus text 0.0.4), /healthz. */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "config.h"
#include "epmdx.h"
#include "log.h"
#include "metrics.h"
#include "mono.h"
#include "prom.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"
#include "xmalloc.h"

#define METRICS_TIMEOUT		10	/* seconds an HTTP client may idle */
#define METRICS_MAX_HEADERS	8192	/* bytes of request line and headers */
#define METRICS_MAX_BODY	4096	/* bytes of body (we read none) */
#define METRICS_PAUSE_SECS	1	/* accept pause when out of fds */

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct server			*srv;
	struct evhttp			*http;
	struct evhttp_bound_socket	*sock;
	struct event			*resume;	/* accept pause */
	char				*listen;	/* as configured */
};

/* epmdx_requests_total{type=...}: the opcodes stock epmd and we answer. */
static const struct {
	uint8_t		 op;
	const char	*type;
} metrics_requests[] = {
	{ PROTO_ALIVE2_REQ,	"alive2" },
	{ PROTO_PORT2_REQ,	"port_please2" },
	{ PROTO_NAMES_REQ,	"names" },
	{ PROTO_DUMP_REQ,	"dump" },
	{ PROTO_KILL_REQ,	"kill" },
	{ PROTO_STOP_REQ,	"stop" },
	{ PROTO_X_STATUS_REQ,	"status" },
	{ PROTO_X_SYNC_REQ,	"sync" },
	{ PROTO_X_CLUSTER_REQ,	"cluster" },
	{ PROTO_X_RESOLVE_REQ,	"resolve" },
	{ PROTO_X_PEERS_REQ,	"peers" },
	{ PROTO_X_UPGRADE_REQ,	"upgrade" },
	{ PROTO_X_WATCH_REQ,	"watch" },
};

/*
 * The listener being served, for the accept error callback: libevent hands
 * that one evhttp's own argument, not ours.
 */
static struct metrics	*metrics_live;

static void	metrics_request_cb(struct evhttp_request *, void *);
static void	metrics_error_cb(struct evconnlistener *, void *);
static void	metrics_resume_cb(evutil_socket_t, short, void *);

/* The whole exposition, written from the live server state. */
static void
metrics_render(struct server *srv, struct evbuffer *out)
{
	const struct server_stats	*st = &srv->stats;
	time_t				 now = mono_now();
	char				 labels[64];
	size_t				 i;

	prom_one(out, "epmdx_registrations", "gauge",
	    "Nodes registered now.", registry_count(srv->reg));
	prom_one(out, "epmdx_unregistered_names_cached", "gauge",
	    "Unregistered names remembered for creation numbers.",
	    registry_unreg_count(srv->reg));

	prom_family(out, "epmdx_connections", "gauge",
	    "Open client connections by state.");
	prom_sample(out, "epmdx_connections", "state=\"request\"",
	    srv->nrequests);
	prom_sample(out, "epmdx_connections", "state=\"registration\"",
	    srv->nregs);
	prom_one(out, "epmdx_connections_max", "gauge",
	    "Cap on request (non-registration) connections.",
	    srv->conf.max_connections);
	prom_one(out, "epmdx_nofile_limit", "gauge",
	    "RLIMIT_NOFILE in force.", srv->nofile);
	prom_one(out, "epmdx_listeners", "gauge",
	    "EPMD listening sockets.", srv->nlisteners);

	prom_one(out, "epmdx_accepted_total", "counter",
	    "Connections accepted.", st->accepted);
	prom_family(out, "epmdx_requests_total", "counter",
	    "Requests decoded, by type.");
	for (i = 0; i < sizeof(metrics_requests) /
	    sizeof(metrics_requests[0]); i++) {
		snprintf(labels, sizeof(labels), "type=\"%s\"",
		    metrics_requests[i].type);
		prom_sample(out, "epmdx_requests_total", labels,
		    st->requests[metrics_requests[i].op]);
	}
	prom_one(out, "epmdx_registrations_total", "counter",
	    "Successful ALIVE2 registrations.", st->registered);
	prom_one(out, "epmdx_unregistrations_total", "counter",
	    "Registrations ended.", st->unregistered);
	prom_family(out, "epmdx_refusals_total", "counter",
	    "Requests answered with a refusal, by reason.");
	prom_sample(out, "epmdx_refusals_total", "reason=\"alive2\"",
	    st->refused);
	prom_family(out, "epmdx_errors_total", "counter",
	    "Connections closed without a reply, by reason.");
	prom_sample(out, "epmdx_errors_total", "reason=\"bad_request\"",
	    st->dropped);
	prom_one(out, "epmdx_evictions_total", "counter",
	    "Connections closed to make room.", st->evicted);
	prom_one(out, "epmdx_timeouts_total", "counter",
	    "Connections closed for inactivity.", st->timeouts);
	prom_family(out, "epmdx_limit_hits_total", "counter",
	    "Times a limit was reached, by limit.");
	prom_sample(out, "epmdx_limit_hits_total",
	    "limit=\"max_connections\"", st->limit_hits);
	prom_sample(out, "epmdx_limit_hits_total", "limit=\"nofile\"",
	    st->fd_exhausted);
	/* Slow readers closed to keep replies within reply_buffer_total. */
	prom_sample(out, "epmdx_limit_hits_total",
	    "limit=\"reply_buffer_total\"", st->reply_evicted);
	prom_one(out, "epmdx_watchers", "gauge",
	    "WATCH subscribers connected.", srv->nwatchers);
	prom_one(out, "epmdx_watchers_max", "gauge",
	    "Cap on those subscribers (max_watchers).",
	    srv->conf.max_watchers);
	prom_family(out, "epmdx_watchers_dropped_total", "counter",
	    "WATCH subscribers closed or refused, by reason.");
	prom_sample(out, "epmdx_watchers_dropped_total", "reason=\"overflow\"",
	    st->watch_overflows);
	prom_sample(out, "epmdx_watchers_dropped_total",
	    "reason=\"max_watchers\"", st->watch_refused);
	prom_one(out, "epmdx_reply_buffer_bytes", "gauge",
	    "Reply bytes queued for clients that have not read them yet.",
	    srv->reply_queued);
	prom_one(out, "epmdx_reply_buffer_limit_bytes", "gauge",
	    "Cap on those bytes (reply_buffer_total).",
	    srv->conf.reply_buffer_total);
	prom_family(out, "epmdx_access_refused_total", "counter",
	    "Requests from non-local peers refused by an [access] allow "
	    "list, by request.");
	prom_sample(out, "epmdx_access_refused_total", "request=\"names\"",
	    st->refused_names);
	prom_sample(out, "epmdx_access_refused_total",
	    "request=\"port_please2\"", st->refused_port_please);
	prom_sample(out, "epmdx_access_refused_total", "request=\"sync\"",
	    st->refused_sync);

	sync_metrics(srv, out);

	prom_one(out, "epmdx_uptime_seconds", "gauge",
	    "Seconds since the daemon started.",
	    now > srv->started_mono ? (unsigned long long)(now -
	    srv->started_mono) : 0);
	prom_one(out, "epmdx_start_time_seconds", "gauge",
	    "Start time of the daemon since the Unix epoch in seconds.",
	    (unsigned long long)srv->started);
	/* The version comes from the Makefile: no label escaping needed. */
	prom_family(out, "epmdx_build_info", "gauge",
	    "Build information; the value is always 1.");
	prom_sample(out, "epmdx_build_info", "version=\"" EPMDX_VERSION "\"",
	    1);
}

/* Send a reply with a body and content type. */
static void
metrics_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

/* Route one HTTP request: GET (or HEAD) /metrics and /healthz only. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics		*m = arg;
	struct evbuffer		*body;
	const char		*path;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "";
	log_debug("metrics request method=%s path=%s", cmd == EVHTTP_REQ_GET ?
	    "GET" : cmd == EVHTTP_REQ_HEAD ? "HEAD" : "other", path);

	if (strcmp(path, "/metrics") != 0 && strcmp(path, "/healthz") != 0) {
		evbuffer_add_printf(body, "not found\n");
		metrics_reply(req, HTTP_NOTFOUND, "Not Found",
		    "text/plain; charset=utf-8", body);
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evbuffer_add_printf(body, "method not allowed\n");
		metrics_reply(req, 405, "Method Not Allowed",
		    "text/plain; charset=utf-8", body);
	} else if (strcmp(path, "/healthz") == 0) {
		evbuffer_add_printf(body, "ok\n");
		metrics_reply(req, HTTP_OK, "OK", "text/plain; charset=utf-8",
		    body);
	} else {
		metrics_render(m->srv, body);
		metrics_reply(req, HTTP_OK, "OK", METRICS_CONTENT_TYPE, body);
	}
	evbuffer_free(body);
}

/* Accept failed: out of descriptors pauses accepting, as listen.c does. */
static void
metrics_error_cb(struct evconnlistener *evl, void *arg)
{
	struct metrics		*m = metrics_live;
	struct timeval		 tv = { METRICS_PAUSE_SECS, 0 };
	int			 err = EVUTIL_SOCKET_ERROR();

	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		log_warnx("metrics accept: %s", strerror(err));
		return;
	}
	if (m == NULL || evhttp_bound_socket_get_listener(m->sock) != evl)
		fatalx("metrics_error_cb");
	log_warnx("metrics accept: %s; pausing %d s", strerror(err),
	    METRICS_PAUSE_SECS);
	evconnlistener_disable(evl);
	evtimer_add(m->resume, &tv);
}

/* The accept pause is over. */
static void
metrics_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics	*m = arg;

	evconnlistener_enable(evhttp_bound_socket_get_listener(m->sock));
}

/* Free one listener's state. */
static void
metrics_free(struct metrics *m)
{
	if (m->resume != NULL)
		event_free(m->resume);
	if (m->http != NULL)
		evhttp_free(m->http);	/* closes the bound socket */
	free(m->listen);
	free(m);
}

/* Bind a new listener on listen; NULL with *cause on failure. */
static struct metrics *
metrics_new(struct server *srv, const char *listen, char **cause)
{
	struct metrics	*m;
	char		 host[256];
	unsigned int	 port;

	if (config_hostport(listen, host, sizeof(host), &port) == -1) {
		xasprintf(cause, "metrics listen: \"%s\" is not host[:port]",
		    listen);
		return NULL;
	}
	if (port == 0)
		port = METRICS_PORT_DEFAULT;

	m = xcalloc(1, sizeof(*m));
	m->srv = srv;
	m->listen = xstrdup(listen);
	if ((m->http = evhttp_new(srv->base)) == NULL ||
	    (m->resume = evtimer_new(srv->base, metrics_resume_cb, m)) ==
	    NULL) {
		xasprintf(cause, "metrics: cannot set up the HTTP server");
		metrics_free(m);
		return NULL;
	}
	evhttp_set_timeout(m->http, METRICS_TIMEOUT);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	/* Let every method reach us, so the wrong ones get 405, not 501. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request_cb, m);

	errno = 0;
	m->sock = evhttp_bind_socket_with_handle(m->http, host,
	    (ev_uint16_t)port);
	if (m->sock == NULL) {
		xasprintf(cause, "metrics listen %s port %u: %s", host, port,
		    errno != 0 ? strerror(errno) : "cannot bind");
		metrics_free(m);
		return NULL;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(m->sock),
	    metrics_error_cb);
	log_info("metrics listening on %s port %u", host, port);
	return m;
}

int
metrics_open(struct server *srv, char **cause)
{
	struct metrics	*old = srv->metrics, *m;
	const char	*listen = srv->conf.metrics_listen;

	if (listen == NULL) {
		metrics_close(srv);
		return 0;
	}
	if (old != NULL && strcmp(old->listen, listen) == 0)
		return 0;
	if ((m = metrics_new(srv, listen, cause)) == NULL)
		return -1;
	if (old != NULL)
		metrics_close(srv);
	srv->metrics = metrics_live = m;
	return 0;
}

void
metrics_close(struct server *srv)
{
	struct metrics	*m = srv->metrics;

	if (m == NULL)
		return;
	log_info("metrics listener closed listen=%s", m->listen);
	metrics_free(m);
	srv->metrics = metrics_live = NULL;
}
