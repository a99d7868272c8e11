/*
 * Stock epmd's client flags (-names, -dump, -kill, -stop, -started),
 * speaking the EPMD wire protocol, with stock's exact output.
 */
#ifndef CTL_EPMD_H
#define CTL_EPMD_H

enum ctl_epmd_cmd {
	CTL_NAMES,
	CTL_DUMP,
	CTL_KILL,
	CTL_STOP,
	CTL_STARTED,
};

/* Run a stock epmd client command; returns the exit status. */
int	ctl_epmd(enum ctl_epmd_cmd, const char *name, unsigned int port);

#endif /* CTL_EPMD_H */
