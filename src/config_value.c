/*
 * Parsers and validators of single configuration values: log levels,
 * booleans, sizes, lists, address lists, host[:port], sync backend
 * names, cluster names, socket paths and group names.  No configuration
 * state.
 */
#include <sys/un.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_value.h"
#include "xmalloc.h"

static const char *const config_levels[] = { "warning", "info", "debug" };
static const char *const config_backends[] = {
	"static", "hosts", "dns", "mcast", "etcd"
};

/* The log level for a name, or -1. */
int
config_log_level(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(config_levels) / sizeof(config_levels[0]); i++)
		if (strcasecmp(s, config_levels[i]) == 0)
			return (int)i;
	return -1;
}

/* Parse a boolean; -1 if it is none. */
int
config_bool(const char *s)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/*
 * Split list at the separators stock accepts (comma and space) into
 * NUL-terminated tokens in buf.
 */
int
config_split_addresses(const char *list, char *buf, size_t bufsize,
    const char *tok[], int max)
{
	char	*p, *s;
	int	 n = 0;

	if ((size_t)snprintf(buf, bufsize, "%s", list) >= bufsize)
		return -1;
	for (p = buf; (s = strsep(&p, ", ")) != NULL;) {
		if (*s == '\0')
			continue;
		if (n == max)
			return -1;
		tok[n++] = s;
	}
	return n;
}

/* 0 if s is an IPv4 or IPv6 literal. */
int
config_check_address(const char *s)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1)
		return 0;
	return -1;
}

/* Validate an address list; NULL or a message (caller frees). */
char *
config_check_list(const char *list)
{
	const char	*tok[CONF_MAX_ADDRESSES + 1];
	char		*buf, *msg = NULL;
	size_t		 size = strlen(list) + 1;
	int		 i, n;

	buf = xmalloc(size);
	n = config_split_addresses(list, buf, size, tok, CONF_MAX_ADDRESSES);
	if (n < 0)
		xasprintf(&msg, "address: more than %d addresses",
		    CONF_MAX_ADDRESSES);
	for (i = 0; i < n && msg == NULL; i++)
		if (config_check_address(tok[i]) == -1)
			xasprintf(&msg, "address: cannot parse IP address "
			    "\"%s\"", tok[i]);
	free(buf);
	return msg;
}

/* Whether name is an item of a comma/space separated list. */
int
config_list_has(const char *list, const char *name)
{
	char	*copy, *p, *tok;
	int	 found = 0;

	copy = xstrdup(list);
	for (p = copy; !found && (tok = strsep(&p, ", ")) != NULL;)
		found = strcmp(tok, name) == 0;
	free(copy);
	return found;
}

/*
 * The list old (NULL: none) with the items of value appended, as one
 * "a, b, c" string (caller frees); with unique, items old already has
 * are not added again.
 */
char *
config_list_join(const char *old, const char *value, int unique)
{
	char	*copy, *p, *tok, *out;
	size_t	 len, size;

	/* Each item of value costs at most itself and ", ". */
	size = (old != NULL ? strlen(old) : 0) + 3 * strlen(value) + 1;
	out = xmalloc(size);
	len = (size_t)snprintf(out, size, "%s", old != NULL ? old : "");
	copy = xstrdup(value);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0' || (unique && config_list_has(out, tok)))
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    len > 0 ? ", " : "", tok);
	}
	free(copy);
	return out;
}

/* Whether an address literal is 127.0.0.1 or ::1. */
int
config_is_loopback(const char *addr)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return ntohl(a4.s_addr) == INADDR_LOOPBACK;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/*
 * Split "host[:port]" ("[v6]:port" for IPv6 with a port); *port is 0 when
 * absent.  Writes host into buf.  -1 if malformed.
 */
int
config_hostport(const char *s, char *buf, size_t size, unsigned int *port)
{
	const char	*colon, *end;
	unsigned long	 ul;
	char		*ep;
	size_t		 hlen;

	*port = 0;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address */
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= size)
		return -1;
	memcpy(buf, s, hlen);
	buf[hlen] = '\0';
	if (colon != NULL) {
		errno = 0;
		ul = strtoul(colon + 1, &ep, 10);
		if (colon[1] < '0' || colon[1] > '9' || *ep != '\0' ||
		    errno != 0 || ul == 0 || ul > 65535)
			return -1;
		*port = (unsigned int)ul;
	}
	return 0;
}

/* Check one host[:port] list (or a single one when single). */
char *
config_check_hostports(const char *key, const char *value, int single)
{
	char		 host[256], *copy, *p, *tok, *msg;
	unsigned int	 port;
	int		 n = 0;

	copy = xstrdup(value);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (config_hostport(tok, host, sizeof(host), &port) == -1) {
			xasprintf(&msg, "%s: \"%s\" is not host[:port]", key,
			    tok);
			free(copy);
			return msg;
		}
		n++;
	}
	free(copy);
	if (n == 0 || (single && n != 1))
		goto bad;
	return NULL;
bad:
	xasprintf(&msg, "%s: \"%s\" is not %s", key, value, single ?
	    "host[:port]" : "a list of host[:port]");
	return msg;
}

/* Check a list of sync backend names. */
char *
config_check_backends(const char *value)
{
	char	 copy[256], *p, *tok, *msg;
	size_t	 i;

	if ((size_t)snprintf(copy, sizeof(copy), "%s", value) >= sizeof(copy))
		return xstrdup("backends: list too long");
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		for (i = 0; i < sizeof(config_backends) /
		    sizeof(config_backends[0]); i++)
			if (strcmp(tok, config_backends[i]) == 0)
				break;
		if (i == sizeof(config_backends) / sizeof(config_backends[0])) {
			xasprintf(&msg, "backends: unknown backend \"%s\" "
			    "(static, hosts, dns, mcast, etcd)", tok);
			return msg;
		}
	}
	return NULL;
}

/* A size: bytes, or a number with K, M or G (1024-based); -1 if none. */
int
config_size(const char *s, unsigned long long *bytes)
{
	unsigned long long	 v;
	unsigned int		 shift = 0;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > (ULLONG_MAX >> shift))
		return -1;
	*bytes = v << shift;
	return 0;
}

/* An absolute path a unix socket can be bound to. */
char *
config_check_sockpath(const char *key, const char *value)
{
	struct sockaddr_un	 sun;
	char			*msg = NULL;

	if (*value != '/')
		xasprintf(&msg, "%s: \"%s\" is not an absolute path", key,
		    value);
	else if (strlen(value) >= sizeof(sun.sun_path))
		xasprintf(&msg, "%s: longer than %zu characters", key,
		    sizeof(sun.sun_path) - 1);
	return msg;
}

/* A group name as useradd(8) takes it: [A-Za-z0-9._-], not "-" first. */
char *
config_check_groupname(const char *key, const char *value)
{
	char	*msg = NULL;

	if (*value == '-' || strlen(value) > 32 || strspn(value,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != strlen(value))
		xasprintf(&msg, "%s: \"%s\" is not a group name", key, value);
	return msg;
}

/* A cluster name: 1 to CONF_CLUSTER_MAX of [A-Za-z0-9._-]. */
char *
config_check_cluster(const char *key, const char *value)
{
	char	*msg = NULL;
	size_t	 len = strlen(value);

	if (len == 0 || len > CONF_CLUSTER_MAX || strspn(value,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != len)
		xasprintf(&msg, "%s: \"%s\" is not a cluster name (1 to %d "
		    "letters, digits, '.', '_' or '-')", key, value,
		    CONF_CLUSTER_MAX);
	return msg;
}
