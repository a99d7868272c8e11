/*
 * What a sync stream writes once its sealed channel is open: messages
 * sealed into frames [Len:32][secretstream message], one per frame or
 * batched per loop turn (sync_batch.h), our HELLO, a snapshot of the
 * local table; and how much is still queued.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "epmdx.h"
#include "log.h"
#include "registry.h"
#include "sync_int.h"
#include "wire.h"
#include "xmalloc.h"

/* Seal n bytes of plaintext into one frame and queue it. */
static void
sync_send_frame(struct sync_session *sess, const uint8_t *plain, size_t n)
{
	uint8_t		 frame[4 + SYNC_FRAME_MAX];
	struct wire_w	 w;
	uint32_t	 len;

	len = (uint32_t)n + SYNC_STREAM_ABYTES;
	w.p = frame;
	w.left = 4;
	w.err = 0;
	wire_put_int(&w, len, 4);
	sync_stream_seal(&sess->tx, plain, n, frame + 4);
	evbuffer_add(bufferevent_get_output(sess->bev), frame, 4 + len);
	sess->queued += 4 + len;
	sess->last_tx = sess->sync->ticks;
	sess->sync->stats.frames_out++;
	sess->sync->stats.bytes_out += 4 + len;
}

/*
 * Queue one message.  On a stream opened at SYNC_PROTO_BATCH it joins the
 * stream's batch, sealed when the loop turn ends (sync_send_flush_all) or
 * when the next message would overflow a frame: what one turn changes is
 * one frame per peer.  Otherwise it is sealed into a frame of its own.
 */
void
sync_send_msg(struct sync_session *sess, const struct sync_msg *m)
{
	uint8_t		 plain[SYNC_MSG_MAX];
	int		 n;

	if (sess->proto < SYNC_PROTO_BATCH) {
		if ((n = sync_msg_encode(plain, sizeof(plain), m)) < 0)
			fatalx("sync_send_msg: message does not fit");
		sync_send_frame(sess, plain, (size_t)n);
		return;
	}
	/* The batch grows as it fills: a heartbeat takes 19 bytes. */
	while (sync_batch_put(sess->batch, sess->batchcap, &sess->batchlen,
	    m) == -1) {
		if (sess->batchcap == SYNC_BATCH_MAX) {
			if (sess->batchlen == 0)
				fatalx("sync_send_msg: message does not fit");
			sync_send_flush(sess);
			continue;
		}
		sess->batchcap = sess->batchcap == 0 ? SYNC_BATCH_MIN :
		    sess->batchcap * 2 > SYNC_BATCH_MAX ? SYNC_BATCH_MAX :
		    sess->batchcap * 2;
		sess->batch = xreallocarray(sess->batch, sess->batchcap, 1);
	}
	sess->last_tx = sess->sync->ticks;
	if (sess->sync->flush != NULL)
		event_active(sess->sync->flush, EV_TIMEOUT, 1);
}

/* Seal a stream's batch, if any, into one frame. */
void
sync_send_flush(struct sync_session *sess)
{
	if (sess->batch == NULL)
		return;
	if (sess->batchlen > 0 && sess->bev != NULL)
		sync_send_frame(sess, sess->batch, sess->batchlen);
	free(sess->batch);
	sess->batch = NULL;
	sess->batchlen = 0;
	sess->batchcap = 0;
}

/* The loop turn ends: every stream's batch goes, one frame each. */
void
sync_send_flush_all(struct sync *s)
{
	struct sync_peer	*p;
	struct sync_session	*sess;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->sess != NULL)
			sync_send_flush(p->sess);
	TAILQ_FOREACH(sess, &s->inbound, entry)
		sync_send_flush(sess);
}

/* Our HELLO: origin, incarnation, where to dial us back. */
void
sync_send_hello(struct sync_session *sess)
{
	struct sync	*s = sess->sync;
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HELLO;
	m.proto = SYNC_PROTO_VERSION;
	m.incarnation = s->incarnation;
	m.origin = (const uint8_t *)s->hostname;
	m.originlen = strlen(s->hostname);
	m.advertise = (const uint8_t *)s->advertise;
	m.advertiselen = strlen(s->advertise);
	sync_send_msg(sess, &m);
}

/* The whole local table: SNAP_BEGIN, one ADD per node, SNAP_END. */
void
sync_send_snapshot(struct sync_session *sess)
{
	struct sync	*s = sess->sync;
	struct registry	*reg = s->srv->reg;
	struct node	*n;
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_BEGIN;
	m.incarnation = s->incarnation;
	m.version = s->version;
	m.count = (uint32_t)registry_count(reg);
	sync_send_msg(sess, &m);
	for (n = registry_first(reg); n != NULL; n = registry_next(n)) {
		memset(&m, 0, sizeof(m));
		m.type = SYNC_MSG_ADD;
		registry_node_view(n, &m.node);
		sync_send_msg(sess, &m);
	}
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_END;
	sync_send_msg(sess, &m);
	sync_send_flush(sess);
	sess->snap_end = sess->queued;
}

/* Bytes queued on a stream and not yet written to the socket. */
size_t
sync_send_pending(struct sync_session *sess)
{
	if (sess->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(sess->bev));
}
