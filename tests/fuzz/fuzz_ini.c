/*
 * libFuzzer target for alembic.ini: any bytes as the file, read as devstack
 * reads it for `db current` and the migration commands. Loading must end in
 * settings or an error naming the file, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/migrate.h"
#include "util/buf.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file is written to a directory of its own, made once per process. */
static const char *ini_path(void)
{
    static struct buf path = BUF_INIT;

    if (!path.len) {
        char dir[] = "/tmp/fuzz-ini.XXXXXX";

        if (!mkdtemp(dir))
            abort();
        buf_addf(&path, "%s/alembic.ini", dir);
    }
    return path.buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = ini_path();
    struct alembic_ini ini;
    struct ds_error err = DS_ERROR_INIT;
    FILE *f = fopen(path, "wb");
    int rc;

    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    memset(&ini, 0, sizeof(ini));
    rc = alembic_ini_load(&ini, path, NULL, &err);
    if (rc == 0 && (err.msg || !ini.script_location))
        abort();
    if (rc != 0 && (!err.msg || !strstr(err.msg, "alembic.ini")))
        abort();
    if (rc == 0)
        alembic_ini_release(&ini);
    ds_error_release(&err);
    return 0;
}
