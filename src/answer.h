/*
 * The answers to requests that only read state: PORT_PLEASE2, NAMES,
 * DUMP, and ours (STATUS, RESOLVE).  They fill a buffer; conn.c sends it.
 */
#ifndef ANSWER_H
#define ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Room for the largest PORT2 reply. */
#define ANSWER_PORT2_MAX	(16 + 2 * PROTO_MAXSYMLEN)

struct evbuffer;
struct node;
struct proto_req;
struct server;

/* PORT2 reply for n (NULL: not found) into buf; returns its length. */
int		 answer_port2(const struct node *, uint8_t *buf, size_t size);
/* NAMES: the port header, then one line per node, newest first. */
void		 answer_names(struct server *, struct evbuffer *);
/* DUMP: header, active nodes, then remembered ones, each line + NUL. */
void		 answer_dump(struct server *, struct evbuffer *);
/* STATUS: key=value lines describing the daemon. */
void		 answer_status(struct server *, struct evbuffer *);
/*
 * RESOLVE name@host: the node from the cluster table, or NULL; addr gets
 * the address of the host it runs on.
 */
const struct node *answer_resolve(struct server *, const struct proto_req *,
		    char *addr, size_t addrsize);

#endif /* ANSWER_H */
