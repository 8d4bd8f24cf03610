/*
 * libFuzzer target for revision_parse(): any bytes as an Alembic revision
 * file. Besides the sanitizers it checks that errors are well formed and name
 * the file, that a failed parse returns no revision, and that a revision
 * holds what the header promises: an id Alembic accepts, a doc that is the
 * first paragraph of the longdoc, vectors without holes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/migrate.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_vector(const struct strvec *sv)
{
    if (!sv->v || sv->v[sv->n])
        abort();
    for (size_t i = 0; i < sv->n; i++)
        if (!sv->v[i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct revision *rev = NULL;
    struct ds_error err = DS_ERROR_INIT;
    int rc;

    rc = revision_parse(&rev, "fuzz.py", (const char *)data, size, &err);
    if (rc == 0 && err.msg)
        abort();
    if (rc != 0 && (rc != DS_EINVAL || !err.msg || strncmp(err.msg, "fuzz.py:", 8) || rev))
        abort();
    if (rev) {
        size_t n;

        if (!rev->id || !*rev->id || strpbrk(rev->id, "@-+"))
            abort();
        if (!rev->longdoc || !rev->doc || !rev->path || strcmp(rev->path, "fuzz.py"))
            abort();
        n = strlen(rev->doc);
        if (strncmp(rev->longdoc, rev->doc, n) || strstr(rev->doc, "\n\n"))
            abort();
        if (rev->longdoc[n] && strncmp(rev->longdoc + n, "\n\n", 2))
            abort();
        if (rev->create_date && !strstr(rev->longdoc, rev->create_date))
            abort();
        check_vector(&rev->down);
        check_vector(&rev->branch_labels);
        check_vector(&rev->depends_on);
    }
    revision_free(rev);
    ds_error_release(&err);
    return 0;
}
