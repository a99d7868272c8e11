/*
 * Stock epmd's client flags (-names, -dump, -kill, -stop, -started) with
 * its exact output, byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_epmd.h"
#include "ctl_io.h"
#include "proto.h"
#include "wire.h"

#define CTL_STOP_NAME_MAX	1000	/* stock's -stop limit */

/* Copy the rest of the stream to stdout until EOF (stock -names). */
static void
ctl_epmd_copy_out(int fd)
{
	char	 buf[8192];
	ssize_t	 n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			fwrite(buf, 1, (size_t)n, stdout);
}

/*
 * Send op (body: a string or NULL), read want bytes of answer into ans
 * and close.  A failed or short answer is reported as stock's client
 * does; returns -1 then, else want.
 */
static ssize_t
ctl_epmd_ask(int fd, uint8_t op, const char *body, char *ans, size_t want)
{
	ssize_t	 n;

	if (ctl_io_send(fd, op, body, body != NULL ? strlen(body) : 0) == -1 ||
	    (n = ctl_io_read_n(fd, ans, want)) == -1) {
		printf("epmd: failed to read answer from local epmd\n");
		close(fd);
		return -1;
	}
	close(fd);
	ans[n] = '\0';
	if ((size_t)n < want) {
		printf("epmd: local epmd responded with <%s>\n", ans);
		return -1;
	}
	return n;
}

/* Stock epmd's interactive commands, with its exact output. */
int
ctl_epmd(enum ctl_epmd_cmd cmd, const char *name, unsigned int port)
{
	struct wire_r	 r;
	uint8_t		 hdr[4];
	char		 ans[8];
	ssize_t		 n;
	int		 fd;

	if (cmd == CTL_STOP && strlen(name) > CTL_STOP_NAME_MAX) {
		printf("epmd: Name too long!");
		return 1;
	}
	if ((fd = ctl_io_connect(NULL, port)) == -1) {
		if (cmd != CTL_STARTED)
			fprintf(stderr, "epmd: Cannot connect to local epmd\n");
		return 1;
	}
	switch (cmd) {
	case CTL_NAMES:
	case CTL_DUMP:
	case CTL_STARTED:
		if (ctl_io_send(fd, cmd == CTL_DUMP ? PROTO_DUMP_REQ :
		    PROTO_NAMES_REQ, NULL, 0) == -1 ||
		    read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
			if (cmd != CTL_STARTED)
				printf("epmd: no response from local epmd\n");
			close(fd);
			return 1;
		}
		if (cmd == CTL_STARTED) {
			close(fd);
			return 0;
		}
		r.p = hdr;
		r.left = sizeof(hdr);
		r.err = 0;
		printf("epmd: up and running on port %u with data:\n",
		    (unsigned int)wire_get_int(&r, 4));
		fflush(stdout);
		ctl_epmd_copy_out(fd);
		fflush(stdout);
		close(fd);
		return 0;
	case CTL_KILL:
		if ((n = ctl_epmd_ask(fd, PROTO_KILL_REQ, NULL, ans, 2)) < 0)
			return 1;
		if (memcmp(ans, "OK", 2) == 0) {
			printf("Killed\n");
			return 0;
		}
		printf("Killing not allowed - living nodes in database.\n");
		return 1;
	case CTL_STOP:
		if ((n = ctl_epmd_ask(fd, PROTO_STOP_REQ, name, ans, 7)) < 0)
			return 1;
		printf("%s\n", ans);
		return 0;
	}
	close(fd);
	return 1;
}
