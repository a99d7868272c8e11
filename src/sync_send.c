/*
 * What a sync stream writes once its sealed channel is open: any message
 * sealed into a frame [Len:32][secretstream message], our HELLO, a
 * snapshot of the local table; and how much is still queued.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "epmdx.h"
#include "log.h"
#include "registry.h"
#include "sync_int.h"
#include "wire.h"

/* Seal and queue one message. */
void
sync_send_msg(struct sync_session *sess, const struct sync_msg *m)
{
	uint8_t		 plain[SYNC_MSG_MAX];
	uint8_t		 frame[4 + SYNC_MSG_MAX + SYNC_STREAM_ABYTES];
	struct wire_w	 w;
	int		 n;
	uint32_t	 len;

	if ((n = sync_msg_encode(plain, sizeof(plain), m)) < 0)
		fatalx("sync_send_msg: message does not fit");
	len = (uint32_t)n + SYNC_STREAM_ABYTES;
	w.p = frame;
	w.left = 4;
	w.err = 0;
	wire_put_int(&w, len, 4);
	sync_stream_seal(&sess->tx, plain, (size_t)n, frame + 4);
	evbuffer_add(bufferevent_get_output(sess->bev), frame, 4 + len);
	sess->queued += 4 + len;
	sess->last_tx = sess->sync->ticks;
	sess->sync->stats.frames_out++;
	sess->sync->stats.bytes_out += 4 + len;
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
