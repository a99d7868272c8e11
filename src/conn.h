/*
 * Client connections: one request each, answered then closed, except a
 * registration (ALIVE2), which lives as long as the connection does.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/socket.h>

struct server;

/* Take over an accepted socket (already non-blocking). */
void	conn_accept(struct server *, int fd, const struct sockaddr *peer,
	    socklen_t peerlen);
/*
 * Close the oldest connection that holds no registration, to make room.
 * Returns 0 if one was closed, -1 if there was none.
 */
int	conn_evict_oldest(struct server *, const char *reason);
/* Close every connection (shutdown); registrations go with them. */
void	conn_free_all(struct server *, const char *reason);
/* Apply a changed configuration to open connections (timeouts). */
void	conn_reconfigure(struct server *);
/* Whether a connected socket's peer counts as local (stock's rule). */
int	conn_local_peer(int fd);

#endif /* CONN_H */
