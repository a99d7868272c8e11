/* Prometheus text exposition into an evbuffer (see prom.h). */
#include <event2/buffer.h>

#include "prom.h"

/* The # HELP and # TYPE lines that open a family. */
void
prom_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* One sample; labels is "" or 'key="value",...' without braces. */
void
prom_sample(struct evbuffer *out, const char *name, const char *labels,
    unsigned long long value)
{
	if (labels == NULL || *labels == '\0')
		evbuffer_add_printf(out, "%s %llu\n", name, value);
	else
		evbuffer_add_printf(out, "%s{%s} %llu\n", name, labels, value);
}

/* A family holding one unlabelled sample. */
void
prom_one(struct evbuffer *out, const char *name, const char *type,
    const char *help, unsigned long long value)
{
	prom_family(out, name, type, help);
	prom_sample(out, name, "", value);
}
