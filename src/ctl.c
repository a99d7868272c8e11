/* epmdxctl: our client's commands, in text or JSON. */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "ctl.h"
#include "ctl_io.h"
#include "epmdx.h"
#include "proto.h"
#include "xmalloc.h"

/* Print s as a JSON string. */
void
ctl_json_string(const uint8_t *s, size_t len)
{
	size_t	 i;

	putchar('"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] < 0x20)
			printf("\\u%04x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

/* Whether a STATUS reply says sync=on. */
static int
ctl_sync_on(const struct ctl_io_buf *st)
{
	static const char	 key[] = "sync=on\n";
	size_t			 i;

	for (i = 0; i + sizeof(key) - 1 <= st->len; i++)
		if ((i == 0 || st->data[i - 1] == '\n') &&
		    memcmp(st->data + i, key, sizeof(key) - 1) == 0)
			return 1;
	return 0;
}

/*
 * Connect and send one request; -1 with a message on failure.  Before a
 * request of ours, make sure the daemon is epmdx (ctl_io_probe()); *sync
 * (if not NULL) then says whether its peer sync is on.
 */
static int
ctl_request(const char *host, unsigned int port, uint8_t op,
    const void *body, size_t bodylen, int *sync)
{
	struct ctl_io_buf	 st;
	int			 fd;

	if (op >= PROTO_X_STATUS_REQ) {
		if (ctl_io_probe(host, port, &st) == -1)
			return -1;
		if (sync != NULL)
			*sync = ctl_sync_on(&st);
		free(st.data);
	}
	if ((fd = ctl_io_connect(host, port)) == -1) {
		fprintf(stderr, "epmdxctl: cannot connect to epmd at %s port "
		    "%u: %s\n", host != NULL ? host : "localhost", port,
		    strerror(errno));
		return -1;
	}
	if (ctl_io_send(fd, op, body, bodylen) == -1) {
		fprintf(stderr, "epmdxctl: sending request: %s\n",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* epmdxctl names: this host's registered nodes. */
static int
ctl_names(const char *host, unsigned int port, int json)
{
	struct ctl_io_buf	 b;
	const uint8_t	*p, *end, *nl, *at;
	int		 fd, first = 1;
	static const char sep[] = " at port ";

	if ((fd = ctl_request(host, port, PROTO_NAMES_REQ, NULL, 0,
	    NULL)) == -1)
		return 1;
	if (ctl_io_read_all(fd, &b) == -1 || b.len < 4) {
		fprintf(stderr, "epmdxctl: no response from epmd\n");
		close(fd);
		free(b.data);
		return 1;
	}
	close(fd);
	if (json)
		printf("[");
	for (p = b.data + 4, end = b.data + b.len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		/* "name N at port P": N may hold spaces, so find the last. */
		for (at = nl - (sizeof(sep) - 1); at > p; at--)
			if (memcmp(at, sep, sizeof(sep) - 1) == 0)
				break;
		if (at <= p || nl - p < 5 || memcmp(p, "name ", 5) != 0)
			continue;
		if (json) {
			printf("%s{\"name\":", first ? "" : ",");
			ctl_json_string(p + 5, (size_t)(at - p - 5));
			printf(",\"port\":%.*s}",
			    (int)(nl - at - (sizeof(sep) - 1)),
			    (const char *)at + sizeof(sep) - 1);
		} else
			fwrite(p, 1, (size_t)(nl - p + 1), stdout);
		first = 0;
	}
	if (json)
		printf("]\n");
	free(b.data);
	return 0;
}

/* epmdxctl status: the daemon's key=value lines, or a JSON object. */
static int
ctl_status(const char *host, unsigned int port, int json)
{
	struct ctl_io_buf	 b;
	char		*p, *line, *eq, *end;
	int		 first = 1;

	if (ctl_io_probe(host, port, &b) == -1)
		return 1;
	b.data = xreallocarray(b.data, 1, b.len + 1);
	b.data[b.len] = '\0';
	if (json)
		printf("{");
	for (p = (char *)b.data; (line = strsep(&p, "\n")) != NULL;) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (json) {
			printf("%s\"%s\":", first ? "" : ",", line);
			strtoull(eq, &end, 10);
			if (*eq >= '0' && *eq <= '9' && *end == '\0')
				printf("%s", eq);
			else
				ctl_json_string((uint8_t *)eq, strlen(eq));
		} else
			printf("%-22s %s\n", line, eq);
		first = 0;
	}
	if (json)
		printf("}\n");
	free(b.data);
	return 0;
}

/* epmdxctl stop NAME and kill. */
static int
ctl_stop_kill(const char *host, unsigned int port, int json,
    const char *name)
{
	char	 ans[16];
	ssize_t	 n;
	int	 fd;

	if (name != NULL && strlen(name) > PROTO_MAXPAYLOAD - 1) {
		fprintf(stderr, "epmdxctl: name too long\n");
		return 1;
	}
	fd = ctl_request(host, port, name != NULL ? PROTO_STOP_REQ :
	    PROTO_KILL_REQ, name, name != NULL ? strlen(name) : 0, NULL);
	if (fd == -1)
		return 1;
	n = ctl_io_read_n(fd, ans, sizeof(ans) - 1);
	close(fd);
	ans[n < 0 ? 0 : n] = '\0';
	if (name != NULL) {
		if (strcmp(ans, "STOPPED") == 0) {
			if (json) {
				printf("{\"stopped\":");
				ctl_json_string((const uint8_t *)name,
				    strlen(name));
				printf("}\n");
			} else
				printf("stopped %s\n", name);
			return 0;
		}
		if (strncmp(ans, "NOEXIST", 7) == 0)
			fprintf(stderr, "epmdxctl: no node named %s\n", name);
		else
			fprintf(stderr, "epmdxctl: stop refused: the daemon "
			    "allows it only with relaxed_command_check\n");
		return 1;
	}
	if (strcmp(ans, "OK") == 0) {
		printf(json ? "{\"killed\":true}\n" : "killed\n");
		return 0;
	}
	if (strcmp(ans, "NO") == 0)
		fprintf(stderr, "epmdxctl: kill refused: nodes are registered "
		    "(allowed only with relaxed_command_check)\n");
	else
		fprintf(stderr, "epmdxctl: kill refused: no answer\n");
	return 1;
}

/* Split a reply into lines of tab-separated fields; calls fn per line. */
static int
ctl_fields(const char *host, unsigned int port, uint8_t op, const void *body,
    size_t bodylen, void (*fn)(char **, int, int, void *), void *arg,
    int *sync, const char *open)
{
	struct ctl_io_buf	 b;
	char		*p, *line, *f[16];
	int		 fd, nf, first = 1;

	if ((fd = ctl_request(host, port, op, body, bodylen, sync)) == -1)
		return 1;
	ctl_io_timeout(fd, CTL_IO_TIMEOUT);
	if (ctl_io_read_all(fd, &b) == -1) {
		fprintf(stderr, "epmdxctl: reading reply: %s\n",
		    strerror(errno));
		close(fd);
		free(b.data);
		return 1;
	}
	close(fd);
	if (open != NULL)
		fputs(open, stdout);
	b.data = xreallocarray(b.data, 1, b.len + 1);
	b.data[b.len] = '\0';
	for (p = (char *)b.data; (line = strsep(&p, "\n")) != NULL;) {
		if (*line == '\0')
			continue;
		for (nf = 0; nf < 16 && (f[nf] = strsep(&line, "\t")) != NULL;
		    nf++)
			;
		fn(f, nf, first, arg);
		first = 0;
	}
	free(b.data);
	return 0;
}

/* One CLUSTER line: name host port high low age from. */
static void
ctl_cluster_line(char **f, int nf, int first, void *arg)
{
	char	 node[1400];
	int	 json = *(int *)arg;

	if (nf < 7)
		return;
	snprintf(node, sizeof(node), "%s@%s", f[0], f[1]);
	if (!json) {
		if (first)
			printf("%-32s %6s %-24s %s\n", "NODE", "PORT",
			    "ORIGIN", "AGE");
		printf("%-32s %6s %-24s %ss\n", node, f[2], f[6], f[5]);
		return;
	}
	printf("%s{\"node\":", first ? "" : ",");
	ctl_json_string((uint8_t *)node, strlen(node));
	printf(",\"name\":");
	ctl_json_string((uint8_t *)f[0], strlen(f[0]));
	printf(",\"host\":");
	ctl_json_string((uint8_t *)f[1], strlen(f[1]));
	printf(",\"port\":%s,\"high\":%s,\"low\":%s,\"age\":%s,"
	    "\"origin\":", f[2], f[3], f[4], f[5]);
	ctl_json_string((uint8_t *)f[6], strlen(f[6]));
	printf("}");
}

/* One PEERS line: address state origin heard entries sources rejected. */
static void
ctl_peers_line(char **f, int nf, int first, void *arg)
{
	int		 json = *(int *)arg;
	const char	*rejected = nf >= 7 ? f[6] : "0";

	if (nf < 6)
		return;
	if (!json) {
		if (first)
			printf("%-28s %-14s %-16s %6s %7s %8s %s\n", "PEER",
			    "STATE", "ORIGIN", "HEARD", "ENTRIES", "REJECTED",
			    "SOURCES");
		printf("%-28s %-14s %-16s %6s %7s %8s %s\n", f[0], f[1], f[2],
		    strcmp(f[3], "-1") == 0 ? "-" : f[3], f[4], rejected,
		    f[5]);
		return;
	}
	printf("%s{\"peer\":", first ? "" : ",");
	ctl_json_string((uint8_t *)f[0], strlen(f[0]));
	printf(",\"state\":");
	ctl_json_string((uint8_t *)f[1], strlen(f[1]));
	printf(",\"origin\":");
	if (strcmp(f[2], "-") == 0)
		printf("null");
	else
		ctl_json_string((uint8_t *)f[2], strlen(f[2]));
	printf(",\"last_heard\":%s,\"entries\":%s,\"sources\":",
	    strcmp(f[3], "-1") == 0 ? "null" : f[3], f[4]);
	ctl_json_string((uint8_t *)f[5], strlen(f[5]));
	printf(",\"rejected\":%s}", rejected);
}

/*
 * epmdxctl cluster / peers.  peers on a daemon without sync says so
 * (text), or prints [] (JSON).
 */
static int
ctl_table(const char *host, unsigned int port, int json, uint8_t op)
{
	int	 rc, sync = 1;

	rc = ctl_fields(host, port, op, NULL, 0, op == PROTO_X_CLUSTER_REQ ?
	    ctl_cluster_line : ctl_peers_line, &json, &sync,
	    json ? "[" : NULL);
	if (rc == 0 && !json && !sync && op == PROTO_X_PEERS_REQ)
		printf("sync is off\n");
	if (json && rc == 0)
		printf("]\n");
	return rc;
}

/* epmdxctl resolve name@host: port and versions from the cluster. */
static int
ctl_resolve(const char *host, unsigned int port, int json, const char *node)
{
	struct ctl_io_buf		 b;
	struct proto_node	 n;
	uint8_t			 result;
	const char		*at;
	char			 addr[PROTO_RESOLVE_ADDR_MAX + 1] = "-";
	size_t			 used;
	int			 fd;

	if ((at = strrchr(node, '@')) == NULL || at == node || at[1] == '\0') {
		fprintf(stderr, "epmdxctl: %s: not name@host\n", node);
		return 2;
	}
	if ((fd = ctl_request(host, port, PROTO_X_RESOLVE_REQ, node,
	    strlen(node), NULL)) == -1)
		return 1;
	ctl_io_timeout(fd, CTL_IO_TIMEOUT);
	if (ctl_io_read_all(fd, &b) == -1 ||
	    proto_decode_port2_resp(b.data, b.len, &result, &n) != PROTO_OK) {
		fprintf(stderr, "epmdxctl: %s\n", b.len == 0 && errno !=
		    EAGAIN ? "closed with no reply (not a local peer?)" :
		    "no valid reply");
		close(fd);
		free(b.data);
		return 1;
	}
	close(fd);
	if (result != 0) {
		fprintf(stderr, "epmdxctl: %s: unknown node\n", node);
		free(b.data);
		return 1;
	}
	/* [AddrLen:1][address] after the reply (older daemons: none). */
	used = proto_port2_resp_len(b.data, b.len);
	if (used > 0 && used < b.len && b.len - used - 1 >= b.data[used])
		snprintf(addr, sizeof(addr), "%.*s", (int)b.data[used],
		    (const char *)b.data + used + 1);
	if (json) {
		printf("{\"node\":");
		ctl_json_string((const uint8_t *)node, strlen(node));
		printf(",\"port\":%u,\"type\":%u,\"protocol\":%u,"
		    "\"high\":%u,\"low\":%u,\"address\":", n.port, n.type,
		    n.proto, n.high, n.low);
		ctl_json_string((const uint8_t *)addr, strlen(addr));
		printf("}\n");
	} else
		printf("%s port %u type %u protocol %u versions %u-%u "
		    "address %s\n", node, n.port, n.type, n.proto, n.low,
		    n.high, addr);
	free(b.data);
	return 0;
}

/* Connect to the daemon's control socket; -1 with a message. */
static int
ctl_control_connect(const char *path, const char *group)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	if (addr_unix(path, &sun) == -1) {
		fprintf(stderr, "epmdxctl: %s: path too long\n", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1 &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	saved = errno;
	if (fd != -1)
		close(fd);
	fprintf(stderr, "epmdxctl: cannot connect to the control socket %s: "
	    "%s%s%s%s\n", path, strerror(saved), saved == EACCES ?
	    " (only root and group " : "", saved == EACCES ? group : "",
	    saved == EACCES ? " may)" : saved == ENOENT ||
	    saved == ECONNREFUSED ? " (is epmdx running? control_socket in "
	    "epmdx.conf(5), --control)" : "");
	return -1;
}

/*
 * epmdxctl upgrade: the daemon re-executes its binary, keeping state.
 * Asked on the control socket, which knows who asks.
 */
static int
ctl_upgrade(const char *path, const char *group, int json)
{
	struct ctl_io_buf	 b;
	int		 fd, ok;
	char		*nl;

	if ((fd = ctl_control_connect(path, group)) == -1)
		return 1;
	if (ctl_io_send(fd, PROTO_X_UPGRADE_REQ, NULL, 0) == -1) {
		fprintf(stderr, "epmdxctl: sending request: %s\n",
		    strerror(errno));
		close(fd);
		return 1;
	}
	if (ctl_io_read_all(fd, &b) == -1 || b.len == 0) {
		fprintf(stderr, "epmdxctl: upgrade: no answer (the new process "
		    "died?)\n");
		close(fd);
		free(b.data);
		return 1;
	}
	close(fd);
	b.data = xreallocarray(b.data, 1, b.len + 1);
	b.data[b.len] = '\0';
	if ((nl = strchr((char *)b.data, '\n')) != NULL)
		*nl = '\0';
	ok = strncmp((char *)b.data, "OK ", 3) == 0;
	if (json) {
		printf("{\"upgraded\":%s,\"answer\":", ok ? "true" : "false");
		ctl_json_string(b.data, strlen((char *)b.data));
		printf("}\n");
	} else if (ok)
		printf("upgraded: pid %s\n", (char *)b.data + 3);
	else
		fprintf(stderr, "epmdxctl: upgrade refused: %s\n",
		    strncmp((char *)b.data, "ERR ", 4) == 0 ?
		    (char *)b.data + 4 : (char *)b.data);
	free(b.data);
	return ok ? 0 : 1;
}

/* epmdxctl usage, on stderr. */
static void
ctl_usage(void)
{
	fprintf(stderr,
	    "usage: epmdxctl [--host host] [--port port] [--json] "
	    "[-f file]\n"
	    "                [--control path] command\n"
	    "commands:\n"
	    "    names        nodes registered on this host\n"
	    "    status       daemon version, uptime, counts and limits\n"
	    "    cluster      every node known to the cluster (peer sync)\n"
	    "    resolve n@h  port and versions of a node of the cluster\n"
	    "    peers        sync peers, their state and entries\n"
	    "    watch        the cluster table, then each change, until\n"
	    "                 interrupted\n"
	    "    upgrade      re-execute the daemon's binary, keeping every\n"
	    "                 registration (control socket: root or group)\n"
	    "    stop name    unregister a node (relaxed_command_check)\n"
	    "    kill         stop the daemon\n");
}

/* epmdxctl's main. */
int
ctl_main(int argc, char **argv, const char *default_conf)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "control", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct epmd_conf conf;
	const char	*host = NULL, *cmd, *conf_path = NULL, *control = NULL;
	unsigned int	 port = 0;
	unsigned long	 ul;
	char		*end, *cause = NULL, pathbuf[128];
	int		 ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:f:H:p:jhV", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			control = optarg;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'p':
			ul = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ul == 0 ||
			    ul > 65535) {
				fprintf(stderr, "epmdxctl: invalid port: %s\n",
				    optarg);
				return 2;
			}
			port = (unsigned int)ul;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("epmdxctl %s\n", EPMDX_VERSION);
			return 0;
		case 'h':
			ctl_usage();
			return 0;
		default:
			ctl_usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		ctl_usage();
		return 2;
	}

	/* The port and the control socket: options, environment, file. */
	config_defaults(&conf);
	if (config_load(conf_path != NULL ? conf_path : default_conf,
	    conf_path == NULL, &conf, &cause) == -1 || (config_apply_env(&conf),
	    config_validate(&conf, &cause) == -1)) {
		fprintf(stderr, "epmdxctl: %s\n", cause);
		free(cause);
		config_free(&conf);
		return 2;
	}
	if (port == 0)
		port = conf.port;
	if (control == NULL && (control = getenv("EPMDX_CONTROL")) != NULL &&
	    *control == '\0')
		control = NULL;
	cmd = argv[0];
	if (strcmp(cmd, "upgrade") == 0 && argc == 1) {
		if (host != NULL) {
			fprintf(stderr, "epmdxctl: upgrade goes through the "
			    "local control socket, not --host\n");
			config_free(&conf);
			return 2;
		}
		rc = ctl_upgrade(control != NULL ? control :
		    config_control_path(&conf, port, pathbuf, sizeof(pathbuf)),
		    config_control_group(&conf), json);
		config_free(&conf);
		return rc;
	}
	config_free(&conf);
	if (strcmp(cmd, "names") == 0 && argc == 1)
		return ctl_names(host, port, json);
	if (strcmp(cmd, "status") == 0 && argc == 1)
		return ctl_status(host, port, json);
	if (strcmp(cmd, "cluster") == 0 && argc == 1)
		return ctl_table(host, port, json, PROTO_X_CLUSTER_REQ);
	if (strcmp(cmd, "peers") == 0 && argc == 1)
		return ctl_table(host, port, json, PROTO_X_PEERS_REQ);
	if (strcmp(cmd, "watch") == 0 && argc == 1)
		return ctl_watch(host, port, json);
	if (strcmp(cmd, "resolve") == 0 && argc == 2)
		return ctl_resolve(host, port, json, argv[1]);
	if (strcmp(cmd, "stop") == 0 && argc == 2)
		return ctl_stop_kill(host, port, json, argv[1]);
	if (strcmp(cmd, "kill") == 0 && argc == 1)
		return ctl_stop_kill(host, port, json, NULL);
	fprintf(stderr, "epmdxctl: unknown command or wrong arguments: %s\n",
	    cmd);
	ctl_usage();
	return 2;
}
