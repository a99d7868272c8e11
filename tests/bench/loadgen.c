/*
 * loadgen: the load generator behind `make bench`.
 *
 * One connection per request, as real EPMD clients do: connect, write one
 * frame, read until the server closes.  Non-blocking sockets on one epoll
 * loop, with a bounded number of requests in flight.  Traffic goes to
 * 127.0.0.1 only, and every loop is bounded in time and in count.
 *
 *   loadgen port2    -p PORT [-c N] [-j T] [-d S] [-w S] [-k NODES]
 *	PORT_PLEASE2 for names drawn at random from n00001..nNODES (n00000,
 *	never registered, when NODES is 0): rate, latency connect -> close.
 *   loadgen names    -p PORT [-c N] [-j T] [-d S] [-w S] -k NODES
 *	NAMES: rate and latency; every reply must carry NODES lines.
 *   loadgen churn    -p PORT [-c N] [-j T] [-d S] [-w S] [-x PREFIX]
 *	Register a fresh name, read the reply, close: registrations/s.
 *	For these three, -j T runs T loops (threads), each with its share
 *	of the -c requests in flight; samples are merged.  -w S seconds of
 *	warm-up are not measured.
 *   loadgen register -p PORT -n N [-c N] [-x PREFIX] [-L S] [-s K]
 *	Open N ALIVE2 registrations (PREFIX00001...), at most -c at a time,
 *	check every reply is a success, print "ready ..." and hold them
 *	until SIGTERM/SIGINT (or -L seconds).  Stops opening at the first
 *	failure (the line says how many are held).
 *   loadgen maxreg   -p PORT [-c N] [-j PROCS] [-n MAX] [-s K] [-T MS]
 *	Open registrations until the server stops accepting or replying
 *	(no reply within -T, close or reset); report how many are held.
 *	PROCS worker processes (default 2): one client process has no more
 *	descriptors than the server.
 *	-s K spreads client sockets over source addresses 127.0.0.1 to
 *	127.0.0.K (default 4 here, else 1) so held connections do not use
 *	up one address's ephemeral ports.
 *   loadgen wait     -p PORT [-T MS]
 *	Until a NAMES request is answered (any reply, then close).
 *   loadgen startup  -p PORT [-T MS] -- CMD [ARG...]
 *	Exec CMD, time exec -> first NAMES answer, then TERM it.
 *   loadgen freeport [-n N]
 *	Print N free ports (20000-32767) bindable on 127.0.0.1 and ::1.
 *
 * Results are one line of key=value pairs on stdout; diagnostics go to
 * stderr.  Exit status 0 unless the run itself could not be made.
 */
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LG_MAXEVENTS	512		/* epoll_wait batch */
#define LG_SCRATCH	(256 * 1024)	/* read buffer (NAMES replies) */
#define LG_HEAD		128		/* reply (or pending request) bytes kept */
#define LG_MAXCONC	4096		/* -c ceiling */
#define LG_MAXSECS	600		/* ceiling of any -d, -L, -T */
#define LG_SETTLE_MS	500		/* maxreg: watch held before reporting */
#define LG_HELD_TAG	(1ULL << 63)	/* epoll data: a held registration */
#define LG_SAMPLES_MAX	(16u << 20)	/* latency samples kept at most */

enum mode {
	M_PORT2, M_NAMES, M_REGISTER, M_CHURN, M_MAXREG, M_WAIT, M_STARTUP,
	M_FREEPORT
};

static const char *const mode_names[] = {
	"port2", "names", "register", "churn", "maxreg", "wait", "startup",
	"freeport"
};

enum slot_state { S_FREE, S_READ };

struct slot {
	int		 fd;
	enum slot_state	 state;
	uint64_t	 t0;		/* connect() called, ns */
	uint32_t	 id;		/* name number */
	uint32_t	 got;		/* reply bytes so far */
	uint32_t	 lines;		/* '\n' seen (NAMES) */
	uint8_t		 head[LG_HEAD];
};

struct lg {
	enum mode	 mode;
	unsigned int	 port;
	unsigned int	 conc;
	double		 secs;		/* -d: measured window */
	double		 warm;		/* -w: before the window */
	uint64_t	 maxreq;	/* -n */
	unsigned int	 nodes;		/* -k */
	unsigned int	 timeout_ms;	/* -T: per request */
	const char	*prefix;	/* -x */
	double		 life;		/* -L: register's holding bound */
	unsigned int	 procs;		/* -j: maxreg workers */
	unsigned int	 worker;	/* maxreg worker, rate thread */
	unsigned int	 stride;	/* rate threads: name numbers step */
	unsigned int	 srcs;		/* -s: source addresses to use */

	struct sockaddr_in sin;
	int		 ep;
	struct slot	*slots;
	unsigned int	*freelist;
	unsigned int	 nfree;
	unsigned int	 active;
	uint64_t	 launched;
	uint64_t	 seq;
	uint64_t	 rng;
	int		 stop;		/* launch nothing more */
	const char	*why;		/* first failure */

	uint64_t	 t_start, t_warm, t_end;
	uint64_t	 ok, errors, timeouts, found, notfound, badreply;
	uint64_t	 bytes, localfail, refused;
	uint64_t	*lat;
	size_t		 nlat, latcap;

	int		*held;
	unsigned int	 nheld, heldcap;
	unsigned int	 lost;

	uint8_t		 scratch[LG_SCRATCH];
};

static volatile sig_atomic_t	 got_signal;

static void	usage(void) __attribute__((noreturn));
static void	fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* Print a message (with errno if set) and exit 2. */
static void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fprintf(stderr, "\n");
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr,
"usage: loadgen port2|names|churn -p port [-c conc] [-j threads] [-d secs]\n"
"                  [-w secs] [-k nodes] [-n max] [-T ms] [-x prefix]\n"
"       loadgen register -p port -n count [-c conc] [-x prefix] [-L secs]\n"
"                  [-s srcs]\n"
"       loadgen maxreg -p port [-c conc] [-j procs] [-n max] [-s srcs]\n"
"                  [-T ms]\n"
"       loadgen wait -p port [-T ms]\n"
"       loadgen startup -p port [-T ms] -- command [arg ...]\n"
"       loadgen freeport [-n count]\n");
	exit(2);
}

/* Monotonic clock in nanoseconds. */
static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CPU seconds used by this process so far. */
static double
cpu_secs(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* xorshift64*: cheap, reproducible name picks. */
static uint64_t
rng_next(struct lg *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

/* Raise the soft descriptor limit to the hard one; return it. */
static unsigned long
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit");
	}
	return (unsigned long)rl.rlim_cur;
}

static double
arg_double(const char *s, double lo, double hi)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		usage();
	return v;
}

static unsigned long long
arg_ull(const char *s, unsigned long long lo, unsigned long long hi)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		usage();
	return v;
}

/* Node name number id (1-based) with the prefix: n00001. */
static int
node_name(const struct lg *g, uint32_t id, char *buf, size_t size)
{
	int	 len;

	len = snprintf(buf, size, "%s%05u", g->prefix, id);
	if (len < 0 || (size_t)len >= size)
		errno = 0, fatal("node name too long");
	return len;
}

/* Build the request frame for a new operation into buf; its length. */
static size_t
build_request(struct lg *g, struct slot *s, uint8_t *buf, size_t size)
{
	char	 name[64];
	int	 nlen;
	size_t	 len;

	switch (g->mode) {
	case M_NAMES:
	case M_WAIT:
	case M_STARTUP:
		buf[0] = 0;
		buf[1] = 1;
		buf[2] = 'n';
		return 3;
	case M_PORT2:
		if (g->nodes > 0)
			s->id = (uint32_t)(rng_next(g) % g->nodes) + 1;
		else
			s->id = 0;	/* n00000 is never registered */
		nlen = node_name(g, s->id, name, sizeof(name));
		len = 1 + (size_t)nlen;
		buf[0] = (uint8_t)(len >> 8);
		buf[1] = (uint8_t)len;
		buf[2] = 'z';
		memcpy(buf + 3, name, (size_t)nlen);
		return len + 2;
	case M_REGISTER:
	case M_CHURN:
	case M_MAXREG:
		/* Threads interleave: name numbers never collide. */
		s->id = (uint32_t)(g->seq++ * g->stride +
		    (g->stride > 1 ? g->worker : 0) + 1);
		nlen = node_name(g, s->id, name, sizeof(name));
		len = 13 + (size_t)nlen;
		if (len + 2 > size)
			errno = 0, fatal("frame too long");
		buf[0] = (uint8_t)(len >> 8);
		buf[1] = (uint8_t)len;
		buf[2] = 'x';
		/* A plausible distribution port, 10000..59999. */
		buf[3] = (uint8_t)((10000 + s->id % 50000) >> 8);
		buf[4] = (uint8_t)(10000 + s->id % 50000);
		buf[5] = 77;		/* normal node */
		buf[6] = 0;		/* TCP/IPv4 */
		buf[7] = 0, buf[8] = 6;	/* highest version, as OTP 25 */
		buf[9] = 0, buf[10] = 5;	/* lowest */
		buf[11] = (uint8_t)(nlen >> 8);
		buf[12] = (uint8_t)nlen;
		memcpy(buf + 13, name, (size_t)nlen);
		buf[13 + nlen] = 0;	/* no extra */
		buf[14 + nlen] = 0;
		return len + 2;
	default:
		errno = 0, fatal("build_request: mode %d", g->mode);
	}
}

/* Record a latency sample (ns). */
static void
lat_add(struct lg *g, uint64_t ns)
{
	if (g->nlat == g->latcap) {
		if (g->latcap >= LG_SAMPLES_MAX)
			return;
		g->latcap = g->latcap == 0 ? 65536 : g->latcap * 2;
		g->lat = realloc(g->lat, g->latcap * sizeof(*g->lat));
		if (g->lat == NULL)
			fatal("realloc");
	}
	g->lat[g->nlat++] = ns;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of the sorted samples, in microseconds. */
static double
lat_quantile(const struct lg *g, double q)
{
	size_t	 i;

	if (g->nlat == 0)
		return 0;
	i = (size_t)(q * (double)(g->nlat - 1) + 0.5);
	return (double)g->lat[i] / 1e3;
}

/* Whether an operation that finished at t falls in the window. */
static int
in_window(const struct lg *g, uint64_t t)
{
	if (g->mode == M_REGISTER || g->mode == M_MAXREG)
		return 1;
	return t >= g->t_warm && t < g->t_end;
}

/* Note the first reason things went wrong. */
static void
note_why(struct lg *g, const char *why)
{
	if (g->why == NULL)
		g->why = why;
}

/* Release a slot (its fd already closed or handed over). */
static void
slot_release(struct lg *g, struct slot *s)
{
	s->state = S_FREE;
	s->fd = -1;
	g->freelist[g->nfree++] = (unsigned int)(s - g->slots);
	g->active--;
}

/* An operation failed: count it, close, stop if registering. */
static void
op_fail(struct lg *g, struct slot *s, const char *why, int timeout)
{
	uint64_t	 t = now_ns();

	if (in_window(g, t)) {
		if (timeout)
			g->timeouts++;
		else
			g->errors++;
	}
	note_why(g, why);
	if (g->mode == M_REGISTER || g->mode == M_MAXREG)
		g->stop = 1;
	close(s->fd);
	slot_release(g, s);
}

/* Keep a registration open, watching for the server dropping it. */
static void
held_add(struct lg *g, int fd)
{
	struct epoll_event	 ev;

	if (g->nheld == g->heldcap) {
		g->heldcap = g->heldcap == 0 ? 1024 : g->heldcap * 2;
		g->held = realloc(g->held, g->heldcap * sizeof(*g->held));
		if (g->held == NULL)
			fatal("realloc");
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u64 = LG_HELD_TAG | g->nheld;
	if (epoll_ctl(g->ep, EPOLL_CTL_MOD, fd, &ev) == -1)
		fatal("epoll_ctl MOD held");
	g->held[g->nheld++] = fd;
}

/* The reply is complete (server closed): check it, count it. */
static void
op_done(struct lg *g, struct slot *s)
{
	uint64_t	 t = now_ns();
	int		 good = 0, found = 0;

	switch (g->mode) {
	case M_PORT2:
		if (s->got == 2 && s->head[0] == 'w' && s->head[1] == 1)
			good = 1;
		else if (s->got >= 14 && s->head[0] == 'w' &&
		    s->head[1] == 0)
			good = found = 1;
		break;
	case M_NAMES:
		good = s->got >= 4 && s->lines == g->nodes;
		break;
	case M_WAIT:
	case M_STARTUP:
		good = s->got >= 2;
		break;
	default:
		break;
	}
	if (in_window(g, t)) {
		if (good) {
			g->ok++;
			g->bytes += s->got;
			if (found)
				g->found++;
			else if (g->mode == M_PORT2)
				g->notfound++;
			lat_add(g, t - s->t0);
		} else {
			g->badreply++;
			note_why(g, "unexpected reply");
		}
	}
	close(s->fd);
	slot_release(g, s);
}

/* An ALIVE2 reply is in (the server keeps the connection). */
static void
op_alive2_reply(struct lg *g, struct slot *s)
{
	uint64_t	 t = now_ns();

	if (s->head[0] != 'v' || s->head[1] != 0) {
		if (in_window(g, t)) {
			g->refused++;
			g->badreply++;
		}
		note_why(g, s->head[0] == 'v' ? "registration refused" :
		    "unexpected reply");
		if (g->mode != M_CHURN)
			g->stop = 1;
		close(s->fd);
		slot_release(g, s);
		return;
	}
	if (in_window(g, t)) {
		g->ok++;
		lat_add(g, t - s->t0);
	}
	if (g->mode == M_CHURN) {
		close(s->fd);	/* and so unregister */
		slot_release(g, s);
		return;
	}
	held_add(g, s->fd);
	slot_release(g, s);
}

/* Readable: take what is there; finish on close or a whole reply. */
static void
op_read(struct lg *g, struct slot *s)
{
	ssize_t		 n;
	uint32_t	 i, keep;
	int		 alive2;

	alive2 = g->mode == M_REGISTER || g->mode == M_CHURN ||
	    g->mode == M_MAXREG;
	for (;;) {
		n = read(s->fd, g->scratch, sizeof(g->scratch));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			op_fail(g, s, errno == ECONNRESET ?
			    "connection reset" : "read error", 0);
			return;
		}
		if (n == 0) {
			if (alive2)
				op_fail(g, s, s->got > 0 ? "short reply" :
				    "closed without reply", 0);
			else
				op_done(g, s);
			return;
		}
		if (s->got < LG_HEAD) {
			keep = LG_HEAD - s->got;
			if ((uint32_t)n < keep)
				keep = (uint32_t)n;
			memcpy(s->head + s->got, g->scratch, keep);
		}
		if (g->mode == M_NAMES)
			for (i = 0; i < (uint32_t)n; i++)
				s->lines += g->scratch[i] == '\n';
		s->got += (uint32_t)n;
		if (alive2 && s->got >= 6) {
			op_alive2_reply(g, s);
			return;
		}
	}
}

/*
 * Spread client sockets over source addresses 127.0.0.1..127.0.0.N, so
 * that tens of thousands of held connections do not exhaust (and slow
 * down the search of) one address's ephemeral ports.  The destination
 * stays 127.0.0.1; any 127/8 peer counts as local to epmd.
 */
static void
bind_source(struct lg *g, int fd)
{
	struct sockaddr_in	 src;
	int			 on = 1;

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK +
	    (uint32_t)(g->launched % g->srcs));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1)
		fatal("bind source address");
}

/* Start one operation in a free slot; -1 if none could be started. */
static int
op_start(struct lg *g)
{
	struct epoll_event	 ev;
	struct slot		*s;
	uint8_t			 req[128];
	size_t			 len;
	ssize_t			 n;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			g->localfail++;
			note_why(g, "out of descriptors here");
			g->stop = 1;
			return -1;
		}
		fatal("socket");
	}
	s = &g->slots[g->freelist[--g->nfree]];
	g->active++;
	g->launched++;
	s->fd = fd;
	s->state = S_READ;
	s->got = 0;
	s->lines = 0;
	s->t0 = now_ns();
	len = build_request(g, s, req, sizeof(req));
	if (len > LG_HEAD)
		errno = 0, fatal("request too long");
	if (g->srcs > 1)
		bind_source(g, fd);

	if (connect(fd, (struct sockaddr *)&g->sin, sizeof(g->sin)) == -1 &&
	    errno != EINPROGRESS) {
		if (errno == EADDRNOTAVAIL) {
			g->localfail++;
			note_why(g, "out of local ports");
			close(fd);
			slot_release(g, s);
			return -1;
		}
		op_fail(g, s, errno == ECONNREFUSED ? "connection refused" :
		    "connect error", 0);
		return 0;
	}
	/*
	 * On loopback the handshake is usually over by now, so write at
	 * once; EAGAIN (still connecting) is the rare case, and then the
	 * write happens on EPOLLOUT.
	 */
	memset(&ev, 0, sizeof(ev));
	ev.data.u64 = (uint64_t)(s - g->slots);
	n = write(fd, req, len);
	if (n == (ssize_t)len)
		ev.events = EPOLLIN | EPOLLRDHUP;
	else if (n == -1 && errno == EAGAIN) {
		ev.events = EPOLLOUT;
		memcpy(s->head, req, len);
		s->got = (uint32_t)len;	/* pending request bytes */
	} else {
		op_fail(g, s, n == -1 && errno == ECONNREFUSED ?
		    "connection refused" : "write error", 0);
		return 0;
	}
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl ADD");
	return 0;
}

/* Writable after a slow connect: send the request kept in head. */
static void
op_write(struct lg *g, struct slot *s)
{
	struct epoll_event	 ev;
	uint8_t			 req[128];
	size_t			 len = s->got;
	ssize_t			 n;

	memcpy(req, s->head, len);
	n = write(s->fd, req, len);
	if (n != (ssize_t)len) {
		if (n == -1 && errno == EAGAIN)
			return;
		op_fail(g, s, n == -1 && errno == ECONNREFUSED ?
		    "connection refused" : "write error", 0);
		return;
	}
	s->got = 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u64 = (uint64_t)(s - g->slots);
	if (epoll_ctl(g->ep, EPOLL_CTL_MOD, s->fd, &ev) == -1)
		fatal("epoll_ctl MOD");
}

/* Something happened on a held registration: the server dropped it. */
static void
held_event(struct lg *g, unsigned int i)
{
	uint8_t	 b[64];
	ssize_t	 n;

	if (g->held[i] == -1)
		return;
	n = read(g->held[i], b, sizeof(b));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	close(g->held[i]);
	g->held[i] = -1;
	g->lost++;
	note_why(g, n > 0 ? "data on a registration" : "registration dropped");
}

/* Close requests older than the per-request timeout. */
static void
check_timeouts(struct lg *g, uint64_t now)
{
	uint64_t	 limit = (uint64_t)g->timeout_ms * 1000000ULL;
	unsigned int	 i;

	for (i = 0; i < g->conc; i++) {
		if (g->slots[i].state != S_FREE &&
		    now - g->slots[i].t0 > limit)
			op_fail(g, &g->slots[i], "reply timeout", 1);
	}
}

/* Whether the launching phase is over. */
static int
launch_done(const struct lg *g, uint64_t now)
{
	if (g->stop)
		return 1;
	switch (g->mode) {
	case M_REGISTER:
	case M_MAXREG:
		return g->launched >= g->maxreq;
	case M_WAIT:
	case M_STARTUP:
		return g->launched >= 1;	/* one probe per run */
	default:
		if (g->maxreq > 0 && g->ok >= g->maxreq)
			return 1;
		return now >= g->t_end;
	}
}

/* One pass of the loop: launch, wait up to ms, handle events. */
static void
loop_once(struct lg *g, int ms, int launch)
{
	struct epoll_event	 evs[LG_MAXEVENTS];
	struct slot		*s;
	uint64_t		 d;
	int			 i, n;

	while (launch && g->nfree > 0 && !launch_done(g, now_ns()))
		if (op_start(g) == -1)
			break;
	if (launch && g->active == 0)
		return;		/* nothing in flight: do not sleep */
	n = epoll_wait(g->ep, evs, LG_MAXEVENTS, ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		fatal("epoll_wait");
	}
	for (i = 0; i < n; i++) {
		d = evs[i].data.u64;
		if (d & LG_HELD_TAG) {
			held_event(g, (unsigned int)(d & ~LG_HELD_TAG));
			continue;
		}
		s = &g->slots[d];
		if (s->state == S_FREE)
			continue;
		if (evs[i].events & EPOLLOUT)
			op_write(g, s);
		else
			op_read(g, s);
	}
}

/* Set up the loop state for a run. */
static void
lg_setup(struct lg *g)
{
	unsigned int	 i;

	memset(&g->sin, 0, sizeof(g->sin));
	g->sin.sin_family = AF_INET;
	g->sin.sin_port = htons((uint16_t)g->port);
	g->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((g->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	g->slots = calloc(g->conc, sizeof(*g->slots));
	g->freelist = calloc(g->conc, sizeof(*g->freelist));
	if (g->slots == NULL || g->freelist == NULL)
		fatal("calloc");
	for (i = 0; i < g->conc; i++) {
		g->slots[i].fd = -1;
		g->freelist[g->conc - 1 - i] = i;
	}
	g->nfree = g->conc;
	g->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() ^
	    ((uint64_t)g->worker << 32);
}

/* Run launches until done and the in-flight ones are over. */
static void
lg_run(struct lg *g)
{
	uint64_t	 now, last_check = 0, hard_end;

	g->t_start = now_ns();
	g->t_warm = g->t_start + (uint64_t)(g->warm * 1e9);
	g->t_end = g->t_warm + (uint64_t)(g->secs * 1e9);
	hard_end = g->t_start + (uint64_t)LG_MAXSECS * 1000000000ULL;
	for (;;) {
		now = now_ns();
		if (got_signal || now >= hard_end)
			break;
		if (launch_done(g, now) && (g->active == 0 ||
		    g->mode == M_PORT2 || g->mode == M_NAMES ||
		    g->mode == M_CHURN))
			break;
		loop_once(g, 10, 1);
		now = now_ns();
		if (now - last_check >= 10000000ULL) {
			check_timeouts(g, now);
			last_check = now;
		}
	}
}

/* Print the result line of a rate run. */
static void
report_rate(struct lg *g, double cpu)
{
	uint64_t	 end = now_ns();
	double		 win;

	if (end > g->t_end)
		end = g->t_end;
	win = (double)(end - g->t_warm) / 1e9;
	qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u64);
	printf("mode=%s port=%u conc=%u secs=%.3f requests=%llu rate=%.0f "
	    "p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f errors=%llu "
	    "timeouts=%llu badreply=%llu found=%llu notfound=%llu "
	    "bytes=%llu localfail=%llu cpu=%.3f why=\"%s\"\n",
	    mode_names[g->mode], g->port, g->conc, win,
	    (unsigned long long)g->ok, win > 0 ? (double)g->ok / win : 0,
	    lat_quantile(g, 0.5), lat_quantile(g, 0.9),
	    lat_quantile(g, 0.99), lat_quantile(g, 1.0),
	    (unsigned long long)g->errors, (unsigned long long)g->timeouts,
	    (unsigned long long)g->badreply, (unsigned long long)g->found,
	    (unsigned long long)g->notfound, (unsigned long long)g->bytes,
	    (unsigned long long)g->localfail, win > 0 ? cpu / win : 0,
	    g->why != NULL ? g->why : "");
	fflush(stdout);
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* Watch held registrations for ms milliseconds (or a signal). */
static void
hold(struct lg *g, double secs)
{
	uint64_t	 end = now_ns() + (uint64_t)(secs * 1e9);

	while (!got_signal && now_ns() < end)
		loop_once(g, 100, 0);
}

/* register: open N, report, hold until told to go. */
static int
cmd_register(struct lg *g)
{
	uint64_t	 t0;
	double		 secs;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	raise_nofile();
	lg_setup(g);
	t0 = now_ns();
	lg_run(g);
	secs = (double)(now_ns() - t0) / 1e9;
	printf("ready mode=register registered=%u wanted=%llu failed=%llu "
	    "lost=%u secs=%.3f rate=%.0f why=\"%s\"\n", g->nheld - g->lost,
	    (unsigned long long)g->maxreq,
	    (unsigned long long)(g->errors + g->timeouts + g->badreply +
	    g->localfail), g->lost, secs, secs > 0 ? g->nheld / secs : 0,
	    g->why != NULL ? g->why : "");
	fflush(stdout);
	hold(g, g->life);
	fprintf(stderr, "loadgen register: exiting, held=%u lost=%u\n",
	    g->nheld - g->lost, g->lost);
	return 0;
}

/* One maxreg worker: register until refused, report on fd, wait. */
static void
maxreg_worker(struct lg *g, int out, int in)
{
	struct pollfd	 pfd;
	uint64_t	 t0 = now_ns();
	unsigned long	 nofile;
	char		 line[256];
	int		 len;

	nofile = raise_nofile();
	if (g->maxreq == 0 || g->maxreq > nofile)
		g->maxreq = nofile;	/* more than fits here anyway */
	lg_setup(g);
	lg_run(g);
	/* Let the server drop what it is going to drop. */
	hold(g, LG_SETTLE_MS / 1000.0);
	len = snprintf(line, sizeof(line), "worker=%u held=%u lost=%u "
	    "failed=%llu localfail=%llu secs=%.3f why=\"%s\"\n", g->worker,
	    g->nheld - g->lost, g->lost,
	    (unsigned long long)(g->errors + g->timeouts + g->badreply),
	    (unsigned long long)g->localfail,
	    (double)(now_ns() - t0) / 1e9, g->why != NULL ? g->why : "");
	if (write(out, line, (size_t)len) != len)
		_exit(1);
	/* Hold until the parent has every count (its pipe closes). */
	pfd.fd = in;
	pfd.events = POLLIN;
	poll(&pfd, 1, LG_MAXSECS * 1000);
	_exit(0);
}

/* maxreg: PROCS workers open registrations until the server gives up. */
static int
cmd_maxreg(struct lg *g)
{
	pid_t		 pids[64];
	int		 res[2], rel[2], status;
	unsigned int	 i, held = 0, lost = 0, w, h, l;
	char		 buf[4096], why[128] = "", *p, *q, *w0;
	size_t		 got = 0;
	ssize_t		 n;
	unsigned int	 lines = 0;
	uint64_t	 t0 = now_ns();
	struct pollfd	 pfd;

	if (g->procs == 0 || g->procs > 64)
		usage();
	if (pipe(res) == -1 || pipe(rel) == -1)
		fatal("pipe");
	fflush(stdout);
	for (i = 0; i < g->procs; i++) {
		switch ((pids[i] = fork())) {
		case -1:
			fatal("fork");
		case 0:
			close(res[0]);
			close(rel[1]);
			g->worker = i;
			g->conc = g->conc / g->procs > 0 ?
			    g->conc / g->procs : 1;
			if (g->maxreq > 0)
				g->maxreq = (g->maxreq + g->procs - 1) /
				    g->procs;
			/* Names of worker i: <prefix><i>_00001... */
			{
				static char	 pfx[64];

				snprintf(pfx, sizeof(pfx), "%s%u_", g->prefix,
				    i);
				g->prefix = pfx;
			}
			maxreg_worker(g, res[1], rel[0]);
		}
	}
	close(res[1]);
	close(rel[0]);
	/* Collect one line per worker. */
	pfd.fd = res[0];
	pfd.events = POLLIN;
	while (lines < g->procs && got < sizeof(buf) - 1) {
		if (poll(&pfd, 1, LG_MAXSECS * 1000) <= 0)
			break;
		n = read(res[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		lines = 0;
		for (p = buf; (q = strchr(p, '\n')) != NULL; p = q + 1)
			lines++;
	}
	buf[got] = '\0';
	for (p = buf; (q = strchr(p, '\n')) != NULL; p = q + 1) {
		*q = '\0';
		fprintf(stderr, "loadgen maxreg: %s\n", p);
		if (sscanf(p, "worker=%u held=%u lost=%u", &w, &h, &l) == 3) {
			held += h;
			lost += l;
		}
		if (why[0] == '\0' && (w0 = strstr(p, "why=\"")) != NULL) {
			snprintf(why, sizeof(why), "%s", w0 + 5);
			if ((w0 = strchr(why, '"')) != NULL)
				*w0 = '\0';
		}
	}
	printf("mode=maxreg port=%u held=%u lost=%u workers=%u/%u "
	    "nofile_here=%lu secs=%.3f why=\"%s\"\n", g->port, held, lost,
	    lines, g->procs, raise_nofile(),
	    (double)(now_ns() - t0) / 1e9, why);
	fflush(stdout);
	close(rel[1]);		/* workers may go */
	for (i = 0; i < g->procs; i++)
		waitpid(pids[i], &status, 0);
	return lines == g->procs ? 0 : 1;
}

/* One rate-mode thread: its own loop over its share of the slots. */
static void *
rate_thread(void *arg)
{
	struct lg	*g = arg;

	lg_setup(g);
	lg_run(g);
	return NULL;
}

/*
 * Rate modes: port2, names, churn.  -j threads, each with its own epoll
 * loop and conc/j slots; the counts and latency samples are merged.
 */
static int
cmd_rate(struct lg *g)
{
	struct lg	**t;
	pthread_t	*tid;
	unsigned int	 i, n = g->procs;
	double		 c0, c1;
	uint64_t	 t0;
	size_t		 k;

	if (n > g->conc)
		n = g->conc;
	t = calloc(n, sizeof(*t));
	tid = calloc(n, sizeof(*tid));
	if (t == NULL || tid == NULL)
		fatal("calloc");
	c0 = cpu_secs();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if ((t[i] = malloc(sizeof(*t[i]))) == NULL)
			fatal("malloc");
		*t[i] = *g;
		t[i]->conc = g->conc / n + (i < g->conc % n);
		t[i]->worker = i;
		t[i]->stride = n;
		if (pthread_create(&tid[i], NULL, rate_thread, t[i]) != 0)
			fatal("pthread_create");
	}
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	c1 = cpu_secs();
	/* Merge into g, whose window is the first thread's. */
	g->t_start = t0;
	g->t_warm = t[0]->t_warm;
	g->t_end = t[0]->t_end;
	for (i = 0; i < n; i++) {
		g->ok += t[i]->ok;
		g->errors += t[i]->errors;
		g->timeouts += t[i]->timeouts;
		g->badreply += t[i]->badreply;
		g->found += t[i]->found;
		g->notfound += t[i]->notfound;
		g->bytes += t[i]->bytes;
		g->localfail += t[i]->localfail;
		if (g->why == NULL)
			g->why = t[i]->why;
		for (k = 0; k < t[i]->nlat; k++)
			lat_add(g, t[i]->lat[k]);
	}
	/* CPU over the whole run, warm-up included: scale to the window. */
	report_rate(g, (c1 - c0) * g->secs / (g->secs + g->warm));
	return 0;
}

/* Probe with NAMES requests until one is answered or the deadline. */
static int
probe(struct lg *g, uint64_t deadline)
{
	while (now_ns() < deadline) {
		g->ok = 0;
		g->badreply = 0;
		g->warm = 0;
		g->secs = 1e6;
		g->why = NULL;
		g->stop = 0;
		g->launched = 0;
		lg_run(g);
		if (g->ok > 0)
			return 0;
		usleep(200);
	}
	return -1;
}

/* wait: until the server answers NAMES. */
static int
cmd_wait(struct lg *g)
{
	uint64_t	 t0 = now_ns();

	g->conc = 1;
	lg_setup(g);
	if (probe(g, t0 + (uint64_t)g->timeout_ms * 1000000ULL) == -1) {
		printf("mode=wait port=%u ok=0 why=\"%s\"\n", g->port,
		    g->why != NULL ? g->why : "timeout");
		return 1;
	}
	printf("mode=wait port=%u ok=1 secs=%.6f\n", g->port,
	    (double)(now_ns() - t0) / 1e9);
	return 0;
}

/* startup: exec a server, time exec -> first NAMES answer. */
static int
cmd_startup(struct lg *g, char **argv)
{
	volatile uint64_t	*t_exec;
	uint64_t		 t1, deadline;
	pid_t			 pid;
	int			 status, rc, i;

	t_exec = mmap(NULL, sizeof(*t_exec), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t_exec == MAP_FAILED)
		fatal("mmap");
	*t_exec = 0;
	g->conc = 1;
	lg_setup(g);
	fflush(stdout);
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		*t_exec = now_ns();
		execvp(argv[0], argv);
		fprintf(stderr, "loadgen: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	deadline = now_ns() + (uint64_t)g->timeout_ms * 1000000ULL;
	while (*t_exec == 0 && now_ns() < deadline)
		;	/* the child stamps it at once */
	rc = probe(g, deadline);
	t1 = now_ns();
	if (rc == 0)
		printf("mode=startup port=%u ok=1 startup_us=%.1f\n",
		    g->port, (double)(t1 - *t_exec) / 1e3);
	else
		printf("mode=startup port=%u ok=0 why=\"%s\"\n", g->port,
		    g->why != NULL ? g->why : "timeout");
	fflush(stdout);
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return rc == 0 ? 0 : 1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return rc == 0 ? 0 : 1;
}

/* Whether port is free on 127.0.0.1, 0.0.0.0 and ::1 (for listening). */
static int
port_free(unsigned int port)
{
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;
	int			 fd, ok = 1, i;

	for (i = 0; i < 2 && ok; i++) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)port);
		s4.sin_addr.s_addr = htonl(i == 0 ? INADDR_LOOPBACK :
		    INADDR_ANY);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 0;
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) == -1)
			ok = 0;
		close(fd);
	}
	if (ok && (fd = socket(AF_INET6, SOCK_STREAM, 0)) != -1) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)port);
		s6.sin6_addr = in6addr_loopback;
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == -1 &&
		    errno != EADDRNOTAVAIL)
			ok = 0;
		close(fd);
	}
	return ok;
}

/* freeport: N distinct free ports below the ephemeral range. */
static int
cmd_freeport(struct lg *g)
{
	unsigned int	 i, found = 0, port, tries;
	unsigned int	 seen[64];
	uint64_t	 r = now_ns() ^ (uint64_t)getpid() << 20;

	if (g->maxreq == 0)
		g->maxreq = 1;
	if (g->maxreq > 64)
		usage();
	for (tries = 0; tries < 10000 && found < g->maxreq; tries++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		port = 20000 + (unsigned int)((r >> 33) % 12768);
		for (i = 0; i < found; i++)
			if (seen[i] == port)
				break;
		if (i < found || !port_free(port))
			continue;
		seen[found++] = port;
		printf("%u\n", port);
	}
	return found == g->maxreq ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static struct lg	 lg;
	struct lg		*g = &lg;
	int			 ch, i;

	if (argc < 2)
		usage();
	for (i = 0; i < (int)(sizeof(mode_names) / sizeof(mode_names[0]));
	    i++)
		if (strcmp(argv[1], mode_names[i]) == 0)
			break;
	if (i == (int)(sizeof(mode_names) / sizeof(mode_names[0])))
		usage();
	g->mode = (enum mode)i;
	g->conc = 16;
	g->secs = 2;
	g->warm = 0.3;
	g->timeout_ms = 2000;
	g->prefix = "n";
	g->life = LG_MAXSECS;
	g->procs = g->mode == M_MAXREG ? 2 : 1;
	g->stride = 1;
	g->srcs = g->mode == M_MAXREG ? 4 : 1;
	if (g->mode == M_CHURN)
		g->prefix = "c";
	if (g->mode == M_WAIT || g->mode == M_STARTUP)
		g->timeout_ms = 5000;

	argc--, argv++;
	optind = 1;
	while ((ch = getopt(argc, argv, "c:d:j:k:L:n:p:s:T:w:x:")) != -1) {
		switch (ch) {
		case 'c':
			g->conc = (unsigned int)arg_ull(optarg, 1, LG_MAXCONC);
			break;
		case 'd':
			g->secs = arg_double(optarg, 0.01, LG_MAXSECS);
			break;
		case 'j':
			g->procs = (unsigned int)arg_ull(optarg, 1, 64);
			break;
		case 'k':
			g->nodes = (unsigned int)arg_ull(optarg, 0, 99999);
			break;
		case 'L':
			g->life = arg_double(optarg, 0, LG_MAXSECS);
			break;
		case 'n':
			g->maxreq = arg_ull(optarg, 0, 100000000);
			break;
		case 'p':
			g->port = (unsigned int)arg_ull(optarg, 1, 65535);
			break;
		case 's':
			g->srcs = (unsigned int)arg_ull(optarg, 1, 250);
			break;
		case 'T':
			g->timeout_ms = (unsigned int)arg_ull(optarg, 1,
			    LG_MAXSECS * 1000);
			break;
		case 'w':
			g->warm = arg_double(optarg, 0, 60);
			break;
		case 'x':
			if (strlen(optarg) > 32)
				usage();
			g->prefix = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (g->mode != M_FREEPORT && g->port == 0)
		usage();
	if ((g->mode == M_STARTUP) != (argc > 0))
		usage();
	signal(SIGPIPE, SIG_IGN);

	switch (g->mode) {
	case M_PORT2:
	case M_NAMES:
	case M_CHURN:
		return cmd_rate(g);
	case M_REGISTER:
		if (g->maxreq == 0)
			usage();
		return cmd_register(g);
	case M_MAXREG:
		return cmd_maxreg(g);
	case M_WAIT:
		return cmd_wait(g);
	case M_STARTUP:
		return cmd_startup(g, argv);
	case M_FREEPORT:
		return cmd_freeport(g);
	}
	return 2;
}
