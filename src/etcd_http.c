/*
 * etcd's gateway over libevent's HTTP client: members tried in turn, TLS
 * through bufferevent_openssl, and connections that are never reused once
 * dropped: a dropped one waits in a list freed from the loop, so no
 * libevent callback of it is still running when it goes (tmux's rule).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "etcd_http.h"
#include "log.h"
#include "xmalloc.h"

#define ETCD_MAX_MEMBERS	16
#define ETCD_MAX_BODY		(64 * 1024 * 1024)
#define ETCD_MAX_LINE		(16 * 1024 * 1024)
#define ETCD_STREAM_TIMEOUT	(7 * 86400) /* a quiet watch is fine */

struct etcd_conn;
struct etcd_req;

static void	etcd_lines(struct etcd_req *, int);

/* One request in flight. */
struct etcd_req {
	TAILQ_ENTRY(etcd_req)	 entry;
	struct etcd_conn	*conn;
	etcd_http_done		*done;
	etcd_http_line		*line;
	void			*arg;
	struct evbuffer		*partial;	/* stream: an unfinished line */
};

/* One connection to one member. */
struct etcd_conn {
	TAILQ_ENTRY(etcd_conn)	 entry;		/* graveyard */
	struct etcd_http	*h;
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	int			 dead;		/* dropped, callbacks off */
	int			 closed;	/* the member closed it */
	TAILQ_HEAD(, etcd_req)	 reqs;
};

struct etcd_member {
	char			 host[256];
	unsigned int		 port;
	int			 tls;
	char			 text[280];
};

struct etcd_http {
	struct event_base	*base;
	struct evdns_base	*dns;
	SSL_CTX			*ctx;
	struct etcd_member	 members[ETCD_MAX_MEMBERS];
	int			 nmembers;
	int			 cur;
	char			*token;
	struct etcd_conn	*unary;
	struct etcd_conn	*stream;
	TAILQ_HEAD(, etcd_conn)	 graveyard;
	struct event		*reap;
	int			 timeout;	/* seconds, requests */
};

/* Parse "http[s]://host:port" into m; -1 if it is not one. */
static int
etcd_member_parse(const char *s, struct etcd_member *m)
{
	const char	*p, *colon;
	char		*end;
	unsigned long	 port;
	size_t		 len;

	if (strncmp(s, "http://", 7) == 0) {
		m->tls = 0;
		p = s + 7;
	} else if (strncmp(s, "https://", 8) == 0) {
		m->tls = 1;
		p = s + 8;
	} else
		return -1;
	if (*p == '[') {
		if ((colon = strchr(p, ']')) == NULL || colon[1] != ':')
			return -1;
		len = (size_t)(colon - p - 1);
		p++;
		colon++;
	} else {
		if ((colon = strrchr(p, ':')) == NULL)
			return -1;
		len = (size_t)(colon - p);
	}
	if (len == 0 || len >= sizeof(m->host))
		return -1;
	memcpy(m->host, p, len);
	m->host[len] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if ((*end != '\0' && strcmp(end, "/") != 0) || port == 0 ||
	    port > 65535)
		return -1;
	m->port = (unsigned int)port;
	snprintf(m->text, sizeof(m->text), "%s", s);
	return 0;
}

/* The client TLS context: CA, client certificate and key. */
static SSL_CTX *
etcd_tls_ctx(const char *cacert, const char *cert, const char *key,
    char **cause)
{
	SSL_CTX		*ctx;
	char		 err[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cacert != NULL ? SSL_CTX_load_verify_locations(ctx, cacert,
	    NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), err, sizeof(err));
		xasprintf(cause, "etcd_cacert %s: %s", cacert ? cacert :
		    "(default)", err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if ((cert == NULL) != (key == NULL)) {
		xasprintf(cause, "etcd_cert and etcd_key go together");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cert != NULL && (SSL_CTX_use_certificate_chain_file(ctx,
	    cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)) {
		ERR_error_string_n(ERR_get_error(), err, sizeof(err));
		xasprintf(cause, "etcd_cert %s, etcd_key %s: %s", cert, key,
		    err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
fail:
	xasprintf(cause, "etcd: TLS setup failed");
	return NULL;
}

/* Free the dropped connections, from the loop. */
static void
etcd_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_http	*h = arg;
	struct etcd_conn	*c;
	struct etcd_req		*r;

	while ((c = TAILQ_FIRST(&h->graveyard)) != NULL) {
		TAILQ_REMOVE(&h->graveyard, c, entry);
		evhttp_connection_free(c->evcon);	/* no callbacks */
		while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
			TAILQ_REMOVE(&c->reqs, r, entry);
			if (r->partial != NULL)
				evbuffer_free(r->partial);
			free(r);
		}
		free(c);
	}
}

/* Drop connection c: no more callbacks; freed from the loop. */
static void
etcd_conn_drop(struct etcd_conn *c)
{
	struct timeval	 tv = { 0, 0 };

	if (c == NULL || c->dead)
		return;
	c->dead = 1;
	TAILQ_INSERT_TAIL(&c->h->graveyard, c, entry);
	event_add(c->h->reap, &tv);
}

/* The member closed the connection: the next request takes a new one. */
static void
etcd_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct etcd_conn	*c = arg;

	c->closed = 1;
}

/* A new connection to the current member. */
static struct etcd_conn *
etcd_conn_new(struct etcd_http *h, int timeout)
{
	struct etcd_member	*m = &h->members[h->cur];
	struct etcd_conn	*c;
	struct bufferevent	*bev;
	SSL			*ssl;
	struct in6_addr		 a6;

	c = xcalloc(1, sizeof(*c));
	c->h = h;
	TAILQ_INIT(&c->reqs);
	if (m->tls) {
		if ((ssl = SSL_new(h->ctx)) == NULL)
			fatalx("etcd: SSL_new failed");
		/* An address is checked as one, and sent as no SNI. */
		if (inet_pton(AF_INET, m->host, &a6) == 1 ||
		    inet_pton(AF_INET6, m->host, &a6) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    m->host);
		else {
			SSL_set_tlsext_host_name(ssl, m->host);
			SSL_set1_host(ssl, m->host);
		}
		bev = bufferevent_openssl_socket_new(h->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL)
			fatalx("etcd: cannot make a TLS bufferevent");
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(h->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("etcd: cannot make a bufferevent");
	c->bev = bev;
	c->evcon = evhttp_connection_base_bufferevent_new(h->base, h->dns,
	    bev, m->host, (unsigned short)m->port);
	if (c->evcon == NULL)
		fatalx("etcd: cannot make an HTTP connection");
	evhttp_connection_set_timeout(c->evcon, timeout);
	evhttp_connection_set_max_body_size(c->evcon, ETCD_MAX_BODY);
	evhttp_connection_set_closecb(c->evcon, etcd_conn_closed, c);
	return c;
}

/* Why a request on c got no answer, for the log. */
static void
etcd_conn_why(struct etcd_conn *c, struct evhttp_request *req, char *buf,
    size_t size)
{
	unsigned long	 e;
	char		 ssl[200];

	if (c->h->members[c->h->cur].tls &&
	    (e = bufferevent_get_openssl_error(c->bev)) != 0) {
		ERR_error_string_n(e, ssl, sizeof(ssl));
		switch (ERR_GET_REASON(e)) {
		case SSL_R_CERTIFICATE_VERIFY_FAILED:
			snprintf(buf, size, "TLS: %s (etcd's certificate is "
			    "not one etcd_cacert trusts for this address)",
			    ssl);
			break;
		case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
		case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
		case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
		case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
			snprintf(buf, size, "TLS: %s (etcd refused our client "
			    "certificate, etcd_cert)", ssl);
			break;
		default:
			snprintf(buf, size, "TLS: %s", ssl);
		}
	} else if (req == NULL)
		snprintf(buf, size, "connection failed");
	else
		snprintf(buf, size, "no answer (connection refused, closed "
		    "or timed out)");
}

/* A request ended. */
static void
etcd_req_cb(struct evhttp_request *req, void *arg)
{
	struct etcd_req		*r = arg;
	struct etcd_conn	*c = r->conn;
	struct evbuffer		*in;
	char			 why[512];
	int			 code;

	TAILQ_REMOVE(&c->reqs, r, entry);
	if (c->dead)
		goto out;
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 0) {
		etcd_conn_why(c, req, why, sizeof(why));
		c->closed = 1;
		r->done(r->arg, 0, NULL, 0, why);
		goto out;
	}
	in = evhttp_request_get_input_buffer(req);
	if (r->line != NULL) {
		evbuffer_add_buffer(r->partial, in);
		etcd_lines(r, 1);
		if (!c->dead)
			r->done(r->arg, code, NULL, 0, "stream ended");
	} else
		r->done(r->arg, code, (const char *)evbuffer_pullup(in, -1),
		    evbuffer_get_length(in), NULL);
out:
	if (r->partial != NULL)
		evbuffer_free(r->partial);
	free(r);
}

/*
 * Hand over each whole line of a stream's reply; at its end (last), what
 * is left too.
 */
static void
etcd_lines(struct etcd_req *r, int last)
{
	struct etcd_conn	*c = r->conn;
	struct evbuffer_ptr	 eol;
	char			*line;
	size_t			 len;

	while (!c->dead && evbuffer_get_length(r->partial) > 0) {
		eol = evbuffer_search_eol(r->partial, NULL, NULL,
		    EVBUFFER_EOL_LF);
		if (eol.pos == -1 && !last) {
			if (evbuffer_get_length(r->partial) > ETCD_MAX_LINE) {
				log_warnx("etcd: a watch line over %d bytes",
				    ETCD_MAX_LINE);
				evbuffer_drain(r->partial,
				    evbuffer_get_length(r->partial));
				r->line(r->arg, "", 0);
			}
			return;
		}
		len = eol.pos == -1 ? evbuffer_get_length(r->partial) :
		    (size_t)eol.pos;
		line = (char *)evbuffer_pullup(r->partial, -1);
		r->line(r->arg, line, len);
		if (!c->dead)
			evbuffer_drain(r->partial, eol.pos == -1 ? len :
			    len + 1);
	}
}

/* Part of a stream's reply. */
static void
etcd_chunk_cb(struct evhttp_request *req, void *arg)
{
	struct etcd_req		*r = arg;

	if (r->conn->dead)
		return;
	evbuffer_add_buffer(r->partial, evhttp_request_get_input_buffer(req));
	etcd_lines(r, 0);
}

/* Queue a POST on c. */
static void
etcd_conn_post(struct etcd_http *h, struct etcd_conn *c, const char *path,
    const char *body, etcd_http_line *line, etcd_http_done *done,
    void *arg)
{
	struct etcd_member	*m = &h->members[h->cur];
	struct evhttp_request	*req;
	struct evkeyvalq	*hd;
	struct etcd_req		*r;
	char			 host[sizeof(m->host) + 2];

	r = xcalloc(1, sizeof(*r));
	r->conn = c;
	r->done = done;
	r->line = line;
	r->arg = arg;
	if ((req = evhttp_request_new(etcd_req_cb, r)) == NULL)
		fatalx("etcd: cannot make a request");
	if (line != NULL) {
		r->partial = evbuffer_new();
		evhttp_request_set_chunked_cb(req, etcd_chunk_cb);
	}
	hd = evhttp_request_get_output_headers(req);
	if (strchr(m->host, ':') != NULL) {
		snprintf(host, sizeof(host), "[%s]", m->host);
		evhttp_add_header(hd, "Host", host);
	} else
		evhttp_add_header(hd, "Host", m->host);
	evhttp_add_header(hd, "Content-Type", "application/json");
	if (h->token != NULL)
		evhttp_add_header(hd, "Authorization", h->token);
	evbuffer_add(evhttp_request_get_output_buffer(req), body,
	    strlen(body));
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, path) != 0) {
		/* libevent freed req; say so from the loop, not from here. */
		c->closed = 1;
		etcd_conn_drop(c);
		if (c == h->unary)
			h->unary = NULL;
		if (c == h->stream)
			h->stream = NULL;
		log_warnx("etcd: %s: cannot send a request", m->text);
	}
}

/* A request on the request connection. */
void
etcd_http_post(struct etcd_http *h, const char *path, const char *body,
    etcd_http_done *done, void *arg)
{
	if (h->unary != NULL && h->unary->closed) {
		etcd_conn_drop(h->unary);
		h->unary = NULL;
	}
	if (h->unary == NULL)
		h->unary = etcd_conn_new(h, h->timeout);
	etcd_conn_post(h, h->unary, path, body, NULL, done, arg);
}

/* A stream on a connection of its own. */
void
etcd_http_stream(struct etcd_http *h, const char *path, const char *body,
    etcd_http_line *line, etcd_http_done *done, void *arg)
{
	etcd_http_stream_stop(h);
	h->stream = etcd_conn_new(h, ETCD_STREAM_TIMEOUT);
	etcd_conn_post(h, h->stream, path, body, line, done, arg);
}

/* Close the stream. */
void
etcd_http_stream_stop(struct etcd_http *h)
{
	etcd_conn_drop(h->stream);
	h->stream = NULL;
}

/* Drop everything; maybe move to the next member. */
void
etcd_http_reset(struct etcd_http *h, int next)
{
	etcd_conn_drop(h->unary);
	h->unary = NULL;
	etcd_http_stream_stop(h);
	if (next)
		h->cur = (h->cur + 1) % h->nmembers;
}

/* How many members. */
int
etcd_http_members(const struct etcd_http *h)
{
	return h->nmembers;
}

/* The member in use. */
const char *
etcd_http_endpoint(const struct etcd_http *h)
{
	return h->members[h->cur].text;
}

/* Where the request connection speaks from. */
int
etcd_http_local_addr(struct etcd_http *h, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	evutil_socket_t		 fd;
	const void		*a;

	if (h->unary == NULL || (fd = bufferevent_getfd(h->unary->bev)) ==
	    -1 || getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return -1;
	return inet_ntop(ss.ss_family, a, buf, (socklen_t)size) != NULL ?
	    0 : -1;
}

/* The token for Authorization. */
void
etcd_http_set_token(struct etcd_http *h, const char *token)
{
	free(h->token);
	h->token = token != NULL ? xstrdup(token) : NULL;
}

/* A client for the members listed. */
struct etcd_http *
etcd_http_new(struct event_base *base, struct evdns_base *dns,
    unsigned int timeout, const char *endpoints, const char *cacert,
    const char *cert, const char *key, char **cause)
{
	struct etcd_http	*h;
	char			*copy, *p, *tok;
	int			 tls = 0;

	h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->dns = dns;
	h->timeout = (int)timeout;
	TAILQ_INIT(&h->graveyard);
	copy = xstrdup(endpoints);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (h->nmembers == ETCD_MAX_MEMBERS) {
			xasprintf(cause, "etcd_endpoints: more than %d",
			    ETCD_MAX_MEMBERS);
			goto fail;
		}
		if (etcd_member_parse(tok, &h->members[h->nmembers]) == -1) {
			xasprintf(cause, "etcd_endpoints: \"%s\" is not "
			    "http://host:port or https://host:port", tok);
			goto fail;
		}
		tls |= h->members[h->nmembers++].tls;
	}
	if (h->nmembers == 0) {
		xasprintf(cause, "etcd_endpoints: empty");
		goto fail;
	}
	if ((cacert != NULL || cert != NULL) && !tls) {
		xasprintf(cause, "etcd_cacert or etcd_cert set but no "
		    "https:// endpoint");
		goto fail;
	}
	if (tls && (h->ctx = etcd_tls_ctx(cacert, cert, key, cause)) == NULL)
		goto fail;
	h->reap = event_new(base, -1, 0, etcd_reap_cb, h);
	free(copy);
	return h;
fail:
	free(copy);
	free(h);
	return NULL;
}

/* Free the client; no callback runs again. */
void
etcd_http_free(struct etcd_http *h)
{
	if (h == NULL)
		return;
	etcd_http_reset(h, 0);
	etcd_reap_cb(-1, 0, h);
	event_free(h->reap);
	if (h->ctx != NULL)
		SSL_CTX_free(h->ctx);
	free(h->token);
	free(h);
}
