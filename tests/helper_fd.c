/* Started by check_handle through exec: says whether descriptor argv[1]
 * came along. Exit status 0: open; 1: not open; 2: bad arguments. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc != 2)
		return 2;
	errno = 0;
	fd = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[1] || fd < 0 || fd > 1 << 20)
		return 2;
	return fcntl((int)fd, F_GETFD) != -1 ? 0 : 1;
}
