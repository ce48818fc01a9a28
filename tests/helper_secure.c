/* Started setgid, or with file capabilities, by check_loader: reports
 * AT_SECURE, what got loaded, and what the loader said. */
#include "config.h"

#include <stdio.h>
#include <sys/auxv.h>

#include "vmosal.h"

int main(void)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	char why[4096];

	printf("secure=%lu\n", getauxval(AT_SECURE));
	if (vmosal_init() == 0 && vmosal_backend_info(&info) == 0)
		printf("loaded=%s\npath=%s\n", info.name, info.path);
	/* Notices (an ignored variable) stay after a successful load. */
	vmosal_backend_error(why, sizeof why);
	printf("error=%s\n", why);
	return 0;
}
