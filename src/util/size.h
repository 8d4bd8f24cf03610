/* Byte counts as people read them. */
#ifndef DEVSTACK_SIZE_H
#define DEVSTACK_SIZE_H

#include <stdint.h>

#include "util/buf.h"

enum size_style {
    /* "512 B", "1.5 kB", "23 MB", "1.2 GB": decimal units, three significant digits at most */
    SIZE_DECIMAL,
    /* "512B", "4.1kB", "45.2MB": one decimal, no space, as docker's pull progress shows them */
    SIZE_PROGRESS,
    /* "512 B", "1.5 KiB", "23.0 GiB": binary units, one decimal, as df -h and free show them */
    SIZE_BINARY,
    /* "512B", "1.98MB", "45.2kB": decimal, three significant digits, as `docker images` shows them
     */
    SIZE_DOCKER,
    /* "512B", "1.234MiB", "7.663GiB": binary, four significant digits, as `docker stats` memory */
    SIZE_DOCKER_BINARY,
};

/* Append `bytes` in `style` to out. */
void size_format(struct buf *out, uint64_t bytes, enum size_style style);

#endif
