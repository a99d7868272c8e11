/* The reply budget shared by every connection (see conn_reply.h). */
#include <stddef.h>

#include <event2/buffer.h>

#include "conn_reply.h"
#include "epmdx.h"

/* Reply bytes went out (or were dropped): they no longer count. */
static void
conn_reply_drain_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn_reply	*r = arg;
	size_t			 n;

	n = info->n_deleted < r->queued ? info->n_deleted : r->queued;
	r->queued -= n;
	r->srv->reply_queued -= n;
}

/* Whether len more bytes would exceed reply_buffer_total. */
int
conn_reply_over(struct server *srv, size_t len)
{
	return srv->reply_queued + len > srv->conf.reply_buffer_total;
}

/* Count what out holds now, until it is sent or released. */
void
conn_reply_count(struct conn_reply *r, struct server *srv,
    struct evbuffer *out)
{
	r->srv = srv;
	r->out = out;
	r->queued = evbuffer_get_length(out);
	srv->reply_queued += r->queued;
	evbuffer_add_cb(out, conn_reply_drain_cb, r);
}

/*
 * Give back what the reply still holds (its connection is being freed).
 * The bytes are freed now: libevent frees a bufferevent's buffers only
 * later in the loop, and a burst of requests in one pass must not pile
 * them up.  (A socket bufferevent keeps its output frozen at the front
 * between writes, so it must be thawed to drain.)
 */
void
conn_reply_release(struct conn_reply *r)
{
	if (r->out != NULL) {
		evbuffer_remove_cb(r->out, conn_reply_drain_cb, r);
		evbuffer_unfreeze(r->out, 1);
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
		r->out = NULL;
	}
	if (r->srv != NULL)
		r->srv->reply_queued -= r->queued;
	r->queued = 0;
}
