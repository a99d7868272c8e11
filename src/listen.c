/* Listening sockets: systemd's or our own; accept with EMFILE backoff. */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "addr.h"
#include "config.h"
#include "epmdx.h"
#include "listen.h"
#include "log.h"
#include "sd.h"
#include "xmalloc.h"

#define LISTEN_PAUSE_SECS	1	/* accept pause when out of fds */
#define LISTEN_EVICT_AGE	1	/* seconds before a request may go */
#define LISTEN_WARN_SECS	60	/* out-of-fds warnings, at most */

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct server		*srv;
	struct evconnlistener	*evl;
	char			 addr[ADDR_TEXT_MAX];
	int			 flags;
#define LISTEN_F_PASSED	0x1	/* from systemd or a handover: not ours */
#define LISTEN_F_STALE	0x2	/* reload: not (yet) in the new config */
#define LISTEN_F_FRESH	0x4	/* reload: opened by this reload */
};

static int	listen_reloading;	/* listen_bind() reuses or marks */

/* Paused accepting for lack of descriptors (one for the process). */
static struct event	*listen_pause_ev;

static void	listen_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	listen_error_cb(struct evconnlistener *, void *);
static void	listen_resume_cb(evutil_socket_t, short, void *);

/* "addr:port" of a bound socket, and its port. */
static unsigned int
listen_describe(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	snprintf(buf, size, "fd %d", fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return 0;
	addr_text((struct sockaddr *)&ss, buf, size);
	return addr_port((struct sockaddr *)&ss);
}

/* Wrap a listening fd in an evconnlistener. */
static int
listen_add(struct server *srv, int fd, char **cause)
{
	struct listener	*l;

	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	l = xcalloc(1, sizeof(*l));
	l->srv = srv;
	listen_describe(fd, l->addr, sizeof(l->addr));
	l->evl = evconnlistener_new(srv->base, listen_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->evl == NULL) {
		xasprintf(cause, "listener on %s: %s", l->addr,
		    strerror(errno));
		free(l);
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(l->evl, listen_error_cb);
	if (listen_reloading)
		l->flags |= LISTEN_F_FRESH;
	TAILQ_INSERT_TAIL(&srv->listeners, l, entry);
	srv->nlisteners++;
	log_info("listening on %s", l->addr);
	return 0;
}

/*
 * Bind one address.  LISTEN_OK, LISTEN_BUSY, or LISTEN_ERR with *cause;
 * a failure on an implicit address (or an unsupported family) is a skip,
 * returned as LISTEN_OK with *skipped set.
 */
static int
listen_bind(struct server *srv, const char *addr, unsigned int port,
    int implicit, int *skipped, char **cause)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1;

	*skipped = 0;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	} else {
		xasprintf(cause, "cannot parse IP address \"%s\"", addr);
		return LISTEN_ERR;
	}

	if (listen_reloading) {
		char		 key[ADDR_TEXT_MAX];
		struct listener	*l;

		addr_text((struct sockaddr *)&ss, key, sizeof(key));
		TAILQ_FOREACH(l, &srv->listeners, entry) {
			if (strcmp(l->addr, key) == 0 &&
			    (l->flags & LISTEN_F_STALE)) {
				l->flags &= ~LISTEN_F_STALE;
				return LISTEN_OK;
			}
		}
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1) {
		if (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT) {
			log_debug("skipping %s: %s", addr, strerror(errno));
			*skipped = 1;
			return LISTEN_OK;
		}
		xasprintf(cause, "socket: %s", strerror(errno));
		return LISTEN_ERR;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		int saved = errno;

		close(fd);
		if (saved == EADDRINUSE) {
			log_debug("there is already an epmd running at port %u "
			    "on ipaddr %s", port, addr);
			return LISTEN_BUSY;
		}
		if (implicit || saved == EADDRNOTAVAIL) {
			if (!implicit) {
				xasprintf(cause, "bind %s port %u: %s", addr,
				    port, strerror(saved));
				return LISTEN_ERR;
			}
			log_debug("skipping %s: %s", addr, strerror(saved));
			*skipped = 1;
			return LISTEN_OK;
		}
		xasprintf(cause, "bind %s port %u: %s", addr, port,
		    strerror(saved));
		return LISTEN_ERR;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		xasprintf(cause, "listen %s: %s", addr, strerror(errno));
		close(fd);
		return LISTEN_ERR;
	}
	return listen_add(srv, fd, cause) == 0 ? LISTEN_OK : LISTEN_ERR;
}

/* Bind the configured addresses as stock does, on port. */
static int
listen_bind_all(struct server *srv, unsigned int port, char **cause)
{
	static const char *const any[] = { "0.0.0.0", "::" };
	static const char *const lo[] = { "127.0.0.1", "::1" };
	char		 buf[1024];
	const char	*tok[CONF_MAX_ADDRESSES + 1];
	int		 i, n, rc, skipped, total = 0, bound = 0;

	if (srv->conf.address == NULL) {
		for (i = 0; i < 2; i++) {
			if ((rc = listen_bind(srv, any[i], port, 0, &skipped,
			    cause)) != LISTEN_OK)
				return rc;
			bound += !skipped;
		}
		goto done;
	}

	n = config_split_addresses(srv->conf.address, buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES);
	for (i = 0; i < 2; i++) {
		if ((rc = listen_bind(srv, lo[i], port, 1, &skipped, cause)) !=
		    LISTEN_OK)
			return rc;
		bound += !skipped;
		total++;
	}
	for (i = 0; i < n; i++) {
		if (config_is_loopback(tok[i]))
			continue;
		if (config_check_address(tok[i]) == -1) {
			xasprintf(cause, "cannot parse IP address \"%s\"",
			    tok[i]);
			return LISTEN_ERR;
		}
		if (++total > CONF_MAX_ADDRESSES || n < 0) {
			xasprintf(cause, "cannot listen on more than %d IP "
			    "addresses", CONF_MAX_ADDRESSES);
			return LISTEN_ERR;
		}
		if ((rc = listen_bind(srv, tok[i], port, 0, &skipped, cause)) !=
		    LISTEN_OK)
			return rc;
		bound += !skipped;
	}
	if (n < 0) {
		xasprintf(cause, "cannot listen on more than %d IP addresses",
		    CONF_MAX_ADDRESSES);
		return LISTEN_ERR;
	}
done:
	if (bound == 0) {
		xasprintf(cause, "unable to bind any address");
		return LISTEN_ERR;
	}
	return LISTEN_OK;
}

/* Listen on the configured addresses at another port (sync's own). */
int
listen_open_port(struct server *srv, unsigned int port, char **cause)
{
	return listen_bind_all(srv, port, cause);
}

/* Open the listeners: systemd's sockets, else our own. */
int
listen_open(struct server *srv, int need_systemd, char **cause)
{
	struct listener	*l;
	int		 fds[SD_MAX_LISTEN_FDS], i, n;
	unsigned int	 port;
	char		 buf[ADDR_TEXT_MAX];

	listen_pause_ev = evtimer_new(srv->base, listen_resume_cb, srv);
	if ((n = sd_listen(fds, SD_MAX_LISTEN_FDS, cause)) < 0)
		return LISTEN_ERR;
	if (n == 0) {
		if (need_systemd) {
			xasprintf(cause, "systemd provides no sockets");
			return LISTEN_ERR;
		}
		srv->names_port = srv->conf.port;
		return listen_bind_all(srv, srv->conf.port, cause);
	}

	/*
	 * Under socket activation NAMES must carry the port clients really
	 * reach us on (stock reports its configured port here: wrong).
	 */
	srv->names_port = 0;
	for (i = 0; i < n; i++) {
		port = listen_describe(fds[i], buf, sizeof(buf));
		if (srv->names_port == 0 && port != 0)
			srv->names_port = port;
		if (listen_add(srv, fds[i], cause) == -1)
			return LISTEN_ERR;
		TAILQ_LAST(&srv->listeners, listener_list)->flags |=
		    LISTEN_F_PASSED;
	}
	if (srv->names_port == 0)
		srv->names_port = srv->conf.port;
	TAILQ_FOREACH(l, &srv->listeners, entry)
		log_debug("socket from systemd: %s", l->addr);
	return LISTEN_OK;
}

/* Adopt a listening socket handed over by the previous process. */
int
listen_adopt(struct server *srv, int fd, char **cause)
{
	if (listen_pause_ev == NULL)
		listen_pause_ev = evtimer_new(srv->base, listen_resume_cb, srv);
	if (listen_add(srv, fd, cause) == -1)
		return -1;
	/* Its address is unknown to the config: reload leaves it alone. */
	TAILQ_LAST(&srv->listeners, listener_list)->flags |= LISTEN_F_PASSED;
	return 0;
}

/* Free one listener. */
static void
listen_free(struct server *srv, struct listener *l)
{
	TAILQ_REMOVE(&srv->listeners, l, entry);
	srv->nlisteners--;
	log_info("no longer listening on %s", l->addr);
	evconnlistener_free(l->evl);
	free(l);
}

/*
 * Reload: listen on what the new config names (port, address, sync
 * port), keeping sockets already open there, closing the others.  On
 * failure everything stays as it was.  Sockets systemd passed are left
 * alone (their addresses are the socket unit's business).
 */
int
listen_reload(struct server *srv, unsigned int port, unsigned int sync_port,
    char **cause)
{
	struct listener	*l, *next;
	int		 rc, passed = 0;

	TAILQ_FOREACH(l, &srv->listeners, entry)
		passed |= l->flags & LISTEN_F_PASSED;
	if (passed) {
		if (port != srv->names_port)
			log_warnx("reload: listening sockets come from systemd "
			    "or a handover; port and address are unchanged");
		return LISTEN_OK;
	}
	TAILQ_FOREACH(l, &srv->listeners, entry)
		l->flags = LISTEN_F_STALE;
	listen_reloading = 1;
	rc = listen_bind_all(srv, port, cause);
	if (rc == LISTEN_OK && sync_port != 0 && sync_port != port)
		rc = listen_bind_all(srv, sync_port, cause);
	listen_reloading = 0;
	for (l = TAILQ_FIRST(&srv->listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (rc != LISTEN_OK) {
			if (l->flags & LISTEN_F_FRESH)
				listen_free(srv, l);
			else
				l->flags = 0;
		} else if (l->flags & LISTEN_F_STALE)
			listen_free(srv, l);
		else
			l->flags = 0;
	}
	if (rc == LISTEN_BUSY) {
		xasprintf(cause, "port %u is in use", port);
		return LISTEN_ERR;
	}
	if (rc == LISTEN_OK)
		srv->names_port = port;
	return rc;
}

/* Stop (0) or resume (1) accepting on every listener. */
void
listen_enable_all(struct server *srv, int on)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &srv->listeners, entry) {
		if (on)
			evconnlistener_enable(l->evl);
		else
			evconnlistener_disable(l->evl);
	}
}

/* fn(fd, arg) for every listening socket. */
void
listen_foreach_fd(struct server *srv, void (*fn)(int, void *), void *arg)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &srv->listeners, entry)
		fn(evconnlistener_get_fd(l->evl), arg);
}

/* Close every listener. */
void
listen_close_all(struct server *srv)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&srv->listeners)) != NULL) {
		TAILQ_REMOVE(&srv->listeners, l, entry);
		evconnlistener_free(l->evl);
		free(l);
	}
	srv->nlisteners = 0;
	if (listen_pause_ev != NULL) {
		event_free(listen_pause_ev);
		listen_pause_ev = NULL;
	}
}

/* A connection: hand it to the server. */
static void
listen_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener	*l = arg;

	l->srv->accept(l->srv, fd, sa, (socklen_t)salen);
}

/*
 * accept() failed.  Out of descriptors: close the oldest idle request to
 * make room; with none to close, stop accepting for a second rather than
 * spin.  Logged once a minute at most.
 */
static void
listen_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener	*l = arg, *ll;
	struct server	*srv = l->srv;
	struct timeval	 tv = { LISTEN_PAUSE_SECS, 0 };
	static struct log_rate rl = LOG_RATE("accept out of descriptors", 1,
			    LISTEN_WARN_SECS);
	int		 saved = errno;

	if (saved != EMFILE && saved != ENFILE && saved != ENOBUFS &&
	    saved != ENOMEM) {
		log_debug("accept on %s: %s", l->addr, strerror(saved));
		return;
	}
	srv->stats.fd_exhausted++;
	log_rate_warnx(&rl, "accept on %s: %s; closing idle requests or "
	    "pausing accepts (logged once a minute at most)", l->addr,
	    strerror(saved));
	/*
	 * Make room by closing an idle request, but not one just accepted:
	 * accept() fails as soon as no descriptor is left, even with no
	 * connection waiting, and the last one accepted deserves its answer.
	 */
	if (srv->evict(srv, "out of file descriptors",
	    LISTEN_EVICT_AGE) == 0)
		return;
	TAILQ_FOREACH(ll, &srv->listeners, entry)
		evconnlistener_disable(ll->evl);
	evtimer_add(listen_pause_ev, &tv);
}

/* The pause is over: try accepting again. */
static void
listen_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;
	struct listener	*l;

	TAILQ_FOREACH(l, &srv->listeners, entry)
		evconnlistener_enable(l->evl);
}
