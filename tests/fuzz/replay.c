/*
 * Replays fuzz inputs through a fuzz target without libFuzzer, so `make test`
 * (and `make asan`) run every corpus file and every crash reproducer:
 *
 *     replay-compose tests/fuzz/corpus/compose/ tests/fuzz/crashes/compose/
 *
 * Prints TAP-style lines, one per directory.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int n = 0;

    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        size_t files = 0;

        if (!d) {
            /* a crash directory that was never needed may not exist */
            printf("ok %d - %s: no such directory, nothing to replay\n", ++n, argv[i]);
            continue;
        }
        while ((e = readdir(d))) {
            struct buf path = BUF_INIT, data = BUF_INIT;

            if (e->d_name[0] == '.')
                continue;
            buf_addf(&path, "%s/%s", argv[i], e->d_name);
            if (buf_read_file(&data, path.buf, 0) == 0) {
                /* an exact-size copy, so that a read past the end is caught */
                char *copy = malloc(data.len ? data.len : 1);

                memcpy(copy, data.buf, data.len);
                LLVMFuzzerTestOneInput((const uint8_t *)copy, data.len);
                free(copy);
                files++;
            }
            buf_release(&path);
            buf_release(&data);
        }
        closedir(d);
        printf("ok %d - %s: %zu inputs replayed\n", ++n, argv[i], files);
    }
    printf("1..%d\n", n);
    return 0;
}
