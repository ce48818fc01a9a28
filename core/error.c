/* Names and messages of the error codes, from the one list in error.h. */
#include "config.h"

#include "internal.h"

const char *vmosal_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
#define VMOSAL_ERRNO_MSG(name, value, msg) \
	case value:                        \
		return msg;
		VMOSAL_ERRNO_MAP(VMOSAL_ERRNO_MSG)
#undef VMOSAL_ERRNO_MSG
	}
	return "unknown error code";
}

const char *vmosal_err_name(int code)
{
	switch (code) {
	case 0:
		return "OK";
#define VMOSAL_ERRNO_NAME(name, value, msg) \
	case value:                         \
		return #name;
		VMOSAL_ERRNO_MAP(VMOSAL_ERRNO_NAME)
#undef VMOSAL_ERRNO_NAME
	}
	return "UNKNOWN";
}
