/*
 * The cluster a sync stream belongs to, as the stream's clear-text
 * opening says it: the dialer's SYNC request names its cluster (none for
 * "default"), an acceptor of another cluster answers with its own name
 * and closes, and the dialer reads that answer.  The names only make the
 * refusal early and its log line clear: the master key is bound to the
 * cluster (sync_master_cluster), so a stream that lied would still fail
 * to authenticate.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "log.h"
#include "proto.h"
#include "sync_int.h"

/* Why a daemon names "default": it may be older than cluster names. */
static const char *
sync_cluster_hint(const char *cluster)
{
	return strcmp(cluster, SYNC_CLUSTER_DEFAULT) == 0 ?
	    " (or its version has no cluster names)" : "";
}

/* The dialer's framed SYNC request, at stream version proto; its length. */
int
sync_cluster_open(struct sync *s, int proto, const uint8_t *random,
    uint8_t *frame, size_t size)
{
	uint8_t	 body[SYNC_OPEN_MAX];
	int	 n;

	if ((n = sync_open_encode(body, sizeof(body), (uint8_t)proto, random,
	    s->cluster)) == -1)
		fatalx("sync_cluster_open: cluster \"%s\"", s->cluster);
	n = proto_encode_req(frame, size, PROTO_X_SYNC_REQ, body, (size_t)n);
	if (n == -1)
		fatalx("sync_cluster_open: frame");
	return n;
}

/*
 * An accepted stream's SYNC body: 0 with *random and *proto (the stream
 * version it asks for) set if the dialer is of our cluster and speaks a
 * version we do; else the stream is answered (another cluster gets our
 * name), logged, counted, fd closed, and -1.
 */
int
sync_cluster_admit(struct sync *s, int fd, const char *addr,
    const uint8_t *body, size_t len, const uint8_t **random, int *proto)
{
	struct sync_open	 o;
	uint8_t			 buf[SYNC_REFUSE_MAX];
	const char		*why;
	int			 n;

	if (sync_open_decode(body, len, &o, &why) == -1 ||
	    (o.version != SYNC_PROTO_VERSION &&
	    o.version != SYNC_PROTO_BATCH &&
	    (why = "unsupported sync protocol version") != NULL)) {
		log_rate_warnx(&s->warn_rate, "sync: %s peer=%s", why, addr);
		close(fd);
		return -1;
	}
	if (strcmp(o.cluster, s->cluster) == 0) {
		*random = o.random;
		*proto = o.version;
		return 0;
	}
	s->stats.refused_clusters++;
	log_rate_warnx(&s->warn_rate, "sync: refused stream peer=%s: its "
	    "cluster is \"%s\"%s, ours is \"%s\"", addr, o.cluster,
	    sync_cluster_hint(o.cluster), s->cluster);
	/* A few bytes on a fresh socket: its buffer takes them whole. */
	if ((n = sync_refuse_encode(buf, sizeof(buf), s->cluster)) > 0 &&
	    write(fd, buf, (size_t)n) != n)
		log_debug("sync: refusal to peer=%s not sent: %s", addr,
		    strerror(errno));
	close(fd);
	return -1;
}

/*
 * A dialled stream waiting for the acceptor's random: 1 if what came is
 * a refusal by another cluster (logged, counted: the caller ends the
 * stream), 0 if it may be one not yet whole, -1 if it is the random.
 */
int
sync_cluster_refused(struct sync_session *sess)
{
	struct sync	*s = sess->sync;
	struct evbuffer	*in = bufferevent_get_input(sess->bev);
	uint8_t		 buf[SYNC_REFUSE_MAX];
	char		 theirs[SYNC_CLUSTER_MAX + 1];
	ev_ssize_t	 n;
	int		 rc;

	if ((n = evbuffer_copyout(in, buf, sizeof(buf))) <= 0)
		return 0;
	if ((rc = sync_refuse_decode(buf, (size_t)n, theirs)) <= 0)
		return rc;
	s->stats.refused_clusters++;
	log_rate_warnx(&s->warn_rate, "sync: peer=%s refused the stream: its "
	    "cluster is \"%s\", ours is \"%s\"", sess->addr, theirs,
	    s->cluster);
	return 1;
}
