/* device.h */
#include "config.h"

#include "contract.h"

void contract_device(Suite *s)
{
	(void)s;
}
