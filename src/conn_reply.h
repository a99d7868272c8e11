/*
 * The reply budget: the bytes all replies together may hold while their
 * readers are slow (reply_buffer_total).  Each reply counts what its
 * output buffer holds until the bytes are sent or dropped.
 */
#ifndef CONN_REPLY_H
#define CONN_REPLY_H

#include <stddef.h>

struct evbuffer;
struct server;

/* One reply's share of srv->reply_queued. */
struct conn_reply {
	struct server	*srv;
	struct evbuffer	*out;		/* counted, NULL if not yet */
	size_t		 queued;	/* bytes still counted */
};

/* Whether len more bytes would exceed reply_buffer_total. */
int	conn_reply_over(struct server *, size_t len);
/* Count what out holds now, until it is sent or released. */
void	conn_reply_count(struct conn_reply *, struct server *,
	    struct evbuffer *out);
/* Give back what is still counted, and drop those bytes now. */
void	conn_reply_release(struct conn_reply *);

#endif /* CONN_REPLY_H */
