/*
 * The sync layer's Prometheus families for /metrics: peers, origins,
 * streams, and the counters of what was sent, refused and expired.
 */
#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include <event2/buffer.h>

#include "epmdx.h"
#include "prom.h"
#include "registry.h"
#include "sync_int.h"

/* The sync layer's metrics. */
void
sync_metrics(struct server *srv, struct evbuffer *out)
{
	struct sync		*s = srv->sync;
	struct sync_peer	*p;
	struct sync_origin	*o;
	unsigned long long	 up = 0, npeers = 0, remote = 0, norigins = 0;
	char			 buf[sizeof("cluster=\"\"") + SYNC_CLUSTER_MAX];
	int			 i;

	if (s == NULL)
		return;
	snprintf(buf, sizeof(buf), "cluster=\"%s\"", s->cluster);
	TAILQ_FOREACH(p, &s->peers, entry) {
		npeers++;
		if (p->sess != NULL && p->sess->state == SESS_ESTABLISHED)
			up++;
	}
	TAILQ_FOREACH(o, &s->origins, entry) {
		norigins++;
		remote += registry_count(o->table);
	}
	/* A cluster name needs no label escaping: [A-Za-z0-9._-]. */
	prom_family(out, "epmdx_sync_info", "gauge",
	    "Peer sync is on; the value is always 1.");
	prom_sample(out, "epmdx_sync_info", buf, 1);
	prom_one(out, "epmdx_sync_peers", "gauge",
	    "Peers this daemon dials.", npeers);
	prom_one(out, "epmdx_sync_peers_established", "gauge",
	    "Peers with an open, authenticated push stream.", up);
	prom_one(out, "epmdx_sync_origins", "gauge",
	    "Remote daemons heard within ttl.", norigins);
	prom_one(out, "epmdx_sync_remote_registrations", "gauge",
	    "Nodes known from remote daemons.", remote);
	prom_one(out, "epmdx_sync_inbound_streams", "gauge",
	    "Accepted sync streams open now.", s->ninbound);
	prom_one(out, "epmdx_sync_version", "gauge",
	    "This origin's version: local changes since start.", s->version);
	prom_one(out, "epmdx_sync_frames_sent_total", "counter",
	    "Sealed frames sent.", s->stats.frames_out);
	prom_one(out, "epmdx_sync_frames_received_total", "counter",
	    "Sealed frames received.", s->stats.frames_in);
	prom_one(out, "epmdx_sync_bytes_sent_total", "counter",
	    "Bytes of sealed frames sent.", s->stats.bytes_out);
	prom_one(out, "epmdx_sync_bytes_received_total", "counter",
	    "Bytes of sealed frames received.", s->stats.bytes_in);
	prom_one(out, "epmdx_sync_auth_failures_total", "counter",
	    "Frames that failed authentication.", s->stats.auth_failures);
	prom_one(out, "epmdx_sync_bad_frames_total", "counter",
	    "Malformed frames.", s->stats.bad_frames);
	prom_one(out, "epmdx_sync_resyncs_total", "counter",
	    "Snapshots sent because a peer asked.", s->stats.resyncs);
	prom_one(out, "epmdx_sync_expired_total", "counter",
	    "Origins dropped after ttl.", s->stats.expired);
	prom_one(out, "epmdx_sync_rejected_entries_total", "counter",
	    "Remote entries skipped: a name the registry cannot hold, or a "
	    "cap reached.", s->stats.rejected_entries);
	prom_one(out, "epmdx_sync_refused_origins_total", "counter",
	    "Remote origins refused: too many origins.",
	    s->stats.refused_origins);
	prom_one(out, "epmdx_sync_refused_peers_total", "counter",
	    "Peers learned from a HELLO and not dialed: too many.",
	    s->stats.refused_peers);
	prom_one(out, "epmdx_sync_resyncs_ignored_total", "counter",
	    "RESYNC requests answered by a snapshot already queued.",
	    s->stats.resyncs_ignored);
	prom_one(out, "epmdx_sync_handshake_timeouts_total", "counter",
	    "Streams closed for want of an authenticated HELLO in time.",
	    s->stats.handshake_timeouts);
	prom_one(out, "epmdx_sync_refused_clusters_total", "counter",
	    "Streams refused, either side, because the peer is of another "
	    "cluster.", s->stats.refused_clusters);
	prom_one(out, "epmdx_sync_handshake_evictions_total", "counter",
	    "Unauthenticated accepted streams closed to make room.",
	    s->stats.handshake_evictions);
	for (i = 0; i < SYNC_MAX_BACKENDS; i++)
		if (s->insts[i].backend != NULL &&
		    s->insts[i].backend->metrics != NULL)
			s->insts[i].backend->metrics(&s->insts[i], out);
}
