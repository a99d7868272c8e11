/* Configuration file (inih), environment and defaults. */
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
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
};

/* An unsigned integer key and its bounds. */
struct config_uint {
	const char	*key;
	size_t		 off;
	unsigned int	 min;
	unsigned int	 max;
};

static const struct config_uint config_uints[] = {
	{ "port", offsetof(struct epmd_conf, port), 1, 65535 },
	{ "packet_timeout", offsetof(struct epmd_conf, packet_timeout),
	    1, 86400 },
	{ "delay_accept", offsetof(struct epmd_conf, delay_accept), 0, 3600 },
	{ "delay_write", offsetof(struct epmd_conf, delay_write), 0, 3600 },
	{ "max_connections", offsetof(struct epmd_conf, max_connections),
	    16, 10000000 },
	{ "unreg_cache", offsetof(struct epmd_conf, unreg_cache),
	    0, 10000000 },
};

static const char *const config_levels[] = { "warning", "info", "debug" };

static int	config_handler(void *, const char *, const char *,
		    const char *);
static int	config_finish(struct config_parse *, int, const char *,
		    struct epmd_conf *, char **);
static void	config_error(struct config_parse *, char *);
static char	*config_reader(char *, int, void *);

/* Fill conf with the built-in defaults. */
void
config_defaults(struct epmd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->port = EPMD_PORT_DEFAULT;
	conf->packet_timeout = CONF_PACKET_TIMEOUT;
	conf->max_connections = CONF_MAX_CONNECTIONS;
	conf->unreg_cache = 1000;
	conf->log_level = 1;
}

/* Free what conf owns. */
void
config_free(struct epmd_conf *conf)
{
	free(conf->address);
	conf->address = NULL;
}

/* Deep copy src into dst (dst owns nothing yet). */
void
config_copy(struct epmd_conf *dst, const struct epmd_conf *src)
{
	*dst = *src;
	if (src->address != NULL)
		dst->address = xstrdup(src->address);
}

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
static int
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
static char *
config_check_list(const char *list)
{
	char		 buf[1024], *msg;
	const char	*tok[CONF_MAX_ADDRESSES + 1];
	int		 i, n;

	n = config_split_addresses(list, buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES);
	if (n < 0) {
		xasprintf(&msg, "address: more than %d addresses",
		    CONF_MAX_ADDRESSES);
		return msg;
	}
	for (i = 0; i < n; i++) {
		if (config_check_address(tok[i]) == -1) {
			xasprintf(&msg, "address: cannot parse IP address "
			    "\"%s\"", tok[i]);
			return msg;
		}
	}
	return NULL;
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

/* Set one key; NULL or an error message (caller frees). */
static char *
config_set(struct epmd_conf *conf, const char *key, const char *value)
{
	const struct config_uint *u;
	unsigned long	 ul;
	char		*end, *msg;
	size_t		 i;
	int		 v;

	for (i = 0; i < sizeof(config_uints) / sizeof(config_uints[0]); i++) {
		u = &config_uints[i];
		if (strcmp(key, u->key) != 0)
			continue;
		errno = 0;
		ul = strtoul(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0' ||
		    errno != 0 || ul < u->min || ul > u->max) {
			xasprintf(&msg, "%s: \"%s\" is not a number from "
			    "%u to %u", key, value, u->min, u->max);
			return msg;
		}
		*(unsigned int *)(void *)((char *)conf + u->off) =
		    (unsigned int)ul;
		return NULL;
	}
	if (strcmp(key, "relaxed_command_check") == 0) {
		if ((v = config_bool(value)) == -1)
			goto notbool;
		conf->relaxed = v;
		return NULL;
	}
	if (strcmp(key, "log_level") == 0) {
		if ((v = config_log_level(value)) == -1) {
			xasprintf(&msg, "log_level: \"%s\" is not one of "
			    "warning, info, debug", value);
			return msg;
		}
		conf->log_level = v;
		return NULL;
	}
	if (strcmp(key, "address") == 0) {
		if ((msg = config_check_list(value)) != NULL)
			return msg;
		free(conf->address);
		conf->address = strspn(value, ", ") == strlen(value) ? NULL :
		    xstrdup(value);
		return NULL;
	}
	xasprintf(&msg, "unknown key \"%s\"", key);
	return msg;

notbool:
	xasprintf(&msg, "%s: \"%s\" is not yes or no", key, value);
	return msg;
}

/* inih callback: returns 0 on error so inih reports the line. */
static int
config_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct config_parse	*cp = arg;
	char			*msg;

	if (*section != '\0')
		xasprintf(&msg, "unknown section [%s]", section);
	else
		msg = config_set(&cp->conf, key, value);
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

/*
 * Apply the environment as stock reads it: ERL_EPMD_PORT with atoi (not
 * validated, as stock; 0 or garbage leaves the port alone),
 * ERL_EPMD_ADDRESS, and ERL_EPMD_RELAXED_COMMAND_CHECK set to anything.
 */
void
config_apply_env(struct epmd_conf *conf)
{
	const char	*s;
	int		 port;

	if ((s = getenv("ERL_EPMD_PORT")) != NULL &&
	    (port = atoi(s)) > 0 && port <= 65535)
		conf->port = (unsigned int)port;
	if ((s = getenv("ERL_EPMD_ADDRESS")) != NULL &&
	    strspn(s, ", ") != strlen(s)) {
		free(conf->address);
		conf->address = xstrdup(s);
	}
	if (getenv("ERL_EPMD_RELAXED_COMMAND_CHECK") != NULL)
		conf->relaxed = 1;
}
