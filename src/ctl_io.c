/*
 * The CLI's side of a connection to a running daemon: connect as stock's
 * client does, send one framed request, read the answer.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_io.h"
#include "proto.h"
#include "xmalloc.h"

/* Connect to host:port (NULL host: ::1, then 127.0.0.1, as stock). */
int
ctl_io_connect(const char *host, unsigned int port)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16];
	int		 fd = -1, rc;

	snprintf(serv, sizeof(serv), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (host == NULL) {
		if ((fd = ctl_io_connect("::1", port)) != -1)
			return fd;
		return ctl_io_connect("127.0.0.1", port);
	}
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Send a framed request with op and body. */
int
ctl_io_send(int fd, uint8_t op, const void *body, size_t bodylen)
{
	uint8_t	 buf[2 + PROTO_MAXPAYLOAD];
	int	 len;
	ssize_t	 n;

	if ((len = proto_encode_req(buf, sizeof(buf), op, body, bodylen)) < 0)
		return -1;
	n = write(fd, buf, (size_t)len);
	return n == len ? 0 : -1;
}

/* Read until want bytes are in or the peer closes; bytes read or -1. */
ssize_t
ctl_io_read_n(int fd, void *buf, size_t want)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < want) {
		n = read(fd, (char *)buf + got, want - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Read everything until the server closes. */
int
ctl_io_read_all(int fd, struct ctl_io_buf *b)
{
	ssize_t	 n;

	memset(b, 0, sizeof(*b));
	for (;;) {
		if (b->size - b->len < 4096) {
			b->size = b->size == 0 ? 8192 : b->size * 2;
			b->data = xreallocarray(b->data, 1, b->size);
		}
		n = read(fd, b->data + b->len, b->size - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

/* A receive timeout on fd. */
void
ctl_io_timeout(int fd, int secs)
{
	struct timeval	 tv;

	tv.tv_sec = secs;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Is the daemon epmdx?  Its STATUS reply, or -1 with a message. */
int
ctl_io_probe(const char *host, unsigned int port, struct ctl_io_buf *status)
{
	const char	*where = host != NULL ? host : "localhost";
	int		 fd;

	memset(status, 0, sizeof(*status));
	if ((fd = ctl_io_connect(host, port)) == -1) {
		fprintf(stderr, "epmdxctl: no daemon on %s port %u: %s\n",
		    where, port, strerror(errno));
		return -1;
	}
	ctl_io_timeout(fd, CTL_IO_TIMEOUT);
	if (ctl_io_send(fd, PROTO_X_STATUS_REQ, NULL, 0) == -1 ||
	    ctl_io_read_all(fd, status) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			fprintf(stderr, "epmdxctl: the daemon on %s port %u "
			    "timed out (no reply in %d s)\n", where, port,
			    CTL_IO_TIMEOUT);
		else
			fprintf(stderr, "epmdxctl: the daemon on %s port %u: "
			    "%s\n", where, port, strerror(errno));
		close(fd);
		free(status->data);
		status->data = NULL;
		return -1;
	}
	close(fd);
	if (status->len == 0) {
		fprintf(stderr, "epmdxctl: the daemon on port %u is not epmdx "
		    "(it closed the connection on an epmdx request; stock epmd "
		    "does that)%s\n", port, host != NULL ? ", or it does not "
		    "take epmdx requests from this host" : "");
		free(status->data);
		status->data = NULL;
		return -1;
	}
	return 0;
}
