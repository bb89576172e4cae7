// SPDX-License-Identifier: MIT
/* What programs sent to ringbuf and perf_event_array maps, for the caller
 * (the type keeps them: map_ringbuf.c, map_fd_array.c). */
#include <errno.h>

#include "helpers/maps_private.h"

size_t bs_map_record_count(const struct bs_map *map)
{
	return map->ops->record_count ? map->ops->record_count(map) : 0;
}

int bs_map_record_get(const struct bs_map *map, size_t i, struct bs_map_record *out)
{
	return map->ops->record_get ? map->ops->record_get(map, i, out) : -ENOENT;
}

void bs_map_records_clear(struct bs_map *map)
{
	if (map->ops->records_clear)
		map->ops->records_clear(map);
}
