/*
 * Writes the seeds of fuzz_sync_session into the directory argv[1]: the
 * streams tests/unit/test_sync.c and test_sync_msg.c play, as that
 * harness reads them ([ctl:8], then [len:16][plaintext] per message, the
 * top bit of len picking the second accepted stream, the next one the
 * stream the daemon dials).  Plaintexts come from
 * sync_msg_encode().  `make fuzz-seeds` runs it; the output is committed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sync_msg.h"

#define INC_A		7
#define INC_ME		0x1122334455667788ULL	/* the harness's incarnation */
#define DIALLED		2	/* the stream the daemon dials */

static uint8_t	 seed[8192];
static size_t	 seedlen;
static const char *dir;

static void
start(uint8_t ctl)
{
	seed[0] = ctl;
	seedlen = 1;
}

/* The len bits for stream which: accepted 0 or 1, or the dialled one. */
static int
flag(int which)
{
	return which == DIALLED ? 0x40 : which ? 0x80 : 0;
}

/* One message on stream which. */
static void
msg(int which, const struct sync_msg *m)
{
	uint8_t	 buf[SYNC_MSG_MAX];
	int	 n;

	if ((n = sync_msg_encode(buf, sizeof(buf), m)) < 0 ||
	    seedlen + 2 + (size_t)n > sizeof(seed)) {
		fprintf(stderr, "seedgen: message does not fit\n");
		exit(1);
	}
	seed[seedlen++] = (uint8_t)(flag(which) | n >> 8);
	seed[seedlen++] = (uint8_t)n;
	memcpy(seed + seedlen, buf, (size_t)n);
	seedlen += (size_t)n;
}

/* Raw bytes as one "message" (for ctl action 3, or undecodable ones). */
static void
raw(int which, const void *p, size_t n)
{
	seed[seedlen++] = (uint8_t)(flag(which) | n >> 8);
	seed[seedlen++] = (uint8_t)n;
	memcpy(seed + seedlen, p, n);
	seedlen += n;
}

static void
finish(const char *name)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(seed, 1, seedlen, f) != seedlen || fclose(f) != 0) {
		fprintf(stderr, "seedgen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
hello(int which, const char *origin, uint64_t inc, const char *adv)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HELLO;
	m.proto = SYNC_PROTO_VERSION;
	m.incarnation = inc;
	m.origin = (const uint8_t *)origin;
	m.originlen = strlen(origin);
	m.advertise = (const uint8_t *)adv;
	m.advertiselen = strlen(adv);
	msg(which, &m);
}

static void
begin(int which, uint64_t inc, uint64_t version, uint32_t count)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_BEGIN;
	m.incarnation = inc;
	m.version = version;
	m.count = count;
	msg(which, &m);
}

static void
entry(int which, int type, uint64_t version, const char *name,
    size_t namelen, uint16_t port)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	m.version = version;
	m.node.name = (const uint8_t *)name;
	m.node.namelen = namelen;
	if (type == SYNC_MSG_ADD) {
		m.node.port = port;
		m.node.type = 77;
		m.node.high = 6;
		m.node.low = 5;
	}
	msg(which, &m);
}

static void
add(int which, uint64_t version, const char *name, uint16_t port)
{
	entry(which, SYNC_MSG_ADD, version, name, strlen(name), port);
}

static void
del(int which, uint64_t version, const char *name)
{
	entry(which, SYNC_MSG_DEL, version, name, strlen(name), 0);
}

static void
bare(int which, int type)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	msg(which, &m);
}

static void
heartbeat(int which, uint64_t inc, uint64_t version)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_HEARTBEAT;
	m.incarnation = inc;
	m.version = version;
	msg(which, &m);
}

/* HELLO from a, a snapshot of two at version 3. */
static void
synced(int which, const char *origin)
{
	hello(which, origin, INC_A, "ha:99");
	begin(which, INC_A, 3, 2);
	add(which, 0, "x1", 5001);
	add(which, 0, "x2", 5002);
	bare(which, SYNC_MSG_SNAP_END);
}

int
main(int argc, char **argv)
{
	static const uint8_t	 badlen[] = { 0xff, 0xff, 0xff, 0xff, 1 };
	static const uint8_t	 short_frame[] = { 0, 0, 0, 3, 1, 2, 3 };
	int			 i;
	char			 name[16];

	if (argc != 2) {
		fprintf(stderr, "usage: seedgen_sync_session dir\n");
		return 2;
	}
	dir = argv[1];

	/* A HELLO alone: the daemon answers its own. */
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	finish("hello");

	/* Snapshot, deltas in order, a heartbeat, then RESYNC (refused). */
	start(0xfc);
	synced(0, "a");
	add(0, 4, "x3", 5003);
	del(0, 5, "x1");
	heartbeat(0, INC_A, 5);
	bare(0, SYNC_MSG_RESYNC);
	finish("snapshot-deltas");

	/* A gap, an old version, a heartbeat ahead, a restart: RESYNCs. */
	start(0xfc);
	synced(0, "a");
	add(0, 9, "x9", 5009);
	add(0, 2, "old", 5010);
	heartbeat(0, INC_A, 12);
	heartbeat(0, INC_A + 1, 0);
	begin(0, INC_A + 1, 0, 1);
	add(0, 0, "y", 6000);
	bare(0, SYNC_MSG_SNAP_END);
	finish("gap-resync");

	/* Deltas before any snapshot, DEL inside one, END without BEGIN. */
	start(0xfc);
	hello(0, "a", INC_A, ":4370");
	add(0, 1, "early", 5000);
	del(0, 2, "early");
	begin(0, INC_A, 1, 1);
	del(0, 2, "x");
	finish("delta-unsynced");
	start(0xfc);
	hello(0, "a", INC_A, "");
	bare(0, SYNC_MSG_SNAP_END);
	finish("end-without-begin");

	/* Fewer ADDs than announced: kept the old table, asked again. */
	start(0xfc);
	synced(0, "a");
	begin(0, INC_A, 4, 3);
	add(0, 0, "z", 7000);
	bare(0, SYNC_MSG_SNAP_END);
	finish("count-mismatch");

	/* An empty node name and bad UTF-8 ones: skipped, stream goes on. */
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	begin(0, INC_A, 3, 3);
	entry(0, SYNC_MSG_ADD, 0, "", 0, 5000);
	entry(0, SYNC_MSG_ADD, 0, "bad\xff\xfe", 5, 5000);
	entry(0, SYNC_MSG_ADD, 0, "\xc3\x28", 2, 5000);
	bare(0, SYNC_MSG_SNAP_END);
	entry(0, SYNC_MSG_DEL, 4, "\xe2\x82", 2, 0);
	entry(0, SYNC_MSG_ADD, 5, "", 0, 5000);
	finish("bad-names");

	/* More entries than an origin may hold (the harness caps at 4). */
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	begin(0, INC_A, 1, 6);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		add(0, 0, name, (uint16_t)(5000 + i));
	}
	bare(0, SYNC_MSG_SNAP_END);
	add(0, 2, "more", 6000);
	finish("origin-cap");

	/* Two streams, two origins, snapshots interleaved: the total cap. */
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	hello(1, "b", INC_A, "hb:99");
	begin(0, INC_A, 1, 4);
	begin(1, INC_A, 1, 4);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		add(0, 0, name, (uint16_t)(5000 + i));
		snprintf(name, sizeof(name), "b%d", i);
		add(1, 0, name, (uint16_t)(6000 + i));
	}
	bare(0, SYNC_MSG_SNAP_END);
	bare(1, SYNC_MSG_SNAP_END);
	add(0, 2, "a9", 5009);
	finish("two-origins");

	/* Two streams of one origin: one delta stream, one duplicate. */
	start(0xfc);
	synced(0, "a");
	hello(1, "a", INC_A, "ha:99");
	add(1, 4, "x4", 5004);
	add(0, 4, "x4", 5004);
	add(0, 5, "x5", 5005);
	finish("same-origin");

	/* HELLOs that claim our own name: ours (self), or another daemon. */
	start(0xfc);
	hello(0, "me", INC_ME, ":4369");
	finish("self");
	start(0xfc);
	hello(0, "me", INC_A, ":4369");
	finish("own-hostname");

	/* Learned peers: an address literal, a bracketed one, many. */
	start(0xfc);
	hello(0, "a", INC_A, "127.0.0.1:4370");
	hello(1, "b", INC_A, "[::1]:4371");
	finish("advertise-literal");
	start(0xfc);
	hello(0, "c", INC_A, "hc");
	hello(1, "d", INC_A, "hd:1");
	hello(0, "e", INC_A, "he:1");	/* a second HELLO: closed */
	hello(0, "e", INC_A, "he:1");	/* a new stream: no room to dial */
	finish("learned-cap");

	/* The daemon dials the peer a HELLO taught it; we accept. */
	start(0xfc);
	hello(0, "a", INC_A, "127.0.0.1:4370");
	hello(DIALLED, "a", INC_A, "");
	bare(DIALLED, SYNC_MSG_RESYNC);
	bare(0, SYNC_MSG_RESYNC);	/* not for an acceptor: closed */
	bare(DIALLED, SYNC_MSG_RESYNC);
	heartbeat(DIALLED, INC_A, 1);	/* not for a dialer: closed */
	finish("dial-back");
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	hello(DIALLED, "me", INC_ME, "");	/* we dialled ourselves */
	finish("dial-self");
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	hello(DIALLED, "me", INC_A, "");	/* another with our name */
	finish("dial-conflict");
	start(0xfc);
	hello(0, "a", INC_A, "ha:99");
	hello(1, "me", INC_ME, "");	/* our dial, accepted by us */
	hello(DIALLED, "me", INC_ME, "");
	finish("dial-itself");
	start(0xfc);
	hello(0, "a", INC_A, ":4370");
	add(DIALLED, 1, "x", 5000);		/* no HELLO first */
	finish("dial-no-hello");

	/* No HELLO first, a wrong protocol, an unknown type. */
	start(0xfc);
	add(0, 1, "x", 5000);
	finish("no-hello");
	start(0xfc);
	{
		uint8_t	 h[] = { SYNC_MSG_HELLO, 9, 0, 0, 0, 0, 0, 0, 0, 7,
		    0, 1, 'a', 0, 0 };

		raw(0, h, sizeof(h));
	}
	finish("bad-proto");
	start(0xfc);
	{
		uint8_t	 u = 99;

		raw(0, &u, 1);
	}
	finish("unknown-type");
	start(0xfc);
	raw(0, "", 0);
	finish("empty-frame");

	/* A corrupted frame, half a frame then gone, raw garbage. */
	start(1 | 1 << 2);
	synced(0, "a");
	finish("corrupt");
	start(2 | 2 << 2);
	synced(0, "a");
	finish("half-frame");
	start(3 | 1 << 2);
	hello(0, "a", INC_A, "ha:99");
	raw(0, badlen, sizeof(badlen));
	finish("raw-length");
	start(3 | 1 << 2);
	hello(0, "a", INC_A, "ha:99");
	raw(0, short_frame, sizeof(short_frame));
	finish("raw-short");
	return 0;
}
