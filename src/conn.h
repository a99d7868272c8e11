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
 * Close the oldest connection that holds no registration, to make room,
 * if it is at least min_age seconds old.  0 if one was closed, else -1.
 */
int	conn_evict_oldest(struct server *, const char *reason, int min_age);
/* Requests under way (not kept, not registered). */
unsigned int conn_count_requests(struct server *);
/* Close the requests under way. */
void	conn_close_requests(struct server *, const char *reason);
/* fn(fd, arg) for every kept (refused ALIVE2) connection. */
void	conn_foreach_kept(struct server *, void (*)(int, void *), void *);
/* Adopt a handed-over registration (n in the registry) or kept socket. */
struct node;
void	conn_adopt(struct server *, int fd, struct node *n);
/* Close every connection (shutdown); registrations go with them. */
void	conn_free_all(struct server *, const char *reason);
/* Apply a changed configuration to open connections (timeouts). */
void	conn_reconfigure(struct server *);

#endif /* CONN_H */
