/*
 * The peers: daemons we dial and push our entries to, as the backends
 * report them or a HELLO teaches them; their backoff, their status, and
 * what a stream's HELLO, RESYNC and end mean for them.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "addr.h"
#include "config.h"
#include "epmdx.h"
#include "log.h"
#include "registry.h"
#include "sync_int.h"
#include "xmalloc.h"

static void	sync_retry_cb(evutil_socket_t, short, void *);

/* A peer by host and port. */
struct sync_peer *
sync_peer_find(struct sync *s, const char *host, unsigned int port)
{
	struct sync_peer	*p;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->port == port && strcmp(p->host, host) == 0)
			return p;
	return NULL;
}

/* How many peers only a HELLO told us of. */
static unsigned int
sync_nlearned(struct sync *s)
{
	struct sync_peer	*p;
	unsigned int		 n = 0;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sources == SYNC_SRC_LEARNED)
			n++;
	return n;
}

/* Add a peer (or a source to one) and dial it. */
struct sync_peer *
sync_peer_add(struct sync *s, const char *host, unsigned int port,
    unsigned int source)
{
	struct sync_peer	*p;
	char			 buf[SYNC_HOST_MAX + 8];

	if (port == 0)
		port = s->port;
	if ((p = sync_peer_find(s, host, port)) != NULL) {
		p->sources |= source;
		return p;
	}
	if (strlen(host) > SYNC_HOST_MAX)
		return NULL;
	if (source == SYNC_SRC_LEARNED && sync_nlearned(s) >= s->lim.learned) {
		s->stats.refused_peers++;
		log_rate_warnx(&s->warn_rate, "sync: too many learned peers (%u), not "
		    "dialing %s port %u", s->lim.learned, host, port);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->sync = s;
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = port;
	p->sources = source;
	p->backoff = SYNC_BACKOFF_MIN;
	p->retry = evtimer_new(s->base, sync_retry_cb, p);
	p->ended = SESS_NEW;
	p->proto = SYNC_PROTO_BATCH;
	TAILQ_INSERT_TAIL(&s->peers, p, entry);
	log_info("sync: peer added peer=%s",
	    addr_join(host, port, buf, sizeof(buf)));
	sync_session_dial(p);
	return p;
}

/* Withdraw a peer: its stream and retry timer go. */
void
sync_peer_free(struct sync_peer *p, const char *reason)
{
	struct sync	*s = p->sync;
	char		 buf[SYNC_HOST_MAX + 8];

	log_info("sync: peer removed peer=%s reason=\"%s\"",
	    addr_join(p->host, p->port, buf, sizeof(buf)), reason);
	TAILQ_REMOVE(&s->peers, p, entry);
	if (p->sess != NULL) {
		p->sess->peer = NULL;
		sync_session_free(p->sess, reason);
	}
	if (p->retry != NULL)
		event_free(p->retry);
	free(p);
}

/* A backend reports a peer. */
void
sync_peer_seen(struct sync_backend_inst *bi, const char *host,
    unsigned int port)
{
	sync_peer_add(bi->sync, host, port, bi->bit);
}

/* A backend withdraws a peer; it goes when no source is left. */
void
sync_peer_gone(struct sync_backend_inst *bi, const char *host,
    unsigned int port)
{
	struct sync		*s = bi->sync;
	struct sync_peer	*p;

	if ((p = sync_peer_find(s, host, port != 0 ? port : s->port)) == NULL)
		return;
	p->sources &= ~bi->bit;
	if (p->sources == 0)
		sync_peer_free(p, bi->backend->name);
}

/* Retry a peer after its backoff. */
static void
sync_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sync_peer	*p = arg;

	if (p->sess == NULL && !p->self)
		sync_session_dial(p);
}

/*
 * A stream ended: its staged snapshot goes; its peer, if it was dialled,
 * retries with backoff and jitter (at once after an established stream,
 * doubling after one that was not).  A peer that closed a stream opened
 * at SYNC_PROTO_BATCH unanswered may be an older daemon: it is dialled
 * again at once at SYNC_PROTO_VERSION, and at BATCH again once such a
 * stream, established, ends (the peer may have been upgraded).
 */
void
sync_peer_session_gone(struct sync_session *sess)
{
	struct sync_peer	*p = sess->peer;
	struct timeval		 tv;
	unsigned int		 ms;
	int			 established;

	if (!sess->outbound) {
		sync_origin_staging_drop(sess);
		return;
	}
	if (p == NULL || p->self)
		return;
	if ((established = p->backoff == 0))
		p->backoff = SYNC_BACKOFF_MIN;
	if (established && sess->proto < SYNC_PROTO_BATCH)
		p->proto = SYNC_PROTO_BATCH;
	if (p->fallback) {
		p->fallback = 0;
		p->proto = SYNC_PROTO_VERSION;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		evtimer_add(p->retry, &tv);
		return;
	}
	ms = p->backoff * 1000;
	ms = ms * 3 / 4 + (unsigned int)randombytes_uniform(ms / 2 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->retry, &tv);
	if (!established && p->backoff < SYNC_BACKOFF_MAX)
		p->backoff = p->backoff * 2 > SYNC_BACKOFF_MAX ?
		    SYNC_BACKOFF_MAX : p->backoff * 2;
}

/* A peer's status for `epmdxctl peers`: its stream's state, or the end. */
const char *
sync_peer_status(const struct sync_peer *p)
{
	if (p->self)
		return "self";
	return sync_session_state_name(p->sess != NULL ? p->sess->state :
	    p->ended);
}

/*
 * Origin host dialled us at SYNC_PROTO_BATCH, so it speaks it: our stream
 * to it, if it fell back to version 1 (a close before the answer may be
 * an admission limit, not an older daemon), is dialled again at BATCH.
 */
static void
sync_peer_speaks_batch(struct sync *s, const char *host)
{
	struct sync_peer	*p;

	TAILQ_FOREACH(p, &s->peers, entry) {
		if (strcmp(p->origin, host) != 0 ||
		    p->proto == SYNC_PROTO_BATCH)
			continue;
		p->proto = SYNC_PROTO_BATCH;
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED &&
		    p->sess->proto < SYNC_PROTO_BATCH) {
			sync_session_end(p->sess, SESS_CLOSED,
			    "the peer speaks version 2");
		}
	}
}

/* The first frame of a stream: who is at the other end. */
int
sync_peer_hello(struct sync_session *sess, const struct sync_msg *m)
{
	struct sync		*s = sess->sync;
	struct sync_origin	*o;
	struct sync_peer	*p = sess->peer;
	char			 host[SYNC_HOST_MAX + 1];
	char			 adv[SYNC_HOST_MAX + 8], ahost[SYNC_HOST_MAX + 1];
	char			 shost[SYNC_HOST_MAX + 8], *colon;
	unsigned int		 aport;

	memcpy(host, m->origin, m->originlen);
	host[m->originlen] = '\0';
	if (strcmp(host, s->hostname) == 0) {
		if (m->incarnation == s->incarnation) {
			if (p != NULL)
				p->self = 1;
			return -1;
		}
		log_rate_warnx(&s->warn_rate, "sync: peer=%s claims our own "
		    "hostname %s: two daemons with one hostname; set [sync] "
		    "hostname", sess->addr, host);
		return -1;
	}
	if (p != NULL) {
		snprintf(p->origin, sizeof(p->origin), "%s", host);
		p->last_ok = mono_now();
		p->backoff = 0;		/* established */
		return 0;
	}

	/* Inbound: the origin whose entries this stream will carry. */
	if ((o = sync_origin_find(s, host)) == NULL) {
		if ((o = sync_origin_new(s, host, "")) == NULL)
			return -1;
		log_info("sync: origin heard host=%s peer=%s", host,
		    sess->addr);
	}
	o->last_heard = mono_now();
	sess->origin = o;
	sess->incarnation = m->incarnation;
	if (sess->proto == SYNC_PROTO_BATCH)
		sync_peer_speaks_batch(s, host);

	/* Dial it back: its advertise, or our view of its address. */
	snprintf(adv, sizeof(adv), "%.*s", (int)m->advertiselen,
	    (const char *)m->advertise);
	if (adv[0] == ':') {
		snprintf(shost, sizeof(shost), "%s", sess->addr);
		if (shost[0] == '[') {
			memmove(shost, shost + 1, strlen(shost));
			if ((colon = strrchr(shost, ']')) != NULL)
				*colon = '\0';
		} else if ((colon = strrchr(shost, ':')) != NULL)
			*colon = '\0';
		if (strncmp(shost, "::ffff:", 7) == 0)
			memmove(shost, shost + 7, strlen(shost + 7) + 1);
		aport = (unsigned int)strtoul(adv + 1, NULL, 10);
		snprintf(ahost, sizeof(ahost), "%s", shost);
	} else if (config_hostport(adv, ahost, sizeof(ahost), &aport) == -1)
		return 0;
	if (aport == 0)
		aport = s->port;
	addr_join(ahost, aport, o->addr, sizeof(o->addr));
	if ((p = sync_peer_find(s, ahost, aport)) == NULL)
		p = sync_peer_add(s, ahost, aport, SYNC_SRC_LEARNED);
	else if (p->sess == NULL && !p->self &&
	    evtimer_pending(p->retry, NULL)) {
		/* It is back: no need to wait out the backoff. */
		evtimer_del(p->retry);
		p->backoff = SYNC_BACKOFF_MIN;
		sync_session_dial(p);
	}
	/* So it goes when the origin expires, even if never reached. */
	if (p != NULL && p->origin[0] == '\0')
		snprintf(p->origin, sizeof(p->origin), "%s", host);
	return 0;
}

/*
 * A receiver asks for a snapshot.  While the last one is still queued on
 * the stream it answers this too (deltas follow it in order), so nothing
 * more is queued: a RESYNC flood holds at most one snapshot.
 */
void
sync_peer_resync(struct sync_session *sess)
{
	struct sync	*s = sess->sync;
	uint64_t	 written;

	written = sess->queued - sync_send_pending(sess);
	if (sess->snap_end > written) {
		s->stats.resyncs_ignored++;
		return;
	}
	s->stats.resyncs++;
	sync_send_snapshot(sess);
}
