/*
 * The server: sets up the shared state (epmdx.h) and its calls, runs the
 * loop with its signals (reload, upgrade, stop), and is the one place
 * that hears a registration come or go and tells the observers.
 */
#ifndef SERVER_H
#define SERVER_H

struct epmd_conf;
struct server;

/* Builds a fresh configuration as the command line says (main.c). */
typedef int	(*server_conf_fn)(struct epmd_conf *, char **cause);

/* The event base, an empty registry, the lists and the server's calls. */
void	server_init(struct server *);
/*
 * Serve until a stop signal or KILL: signals, READY, the watchdog, the
 * loop; then close everything.  SIGHUP rebuilds the configuration with
 * conf.
 */
void	server_run(struct server *, server_conf_fn conf);

#endif /* SERVER_H */
