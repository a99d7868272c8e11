/* Fixtures more than one unit test shares. */
#ifndef FIXTURES_H
#define FIXTURES_H

#include <stdint.h>
#include <string.h>

#include "proto.h"

/* A node named name, with every other field set to something recognisable. */
static inline struct proto_node
fixture_node(const char *name, const uint8_t *extra, size_t extralen)
{
	struct proto_node	 n;

	memset(&n, 0, sizeof(n));
	n.port = 0xbeef;
	n.type = 72;
	n.high = 6;
	n.low = 5;
	n.name = (const uint8_t *)name;
	n.namelen = strlen(name);
	n.extra = extra;
	n.extralen = extralen;
	return n;
}

#endif /* FIXTURES_H */
