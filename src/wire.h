/*
 * Bounded big-endian readers and writers over caller buffers, for the
 * codecs that are not EPMD's own (sync messages, handover records).  An
 * overrun sets err and every later call does nothing: check err once.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

struct proto_node;

struct wire_w {
	uint8_t		*p;
	size_t		 left;
	int		 err;
};

struct wire_r {
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

/* Append n bytes. */
void		 wire_put(struct wire_w *, const void *, size_t n);
/* Append the low n bytes (1..8) of v, big-endian. */
void		 wire_put_int(struct wire_w *, uint64_t v, int n);
/* Append a 16-bit length, then the bytes. */
void		 wire_put_str(struct wire_w *, const uint8_t *, size_t);
/* Read an n-byte (1..8) big-endian integer. */
uint64_t	 wire_get_int(struct wire_r *, int n);
/* Read a 16-bit length and point at that many bytes (NULL on overrun). */
const uint8_t	*wire_get_str(struct wire_r *, size_t *len);
/*
 * A node's fields, as sync messages and handover records carry them:
 * port (2), type (1), proto (1), high (2), low (2), name and Extra as
 * wire_put_str().  The reader points into the buffer and checks no name.
 */
void		 wire_put_node(struct wire_w *, const struct proto_node *);
void		 wire_get_node(struct wire_r *, struct proto_node *);

#endif /* WIRE_H */
