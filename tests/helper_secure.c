/* Started setgid by check_loader: reports AT_SECURE and what got loaded. */
#include "config.h"

#include <stdio.h>
#include <sys/auxv.h>

#include "vmosal.h"

int main(void)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	printf("secure=%lu\n", getauxval(AT_SECURE));
	if (vmosal_init() == 0 && vmosal_backend_info(&info) == 0)
		printf("loaded=%s\npath=%s\n", info.name, info.path);
	else {
		char why[4096];
		vmosal_backend_error(why, sizeof why);
		printf("error=%s\n", why);
	}
	return 0;
}
