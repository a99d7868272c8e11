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

#endif /* CTL_IO_H */
