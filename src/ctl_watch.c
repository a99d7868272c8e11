/*
 * epmdxctl watch: subscribe with WATCH and print the cluster table, then
 * each change, one line (or one JSON object) per event.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_io.h"
#include "proto.h"

#define CTL_WATCH_FIELDS	9	/* "+" and its eight fields */

/* Undo a name's \xHH escapes in place; the length. */
static size_t
ctl_watch_unescape(char *s)
{
	char	*start = s, *o = s, hex[3];

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] != '\0' &&
		    s[3] != '\0') {
			hex[0] = s[2];
			hex[1] = s[3];
			hex[2] = '\0';
			*o++ = (char)strtoul(hex, NULL, 16);
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return (size_t)(o - start);
}

/* A JSON "key":"value" pair, comma first. */
static void
ctl_watch_pair(const char *key, const char *val, size_t len)
{
	printf(",\"%s\":", key);
	ctl_json_string((const uint8_t *)val, len);
}

/* One event line (tab-separated fields f[0..nf-1]). */
static void
ctl_watch_line(char **f, int nf, int json)
{
	char	 node[PROTO_WATCH_LINE_MAX];
	size_t	 namelen;

	if (strcmp(f[0], "=") == 0) {
		puts(json ? "{\"event\":\"synced\"}" : "= (table complete)");
		return;
	}
	if (strcmp(f[0], "!") == 0) {
		if (json)
			printf("{\"event\":\"closed\",\"reason\":\"%s\"}\n",
			    nf > 1 && strcmp(f[1], "overflow") == 0 ?
			    "overflow" : "other");
		else
			printf("! %s\n", nf > 1 ? f[1] : "");
		return;
	}
	if ((strcmp(f[0], "+") != 0 || nf < CTL_WATCH_FIELDS) &&
	    (strcmp(f[0], "-") != 0 || nf < 3))
		return;			/* a line of a later version */
	if (!json) {
		if (f[0][0] == '+')
			printf("+ %s@%s %s %s\n", f[1], f[2], f[3], f[8]);
		else
			printf("- %s@%s\n", f[1], f[2]);
		return;
	}
	snprintf(node, sizeof(node), "%s", f[1]);
	namelen = ctl_watch_unescape(node);
	printf("{\"event\":\"%s\"", f[0][0] == '+' ? "add" : "remove");
	/* name@host: the name's bytes, then the host. */
	memmove(node + namelen + 1, f[2], strlen(f[2]) + 1 <
	    sizeof(node) - namelen - 1 ? strlen(f[2]) + 1 : 0);
	node[namelen] = '@';
	ctl_watch_pair("node", node, namelen + 1 + strlen(f[2]));
	ctl_watch_pair("name", node, namelen);
	ctl_watch_pair("host", f[2], strlen(f[2]));
	if (f[0][0] == '+') {
		printf(",\"port\":%s,\"type\":%s,\"protocol\":%s,\"high\":%s,"
		    "\"low\":%s", f[3], f[4], f[5], f[6], f[7]);
		ctl_watch_pair("address", f[8], strlen(f[8]));
	}
	printf("}\n");
}

/*
 * epmdxctl watch: until interrupted, or until the daemon closes the
 * stream (then 1, with the reason on stderr).
 */
int
ctl_watch(const char *host, unsigned int port, int json)
{
	struct ctl_io_buf	 st;
	char			 buf[2 * PROTO_WATCH_LINE_MAX], *line, *nl;
	char			*f[CTL_WATCH_FIELDS], *p, reason[64] = "";
	size_t			 have = 0;
	ssize_t			 n;
	int			 fd, nf;

	if (ctl_io_probe(host, port, &st) == -1)
		return 1;
	free(st.data);
	if ((fd = ctl_io_connect(host, port)) == -1 ||
	    ctl_io_send(fd, PROTO_X_WATCH_REQ, NULL, 0) == -1) {
		fprintf(stderr, "epmdxctl: watch: %s\n", strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			p = line;
			for (nf = 0; nf < CTL_WATCH_FIELDS &&
			    (f[nf] = strsep(&p, "\t")) != NULL; nf++)
				;
			if (nf > 1 && strcmp(f[0], "!") == 0)
				snprintf(reason, sizeof(reason), "%s", f[1]);
			ctl_watch_line(f, nf, json);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0;	/* no line is that long: drop it */
	}
	close(fd);
	fprintf(stderr, "epmdxctl: the daemon closed the watch%s%s\n",
	    reason[0] != '\0' ? ": " : "", reason);
	return 1;
}
