/*
 * Carrying state across a process boundary: the records both the upgrade
 * and the fd store write, reading their memfds whole, the socket checks,
 * and reading a state back (an upgrade snapshot, an fd-store journal).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carry.h"
#include "log.h"
#include "registry.h"
#include "xmalloc.h"

/* Start a buffer with the file header. */
void
carry_begin(struct carry_buf *b, uint64_t generation)
{
	memset(b, 0, sizeof(*b));
	b->size = 65536;
	b->p = xmalloc(b->size);
	if (handover_encode_header(b->p, b->size, generation) < 0)
		b->err = 1;
	else
		b->len = HANDOVER_HEADER_LEN;
}

/* Append one record. */
void
carry_put(struct carry_buf *b, const struct handover_rec *r)
{
	int	 n;

	if (b->err)
		return;
	if (b->size - b->len < HANDOVER_RECORD_MAX + 16) {
		b->size = b->size == 0 ? 65536 : b->size * 2;
		b->p = xreallocarray(b->p, 1, b->size);
	}
	if ((n = handover_encode(b->p + b->len, b->size - b->len, r)) < 0)
		b->err = 1;
	else
		b->len += (size_t)n;
}

/* A record that carries only a descriptor. */
void
carry_put_fd(struct carry_buf *b, uint8_t type, int fd)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.fd = fd;
	carry_put(b, &r);
}

/* The ADD record for n. */
void
carry_rec_add(struct handover_rec *r, const struct node *n, int fd)
{
	memset(r, 0, sizeof(*r));
	r->type = HANDOVER_ADD;
	r->id = n->sid;
	r->fd = fd;
	r->cr_counter = n->cr_counter;
	registry_node_view(n, &r->node);
}

/* Remembered names, then active nodes oldest first. */
void
carry_put_registry(struct carry_buf *b, struct registry *reg, int journal)
{
	struct handover_rec	 r;
	struct node	*n;

	for (n = registry_unreg_first(reg); n != NULL; n = registry_next(n)) {
		memset(&r, 0, sizeof(r));
		r.type = HANDOVER_UNREG;
		r.cr_counter = n->cr_counter;
		r.fd = journal ? -1 : n->fd;
		r.node.port = n->port;
		r.node.name = n->name;
		r.node.namelen = n->namelen;
		carry_put(b, &r);
	}
	for (n = registry_last(reg); n != NULL; n = registry_prev(n)) {
		if (journal && n->sid == 0)
			continue;
		carry_rec_add(&r, n, journal ? -1 : n->fd);
		carry_put(b, &r);
	}
}

/* Free the buffer. */
void
carry_free(struct carry_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Read a memfd whole. */
uint8_t *
carry_read(int fd, size_t max, size_t *len, char **cause)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0, size;

	if (fstat(fd, &st) == -1 || st.st_size < HANDOVER_HEADER_LEN ||
	    (unsigned long long)st.st_size > max) {
		xasprintf(cause, "state memfd missing or of a bad size");
		return NULL;
	}
	size = (size_t)st.st_size;
	buf = xmalloc(size);
	while (got < size) {
		n = pread(fd, buf + got, size - got, (off_t)got);
		if (n <= 0) {
			xasprintf(cause, "reading state: %s", n == 0 ?
			    "short" : strerror(errno));
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	*len = got;
	return buf;
}

/* Whether fd is an open stream socket, listening or connected. */
int
carry_is_socket(int fd, int how)
{
	struct stat	 st;
	socklen_t	 len;
	int		 v;

	if (fd < 3 || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM)
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
		return 0;
	return how == CARRY_LISTENING ? v == 1 : v == 0;
}

/* Set or clear close-on-exec. */
void
carry_cloexec(int fd, int on)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return;
	fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

/* carry_validate() with its scratch map of descriptors seen[maxfds]. */
static int
carry_validate_with(const uint8_t *buf, size_t len, struct registry *reg,
    int *fds, int *nfds, int maxfds, struct handover_rec *meta, char *seen,
    char **cause)
{
	struct handover_rec	 r;
	struct node	*node;
	const char	*why = NULL;
	uint64_t	 gen;
	size_t		 off = HANDOVER_HEADER_LEN;
	long		 n;
	int		 have_meta = 0, end = 0;

	*nfds = 0;
	if (handover_decode_header(buf, len, &gen) == -1) {
		xasprintf(cause, "bad header (another format version?)");
		return -1;
	}
	while (off < len && !end) {
		if ((n = handover_decode(buf + off, len - off, &r,
		    &why)) <= 0) {
			xasprintf(cause, "record at byte %zu: %s", off,
			    n == 0 ? "truncated" : why);
			return -1;
		}
		off += (size_t)n;
		if (!have_meta && r.type != HANDOVER_META) {
			xasprintf(cause, "state does not start with META");
			return -1;
		}
		switch (r.type) {
		case HANDOVER_META:
			if (have_meta++) {
				xasprintf(cause, "two META records");
				return -1;
			}
			*meta = r;
			continue;
		case HANDOVER_LISTEN:
		case HANDOVER_KEPT:
		case HANDOVER_REPLY:
		case HANDOVER_ADD:
			if (!carry_is_socket(r.fd, r.type == HANDOVER_LISTEN ?
			    CARRY_LISTENING : CARRY_CONNECTED)) {
				xasprintf(cause, "descriptor %d is not the "
				    "socket the state says", (int)r.fd);
				return -1;
			}
			if (r.fd >= maxfds || *nfds == maxfds) {
				xasprintf(cause, "descriptor %d out of range",
				    (int)r.fd);
				return -1;
			}
			if (seen[r.fd]) {
				xasprintf(cause, "descriptor %d twice",
				    (int)r.fd);
				return -1;
			}
			seen[r.fd] = 1;
			fds[(*nfds)++] = r.fd;
			if (r.type == HANDOVER_ADD && (node =
			    registry_restore(reg, &r.node, r.cr_counter, r.fd,
			    NULL)) == NULL) {
				xasprintf(cause, "name registered twice");
				return -1;
			}
			if (r.type == HANDOVER_ADD)
				node->sid = r.id;
			continue;
		case HANDOVER_UNREG:
			if (registry_restore_unreg(reg, r.node.name,
			    r.node.namelen, r.node.port, r.fd,
			    r.cr_counter) == -1) {
				xasprintf(cause, "remembered name twice");
				return -1;
			}
			continue;
		case HANDOVER_ORIGIN:
		case HANDOVER_ONODE:
			continue;	/* checked by the codec; used later */
		case HANDOVER_END:
			end = 1;
			continue;
		default:
			xasprintf(cause, "record type %u not expected here",
			    r.type);
			return -1;
		}
	}
	if (!end) {
		xasprintf(cause, "state ends without END (truncated)");
		return -1;
	}
	return 0;
}

/* Check a whole upgrade snapshot; see carry.h. */
int
carry_validate(const uint8_t *buf, size_t len, struct registry *reg,
    int *fds, int *nfds, int maxfds, struct handover_rec *meta, char **cause)
{
	char	*seen = xcalloc((size_t)maxfds, 1);
	int	 rc;

	rc = carry_validate_with(buf, len, reg, fds, nfds, maxfds, meta, seen,
	    cause);
	free(seen);
	return rc;
}

/* Slot of id (found, or the empty one to use). */
static size_t
carry_map_slot(struct carry_map *m, uint64_t id)
{
	size_t	 i = (size_t)(id * 0x9e3779b97f4a7c15ULL) & (m->size - 1);

	while (m->ids[i] != 0 && m->ids[i] != id)
		i = (i + 1) & (m->size - 1);
	return i;
}

/* Insert or replace id -> n (n NULL: forget). */
static void
carry_map_put(struct carry_map *m, uint64_t id, struct node *n)
{
	struct carry_map	 bigger;
	size_t			 i, j;

	if (m->count * 2 >= m->size) {
		bigger.size = m->size == 0 ? 1024 : m->size * 2;
		bigger.count = 0;
		bigger.ids = xcalloc(bigger.size, sizeof(*bigger.ids));
		bigger.nodes = xcalloc(bigger.size, sizeof(*bigger.nodes));
		for (i = 0; i < m->size; i++) {
			if (m->ids[i] == 0)
				continue;
			j = carry_map_slot(&bigger, m->ids[i]);
			bigger.ids[j] = m->ids[i];
			bigger.nodes[j] = m->nodes[i];
			bigger.count++;
		}
		free(m->ids);
		free(m->nodes);
		*m = bigger;
	}
	i = carry_map_slot(m, id);
	if (m->ids[i] == 0) {
		m->ids[i] = id;
		m->count++;
	}
	m->nodes[i] = n;
}

/* The node of id, or NULL. */
struct node *
carry_map_get(struct carry_map *m, uint64_t id)
{
	size_t	 i;

	if (m->size == 0)
		return NULL;
	i = carry_map_slot(m, id);
	return m->ids[i] == id ? m->nodes[i] : NULL;
}

/* Free the map's tables. */
void
carry_map_free(struct carry_map *m)
{
	free(m->ids);
	free(m->nodes);
	memset(m, 0, sizeof(*m));
}

/* Replay a journal; see carry.h. */
size_t
carry_replay(const uint8_t *buf, size_t len, struct registry *reg,
    struct carry_map *map, struct handover_rec *meta)
{
	struct handover_rec	 r;
	struct node	*n;
	const char	*why = NULL;
	size_t		 off = HANDOVER_HEADER_LEN, applied = 0;
	long		 rl;

	while (off < len) {
		if ((rl = handover_decode(buf + off, len - off, &r,
		    &why)) <= 0) {
			if (rl < 0)
				log_warnx("fd store: journal damaged at byte "
				    "%zu (%s): keeping what came before", off,
				    why);
			break;
		}
		off += (size_t)rl;
		applied++;
		switch (r.type) {
		case HANDOVER_META:
			*meta = r;
			break;
		case HANDOVER_UNREG:
			registry_restore_unreg(reg, r.node.name,
			    r.node.namelen, r.node.port, -1, r.cr_counter);
			break;
		case HANDOVER_ADD:
			if (r.id == 0 || (n = registry_restore(reg, &r.node,
			    r.cr_counter, -1, NULL)) == NULL)
				break;
			n->sid = r.id;
			carry_map_put(map, r.id, n);
			if (r.id > meta->next_id)
				meta->next_id = r.id;
			break;
		case HANDOVER_DEL:
			if ((n = carry_map_get(map, r.id)) != NULL &&
			    n->active) {
				registry_unregister(reg, n);
				carry_map_put(map, r.id, NULL);
			}
			break;
		default:
			break;
		}
	}
	return applied;
}
