/*
 * Listening sockets: taken from systemd, or bound as stock epmd binds
 * them; accepts handed to conn.c; out of descriptors handled without
 * spinning.
 */
#ifndef LISTEN_H
#define LISTEN_H

struct server;

#define LISTEN_OK	0
#define LISTEN_ERR	(-1)	/* *cause set: exit 1 */
#define LISTEN_BUSY	1	/* port in use: stock exits 0 quietly */

/*
 * Open the listeners: the sockets systemd passed if any (required when
 * need_systemd), else the configured addresses.  Sets srv->names_port.
 */
int	listen_open(struct server *, int need_systemd, char **cause);
/* Close every listener. */
void	listen_close_all(struct server *);

#endif /* LISTEN_H */
