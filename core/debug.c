/* VMOSAL_DEBUG=topic[,topic...] or all: what the core and plugins say on
 * stderr. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool vmosal__debug_enabled(const char *topic)
{
	const char *list = vmosal__secure_getenv("VMOSAL_DEBUG");
	size_t len = strlen(topic);

	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, ",");
		if ((n == len && strncmp(list, topic, len) == 0) ||
		    (n == 3 && strncmp(list, "all", 3) == 0))
			return true;
		list += n + (list[n] == ',');
	}
	return false;
}

void vmosal__debug(const char *topic, const char *fmt, ...)
{
	va_list ap;

	if (!vmosal__debug_enabled(topic))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "vmosal: %s: ", topic);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
