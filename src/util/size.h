/* Byte counts as people read them. */
#ifndef DEVSTACK_SIZE_H
#define DEVSTACK_SIZE_H

#include <stdint.h>

#include "util/buf.h"

/*
 * "512 B", "1.5 kB", "23 MB", "1.2 GB": decimal units as docker's CLI
 * shows them, three significant digits at most. Appended to out.
 */
void size_format(struct buf *out, uint64_t bytes);

#endif
