/* SPDX-License-Identifier: MIT */
/* The plugin's one entry point: which factories libspa-xensnd.so has. */

#include <errno.h>

#include <spa/support/plugin.h>
#include <spa/utils/defs.h>

#include "defs.h"

SPA_EXPORT
int spa_handle_factory_enum(const struct spa_handle_factory **factory,
			    uint32_t *index)
{
	static const struct spa_handle_factory *const factories[] = {
		&xensnd_enum_factory,
		&xensnd_device_factory,
		&xensnd_pcm_sink_factory,
		&xensnd_pcm_source_factory,
	};

	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(index != NULL, -EINVAL);

	if (*index >= SPA_N_ELEMENTS(factories))
		return 0;
	*factory = factories[(*index)++];
	return 1;
}
