/*
 * What a configuration gets after the file: the environment as stock
 * reads it, and the values derived from a configuration (the control
 * socket's path and group, the sync cluster name, whether sync needs a
 * secret).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_value.h"
#include "proto.h"
#include "xmalloc.h"

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

/* The control socket's path for a daemon on port. */
const char *
config_control_path(const struct epmd_conf *conf, unsigned int port,
    char *buf, size_t size)
{
	if (conf->control_socket != NULL)
		return conf->control_socket;
	if (port == 0 || port == EPMD_PORT_DEFAULT)
		snprintf(buf, size, "%s/control.sock", CONF_CONTROL_DIR);
	else
		snprintf(buf, size, "%s/control.%u.sock", CONF_CONTROL_DIR,
		    port);
	return buf;
}

/* The group that may use the control socket. */
const char *
config_control_group(const struct epmd_conf *conf)
{
	return conf->control_group != NULL ? conf->control_group :
	    CONF_CONTROL_GROUP;
}

/* The [sync] cluster name. */
const char *
config_sync_cluster(const struct sync_conf *sc)
{
	return sc->cluster != NULL ? sc->cluster : CONF_SYNC_CLUSTER;
}

/*
 * Whether [sync] needs secret_file: every backend but etcd alone streams
 * between daemons, and sync refuses to run those unauthenticated.
 */
int
config_sync_needs_secret(const struct sync_conf *sc)
{
	return sc->backends != NULL && !config_list_has(sc->backends, "etcd");
}
