/* devstack ls: the compose projects on this engine, found by their labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

struct project_row {
    char *name, *files;
    struct kvlist states; /* state -> count, as text */
    int running;
};

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct project_row *)a)->name, ((const struct project_row *)b)->name);
}

int cmd_ls(int argc, char **argv)
{
    static bool all, quiet;
    static const char *format;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "all", 'a', &all, NULL, "also projects with nothing running"},
            {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the project names"},
            {OPT_STRING, "format", 0, &format, "FORMAT", "table (default) or json"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct engine_container_list list = {0};
    struct strvec filter = STRVEC_INIT;
    struct project_row *rows = NULL;
    size_t n = 0;
    cJSON *json = NULL;
    int status;

    if (!cmd_parse("ls", opts, argc, argv, 0, NULL, &status))
        return status;
    if (format && strcmp(format, "table") && strcmp(format, "json"))
        return cmd_usage_error("ls", opts, "unknown format '%s' (table or json)", format);
    strvec_push(&filter, LABEL_PROJECT);
    if (cmd_connect_engine(&err) < 0 ||
        engine_container_list(ds.engine, &filter, true, &list, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    rows = xcalloc(list.n + 1, sizeof(*rows));
    for (size_t i = 0; i < list.n; i++) {
        const struct engine_container_summary *c = &list.items[i];
        const char *name = kvlist_get(&c->labels, LABEL_PROJECT);
        const char *files = kvlist_get(&c->labels, LABEL_CONFIG_FILES);
        struct project_row *row = NULL;
        const char *count;
        char num[16];

        for (size_t k = 0; k < n && !row; k++)
            if (!strcmp(rows[k].name, name))
                row = &rows[k];
        if (!row) {
            row = &rows[n++];
            row->name = xstrdup(name);
            row->files = xstrdup(files ? files : "");
        }
        count = kvlist_get(&row->states, c->state ? c->state : "unknown");
        snprintf(num, sizeof(num), "%d", (count ? (int)strtol(count, NULL, 10) : 0) + 1);
        kvlist_set(&row->states, c->state ? c->state : "unknown", num);
        if (c->state && !strcmp(c->state, "running"))
            row->running++;
    }
    qsort(rows, n, sizeof(*rows), cmp_row);
    if (format && !strcmp(format, "json"))
        json = cJSON_CreateArray();
    else if (!quiet)
        printf("%-24s %-28s %s\n", "NAME", "STATUS", "CONFIG FILES");
    for (size_t i = 0; i < n; i++) {
        struct buf st = BUF_INIT;

        if (!all && !rows[i].running)
            continue;
        kvlist_sort(&rows[i].states);
        for (size_t k = 0; k < rows[i].states.n; k++)
            buf_addf(&st, "%s%s(%s)", k ? ", " : "", rows[i].states.items[k].key,
                     rows[i].states.items[k].value);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "Name", rows[i].name);
            cJSON_AddStringToObject(o, "Status", st.buf);
            cJSON_AddStringToObject(o, "ConfigFiles", rows[i].files);
            cJSON_AddItemToArray(json, o);
        } else if (quiet) {
            printf("%s\n", rows[i].name);
        } else {
            printf("%-24s %-28s %s\n", rows[i].name, st.buf, rows[i].files);
        }
        buf_release(&st);
    }
    if (json) {
        char *text = cJSON_Print(json);
        printf("%s\n", text);
        cJSON_free(text);
    }
    status = EXIT_OK;

done:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].name);
        free(rows[i].files);
        kvlist_clear(&rows[i].states);
    }
    free(rows);
    cJSON_Delete(json);
    engine_container_list_release(&list);
    strvec_clear(&filter);
    ds_error_release(&err);
    return status;
}
