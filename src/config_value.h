/*
 * Single configuration values (config_value.c): the parsers and checks
 * config.c's key table uses, and those other modules use too (they get
 * them through config.h).  Each check returns NULL or an error message
 * the caller frees.
 */
#ifndef CONFIG_VALUE_H
#define CONFIG_VALUE_H

#include <stddef.h>

#define CONF_MAX_ADDRESSES	16	/* stock MAX_LISTEN_SOCKETS */
#define CONF_CLUSTER_MAX	64	/* bytes of a cluster name */


/* A boolean (yes/no, true/false, on/off, 1/0); -1 if it is none. */
int	 config_bool(const char *);
/* A size: bytes, or a number with K, M or G (1024-based); -1 if none. */
int	 config_size(const char *, unsigned long long *bytes);
/* An address list (IP literals, at most CONF_MAX_ADDRESSES). */
char	*config_check_list(const char *list);
/* One host[:port] list (or a single one when single). */
char	*config_check_hostports(const char *key, const char *value,
	    int single);
/* A list of sync backend names. */
char	*config_check_backends(const char *value);
/* An absolute path a unix socket can be bound to. */
char	*config_check_sockpath(const char *key, const char *value);
/* A group name as useradd(8) takes it. */
char	*config_check_groupname(const char *key, const char *value);
/* A cluster name: 1 to CONF_CLUSTER_MAX of [A-Za-z0-9._-]. */
char	*config_check_cluster(const char *key, const char *value);

/*
 * Split an address list (separators ", " as stock) into at most max
 * tokens written into buf (NUL-separated).  Returns the number of
 * tokens, or -1 if there are more than max.
 */
int	 config_split_addresses(const char *list, char *buf, size_t bufsize,
	    const char *tok[], int max);
/*
 * Split "host[:port]" or "[v6]:port" into host (written to buf) and port
 * (0 when absent); -1 if malformed.
 */
int	 config_hostport(const char *, char *buf, size_t size,
	    unsigned int *port);
/* Whether name is an item of a comma/space separated list. */
int	 config_list_has(const char *list, const char *name);
/*
 * old (NULL: none) followed by the items of value, as one "a, b, c"
 * string the caller frees; with unique, items already in old are
 * skipped.
 */
char	*config_list_join(const char *old, const char *value, int unique);
/* Whether an address literal is 127.0.0.1 or ::1. */
int	 config_is_loopback(const char *);
/* 0 if s is an IPv4 or IPv6 literal, else -1. */
int	 config_check_address(const char *s);
/* The log level for a name ("warning", "info", "debug"), or -1. */
int	 config_log_level(const char *);

#endif /* CONFIG_VALUE_H */
