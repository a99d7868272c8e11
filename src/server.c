/*
 * The server: the shared state's calls (epmdx.h), the one event loop
 * with its signals, reload, and the observers of registrations.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "control.h"
#include "epmdx.h"
#include "fdstore.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "mono.h"
#include "registry.h"
#include "sd.h"
#include "server.h"
#include "sync.h"
#include "upgrade.h"
#include "watch.h"
#include "xmalloc.h"

static server_conf_fn	 server_conf;	/* builds the config on SIGHUP */
static int		 watchdog_on;

/* Tell the WATCH subscribers a local node came or went. */
static void
server_watch_local(struct server *srv, const struct node *n, int up)
{
	char	 host[256];

	if (srv->nwatchers == 0)
		return;
	sync_local_host(srv, host, sizeof(host));
	watch_changed(srv, n, host, SYNC_LOCAL_ADDR, up);
}

/*
 * A registration is complete: tell every observer, in this order, the
 * WATCH subscribers last.
 */
static void
server_node_added(struct server *srv, struct node *n)
{
	srv->stats.registered++;
	sync_local_changed(srv, n, 1);
	fdstore_added(srv, n);
	server_watch_local(srv, n, 1);
}

/* A registration ended (still in the registry): tell every observer. */
static void
server_node_removed(struct server *srv, struct node *n)
{
	sync_local_changed(srv, n, 0);
	fdstore_removed(srv, n);
	server_watch_local(srv, n, 0);
	srv->stats.unregistered++;
}

/* Sync took or dropped a remote entry: tell the WATCH subscribers. */
static void
server_remote_changed(struct server *srv, const struct node *n,
    const char *host, const char *addr, int up)
{
	if (srv->nwatchers > 0)
		watch_changed(srv, n, host, addr, up);
}

/* An authorised UPGRADE from the control socket. */
static void
server_upgrade(struct server *srv, int reply_fd)
{
	upgrade_start(srv, reply_fd);
}

/* A KILL request was answered: stop the loop, exit 0 like stock. */
static void
server_kill(struct server *srv)
{
	event_base_loopbreak(srv->base);
}

/* libevent's own messages, through our log. */
static void
server_libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/* The event base, an empty registry, the lists and the server's calls. */
void
server_init(struct server *srv)
{
	event_set_log_callback(server_libevent_log_cb);
	if ((srv->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	srv->reg = registry_new(srv->conf.unreg_cache);
	srv->started = time(NULL);
	srv->node_added = server_node_added;
	srv->node_removed = server_node_removed;
	srv->remote_changed = server_remote_changed;
	srv->adopt = conn_adopt;	/* restored sockets become connections */
	srv->accept = conn_accept;
	srv->evict = conn_evict_oldest;
	srv->upgrade = server_upgrade;
	srv->kill = server_kill;
	TAILQ_INIT(&srv->requests);
	TAILQ_INIT(&srv->regs);
	TAILQ_INIT(&srv->listeners);
	TAILQ_INIT(&srv->watchers);
}

/* SIGHUP: re-read the configuration; on error keep the old one. */
static void
server_reload(struct server *srv)
{
	struct epmd_conf	 conf, tmp;
	char			*cause = NULL;

	sd_notifyf_state("RELOADING=1");
	memset(&conf, 0, sizeof(conf));
	if (server_conf(&conf, &cause) == -1) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    cause);
		free(cause);
		sd_notifyf_state("READY=1");
		return;
	}
	/* Listen where the new config says, or keep the old sockets. */
	tmp = srv->conf;
	srv->conf.port = conf.port;
	srv->conf.address = conf.address;
	if (listen_reload(srv, conf.port, conf.sync.port, &cause) !=
	    LISTEN_OK) {
		log_warnx("reload: %s; keeping the old port and addresses",
		    cause);
		free(cause);
		cause = NULL;
		srv->conf = tmp;
		conf.port = tmp.port;
		free(conf.address);
		conf.address = tmp.address != NULL ? xstrdup(tmp.address) :
		    NULL;
	} else
		srv->conf = tmp;
	config_free(&srv->conf);
	srv->conf = conf;
	log_setverbose(srv->conf.log_level);
	registry_set_unreg_max(srv->reg, srv->conf.unreg_cache);
	conn_reconfigure(srv);
	if (metrics_open(srv, &cause) == -1) {
		log_warnx("reload: metrics: %s", cause);
		free(cause);
		cause = NULL;
	}
	control_reload(srv);
	if (sync_reload(srv, &cause) == -1) {
		log_warnx("reload: %s", cause);
		free(cause);
	}
	log_info("configuration reloaded");
	sd_notifyf_state("READY=1");
}

/* Signals arrive here from the loop, not in a handler. */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;

	switch (sig) {
	case SIGHUP:
		server_reload(srv);
		break;
	case SIGUSR2:
		server_upgrade(srv, -1);
		break;
	case SIGINT:
	case SIGTERM:
		log_info("shutting down signal=%s", strsignal(sig));
		event_base_loopbreak(srv->base);
		break;
	default:
		fatalx("server_signal_cb: %d", (int)sig);
	}
}

/*
 * Under systemd: answer the watchdog from the loop (so a stuck loop is
 * caught), and keep STATUS= showing live counts.
 */
static void
server_service_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;
	static char	 last[256];
	char		 status[256];

	if (watchdog_on)
		sd_notifyf_state("WATCHDOG=1");
	snprintf(status, sizeof(status), "Serving port %u: %zu registrations,"
	    " %u connections%s", srv->names_port, registry_count(srv->reg),
	    srv->nrequests, srv->sync != NULL ? ", peer sync on" : "");
	if (strcmp(status, last) != 0) {
		sd_notifyf_state("STATUS=%s", status);
		snprintf(last, sizeof(last), "%s", status);
	}
}

/* Serve until stopped, then close everything. */
void
server_run(struct server *srv, server_conf_fn conf)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR2 };
	struct event	*sigev[4], *service_ev = NULL;
	struct timeval	 tv;
	unsigned long long usec;
	time_t		 age;
	size_t		 i;

	server_conf = conf;
	/* Uptime counts from the first start, across upgrades. */
	age = time(NULL) - srv->started;
	srv->started_mono = mono_now() - (age > 0 ? age : 0);

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(srv->base, sigs[i], server_signal_cb,
		    srv);
		evsignal_add(sigev[i], NULL);
	}

	log_info("ready port=%u listeners=%u nofile=%lu max_connections=%u "
	    "version=%s", srv->names_port, srv->nlisteners, srv->nofile,
	    srv->conf.max_connections, EPMDX_VERSION);
	sd_notifyf_state("READY=1\nSTATUS=Processing port mapping requests "
	    "on port %u\nMAINPID=%lu", srv->names_port,
	    (unsigned long)getpid());

	if (getenv("NOTIFY_SOCKET") != NULL) {
		usec = sd_watchdog_usec();
		watchdog_on = usec > 0;
		/* Twice per watchdog period, and at least every 2 s. */
		tv.tv_sec = 2;
		tv.tv_usec = 0;
		if (watchdog_on && usec / 2 < 2000000ULL) {
			tv.tv_sec = (time_t)(usec / 2 / 1000000);
			tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		}
		service_ev = event_new(srv->base, -1, EV_PERSIST,
		    server_service_cb, srv);
		event_add(service_ev, &tv);
	}

	event_base_dispatch(srv->base);
	if (service_ev != NULL)
		event_free(service_ev);

	sd_notifyf_state("STOPPING=1");
	fdstore_freeze();
	watch_close_all(srv, "shutting down");
	sync_close(srv);
	conn_free_all(srv, "shutting down");
	metrics_close(srv);
	control_close();
	listen_close_all(srv);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	registry_free(srv->reg);
	event_base_free(srv->base);
	config_free(&srv->conf);
}
