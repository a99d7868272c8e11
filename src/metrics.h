/*
 * Optional HTTP listener on libevent's evhttp: /metrics in the Prometheus
 * text format (0.0.4) and /healthz.  Off unless [metrics] listen is set.
 */
#ifndef METRICS_H
#define METRICS_H

#define METRICS_PORT_DEFAULT	9369	/* when listen has no :port */

struct server;

/*
 * Listen on srv->conf.metrics_listen; 0 and nothing done when it is NULL.
 * Called again (SIGHUP) it keeps an unchanged listener, closes it when the
 * key is gone, and binds a changed one before closing the old, so a
 * failure (-1 with *cause set) leaves the old listener serving.
 */
int	metrics_open(struct server *, char **cause);
/* Stop listening and free the state; a no-op when not listening. */
void	metrics_close(struct server *);

#endif /* METRICS_H */
