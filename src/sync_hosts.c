/*
 * Sync backend "hosts": peers from a .hosts.erlang file, the format
 * net_adm:host_file/0 reads: Erlang terms, one 'host'. (or host.) each;
 * % starts a comment.  Re-read when the file changes.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "sync.h"
#include "xmalloc.h"

#define HOSTS_MAX	4096	/* hosts read from one file */

struct sync_hosts {
	char		*path;
	struct event	*timer;
	unsigned int	 interval;
	struct stat	 seen;		/* the file as last read */
	int		 have;		/* seen is valid */
	char		**hosts;	/* as last reported */
	int		 nhosts;
};

/*
 * Parse .hosts.erlang text: each term is an atom, quoted or bare, ended
 * by a full stop.  Returns 0, or -1 with *badline set.
 */
static int
sync_hosts_parse(const char *text, char ***hosts, int *nhosts, int *badline)
{
	const char	*p = text, *start;
	char		 buf[256];
	size_t		 len;
	int		 line = 1;

	*hosts = NULL;
	*nhosts = 0;
	for (;;) {
		/* Skip blanks and comments. */
		while (*p != '\0') {
			if (*p == '\n')
				line++;
			if (*p == '%') {
				while (*p != '\0' && *p != '\n')
					p++;
				continue;
			}
			if (!isspace((unsigned char)*p))
				break;
			p++;
		}
		if (*p == '\0')
			return 0;
		if (*p == '\'') {
			start = ++p;
			while (*p != '\0' && *p != '\'' && *p != '\n')
				p++;
			if (*p != '\'')
				goto bad;
			len = (size_t)(p - start);
			p++;
		} else {
			start = p;
			while (isalnum((unsigned char)*p) || *p == '_' ||
			    *p == '@' || *p == '-' ||
			    (*p == '.' && isalnum((unsigned char)p[1])))
				p++;
			len = (size_t)(p - start);
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (len == 0 || len >= sizeof(buf) || *p != '.')
			goto bad;
		p++;
		memcpy(buf, start, len);
		buf[len] = '\0';
		if (*nhosts < HOSTS_MAX) {
			*hosts = xreallocarray(*hosts, (size_t)*nhosts + 1,
			    sizeof(**hosts));
			(*hosts)[(*nhosts)++] = xstrdup(buf);
		}
	}
bad:
	*badline = line;
	return -1;
}

/* Free a host list. */
static void
sync_hosts_list_free(char **hosts, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
}

/* Whether host is in the list. */
static int
sync_hosts_has(char **hosts, int n, const char *host)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(hosts[i], host) == 0)
			return 1;
	return 0;
}

/* Read the file if it changed; report the difference. */
static void
sync_hosts_check(struct sync_backend_inst *bi)
{
	struct sync_hosts	*h = bi->data;
	struct stat		 st;
	FILE			*f;
	char			*text, **hosts;
	size_t			 n;
	int			 nhosts, i, badline;

	if (stat(h->path, &st) == -1) {
		if (h->have || h->nhosts > 0)
			log_warnx("sync: hosts_file %s: %s", h->path,
			    strerror(errno));
		h->have = 0;
		return;		/* keep the peers we had */
	}
	if (h->have && st.st_mtim.tv_sec == h->seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == h->seen.st_mtim.tv_nsec &&
	    st.st_size == h->seen.st_size && st.st_ino == h->seen.st_ino)
		return;
	h->seen = st;
	h->have = 1;
	if ((f = fopen(h->path, "r")) == NULL) {
		log_warnx("sync: hosts_file %s: %s", h->path, strerror(errno));
		return;
	}
	text = xcalloc(1, 65536 + 1);
	n = fread(text, 1, 65536, f);
	fclose(f);
	text[n] = '\0';
	if (sync_hosts_parse(text, &hosts, &nhosts, &badline) == -1) {
		log_warnx("sync: hosts_file %s:%d: not an Erlang host term, "
		    "keeping the previous list", h->path, badline);
		sync_hosts_list_free(hosts, nhosts);
		free(text);
		return;
	}
	free(text);
	for (i = 0; i < h->nhosts; i++)
		if (!sync_hosts_has(hosts, nhosts, h->hosts[i]))
			sync_peer_gone(bi, h->hosts[i], 0);
	for (i = 0; i < nhosts; i++)
		if (!sync_hosts_has(h->hosts, h->nhosts, hosts[i]))
			sync_peer_seen(bi, hosts[i], 0);
	sync_hosts_list_free(h->hosts, h->nhosts);
	h->hosts = hosts;
	h->nhosts = nhosts;
	log_info("sync: hosts_file %s read hosts=%d", h->path, nhosts);
}

/* Poll the file every interval. */
static void
sync_hosts_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	sync_hosts_check(arg);
}

/* Keep the path. */
static int
sync_hosts_init(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_hosts	*h;

	if (sc->hosts_file == NULL) {
		xasprintf(cause, "sync: the hosts backend needs hosts_file");
		return -1;
	}
	h = xcalloc(1, sizeof(*h));
	h->path = xstrdup(sc->hosts_file);
	h->interval = sc->interval;
	bi->data = h;
	return 0;
}

/* Read now, then poll. */
static void
sync_hosts_start(struct sync_backend_inst *bi)
{
	struct sync_hosts	*h = bi->data;
	struct timeval		 tv = { h->interval, 0 };

	h->timer = event_new(sync_base(bi->sync), -1, EV_PERSIST,
	    sync_hosts_timer_cb, bi);
	event_add(h->timer, &tv);
	sync_hosts_check(bi);
}

/* A new path or interval: read again at once. */
static int
sync_hosts_reload(struct sync_backend_inst *bi, const struct sync_conf *sc,
    char **cause)
{
	struct sync_hosts	*h = bi->data;
	struct timeval		 tv = { sc->interval, 0 };
	int			 i;

	if (sc->hosts_file == NULL) {
		xasprintf(cause, "sync: the hosts backend needs hosts_file");
		return -1;
	}
	free(h->path);
	h->path = xstrdup(sc->hosts_file);
	h->have = 0;
	/* Re-report what we had: the core took our reports back. */
	for (i = 0; i < h->nhosts; i++)
		sync_peer_seen(bi, h->hosts[i], 0);
	event_add(h->timer, &tv);
	sync_hosts_check(bi);
	return 0;
}

/* Free everything. */
static void
sync_hosts_free(struct sync_backend_inst *bi)
{
	struct sync_hosts	*h = bi->data;

	if (h == NULL)
		return;
	if (h->timer != NULL)
		event_free(h->timer);
	sync_hosts_list_free(h->hosts, h->nhosts);
	free(h->path);
	free(h);
	bi->data = NULL;
}

const struct sync_backend sync_backend_hosts = {
	"hosts",
	sync_hosts_init,
	sync_hosts_start,
	sync_hosts_reload,
	sync_hosts_free,
	NULL,			/* local_changed: peers only, no store */
	NULL,			/* peers: the core lists them */
	NULL,			/* metrics */
};
