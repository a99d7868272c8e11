/*
 * Sync batches: the plaintext of a sealed frame on a stream opened at
 * SYNC_PROTO_BATCH holds one or more messages, each [Len:16][message],
 * so that the changes of one loop turn travel as one frame.  On a stream
 * opened at SYNC_PROTO_VERSION a frame holds exactly one message.  Pure:
 * no I/O, no allocation, no libevent.  See epmdx-sync(7).
 */
#ifndef SYNC_BATCH_H
#define SYNC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "sync_msg.h"

#define SYNC_PROTO_BATCH	2	/* frames hold several messages */

/*
 * Append m to the batch buf[0..*used) as [Len:16][message]; 0, or -1
 * when it does not fit in size (nothing written: seal the batch, start
 * another).
 */
int	sync_batch_put(uint8_t *buf, size_t size, size_t *used,
	    const struct sync_msg *m);
/*
 * The next message of a frame's plaintext buf[0..len) from *off: 1 with
 * *m (pointing into buf) and *off moved past it, 0 at the end, -1 with
 * *why if malformed (a record that overruns the frame, an empty one, a
 * message sync_msg_decode() refuses, a frame with no message).  Not
 * batched, the whole of buf is one message.
 */
int	sync_batch_next(const uint8_t *buf, size_t len, int batched,
	    size_t *off, struct sync_msg *m, const char **why);

#endif /* SYNC_BATCH_H */
