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
/*
 * epmdxctl's main: the port and control socket come from the options,
 * then the environment, then the file (-f, else default_conf if it
 * exists).  Returns the exit status.
 */
int	ctl_main(int argc, char **argv, const char *default_conf);

#endif /* CTL_H */
