/*
 * The simulator's page, style and script (gateway/simulator/), compiled
 * into the binary by scripts/embed so that an installed daemon serves
 * them without files of its own.
 */
#ifndef ASANIGW_SIMULATOR_ASSETS_H
#define ASANIGW_SIMULATOR_ASSETS_H

#include <stddef.h>

struct simulator_asset {
	const char		*name;		/* "index.html" */
	const char		*type;		/* its Content-Type */
	const unsigned char	*data;
	size_t			 len;
};

/* Every asset, then one with name NULL. */
extern const struct simulator_asset simulator_assets[];

#endif
