/*
 * What the files of client connections share (conn.c, conn_set.c): the
 * connection and its states.  Nothing else includes this.
 */
#ifndef CONN_INT_H
#define CONN_INT_H

#include <sys/queue.h>

#include <stdint.h>
#include <time.h>

#include "conn_reply.h"

enum conn_state {
	CONN_DELAY,		/* waiting out delay_accept */
	CONN_READ,		/* reading one request */
	CONN_WRITE_DELAY,	/* reply ready, waiting out delay_write */
	CONN_FLUSH,		/* writing the reply, then close */
	CONN_KEPT,		/* ALIVE2 refused; open until the peer acts */
	CONN_REGISTERED,	/* holds a registration */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* srv->requests or srv->regs */
	struct server		*srv;
	enum conn_state		 state;
	int			 fd;
	int			 local;		/* peer is local (stock rule) */
	int			 flags;
#define CONN_F_KILL	0x1			/* exit once the reply is out */
	time_t			 since;		/* accepted at (monotonic) */
	struct bufferevent	*bev;		/* while reading and replying */
	struct event		*ev;		/* KEPT, REGISTERED: read watch */
	struct event		*timer;		/* delay_accept, delay_write */
	struct node		*node;		/* our registration, if any */
	uint8_t			 alive[6];	/* ALIVE2 reply under delay */
	uint8_t			 alivelen;
	struct conn_reply	 reply;		/* its share of the reply budget */
};

/* conn.c */
/* The one teardown: unregister, close, free. */
void		 conn_free(struct conn *, const char *reason);
/* The peer's address, for logs. */
const char	*conn_peer(const struct conn *);
/* Arm the bufferevent's timeouts from the configuration. */
void		 conn_set_timeouts(struct conn *);

#endif /* CONN_INT_H */
