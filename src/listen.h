/*
 * Listening sockets: taken from systemd, or bound as stock epmd binds
 * them; accepts handed to the server; out of descriptors handled without
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
/* Also listen on port, at the configured addresses (sync's port). */
int	listen_open_port(struct server *, unsigned int port, char **cause);
/* Adopt a listening socket from the previous process. */
int	listen_adopt(struct server *, int fd, char **cause);
/* Stop (0) or resume (1) accepting. */
void	listen_enable_all(struct server *, int on);
/* fn(fd, arg) for every listening socket. */
void	listen_foreach_fd(struct server *, void (*)(int, void *), void *);
/* Reload: listen where the new config says; -1 keeps the old ones. */
int	listen_reload(struct server *, unsigned int port,
	    unsigned int sync_port, char **cause);
/* Close every listener. */
void	listen_close_all(struct server *);

#endif /* LISTEN_H */
