/*
 * The handover format: the daemon's state as a stream of records, written
 * to a memfd that survives a re-exec (upgrade) or sits in systemd's fd
 * store (restart, crash).  Pure codec: no I/O, no libevent.
 *
 *   header: "EPMDXST1", u32 format version, u64 generation
 *   record: u8 type, u32 length, payload, u32 CRC-32 of type+length+payload
 *
 * A reader trusts nothing: every length is checked against the bytes
 * left and the record's own bounds, every name against ALIVE2's rules.
 */
#ifndef HANDOVER_H
#define HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define HANDOVER_MAGIC		"EPMDXST1"
#define HANDOVER_VERSION		1
#define HANDOVER_HEADER_LEN		20
#define HANDOVER_RECORD_MAX		8192	/* payload bytes, at most */
#define HANDOVER_HOST_MAX		255

enum handover_type {
	HANDOVER_META = 1,	/* port, start time, ids, sync origin */
	HANDOVER_ADD,		/* a registration: id, fd, counter, node */
	HANDOVER_DEL,		/* registration id went to the unreg list */
	HANDOVER_UNREG,		/* a remembered name: counter, port, fd */
	HANDOVER_LISTEN,	/* a listening socket (exec handover) */
	HANDOVER_KEPT,		/* a refused-ALIVE2 connection kept open */
	HANDOVER_ORIGIN,	/* a remote origin; ONODEs follow */
	HANDOVER_ONODE,		/* one entry of the last ORIGIN */
	HANDOVER_REPLY,		/* the epmdxctl upgrade request to answer */
	HANDOVER_END,		/* a complete snapshot ends here */
};

/* One decoded record; pointers point into the caller's buffer. */
struct handover_rec {
	uint8_t			 type;
	/* META */
	uint32_t		 names_port;
	int64_t			 started;
	uint64_t		 next_id;
	uint64_t		 incarnation;
	uint64_t		 version;
	/* ADD, DEL, UNREG, LISTEN, KEPT, REPLY, ONODE */
	uint64_t		 id;
	int32_t			 fd;
	uint32_t		 cr_counter;
	struct proto_node	 node;
	/* ORIGIN */
	const uint8_t		*host;
	size_t			 hostlen;
	const uint8_t		*addr;
	size_t			 addrlen;
	int64_t			 age;		/* seconds since last heard */
};

/* Write the file header; returns HANDOVER_HEADER_LEN or -1. */
int	handover_encode_header(uint8_t *buf, size_t size, uint64_t generation);
/* Check the header; returns the generation's low bits >= 0, or -1. */
int	handover_decode_header(const uint8_t *buf, size_t len,
	    uint64_t *generation);
/* Encode one record; returns its length or -1 if it does not fit. */
int	handover_encode(uint8_t *buf, size_t size,
	    const struct handover_rec *r);
/*
 * Decode the record at buf[0..len).  Returns its total length, 0 if
 * more bytes are needed (a torn tail), or -1 (with *why) if it is
 * damaged: bad CRC, unknown type, bad lengths or fields.
 */
long	handover_decode(const uint8_t *buf, size_t len, struct handover_rec *r,
	    const char **why);
/* CRC-32 (IEEE) of len bytes, continuing from crc (0 to start). */
uint32_t handover_crc32(uint32_t crc, const uint8_t *p, size_t len);

#endif /* HANDOVER_H */
