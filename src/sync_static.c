/* Sync backend "static": the peers listed in [sync] peers. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "sync.h"
#include "xmalloc.h"

/* The list as configured. */
struct sync_static {
	char	*peers;
};

/* Check and keep the list. */
static int
sync_static_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_static	*st;

	if (sc->peers == NULL) {
		xasprintf(cause, "sync: the static backend needs peers = "
		    "host[:port], ...");
		return -1;
	}
	st = xcalloc(1, sizeof(*st));
	st->peers = xstrdup(sc->peers);
	bi->data = st;
	return 0;
}

/* Report every listed peer. */
static void
sync_static_start(struct sync_backend_inst *bi)
{
	struct sync_static	*st = bi->data;
	char			*copy, *p, *tok, host[256];
	unsigned int		 port;

	copy = xstrdup(st->peers);
	for (p = copy; (tok = strsep(&p, ", ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (config_hostport(tok, host, sizeof(host), &port) == 0)
			sync_peer_seen(bi, host, port);
	}
	free(copy);
}

/* A new list: report it; the core drops peers no backend reports. */
static int
sync_static_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_static	*st = bi->data;

	if (sc->peers == NULL) {
		xasprintf(cause, "sync: the static backend needs peers");
		return -1;
	}
	free(st->peers);
	st->peers = xstrdup(sc->peers);
	sync_static_start(bi);
	return 0;
}

/* Free the list. */
static void
sync_static_free(struct sync_backend_inst *bi)
{
	struct sync_static	*st = bi->data;

	if (st == NULL)
		return;
	free(st->peers);
	free(st);
	bi->data = NULL;
}

const struct sync_backend sync_backend_static = {
	"static",
	sync_static_init,
	sync_static_start,
	sync_static_reload,
	sync_static_free,
	NULL,			/* local_changed: peers only, no store */
	NULL,			/* peers: the core lists them */
	NULL,			/* metrics */
};
