/* libFuzzer target over config_load_string(): the inih handler and checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse one NUL-terminated copy of the input; free whatever results. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct epmd_conf conf;
	char		*text, *cause = NULL;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	config_defaults(&conf);
	if (config_load_string(text, "fuzz", &conf, &cause) == -1) {
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0)
			abort();	/* an error must name the input */
		free(cause);
	}
	config_free(&conf);
	free(text);
	return 0;
}
