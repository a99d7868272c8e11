/*
 * epmdx: stock epmd's command line, then either a client command or the
 * daemon: its configuration and its startup order, then server.c runs
 * it.  Invoked as epmdxctl, the richer query tool instead.
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
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "ctl.h"
#include "epmdx.h"
#include "fdstore.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "sd.h"
#include "server.h"
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

static void	usage(void) __attribute__((noreturn));
static int	conf_build(struct epmd_conf *, char **);
static void	daemon_main(void);

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
		c.unreg_cache = CONF_UNREG_CACHE_DEBUG;
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
	daemon_main();
	return exit_status;
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

/*
 * The daemon, in startup order: what a previous process handed over,
 * the listeners, metrics, sync, the control socket; then the server.
 */
static void
daemon_main(void)
{
	char		*cause = NULL;
	int		 rc, adopted;

	if (cli.daemon) {
		daemonize();
		log_init(LOG_TO_SYSLOG, srv.conf.log_level, NULL);
	}
	log_setverbose(srv.conf.log_level);
	raise_nofile();
	fdstore_init(&srv);	/* first: upgrade_load() keeps its journal */
	upgrade_load(&srv);
	server_init(&srv);

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
	    srv.conf.sync.port != srv.names_port &&
	    listen_open_port(&srv, srv.conf.sync.port, &cause) != LISTEN_OK) {
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

	server_run(&srv, conf_build);
	exit_status = 0;
}
