/* Skips and their reasons. Check has no skip verdict: a skipping test
 * appends a record to a file, and the runner (runner.c) matches each
 * record to its case and reports it as a TAP "# SKIP". */
#include "config.h"

#include "internal.h"

int vmosal_test_skip_fd = -1;

void vmosal_test_skip_record(int iteration, const char *fmt, ...)
{
	char line[512];
	size_t head, len;
	va_list ap;

	snprintf(line, sizeof line, "%s\t%d\t", tcase_name(), iteration);
	head = strlen(line);
	va_start(ap, fmt);
	vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
	va_end(ap);
	/* Tab and newline delimit the record; a reason keeps to one TAP line. */
	for (len = head; line[len] != '\0'; len++)
		if (line[len] == '\t' || line[len] == '\n' || line[len] == '\r')
			line[len] = ' ';
	line[len++] = '\n';
	/* One appended write per record, so no two records interleave. */
	if (vmosal_test_skip_fd < 0 || write(vmosal_test_skip_fd, line, len) != (ssize_t)len)
		fprintf(stderr, "SKIP %.*s", (int)len, line);
}

size_t vmosal_test_parse_skips(char *text, struct vmosal_test_skip **out)
{
	struct vmosal_test_skip *skips;
	size_t count = 0, i = 0;
	char *line, *p;

	for (p = text; *p != '\0'; p++)
		count += *p == '\n';
	skips = calloc(count + 1, sizeof *skips);
	*out = skips;
	if (skips == NULL)
		return 0;
	for (line = text; i < count && (p = strchr(line, '\n')) != NULL; line = p + 1) {
		char *tab = strchr(line, '\t'), *reason = NULL;

		*p = '\0';
		if (tab != NULL)
			skips[i].iteration = (int)strtol(tab + 1, &reason, 10);
		if (reason == NULL || *reason != '\t')
			continue;
		*tab = '\0';
		skips[i].test = line;
		skips[i].reason = reason + 1;
		i++;
	}
	return i;
}

/* A record goes to the first case of its test and iteration not yet
 * matched: cases run, and record, in the order the results list them. */
const char *vmosal_test_skip_reason(struct vmosal_test_skip *skips, size_t count,
				    const char *test, int iteration, TestResult *tr)
{
	size_t i;

	if (test == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		if (skips[i].used || skips[i].iteration != iteration ||
		    strcmp(skips[i].test, test) != 0)
			continue;
		skips[i].used = true;
		/* A test that skipped and then failed, in a teardown, failed. */
		return tr_rtype(tr) == CK_PASS ? skips[i].reason : NULL;
	}
	return NULL;
}
