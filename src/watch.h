/*
 * WATCH subscribers: local clients that keep their connection open and
 * are sent the cluster table, then each change as it happens, as text
 * lines (wire format in epmdxctl(1)).  Each has a bounded output queue.
 */
#ifndef WATCH_H
#define WATCH_H

struct node;
struct server;

/* A WATCH request was accepted on fd (ours from here): subscribe it. */
void	watch_accept(struct server *, int fd);
/* A node of host (reached at addr) came (up=1) or went: tell everyone. */
void	watch_changed(struct server *, const struct node *, const char *host,
	    const char *addr, int up);
/* Close every subscriber (shutdown, upgrade). */
void	watch_close_all(struct server *, const char *reason);

#endif /* WATCH_H */
