/* Bounded big-endian readers and writers (pure). */
#include <string.h>

#include "proto.h"
#include "wire.h"

/* Append n bytes. */
void
wire_put(struct wire_w *w, const void *b, size_t n)
{
	if (w->err || n > w->left) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p, b, n);
	w->p += n;
	w->left -= n;
}

/* Append the low n bytes of v, big-endian. */
void
wire_put_int(struct wire_w *w, uint64_t v, int n)
{
	uint8_t	 b[8];
	int	 i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	wire_put(w, b, (size_t)n);
}

/* Append a 16-bit length and the bytes. */
void
wire_put_str(struct wire_w *w, const uint8_t *s, size_t n)
{
	if (n > UINT16_MAX) {
		w->err = 1;
		return;
	}
	wire_put_int(w, n, 2);
	wire_put(w, s, n);
}

/* Read an n-byte big-endian integer. */
uint64_t
wire_get_int(struct wire_r *r, int n)
{
	uint64_t v = 0;
	int	 i;

	if (r->err || (size_t)n > r->left) {
		r->err = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= (size_t)n;
	return v;
}

/* Read a 16-bit length and point at the bytes. */
const uint8_t *
wire_get_str(struct wire_r *r, size_t *n)
{
	const uint8_t	*s;

	*n = (size_t)wire_get_int(r, 2);
	if (r->err || *n > r->left) {
		r->err = 1;
		*n = 0;
		return NULL;
	}
	s = r->p;
	r->p += *n;
	r->left -= *n;
	return s;
}

/* A node's fields. */
void
wire_put_node(struct wire_w *w, const struct proto_node *n)
{
	wire_put_int(w, n->port, 2);
	wire_put_int(w, n->type, 1);
	wire_put_int(w, n->proto, 1);
	wire_put_int(w, n->high, 2);
	wire_put_int(w, n->low, 2);
	wire_put_str(w, n->name, n->namelen);
	wire_put_str(w, n->extra, n->extralen);
}

/* Read a node's fields. */
void
wire_get_node(struct wire_r *r, struct proto_node *n)
{
	n->port = (uint16_t)wire_get_int(r, 2);
	n->type = (uint8_t)wire_get_int(r, 1);
	n->proto = (uint8_t)wire_get_int(r, 1);
	n->high = (uint16_t)wire_get_int(r, 2);
	n->low = (uint16_t)wire_get_int(r, 2);
	n->name = wire_get_str(r, &n->namelen);
	n->extra = wire_get_str(r, &n->extralen);
}
