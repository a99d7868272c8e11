/*
 * Clients of a running daemon, speaking the EPMD wire protocol: stock
 * epmd's interactive flags (-names, -dump, -kill, -stop, -started) with
 * its exact output, and epmdxctl's richer commands.
 */
#ifndef CTL_H
#define CTL_H

enum ctl_epmd_cmd {
	CTL_NAMES,
	CTL_DUMP,
	CTL_KILL,
	CTL_STOP,
	CTL_STARTED,
};

/* Run a stock epmd client command; returns the exit status. */
int	ctl_epmd(enum ctl_epmd_cmd, const char *name, unsigned int port);
/* epmdxctl's main; default_port from env/config.  Returns exit status. */
int	ctl_main(int argc, char **argv, unsigned int default_port);

#endif /* CTL_H */
