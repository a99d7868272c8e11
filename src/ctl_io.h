/*
 * The CLI's side of a connection to a running daemon: connect, send one
 * framed EPMD request, read the answer.  Used by the stock client flags
 * (ctl_epmd.c) and by epmdxctl (ctl.c).
 */
#ifndef CTL_IO_H
#define CTL_IO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* A reply read until the server closed. */
struct ctl_io_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 size;
};

/* Connect to host:port (NULL host: ::1, then 127.0.0.1, as stock); -1. */
int	ctl_io_connect(const char *host, unsigned int port);
/* Send a framed request with op and body; 0 or -1. */
int	ctl_io_send(int fd, uint8_t op, const void *body, size_t bodylen);
/* Read until want bytes are in or the peer closes; bytes read or -1. */
ssize_t	ctl_io_read_n(int fd, void *buf, size_t want);
/* Read everything until the server closes into b (free b->data); 0 or -1. */
int	ctl_io_read_all(int fd, struct ctl_io_buf *b);

/* Seconds epmdxctl waits for a reply before it says "timed out". */
#define CTL_IO_TIMEOUT	10

/*
 * Make sure the daemon on host:port is epmdx before an epmdx request:
 * ask STATUS, whose reply is never empty.  0 with the reply in *status
 * (free status->data), or -1 with a message on stderr that tells apart
 * "no daemon", "timed out" and "not epmdx" (closed with no reply, as
 * stock epmd closes on a request it does not know).
 */
int	ctl_io_probe(const char *host, unsigned int port,
	    struct ctl_io_buf *status);
/* A receive timeout of secs on fd, so that a read fails with EAGAIN. */
void	ctl_io_timeout(int fd, int secs);

#endif /* CTL_IO_H */
