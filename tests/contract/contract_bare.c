#include "config.h"

#include "contract.h"

void contract_bare(Suite *s)
{
	(void)s;
}
