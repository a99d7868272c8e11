/*
 * The connections as a population: making room (evict the oldest
 * request), counting and closing the requests under way, the kept sockets
 * an upgrade hands over, closing everything, applying a new configuration.
 * Each connection's own life is conn.c's.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <time.h>

#include <event2/bufferevent.h>

#include "conn.h"
#include "conn_int.h"
#include "epmdx.h"
#include "log.h"
#include "mono.h"

/* Apply a changed configuration to open connections. */
void
conn_reconfigure(struct server *srv)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->bev != NULL)
			conn_set_timeouts(c);
}

/*
 * Close the oldest connection holding no registration, if it has been
 * open at least min_age seconds.
 */
int
conn_evict_oldest(struct server *srv, const char *reason, int min_age)
{
	struct conn	*c;
	time_t		 now = mono_now();

	TAILQ_FOREACH(c, &srv->requests, entry) {
		if (now - c->since < min_age)
			return -1;	/* the oldest is too young */
		if (c->node == NULL) {
			srv->stats.evicted++;
			conn_free(c, reason);
			return 0;
		}
	}
	return -1;
}

/* Requests under way: open connections neither kept nor registered. */
unsigned int
conn_count_requests(struct server *srv)
{
	struct conn	*c;
	unsigned int	 n = 0;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->state != CONN_KEPT)
			n++;
	return n;
}

/* Close the requests still under way (an upgrade could not wait). */
void
conn_close_requests(struct server *srv, const char *reason)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&srv->requests); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state != CONN_KEPT) {
			log_info("closing request peer=%s reason=\"%s\"",
			    conn_peer(c), reason);
			conn_free(c, reason);
		}
	}
}

/* Call fn for every kept (refused ALIVE2) connection's fd. */
void
conn_foreach_kept(struct server *srv, void (*fn)(int, void *), void *arg)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->requests, entry)
		if (c->state == CONN_KEPT)
			fn(c->fd, arg);
}

/* Close every connection, registrations included. */
void
conn_free_all(struct server *srv, const char *reason)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&srv->requests)) != NULL)
		conn_free(c, reason);
	while ((c = TAILQ_FIRST(&srv->regs)) != NULL)
		conn_free(c, reason);
}
