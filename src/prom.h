/*
 * Prometheus text exposition (format 0.0.4) into an evbuffer: the one
 * writer of # HELP / # TYPE lines and samples, for metrics.c and every
 * module that adds its own families.
 */
#ifndef PROM_H
#define PROM_H

struct evbuffer;

/* The # HELP and # TYPE lines that open a family. */
void	prom_family(struct evbuffer *, const char *name, const char *type,
	    const char *help);
/* One sample; labels is "" or 'key="value",...' without braces. */
void	prom_sample(struct evbuffer *, const char *name, const char *labels,
	    unsigned long long value);
/* A family holding one unlabelled sample. */
void	prom_one(struct evbuffer *, const char *name, const char *type,
	    const char *help, unsigned long long value);

#endif /* PROM_H */
