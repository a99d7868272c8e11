/*
 * Configuration: built-in defaults, then the inih file, then the
 * environment (ERL_EPMD_*), then the command line.  config_load() builds
 * and validates a fresh struct; a failure leaves the caller's untouched.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "config_value.h"

#ifndef EPMDX_CONF
#define EPMDX_CONF		"/etc/epmdx/epmdx.conf"
#endif

#define CONF_PACKET_TIMEOUT	60	/* stock CLOSE_TIMEOUT, seconds */
#define CONF_MAX_CONNECTIONS	8192	/* non-registration connections */

#define CONF_SYNC_CLUSTER	"default" /* [sync] cluster when unset */
#define CONF_SYNC_TTL		10	/* seconds an origin lives unheard */
#define CONF_SYNC_INTERVAL	2	/* heartbeat, seconds */
#define CONF_DNS_INTERVAL	10	/* DNS poll, seconds */
#define CONF_MCAST_GROUP	"239.255.43.69"
#define CONF_MCAST_PORT		4370
#define CONF_UNREG_CACHE	1000	/* stock MAX_UNREG_COUNT */
#define CONF_UNREG_CACHE_DEBUG	5	/* stock DEBUG_MAX_UNREG_COUNT (-d) */

/* Bytes of replies queued for slow readers, all connections together. */
#define CONF_REPLY_BUFFER_TOTAL	((size_t)64 << 20)
/* WATCH: change bytes queued per watcher, and watchers at once. */
#define CONF_WATCH_QUEUE_MAX	((size_t)1 << 20)
#define CONF_MAX_WATCHERS	4096

struct acl;

/*
 * [access]: who may ask, by request, among the peers that are not local
 * (stock's rule); NULL lets everyone in, as stock.  See acl.h.
 */
struct access_conf {
	struct acl	*names;		/* names_allow: NAMES */
	struct acl	*port_please;	/* port_please_allow: PORT_PLEASE2 */
	struct acl	*sync;		/* sync_allow: sync streams */
};
/* The control socket (control.c); port 4369's, else control.PORT.sock. */
#define CONF_CONTROL_DIR	"/run/epmdx"
#define CONF_CONTROL_GROUP	"epmdx"

/* [sync]: peer sync between daemons (see epmdx-sync(7)). */
struct sync_conf {
	char		*backends;	/* "static, dns"; NULL: sync off */
	char		*cluster;	/* NULL: CONF_SYNC_CLUSTER */
	char		*hostname;	/* our origin; NULL: short host name */
	char		*advertise;	/* host[:port] peers reach us on */
	char		*secret_file;
	unsigned int	 ttl;
	unsigned int	 interval;
	unsigned int	 port;		/* 0: the EPMD port */
	char		*peers;		/* static: host[:port], ... */
	char		*hosts_file;	/* hosts: a .hosts.erlang */
	char		*dns_query;
	char		*dns_type;	/* "a" (A and AAAA) or "srv" */
	unsigned int	 dns_interval;
	char		*dns_server;	/* ip[:port]; NULL: resolv.conf */
	char		*mcast_group;
	unsigned int	 mcast_port;
	unsigned int	 mcast_hops;	/* hop limit (key mcast_hops, mcast_ttl) */
	char		*mcast_interface; /* address or interface name */
	char		*etcd_endpoints; /* http[s]://host:port, ... */
	char		*etcd_prefix;	/* NULL: "/epmdx/" */
	char		*etcd_cacert;	/* PEM files for TLS to etcd */
	char		*etcd_cert;
	char		*etcd_key;
	char		*etcd_password_file; /* user:password */
};

struct epmd_conf {
	unsigned int	 port;		/* 0: EPMD_PORT_DEFAULT */
	char		*address;	/* listen list; NULL: 0.0.0.0 and :: */
	int		 relaxed;	/* relaxed_command_check */
	unsigned int	 packet_timeout; /* seconds */
	unsigned int	 delay_accept;	/* seconds */
	unsigned int	 delay_write;	/* seconds */
	unsigned int	 max_connections;
	unsigned int	 unreg_cache;	/* remembered unregistered names */
	int		 log_level;	/* 0 warning, 1 info, 2 debug */
	char		*control_socket; /* NULL: CONF_CONTROL_DIR default */
	char		*control_group;	/* NULL: CONF_CONTROL_GROUP */
	char		*metrics_listen; /* [metrics] listen = addr:port */
	struct sync_conf sync;
	size_t		 reply_buffer_total; /* bytes queued for readers */
	size_t		 watch_queue_max; /* change bytes queued per watcher */
	unsigned int	 max_watchers;	/* WATCH subscribers at once */
	struct access_conf access;
};

/* Fill conf with the built-in defaults. */
void	 config_defaults(struct epmd_conf *);
/*
 * Parse the file at path over the defaults into conf.  A missing file is
 * an error unless missing_ok.  On error returns -1 with *cause set to
 * "path:line: message" (caller frees) and conf untouched.
 */
int	 config_load(const char *path, int missing_ok, struct epmd_conf *conf,
	    char **cause);
/* The same from a string (tests); name stands for the file name. */
int	 config_load_string(const char *text, const char *name,
	    struct epmd_conf *conf, char **cause);
/*
 * Whole-config checks once file, environment and command line are merged
 * (the address list as listen.c will use it).  -1 with *cause on error.
 */
int	 config_validate(const struct epmd_conf *, char **cause);
/* Apply ERL_EPMD_PORT, ERL_EPMD_ADDRESS, ERL_EPMD_RELAXED_COMMAND_CHECK. */
void	 config_apply_env(struct epmd_conf *);
/* Free what conf owns. */
void	 config_free(struct epmd_conf *);
/* Deep copy. */
void	 config_copy(struct epmd_conf *dst, const struct epmd_conf *src);

/*
 * The control socket's path for a daemon on port: control_socket, else
 * CONF_CONTROL_DIR/control.sock on 4369, control.PORT.sock on another.
 */
const char *config_control_path(const struct epmd_conf *, unsigned int port,
	    char *buf, size_t size);
/* The group that may use the control socket. */
const char *config_control_group(const struct epmd_conf *);
/* The [sync] cluster name: cluster, else CONF_SYNC_CLUSTER. */
const char *config_sync_cluster(const struct sync_conf *);
/* Whether sync needs secret_file (every backend but etcd). */
int	 config_sync_needs_secret(const struct sync_conf *);

#endif /* CONFIG_H */
