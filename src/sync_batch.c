/* Sync batches: several messages in one frame's plaintext (pure). */
#include <string.h>

#include "sync_batch.h"
#include "wire.h"

/* Append one message as [Len:16][message]. */
int
sync_batch_put(uint8_t *buf, size_t size, size_t *used,
    const struct sync_msg *m)
{
	struct wire_w	 w;
	int		 n;

	if (*used + 2 >= size)
		return -1;
	if ((n = sync_msg_encode(buf + *used + 2, size - *used - 2, m)) < 0)
		return -1;
	w.p = buf + *used;
	w.left = 2;
	w.err = 0;
	wire_put_int(&w, (uint64_t)n, 2);
	*used += 2 + (size_t)n;
	return 0;
}

/* The next message of a frame. */
int
sync_batch_next(const uint8_t *buf, size_t len, int batched, size_t *off,
    struct sync_msg *m, const char **why)
{
	struct wire_r	 r;
	size_t		 n;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	if (!batched) {
		if (*off != 0)
			return 0;
		*off = len;
		return sync_msg_decode(buf, len, m, why) == 0 ? 1 : -1;
	}
	if (*off == len) {
		if (len != 0)
			return 0;
		*why = "empty frame";
		return -1;
	}
	if (len - *off < 2) {
		*why = "truncated batch";
		return -1;
	}
	r.p = buf + *off;
	r.left = 2;
	r.err = 0;
	n = (size_t)wire_get_int(&r, 2);
	if (n == 0 || n > len - *off - 2) {
		*why = n == 0 ? "empty message in batch" : "truncated batch";
		return -1;
	}
	if (sync_msg_decode(buf + *off + 2, n, m, why) == -1)
		return -1;
	*off += 2 + n;
	return 1;
}
