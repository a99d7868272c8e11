/*
 * The configuration: its key table and the inih handler that applies it,
 * the file reader, defaults, whole-config validation.  Single values are
 * parsed and checked by config_value.c; the environment and derived
 * values are config_env.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "acl.h"
#include "config.h"
#include "config_value.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

/* What the inih reader and handler accumulate. */
struct config_parse {
	struct epmd_conf	 conf;
	FILE			*f;	/* reading a file, or */
	const char		*s;	/* a string */
	int			 line;	/* the line last handed to inih */
	int			 errline; /* first error's line, 0 if none */
	char			*error;	/* its message */
	int			 readerr; /* errno of a failed read */
	int			 named;	/* a key set since the last [section] */
	int			 cont;	/* the line read continues that key */
};

/* What a key's value is. */
enum config_type {
	CONF_UINT,		/* decimal, min..max */
	CONF_BOOL,		/* yes/no, true/false, on/off, 1/0 */
	CONF_LEVEL,		/* warning, info, debug */
	CONF_STRING,		/* any non-empty text */
	CONF_ADDRLIST,		/* stock's listen list */
	CONF_HOSTPORT,		/* host[:port] (host may be [v6]) */
	CONF_HOSTPORTS,		/* host[:port], ... */
	CONF_BACKENDS,		/* names of sync backends */
	CONF_DNSTYPE,		/* a or srv */
	CONF_SIZE,		/* bytes, or with K, M, G; min..max in KiB */
	CONF_ACL,		/* allow list of networks (acl.h) */
	CONF_SOCKPATH,		/* absolute path that fits a sun_path */
	CONF_GROUPNAME,		/* a user or group name */
	CONF_LIST,		/* words, checked where they are used */
	CONF_CLUSTER,		/* a cluster name */
};

/* One key: section ("" for the top level), type, offset, bounds. */
struct config_key {
	const char	*section;
	const char	*key;
	enum config_type type;
	size_t		 off;
	unsigned int	 min;
	unsigned int	 max;
};

#define TOP(f)	offsetof(struct epmd_conf, f)
#define SYNC(f)	(offsetof(struct epmd_conf, sync) + \
		    offsetof(struct sync_conf, f))
#define ACCESS(f) (offsetof(struct epmd_conf, access) + \
		    offsetof(struct access_conf, f))

static const struct config_key config_keys[] = {
	{ "", "port", CONF_UINT, TOP(port), 1, 65535 },
	{ "", "address", CONF_ADDRLIST, TOP(address), 0, 0 },
	{ "", "relaxed_command_check", CONF_BOOL, TOP(relaxed), 0, 0 },
	{ "", "packet_timeout", CONF_UINT, TOP(packet_timeout), 1, 86400 },
	{ "", "delay_accept", CONF_UINT, TOP(delay_accept), 0, 3600 },
	{ "", "delay_write", CONF_UINT, TOP(delay_write), 0, 3600 },
	{ "", "max_connections", CONF_UINT, TOP(max_connections),
	    16, 10000000 },
	{ "", "unreg_cache", CONF_UINT, TOP(unreg_cache), 0, 10000000 },
	{ "", "log_level", CONF_LEVEL, TOP(log_level), 0, 0 },
	{ "", "reply_buffer_total", CONF_SIZE, TOP(reply_buffer_total),
	    64, 64 * 1024 * 1024 },
	{ "", "watch_queue_max", CONF_SIZE, TOP(watch_queue_max),
	    4, 1024 * 1024 },
	{ "", "max_watchers", CONF_UINT, TOP(max_watchers), 0, 1000000 },
	{ "access", "names_allow", CONF_ACL, ACCESS(names), 0, 0 },
	{ "access", "port_please_allow", CONF_ACL, ACCESS(port_please),
	    0, 0 },
	{ "access", "sync_allow", CONF_ACL, ACCESS(sync), 0, 0 },
	{ "", "control_socket", CONF_SOCKPATH, TOP(control_socket), 0, 0 },
	{ "", "control_group", CONF_GROUPNAME, TOP(control_group), 0, 0 },
	{ "metrics", "listen", CONF_HOSTPORT, TOP(metrics_listen), 0, 0 },
	{ "sync", "backends", CONF_BACKENDS, SYNC(backends), 0, 0 },
	{ "sync", "cluster", CONF_CLUSTER, SYNC(cluster), 0, 0 },
	{ "sync", "hostname", CONF_STRING, SYNC(hostname), 0, 0 },
	{ "sync", "advertise", CONF_HOSTPORT, SYNC(advertise), 0, 0 },
	{ "sync", "secret_file", CONF_STRING, SYNC(secret_file), 0, 0 },
	{ "sync", "ttl", CONF_UINT, SYNC(ttl), 1, 86400 },
	{ "sync", "interval", CONF_UINT, SYNC(interval), 1, 3600 },
	{ "sync", "port", CONF_UINT, SYNC(port), 1, 65535 },
	{ "sync", "peers", CONF_HOSTPORTS, SYNC(peers), 0, 0 },
	{ "sync", "hosts_file", CONF_STRING, SYNC(hosts_file), 0, 0 },
	{ "sync", "dns_query", CONF_STRING, SYNC(dns_query), 0, 0 },
	{ "sync", "dns_type", CONF_DNSTYPE, SYNC(dns_type), 0, 0 },
	{ "sync", "dns_interval", CONF_UINT, SYNC(dns_interval), 1, 86400 },
	{ "sync", "dns_server", CONF_HOSTPORT, SYNC(dns_server), 0, 0 },
	{ "sync", "mcast_group", CONF_LIST, SYNC(mcast_group), 0, 0 },
	{ "sync", "mcast_port", CONF_UINT, SYNC(mcast_port), 1, 65535 },
	{ "sync", "mcast_hops", CONF_UINT, SYNC(mcast_hops), 1, 255 },
	/* The first name of mcast_hops, kept: a hop limit, not a lifetime. */
	{ "sync", "mcast_ttl", CONF_UINT, SYNC(mcast_hops), 1, 255 },
	{ "sync", "mcast_interface", CONF_STRING, SYNC(mcast_interface),
	    0, 0 },
	{ "sync", "etcd_endpoints", CONF_STRING, SYNC(etcd_endpoints), 0, 0 },
	{ "sync", "etcd_prefix", CONF_STRING, SYNC(etcd_prefix), 0, 0 },
	{ "sync", "etcd_cacert", CONF_STRING, SYNC(etcd_cacert), 0, 0 },
	{ "sync", "etcd_cert", CONF_STRING, SYNC(etcd_cert), 0, 0 },
	{ "sync", "etcd_key", CONF_STRING, SYNC(etcd_key), 0, 0 },
	{ "sync", "etcd_password_file", CONF_STRING,
	    SYNC(etcd_password_file), 0, 0 },
};
#define CONFIG_NKEYS	(sizeof(config_keys) / sizeof(config_keys[0]))


static int	config_handler(void *, const char *, const char *,
		    const char *);
static char	*config_set(struct epmd_conf *, const char *, const char *,
		    const char *, int);
static int	config_finish(struct config_parse *, int, const char *,
		    struct epmd_conf *, char **);
static void	config_error(struct config_parse *, char *);
static char	*config_reader(char *, int, void *);

/* The field of conf a key sets. */
static void *
config_field(struct epmd_conf *conf, const struct config_key *k)
{
	return (char *)conf + k->off;
}

/* Whether a key's value is an owned string. */
static int
config_is_string(const struct config_key *k)
{
	return k->type != CONF_UINT && k->type != CONF_BOOL &&
	    k->type != CONF_LEVEL && k->type != CONF_SIZE &&
	    k->type != CONF_ACL;
}

/*
 * Whether a key takes a list: its repeated keys and continuation lines
 * add up, where another key keeps its last value.
 */
static int
config_is_list(const struct config_key *k)
{
	return k->type == CONF_ADDRLIST || k->type == CONF_HOSTPORTS ||
	    k->type == CONF_BACKENDS || k->type == CONF_ACL ||
	    k->type == CONF_LIST;
}

/* Fill conf with the built-in defaults. */
void
config_defaults(struct epmd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->port = EPMD_PORT_DEFAULT;
	conf->packet_timeout = CONF_PACKET_TIMEOUT;
	conf->max_connections = CONF_MAX_CONNECTIONS;
	conf->unreg_cache = CONF_UNREG_CACHE;
	conf->log_level = 1;
	conf->sync.ttl = CONF_SYNC_TTL;
	conf->sync.interval = CONF_SYNC_INTERVAL;
	conf->sync.dns_interval = CONF_DNS_INTERVAL;
	conf->sync.mcast_port = CONF_MCAST_PORT;
	conf->sync.mcast_hops = 1;
	conf->reply_buffer_total = CONF_REPLY_BUFFER_TOTAL;
	conf->watch_queue_max = CONF_WATCH_QUEUE_MAX;
	conf->max_watchers = CONF_MAX_WATCHERS;
}

/* Free what conf owns. */
void
config_free(struct epmd_conf *conf)
{
	struct acl **ap;
	char	**sp;
	size_t	  i;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].type == CONF_ACL) {
			ap = config_field(conf, &config_keys[i]);
			acl_free(*ap);
			*ap = NULL;
		}
		if (!config_is_string(&config_keys[i]))
			continue;
		sp = config_field(conf, &config_keys[i]);
		free(*sp);
		*sp = NULL;
	}
}

/* Deep copy src into dst (dst owns nothing yet). */
void
config_copy(struct epmd_conf *dst, const struct epmd_conf *src)
{
	struct acl **ap;
	char	**sp;
	size_t	  i;

	*dst = *src;
	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].type == CONF_ACL) {
			ap = config_field(dst, &config_keys[i]);
			*ap = acl_copy(*ap);
		}
		if (!config_is_string(&config_keys[i]))
			continue;
		sp = config_field(dst, &config_keys[i]);
		if (*sp != NULL)
			*sp = xstrdup(*sp);
	}
}

/*
 * Whole-config checks: the address list as it will be bound, where
 * 127.0.0.1 and ::1 always take two of the CONF_MAX_ADDRESSES sockets.
 */
int
config_validate(const struct epmd_conf *conf, char **cause)
{
	char		 buf[1024];
	const char	*tok[CONF_MAX_ADDRESSES + 1];
	int		 i, n, total = 2;
	char		*msg;

	if (conf->sync.backends != NULL) {
		const struct sync_conf	*sc = &conf->sync;
		const char		*need = NULL;

		if (sc->secret_file == NULL && config_sync_needs_secret(sc))
			need = "secret_file (sync refuses to run "
			    "unauthenticated)";
		else if (config_list_has(sc->backends, "static") &&
		    sc->peers == NULL)
			need = "peers, for the static backend";
		else if (config_list_has(sc->backends, "hosts") &&
		    sc->hosts_file == NULL)
			need = "hosts_file, for the hosts backend";
		else if (config_list_has(sc->backends, "dns") &&
		    sc->dns_query == NULL)
			need = "dns_query, for the dns backend";
		else if (config_list_has(sc->backends, "etcd") &&
		    sc->etcd_endpoints == NULL)
			need = "etcd_endpoints, for the etcd backend";
		if (need == NULL && config_list_has(sc->backends, "etcd") &&
		    strcspn(sc->backends, ", ") != strlen(sc->backends)) {
			xasprintf(cause, "[sync] backends: etcd runs alone: "
			    "with another backend an origin would be written "
			    "twice, by its own stream and by its etcd keys");
			return -1;
		}
		if (need != NULL) {
			xasprintf(cause, "[sync] backends are set but %s is "
			    "missing", need);
			return -1;
		}
	}
	if (conf->address == NULL)
		return 0;
	if ((msg = config_check_list(conf->address)) != NULL) {
		*cause = msg;
		return -1;
	}
	n = config_split_addresses(conf->address, buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES);
	for (i = 0; i < n; i++)
		if (!config_is_loopback(tok[i]))
			total++;
	if (total > CONF_MAX_ADDRESSES) {
		xasprintf(cause, "cannot listen on more than %d IP addresses "
		    "(127.0.0.1 and ::1 are always added)", CONF_MAX_ADDRESSES);
		return -1;
	}
	return 0;
}

/*
 * Set one key; NULL or an error message (caller frees).  cont: the value
 * is an indented line that continues the key (inih's multi-line values).
 */
static char *
config_set(struct epmd_conf *conf, const char *section, const char *key,
    const char *value, int cont)
{
	const struct config_key	*k = NULL;
	unsigned long		 ul;
	unsigned long long	 ull;
	struct acl		**ap;
	char			*end, *msg = NULL, **sp, *cause;
	size_t			 i;
	int			 v, found_section = *section == '\0';

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(section, config_keys[i].section) != 0)
			continue;
		found_section = 1;
		if (strcmp(key, config_keys[i].key) == 0) {
			k = &config_keys[i];
			break;
		}
	}
	if (!found_section) {
		xasprintf(&msg, "unknown section [%s]", section);
		return msg;
	}
	if (k == NULL) {
		if (*section != '\0')
			xasprintf(&msg, "unknown key \"%s\" in [%s]", key,
			    section);
		else
			xasprintf(&msg, "unknown key \"%s\"", key);
		return msg;
	}
	if (cont && !config_is_list(k)) {
		xasprintf(&msg, "%s takes one value, and an indented line "
		    "continues the key above it (do not indent settings)", key);
		return msg;
	}
	if (cont && strchr(value, '=') != NULL) {
		xasprintf(&msg, "%s: \"%s\" continues the list above it, as "
		    "it is indented (do not indent settings)", key, value);
		return msg;
	}
	if (cont && strspn(value, ", \t") == strlen(value))
		return NULL;	/* adds nothing, and unsets nothing */

	/* [access]: an empty list is the default (everyone); lists add up. */
	if (k->type == CONF_ACL) {
		ap = config_field(conf, k);
		if (strspn(value, ", \t") == strlen(value)) {
			acl_free(*ap);
			*ap = NULL;
			return NULL;
		}
		if (acl_parse(value, ap, &cause) == -1) {
			xasprintf(&msg, "%s: %s", key, cause);
			free(cause);
			return msg;
		}
		return NULL;
	}
	/* An empty text value means unset, whatever its type. */
	if (config_is_string(k) && strspn(value, ", ") == strlen(value)) {
		sp = config_field(conf, k);
		free(*sp);
		*sp = NULL;
		return NULL;
	}
	switch (k->type) {
	case CONF_UINT:
		errno = 0;
		ul = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0' ||
		    errno != 0 || ul < k->min || ul > k->max) {
			xasprintf(&msg, "%s: \"%s\" is not a number from "
			    "%u to %u", key, value, k->min, k->max);
			return msg;
		}
		*(unsigned int *)config_field(conf, k) = (unsigned int)ul;
		return NULL;
	case CONF_SIZE:
		if (config_size(value, &ull) == -1 ||
		    ull < (unsigned long long)k->min << 10 ||
		    ull > (unsigned long long)k->max << 10) {
			xasprintf(&msg, "%s: \"%s\" is not a size from %uK to "
			    "%uG (bytes, or with K, M or G)", key, value,
			    k->min, k->max >> 20);
			return msg;
		}
		*(size_t *)config_field(conf, k) = (size_t)ull;
		return NULL;
	case CONF_ACL:
		break;	/* above */
	case CONF_BOOL:
		if ((v = config_bool(value)) == -1) {
			xasprintf(&msg, "%s: \"%s\" is not yes or no", key,
			    value);
			return msg;
		}
		*(int *)config_field(conf, k) = v;
		return NULL;
	case CONF_LEVEL:
		if ((v = config_log_level(value)) == -1) {
			xasprintf(&msg, "%s: \"%s\" is not one of "
			    "warning, info, debug", key, value);
			return msg;
		}
		*(int *)config_field(conf, k) = v;
		return NULL;
	case CONF_ADDRLIST:
		msg = config_check_list(value);
		break;
	case CONF_HOSTPORT:
		msg = config_check_hostports(key, value, 1);
		break;
	case CONF_HOSTPORTS:
		msg = config_check_hostports(key, value, 0);
		break;
	case CONF_BACKENDS:
		msg = config_check_backends(value);
		break;
	case CONF_DNSTYPE:
		if (strcasecmp(value, "a") != 0 &&
		    strcasecmp(value, "srv") != 0)
			xasprintf(&msg, "%s: \"%s\" is not a or srv", key,
			    value);
		break;
	case CONF_SOCKPATH:
		msg = config_check_sockpath(key, value);
		break;
	case CONF_GROUPNAME:
		msg = config_check_groupname(key, value);
		break;
	case CONF_CLUSTER:
		msg = config_check_cluster(key, value);
		break;
	case CONF_STRING:
	case CONF_LIST:
		break;
	}
	if (msg != NULL)
		return msg;
	sp = config_field(conf, k);
	if (config_is_list(k)) {
		/* Lists add up over repeated keys and continuation lines. */
		msg = config_list_join(*sp, value, k->type == CONF_BACKENDS);
		if (k->type == CONF_ADDRLIST &&
		    (cause = config_check_list(msg)) != NULL) {
			free(msg);
			return cause;
		}
		free(*sp);
		*sp = msg;
		return NULL;
	}
	free(*sp);
	*sp = xstrdup(value);
	return NULL;
}

/* inih callback: returns 0 on error so inih reports the line. */
static int
config_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct config_parse	*cp = arg;
	char			*msg;

	msg = config_set(&cp->conf, section, key, value, cp->cont);
	cp->named = 1;
	if (msg == NULL)
		return 1;
	config_error(cp, msg);
	return 0;
}

/* Keep the first error and its line. */
static void
config_error(struct config_parse *cp, char *msg)
{
	if (cp->errline != 0) {
		free(msg);
		return;
	}
	cp->errline = cp->line;
	cp->error = msg;
}

/*
 * Whether the line just read continues the last key, as inih decides it:
 * a line that is not blank nor a comment, indented, after a key of the
 * same section.  A section header starts afresh.
 */
static void
config_line_kind(struct config_parse *cp, const char *line)
{
	const char	*p = line + strspn(line, " \t\v\f\r\n");

	cp->cont = 0;
	if (*p == '\0' || *p == ';' || *p == '#')
		return;
	if (p > line && cp->named)
		cp->cont = 1;
	else if (*p == '[')
		cp->named = 0;
}

/*
 * inih's line reader, counting lines so errors carry the right number
 * and refusing lines longer than inih's buffer instead of splitting them.
 */
static char *
config_reader(char *buf, int size, void *arg)
{
	struct config_parse	*cp = arg;
	const char		*nl;
	size_t			 n;
	char			*msg;

	if (cp->f != NULL) {
		if (fgets(buf, size, cp->f) == NULL) {
			if (ferror(cp->f))
				cp->readerr = errno != 0 ? errno : EIO;
			return NULL;
		}
		n = strlen(buf);
	} else {
		if (*cp->s == '\0')
			return NULL;
		nl = strchr(cp->s, '\n');
		n = nl != NULL ? (size_t)(nl - cp->s) + 1 : strlen(cp->s);
		if (n > (size_t)size - 1)
			n = (size_t)size - 1;
		memcpy(buf, cp->s, n);
		buf[n] = '\0';
		cp->s += n;
	}
	cp->line++;
	if (n == (size_t)size - 1 && buf[n - 1] != '\n' &&
	    (cp->f != NULL ? !feof(cp->f) : *cp->s != '\0')) {
		xasprintf(&msg, "line longer than %d characters", size - 2);
		config_error(cp, msg);
		/* Skip the rest of the line, so it is not read as another. */
		if (cp->f != NULL) {
			int	 ch;

			while ((ch = fgetc(cp->f)) != EOF && ch != '\n')
				;
		} else {
			nl = strchr(cp->s, '\n');
			cp->s = nl != NULL ? nl + 1 : cp->s + strlen(cp->s);
		}
		buf[0] = '\0';
	}
	config_line_kind(cp, buf);
	return buf;
}

/* Turn inih's result into conf or a "name:line: message" cause. */
static int
config_finish(struct config_parse *cp, int rc, const char *name,
    struct epmd_conf *conf, char **cause)
{
	if (rc == 0 && cp->errline == 0 && cp->readerr == 0) {
		config_free(conf);
		*conf = cp->conf;
		return 0;
	}
	if (cp->readerr != 0)
		xasprintf(cause, "%s: %s", name, strerror(cp->readerr));
	else if (rc > 0 && (cp->errline == 0 || rc < cp->errline))
		xasprintf(cause, "%s:%d: syntax error", name, rc);
	else if (cp->errline != 0)
		xasprintf(cause, "%s:%d: %s", name, cp->errline, cp->error);
	else
		xasprintf(cause, "%s: cannot parse", name);
	free(cp->error);
	config_free(&cp->conf);
	return -1;
}

/* Parse the file at path over the defaults into conf. */
int
config_load(const char *path, int missing_ok, struct epmd_conf *conf,
    char **cause)
{
	struct config_parse	 cp;
	FILE			*f;
	int			 rc;

	memset(&cp, 0, sizeof(cp));
	config_defaults(&cp.conf);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && missing_ok) {
			config_free(conf);
			*conf = cp.conf;
			return 0;
		}
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	cp.f = f;
	errno = 0;
	rc = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	fclose(f);
	return config_finish(&cp, rc, path, conf, cause);
}

/* Parse text over the defaults into conf (tests). */
int
config_load_string(const char *text, const char *name,
    struct epmd_conf *conf, char **cause)
{
	struct config_parse	 cp;
	int			 rc;

	memset(&cp, 0, sizeof(cp));
	config_defaults(&cp.conf);
	cp.s = text;
	rc = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	return config_finish(&cp, rc, name, conf, cause);
}
