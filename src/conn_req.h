/*
 * Requests: who may ask what (stock's local rule, the [access] lists),
 * one table row per opcode, and the answer each gets.  conn.c reads the
 * request and acts on what is decided here; nothing here touches a
 * connection.
 */
#ifndef CONN_REQ_H
#define CONN_REQ_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct proto_req;
struct server;

/* What a request asks of its connection. */
enum conn_req_action {
	CONN_REQ_REPLY,		/* the reply is in out: send it, close */
	CONN_REQ_KILL,		/* the same, then the daemon exits */
	CONN_REQ_DROP,		/* bad input: drop, logged, why */
	CONN_REQ_CLOSE,		/* close unanswered (refused), why */
	CONN_REQ_ALIVE2,	/* register: conn.c does it */
	CONN_REQ_SYNC,		/* the stream goes to sync */
	CONN_REQ_STOP,		/* end stop (a registration), then reply */
	CONN_REQ_WATCH,		/* the connection goes to watch.c */
};

struct conn_req_result {
	enum conn_req_action	 action;
	const char		*why;	/* DROP, CLOSE */
	void			*stop;	/* STOP: the conn to close */
};

/*
 * Decide and answer one request from fd (local: stock's rule).  The reply
 * goes into out; what the connection must do next into *res.
 */
void	conn_req_dispatch(struct server *, int fd, int local,
	    const struct proto_req *, struct evbuffer *out,
	    struct conn_req_result *res);
/*
 * Answer a PORT_PLEASE2 already in a just-accepted socket, with no
 * connection: 0 if answered (fd closed), -1 to take the ordinary path.
 */
int	conn_req_fast(struct server *, int fd);
/* Whether fd's peer is local as stock decides it; sa: from accept(). */
int	conn_req_local(int fd, const struct sockaddr *sa);
/* A node name made safe for a log line: escaped, truncated. */
const char *conn_req_name(const uint8_t *name, size_t len);

#endif /* CONN_REQ_H */
