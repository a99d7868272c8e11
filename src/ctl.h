/*
 * epmdxctl: the commands of our own client (names, status, cluster,
 * resolve, peers, stop, kill, upgrade), in text or JSON.  Stock epmd's
 * client flags are in ctl_epmd.h, included here for main.c.
 */
#ifndef CTL_H
#define CTL_H

#include "ctl_epmd.h"

/*
 * epmdxctl's main: the port and control socket come from the options,
 * then the environment, then the file (-f, else default_conf if it
 * exists).  Returns the exit status.
 */
int	ctl_main(int argc, char **argv, const char *default_conf);

/* Inside epmdxctl: a JSON string; the watch command (ctl_watch.c). */
#include <stddef.h>
#include <stdint.h>
void	ctl_json_string(const uint8_t *, size_t);
int	ctl_watch(const char *host, unsigned int port, int json);

#endif /* CTL_H */
