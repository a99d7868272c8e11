/*
 * epmdx: stock epmd's command line, then either a client command or the
 * daemon: configuration, listeners, signals and the one event loop.
 * Invoked as epmdxctl, the richer query tool instead.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "control.h"
#include "ctl.h"
#include "epmdx.h"
#include "fdstore.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "sd.h"
#include "sync.h"
#include "upgrade.h"
#include "xmalloc.h"

/* What the command line said; it overrides file and environment. */
struct cli {
	const char	*conf_path;
	int		 conf_explicit;	/* -f given: the file must exist */
	int		 check_only;	/* -n */
	int		 debug;		/* -d count */
	int		 daemon;
	int		 systemd;
	int		 relaxed;
	unsigned int	 port;
	const char	*address;
	unsigned int	 packet_timeout;
	unsigned int	 delay_accept;
	unsigned int	 delay_write;
	int		 client;	/* -1 or an enum ctl_epmd_cmd */
	const char	*stop_name;
};

static struct server	 srv;
static const char	*progname = "epmdx";
static struct cli	 cli;
static int		 exit_status;
static int		 watchdog_on;

static void	usage(void) __attribute__((noreturn));
static int	conf_build(struct epmd_conf *, char **);
static void	server_run(void);
static void	server_kill(struct server *);
static void	signal_cb(evutil_socket_t, short, void *);

/* Stock epmd's usage text (to stderr, exit 1), plus our options. */
static void
usage(void)
{
	fprintf(stderr,
"usage: epmd [-d|-debug] [DbgExtra...] [-address List]\n"
"            [-port No] [-daemon] [-relaxed_command_check]\n"
"       epmd [-d|-debug] [-port No] [-names|-kill|-stop name]\n"
"\n"
"See the Erlang epmd manual page for info about the usage.\n"
"\n"
"Regular options\n"
"    -address List\n"
"        Let epmd listen only on the comma-separated list of IP\n"
"        addresses (and on the loopback interface).\n"
"    -port No\n"
"        Let epmd listen to another port than default 4369\n"
"    -d\n"
"    -debug\n"
"        Enable debugging. This will give a log to\n"
"        the standard error stream. It will shorten\n"
"        the number of saved used node names to 5.\n"
"\n"
"        If you give more than one debug flag you may\n"
"        get more debugging information.\n"
"    -daemon\n"
"        Start epmd detached (as a daemon)\n"
"    -relaxed_command_check\n"
"        Allow this instance of epmd to be killed with\n"
"        epmd -kill even if there are registered nodes.\n"
"        Also allows forced unregister (epmd -stop).\n"
"    -systemd\n"
"        Wait for socket from systemd. The option makes sense\n"
"        when started from .socket unit.\n"
"\n"
"DbgExtra options\n"
"    -packet_timeout Seconds\n"
"        Set the number of seconds a connection can be\n"
"        inactive before epmd times out and closes the\n"
"        connection (default 60).\n"
"\n"
"    -delay_accept Seconds\n"
"        To simulate a busy server you can insert a\n"
"        delay between epmd gets notified about that\n"
"        a new connection is requested and when the\n"
"        connections gets accepted.\n"
"\n"
"    -delay_write Seconds\n"
"        Also a simulation of a busy server. Inserts\n"
"        a delay before a reply is sent.\n"
"\n"
"Interactive options\n"
"    -names\n"
"        List names registered with the currently running epmd\n"
"    -kill\n"
"        Kill the currently running epmd\n"
"        (only allowed if -names show empty database or\n"
"        -relaxed_command_check was given when epmd was started).\n"
"    -stop Name\n"
"        Forcibly unregisters a name with epmd\n"
"        (only allowed if -relaxed_command_check was given when \n"
"        epmd was started).\n");
	/* Invoked as epmd, not a byte more than stock says. */
	if (strcmp(progname, "epmd") == 0)
		exit(1);
	fprintf(stderr,
"\n"
"epmdx options\n"
"    -f File\n"
"        Read the configuration from File (default " EPMDX_CONF ").\n"
"    -n\n"
"        Check the configuration, print the first error, and exit.\n"
"    -V\n"
"        Print the version and exit.\n");
	exit(1);
}

/* A positive atoi() value for a flag, or usage as stock. */
static unsigned int
arg_seconds(int argc, char **argv)
{
	int	 v;

	if (argc < 2 || (v = atoi(argv[1])) <= 0)
		usage();
	return (unsigned int)v;
}

/* Parse the command line strictly left to right, as stock does. */
static void
parse_args(int argc, char **argv)
{
	const char	*a;

	memset(&cli, 0, sizeof(cli));
	cli.client = -1;
	cli.conf_path = EPMDX_CONF;
	argc--;
	argv++;
	while (argc > 0) {
		a = argv[0];
		if (strcmp(a, "-d") == 0 || strcmp(a, "-debug") == 0)
			cli.debug++;
		else if (strcmp(a, "-packet_timeout") == 0) {
			cli.packet_timeout = arg_seconds(argc, argv);
			argc--, argv++;
		} else if (strcmp(a, "-delay_accept") == 0) {
			cli.delay_accept = arg_seconds(argc, argv);
			argc--, argv++;
		} else if (strcmp(a, "-delay_write") == 0) {
			cli.delay_write = arg_seconds(argc, argv);
			argc--, argv++;
		} else if (strcmp(a, "-daemon") == 0)
			cli.daemon = 1;
		else if (strcmp(a, "-relaxed_command_check") == 0)
			cli.relaxed = 1;
		else if (strcmp(a, "-systemd") == 0)
			cli.systemd = 1;
		else if (strcmp(a, "-address") == 0) {
			if (argc < 2)
				usage();
			cli.address = argv[1];
			argc--, argv++;
		} else if (strcmp(a, "-port") == 0) {
			if ((cli.port = arg_seconds(argc, argv)) > 65535)
				usage();
			argc--, argv++;
		} else if (strcmp(a, "-names") == 0 && argc == 1)
			cli.client = CTL_NAMES;
		else if (strcmp(a, "-kill") == 0 && argc == 1)
			cli.client = CTL_KILL;
		else if (strcmp(a, "-dump") == 0 && argc == 1)
			cli.client = CTL_DUMP;
		else if (strcmp(a, "-started") == 0 && argc == 1)
			cli.client = CTL_STARTED;
		else if (strcmp(a, "-stop") == 0 && argc == 2) {
			cli.client = CTL_STOP;
			cli.stop_name = argv[1];
			argc--, argv++;
		} else if (strcmp(a, "-f") == 0) {
			if (argc < 2)
				usage();
			/* Absolute, so a reload after -daemon's chdir works. */
			if ((cli.conf_path = realpath(argv[1], NULL)) == NULL)
				cli.conf_path = argv[1];
			cli.conf_explicit = 1;
			argc--, argv++;
		} else if (strcmp(a, "-n") == 0)
			cli.check_only = 1;
		else if (strcmp(a, "-V") == 0) {
			printf("epmdx %s\n", EPMDX_VERSION);
			exit(0);
		} else
			usage();
		argc--, argv++;
	}
}

/*
 * Build the configuration: defaults, then the file, then the
 * environment, then the command line.
 */
static int
conf_build(struct epmd_conf *conf, char **cause)
{
	struct epmd_conf	 c;

	config_defaults(&c);
	if (config_load(cli.conf_path, !cli.conf_explicit, &c, cause) == -1)
		return -1;
	config_apply_env(&c);
	if (cli.port != 0)
		c.port = cli.port;
	if (cli.address != NULL && strspn(cli.address, ", ") !=
	    strlen(cli.address)) {
		free(c.address);
		c.address = xstrdup(cli.address);
	}
	if (cli.relaxed)
		c.relaxed = 1;
	if (cli.packet_timeout != 0)
		c.packet_timeout = cli.packet_timeout;
	if (cli.delay_accept != 0)
		c.delay_accept = cli.delay_accept;
	if (cli.delay_write != 0)
		c.delay_write = cli.delay_write;
	if (cli.debug > 0) {
		c.log_level = 1 + cli.debug;
		c.unreg_cache = REGISTRY_UNREG_MAX_DEBUG;
	}
	if (config_validate(&c, cause) == -1) {
		config_free(&c);
		return -1;
	}
	config_free(conf);
	*conf = c;
	return 0;
}

int
main(int argc, char **argv)
{
	struct epmd_conf	 conf;
	char			*cause = NULL;
	const char		*prog = basename(argv[0]);
	unsigned int		 port;

	progname = prog;

	log_init(LOG_TO_STDERR, 1, strcmp(prog, "epmd") == 0 ? "epmd" :
	    "epmdx");
	signal(SIGPIPE, SIG_IGN);

	memset(&conf, 0, sizeof(conf));
	if (strcmp(prog, "epmdxctl") == 0)
		return ctl_main(argc, argv, EPMDX_CONF);

	parse_args(argc, argv);
	upgrade_init(argc, argv);
	if (conf_build(&conf, &cause) == -1) {
		if (cli.check_only || cli.client == -1)
			log_warnx("%s", cause);
		else
			fprintf(stderr, "epmd: %s\n", cause);
		free(cause);
		return 1;
	}
	if (cli.check_only) {
		fprintf(stderr, "configuration OK\n");
		config_free(&conf);
		return 0;
	}
	if (cli.client != -1) {
		port = conf.port;
		config_free(&conf);
		return ctl_epmd(cli.client, cli.stop_name, port);
	}

	srv.conf = conf;
	server_run();
	return exit_status;
}

/* libevent's own messages, through our log. */
static void
libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

/* Detach as stock -daemon does: the parent exits 0 before any bind. */
static void
daemonize(void)
{
	int	 fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* Raise the soft descriptor limit to the hard one: no FD_SETSIZE here. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE %llu",
			    (unsigned long long)rl.rlim_max);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	srv.nofile = (unsigned long)rl.rlim_cur;
}

/* SIGHUP: re-read the configuration; on error keep the old one. */
static void
server_reload(void)
{
	struct epmd_conf	 conf, tmp;
	char			*cause = NULL;

	sd_notifyf_state("RELOADING=1");
	memset(&conf, 0, sizeof(conf));
	if (conf_build(&conf, &cause) == -1) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    cause);
		free(cause);
		sd_notifyf_state("READY=1");
		return;
	}
	/* Listen where the new config says, or keep the old sockets. */
	tmp = srv.conf;
	srv.conf.port = conf.port;
	srv.conf.address = conf.address;
	if (listen_reload(&srv, conf.port, conf.sync.port, &cause) !=
	    LISTEN_OK) {
		log_warnx("reload: %s; keeping the old port and addresses",
		    cause);
		free(cause);
		cause = NULL;
		srv.conf = tmp;
		conf.port = tmp.port;
		free(conf.address);
		conf.address = tmp.address != NULL ? xstrdup(tmp.address) :
		    NULL;
	} else
		srv.conf = tmp;
	config_free(&srv.conf);
	srv.conf = conf;
	log_setverbose(srv.conf.log_level);
	registry_set_unreg_max(srv.reg, srv.conf.unreg_cache);
	conn_reconfigure(&srv);
	if (metrics_open(&srv, &cause) == -1) {
		log_warnx("reload: metrics: %s", cause);
		free(cause);
		cause = NULL;
	}
	control_reload(&srv);
	if (sync_reload(&srv, &cause) == -1) {
		log_warnx("reload: %s", cause);
		free(cause);
	}
	log_info("configuration reloaded");
	sd_notifyf_state("READY=1");
}

/* Signals arrive here from the loop, not in a handler. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGHUP:
		server_reload();
		break;
	case SIGUSR2:
		upgrade_start(&srv, -1);
		break;
	case SIGINT:
	case SIGTERM:
		log_info("shutting down signal=%s", strsignal(sig));
		event_base_loopbreak(srv.base);
		break;
	default:
		fatalx("signal_cb: %d", (int)sig);
	}
}

/*
 * Under systemd: answer the watchdog from the loop (so a stuck loop is
 * caught), and keep STATUS= showing live counts.
 */
static void
service_cb(evutil_socket_t fd, short what, void *arg)
{
	static char	 last[256];
	char		 status[256];

	if (watchdog_on)
		sd_notifyf_state("WATCHDOG=1");
	snprintf(status, sizeof(status), "Serving port %u: %zu registrations,"
	    " %u connections%s", srv.names_port, registry_count(srv.reg),
	    srv.nconns, srv.sync != NULL ? ", peer sync on" : "");
	if (strcmp(status, last) != 0) {
		sd_notifyf_state("STATUS=%s", status);
		snprintf(last, sizeof(last), "%s", status);
	}
}

/* A KILL request was answered: stop the loop, exit 0 like stock. */
static void
server_kill(struct server *s)
{
	event_base_loopbreak(s->base);
}

/* The daemon: listeners, loop, clean shutdown. */
static void
server_run(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR2 };
	struct event	*sigev[4], *service_ev = NULL;
	struct timeval	 tv;
	unsigned long long usec;
	char		*cause = NULL;
	size_t		 i;
	int		 rc, adopted;

	if (cli.daemon) {
		daemonize();
		log_init(LOG_TO_SYSLOG, srv.conf.log_level, NULL);
	}
	log_setverbose(srv.conf.log_level);
	raise_nofile();
	fdstore_init(&srv);	/* first: upgrade_load() keeps its journal */
	upgrade_load(&srv);

	event_set_log_callback(libevent_log_cb);
	if ((srv.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	srv.reg = registry_new(srv.conf.unreg_cache);
	srv.started = time(NULL);
	srv.kill = server_kill;
	TAILQ_INIT(&srv.conns);
	TAILQ_INIT(&srv.regs);
	TAILQ_INIT(&srv.listeners);

	if ((adopted = upgrade_adopt(&srv)))
		rc = LISTEN_OK;
	else {
		fdstore_load(&srv);
		rc = listen_open(&srv, cli.systemd, &cause);
	}
	if (rc == LISTEN_BUSY) {
		/* Stock: a second epmd on a busy port exits 0 quietly. */
		listen_close_all(&srv);
		registry_free(srv.reg);
		event_base_free(srv.base);
		exit_status = 0;
		return;
	}
	if (rc == LISTEN_ERR) {
		log_warnx("%s", cause);
		sd_notifyf_state("STATUS=Exited: %s\nERRNO=%d", cause, EINVAL);
		exit(1);
	}
	if (metrics_open(&srv, &cause) == -1) {
		log_warnx("%s", cause);
		exit(1);
	}
	if (!adopted && srv.conf.sync.port != 0 &&
	    srv.conf.sync.port != srv.names_port && listen_open_port(&srv, srv.conf.sync.port, &cause) != LISTEN_OK) {
		log_warnx("sync port: %s", cause != NULL ? cause :
		    "port in use");
		exit(1);
	}
	if (sync_open(&srv, &cause) == -1) {
		log_warnx("%s", cause);
		exit(1);
	}
	control_open(&srv);
	upgrade_finish(&srv);
	fdstore_start(&srv);
	upgrade_ready();

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(srv.base, sigs[i], signal_cb, NULL);
		evsignal_add(sigev[i], NULL);
	}

	log_info("ready port=%u listeners=%u nofile=%lu max_connections=%u "
	    "version=%s", srv.names_port, srv.nlisteners, srv.nofile,
	    srv.conf.max_connections, EPMDX_VERSION);
	sd_notifyf_state("READY=1\nSTATUS=Processing port mapping requests "
	    "on port %u\nMAINPID=%lu", srv.names_port,
	    (unsigned long)getpid());

	if (getenv("NOTIFY_SOCKET") != NULL) {
		usec = sd_watchdog_usec();
		watchdog_on = usec > 0;
		/* Twice per watchdog period, and at least every 2 s. */
		tv.tv_sec = 2;
		tv.tv_usec = 0;
		if (watchdog_on && usec / 2 < 2000000ULL) {
			tv.tv_sec = (time_t)(usec / 2 / 1000000);
			tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		}
		service_ev = event_new(srv.base, -1, EV_PERSIST, service_cb,
		    NULL);
		event_add(service_ev, &tv);
	}

	event_base_dispatch(srv.base);
	if (service_ev != NULL)
		event_free(service_ev);

	sd_notifyf_state("STOPPING=1");
	fdstore_freeze();
	sync_close(&srv);
	conn_free_all(&srv, "shutting down");
	metrics_close(&srv);
	control_close();
	listen_close_all(&srv);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	registry_free(srv.reg);
	event_base_free(srv.base);
	config_free(&srv.conf);
	exit_status = 0;
}
