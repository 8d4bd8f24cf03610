/* devstack ls: the compose projects on this engine, found by their labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "stack/display.h"
#include "stack/stack.h"
#include "util/banned.h"

static bool all, quiet;
static const char *format;

const struct opt_spec cmd_ls_options[] = {
        {OPT_BOOL, "all", 'a', &all, NULL, "also projects with nothing running"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the project names"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {0},
};

int cmd_ls(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    struct stack_project_rows rows = {0};
    bool json = format && !strcmp(format, "json");
    cJSON *doc = json ? cJSON_CreateArray() : NULL;
    int status = EXIT_OK;

    if (stack_list_containers(ctx->engine, NULL, STACK_LIST_ALL | STACK_LIST_ONEOFF, &l, &err) <
        0) {
        status = cmd_error(&err);
        goto done;
    }
    stack_project_rows(&l, all, &rows);
    if (!json && !quiet)
        printf("%-24s %-28s %s\n", "NAME", "STATUS", "CONFIG FILES");
    for (size_t i = 0; i < rows.n; i++) {
        const struct stack_project_row *r = &rows.items[i];

        if (json) {
            cJSON *o = cJSON_CreateObject();

            cJSON_AddStringToObject(o, "Name", r->name);
            cJSON_AddStringToObject(o, "Status", r->status);
            cJSON_AddStringToObject(o, "ConfigFiles", r->config_files);
            cJSON_AddItemToArray(doc, o);
        } else if (quiet) {
            printf("%s\n", r->name);
        } else {
            printf("%-24s %-28s %s\n", r->name, r->status, r->config_files);
        }
    }
    if (json) {
        char *text = cJSON_Print(doc);

        printf("%s\n", text);
        cJSON_free(text);
    }

done:
    cJSON_Delete(doc);
    stack_project_rows_release(&rows);
    stack_container_list_release(&l);
    ds_error_release(&err);
    return status;
}
