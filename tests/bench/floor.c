/*
 * floor: the least a port mapper can do per request, for `make bench`.
 *
 *   floor -port N
 *
 * Listens on 127.0.0.1:N; for each connection reads one EPMD frame
 * ([Len:16][Len bytes]), writes the fixed 2-byte reply 'w',1 (PORT2 "not
 * found") and closes.  One epoll loop, non-blocking, no allocation per
 * connection: what the kernel allows on this machine, and so the
 * reference rate the daemons are compared with.  Runs until killed.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOR_MAXEVENTS	256
#define FLOOR_MAXFRAME	3059	/* stock's largest frame, Len + 2 */

/* Bytes of a frame read so far, by fd (frames rarely split). */
static uint16_t	*got;
static uint16_t	*want;
static int	 maxfd;

/* Read what is there; reply and close once whole.  1 if fd is closed. */
static int
serve(int fd)
{
	static const uint8_t	 reply[2] = { 'w', 1 };
	uint8_t			 buf[FLOOR_MAXFRAME + 1];
	ssize_t			 n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			break;
		if (got[fd] == 0 && n == 1)
			want[fd] = (uint16_t)(buf[0] << 8);
		else if (got[fd] < 2) {
			/* The length, possibly split over two reads. */
			if (got[fd] == 1)
				want[fd] |= buf[0];
			else
				want[fd] = (uint16_t)(buf[0] << 8 | buf[1]);
			want[fd] += 2;
		}
		if (got[fd] + n > FLOOR_MAXFRAME)
			break;
		got[fd] += (uint16_t)n;
		if (got[fd] >= 2 && got[fd] >= want[fd]) {
			(void)write(fd, reply, sizeof(reply));
			break;
		}
	}
	/* Closing drops the fd from the epoll set as well. */
	got[fd] = want[fd] = 0;
	close(fd);
	return 1;
}

int
main(int argc, char **argv)
{
	struct epoll_event	 ev, evs[FLOOR_MAXEVENTS];
	struct sockaddr_in	 sin;
	struct rlimit		 rl;
	int			 lfd, ep, fd, i, n, on = 1;
	long			 port;

	if (argc != 3 || strcmp(argv[1], "-port") != 0 ||
	    (port = strtol(argv[2], NULL, 10)) <= 0 || port > 65535) {
		fprintf(stderr, "usage: floor -port N\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1;
	maxfd = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
	got = calloc((size_t)maxfd, sizeof(*got));
	want = calloc((size_t)maxfd, sizeof(*want));
	if (got == NULL || want == NULL)
		return 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, SOMAXCONN) == -1) {
		perror("floor: listen");
		return 1;
	}
	if ((ep = epoll_create1(0)) == -1)
		return 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		return 1;

	for (;;) {
		n = epoll_wait(ep, evs, FLOOR_MAXEVENTS, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				serve(evs[i].data.fd);
				continue;
			}
			for (;;) {
				fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd == -1) {
					if (errno == EMFILE || errno == ENFILE)
						usleep(1000);	/* no spin */
					break;
				}
				if (fd >= maxfd) {
					close(fd);
					continue;
				}
				/*
				 * The request is usually in already: answer
				 * without touching epoll; else watch it.
				 */
				if (serve(fd))
					continue;
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					close(fd);
			}
		}
	}
}
