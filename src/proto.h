/*
 * EPMD wire codec: pure, no I/O, no libevent, no allocation.
 *
 * Requests are [Len:16 BE][Len bytes]; byte 0 of the payload is the opcode.
 * Replies carry no length prefix.  See ../shared/epmd-reference.md.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#define EPMD_PORT_DEFAULT	4369

#define PROTO_MAXSYMLEN		1020	/* max bytes of a name or of Extra */
#define PROTO_MAXNAMECHARS	255	/* max UTF-8 characters of a name */
#define PROTO_MAXPAYLOAD	3057	/* max Len: Len+2 must stay < 3060 */
#define PROTO_ERR_CREATION	99	/* creation sent with a refused ALIVE2 */
#define PROTO_LINE_MAX		(PROTO_MAXSYMLEN + 96) /* NAMES/DUMP line */

/* Opcodes: OTP's, then ours (codes OTP never used; see epmdxctl(1)). */
enum proto_op {
	PROTO_DUMP_REQ = 100,		/* 'd' */
	PROTO_KILL_REQ = 107,		/* 'k' */
	PROTO_NAMES_REQ = 110,		/* 'n' */
	PROTO_STOP_REQ = 115,		/* 's' */
	PROTO_ALIVE2_X_RESP = 118,	/* 'v' */
	PROTO_PORT2_RESP = 119,		/* 'w' */
	PROTO_ALIVE2_REQ = 120,		/* 'x' */
	PROTO_ALIVE2_RESP = 121,	/* 'y' */
	PROTO_PORT2_REQ = 122,		/* 'z' */

	PROTO_X_STATUS_REQ = 200,	/* epmdx: daemon status, key=value */
	PROTO_X_SYNC_REQ = 201,		/* epmdx: opens a peer-sync stream */
	PROTO_X_CLUSTER_REQ = 202,	/* epmdx: every node of the cluster */
	PROTO_X_RESOLVE_REQ = 203,	/* epmdx: name@host -> PORT2 reply */
	PROTO_X_PEERS_REQ = 204,	/* epmdx: sync peers and their state */
	PROTO_X_UPGRADE_REQ = 205,	/* epmdx: re-exec, keep every socket */
	PROTO_X_WATCH_REQ = 206,	/* epmdx: the cluster table, then changes */
};

#define PROTO_RESOLVE_ADDR_MAX	255	/* RESOLVE: [AddrLen:1][address] */

#define PROTO_SYNC_OPEN_LEN	33	/* SYNC body: version, 32 random, */
#define PROTO_SYNC_OPEN_MAX	(33 + 64) /* and a cluster name */

/* proto_decode() results. */
#define PROTO_OK	0
#define PROTO_NEED_MORE	1
#define PROTO_ERR	(-1)	/* close the connection, no reply */

/* The fields an ALIVE2 request carries, echoed verbatim by PORT2. */
struct proto_node {
	uint16_t	 port;
	uint8_t		 type;		/* 77 'M' normal, 72 'H' hidden */
	uint8_t		 proto;		/* 0 = TCP/IPv4 */
	uint16_t	 high;		/* HighestVersion */
	uint16_t	 low;		/* LowestVersion */
	const uint8_t	*name;
	size_t		 namelen;
	const uint8_t	*extra;
	size_t		 extralen;
};

/* A decoded request; pointers point into the caller's buffer. */
struct proto_req {
	uint8_t		 op;
	/*
	 * ALIVE2: the node.  PORT2, STOP, RESOLVE: only name/namelen are set
	 * (PORT2 has its one trailing NUL stripped; STOP's name ends at the
	 * first NUL, as stock reads it as a C string).
	 */
	struct proto_node node;
	/*
	 * ALIVE2 only: non-NULL when stock would answer with an error reply
	 * (Result 1, creation 99) rather than close: name too long, bad
	 * UTF-8, extra too long.  A short reason for the log.
	 */
	const char	*refuse;
	/*
	 * SYNC: the body after the opcode, PROTO_SYNC_OPEN_LEN to
	 * PROTO_SYNC_OPEN_MAX bytes (sync_msg.h reads it).
	 */
	const uint8_t	*body;
	size_t		 bodylen;
};

/*
 * Decode one framed request from buf[0..len).  Returns PROTO_NEED_MORE
 * until a whole frame is in; PROTO_ERR (with *why set) when stock would
 * close without a reply: bad length, more bytes than the frame holds,
 * unknown opcode, malformed ALIVE2/PORT2/STOP; PROTO_OK with *req filled
 * and *used set to the bytes consumed.
 */
int	 proto_decode(const uint8_t *buf, size_t len, struct proto_req *req,
	    size_t *used, const char **why);

/*
 * Number of UTF-8 characters in s[0..len), or -1 if it is not valid
 * UTF-8 (overlongs, surrogates and code points above U+10FFFF refused).
 */
int	 proto_utf8_chars(const uint8_t *s, size_t len);

/*
 * Whether name is one ALIVE2 registers: 0..1020 bytes (stock registers
 * the empty name), no NUL, valid UTF-8 of at most 255 characters.
 */
int	 proto_name_ok(const uint8_t *name, size_t len);

/* Frame a request: [Len][op][body]; returns bytes written or -1. */
int	 proto_encode_req(uint8_t *buf, size_t size, uint8_t op,
	    const void *body, size_t bodylen);
/* Frame an ALIVE2 request for node; returns bytes written or -1. */
int	 proto_encode_alive2(uint8_t *buf, size_t size,
	    const struct proto_node *node);

/*
 * ALIVE2 reply: 'v',R,Creation:32 when high >= 6, else 'y',R,Creation:16.
 * Returns 6 or 4, or -1 if size is too small.
 */
int	 proto_encode_alive2_resp(uint8_t *buf, size_t size, uint16_t high,
	    uint8_t result, uint32_t creation);
/* PORT2 reply for a found node (node == NULL: 'w',1). */
int	 proto_encode_port2_resp(uint8_t *buf, size_t size,
	    const struct proto_node *node);
/* The 4-byte big-endian port header of NAMES and DUMP replies. */
int	 proto_encode_port_header(uint8_t *buf, size_t size, uint32_t port);
/* "name %s at port %d\n" */
int	 proto_encode_names_line(char *buf, size_t size, const uint8_t *name,
	    size_t namelen, unsigned int port);
/*
 * DUMP lines, each followed by its NUL byte (counted in the return):
 * "active name     <%s> at port %d, fd = %d\n\0" and
 * "old/unused name <%s>, port = %d, fd = %d \n\0".
 */
int	 proto_encode_dump_line(char *buf, size_t size, int active,
	    const uint8_t *name, size_t namelen, unsigned int port, int fd);

/*
 * A node name as one text field (CLUSTER, WATCH): bytes below 0x20, DEL
 * and the backslash as \xHH, the rest as is.  The length, or -1 if it
 * does not fit with its NUL.
 */
int	 proto_escape_name(char *buf, size_t size, const uint8_t *name,
	    size_t len);
/* The room proto_escape_name() may need for len bytes, NUL included. */
#define PROTO_ESCAPED_MAX(len)	((len) * 4 + 1)

/*
 * A WATCH line (see epmdxctl(1)), tab-separated, LF-terminated:
 * "+ name host port type protocol high low address" when up, else
 * "- name host"; the name escaped as above.  The length (no NUL), or -1
 * if it does not fit in size.
 */
int	 proto_encode_watch_line(char *buf, size_t size, int up,
	    const struct proto_node *node, const char *host,
	    const char *addr);
/* Room for any WATCH line: the escaped name, two host names, numbers. */
#define PROTO_WATCH_LINE_MAX	(PROTO_ESCAPED_MAX(PROTO_MAXSYMLEN) + 600)

/* Decode a PORT2 reply (client side): PROTO_OK/NEED_MORE/ERR. */
int	 proto_decode_port2_resp(const uint8_t *buf, size_t len,
	    uint8_t *result, struct proto_node *node);
/*
 * The bytes a PORT2-style reply takes (RESOLVE's address follows them),
 * or 0 if buf does not hold a whole one.
 */
size_t	 proto_port2_resp_len(const uint8_t *buf, size_t len);

#endif /* PROTO_H */
