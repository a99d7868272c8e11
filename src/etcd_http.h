/*
 * A client of etcd's v3 JSON gateway over libevent's HTTP client: a list
 * of members (endpoints) used one at a time, TLS with client certificates,
 * an auth token, one connection for requests and one for a watch stream.
 * Callbacks never run after etcd_http_reset() or etcd_http_free().
 */
#ifndef ETCD_HTTP_H
#define ETCD_HTTP_H

#include <stddef.h>

struct event_base;
struct evdns_base;
struct etcd_http;

/*
 * A request's end: code is the HTTP status, 0 when no answer came (err
 * says why); body is the reply (not NUL-terminated, NULL on no answer).
 */
typedef void	 etcd_http_done(void *arg, int code, const char *body,
		    size_t len, const char *err);
/* One line of a stream's reply (a JSON object). */
typedef void	 etcd_http_line(void *arg, const char *line, size_t len);

/*
 * Endpoints "http[s]://host:port, ..."; TLS files may be NULL; a request
 * not answered within timeout seconds fails.
 */
struct etcd_http *etcd_http_new(struct event_base *, struct evdns_base *,
		    unsigned int timeout, const char *endpoints,
		    const char *cacert,
		    const char *cert, const char *key, char **cause);
void		 etcd_http_free(struct etcd_http *);
/* POST body (JSON) to path on the request connection. */
void		 etcd_http_post(struct etcd_http *, const char *path,
		    const char *body, etcd_http_done *, void *arg);
/* POST body to path on a new stream connection (the old one closes). */
void		 etcd_http_stream(struct etcd_http *, const char *path,
		    const char *body, etcd_http_line *, etcd_http_done *,
		    void *arg);
/* Close the stream connection, if any; its callbacks are dropped. */
void		 etcd_http_stream_stop(struct etcd_http *);
/* Drop both connections and their requests; next time, the next member. */
void		 etcd_http_reset(struct etcd_http *, int next);
/* How many members are listed. */
int		 etcd_http_members(const struct etcd_http *);
/* The member in use, "host:port". */
const char	*etcd_http_endpoint(const struct etcd_http *);
/*
 * The address (no port) the request connection speaks from, into buf;
 * -1 when there is none.
 */
int		 etcd_http_local_addr(struct etcd_http *, char *buf,
		    size_t size);
/* An auth token to send from now on (NULL: none). */
void		 etcd_http_set_token(struct etcd_http *, const char *);

#endif /* ETCD_HTTP_H */
