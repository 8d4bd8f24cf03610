/* devstack ls: the compose projects on this engine, found by their labels. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "stack/display.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

static bool all, quiet;
static const char *format;
static struct strvec filters = STRVEC_INIT;

const struct opt_spec cmd_ls_options[] = {
        {OPT_BOOL, "all", 'a', &all, NULL, "also projects with nothing running"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the project names"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {OPT_LIST, "filter", 0, &filters, "name=PATTERN",
         "only projects whose name matches PATTERN, a regular expression (repeatable: any)"},
        {0},
};

/* --filter name=PATTERN, as Docker's filters match: unanchored, any of several. */
struct name_filter {
    regex_t *re;
    size_t n;
};

static int compile_filters(struct cmd_context *ctx, struct name_filter *f)
{
    f->re = xcalloc(filters.n + 1, sizeof(*f->re));
    for (size_t i = 0; i < filters.n; i++) {
        const char *v = filters.v[i];

        if (!strchr(v, '='))
            return cmd_usage_error(ctx, "bad format of filter '%s' (expected name=value)", v);
        if (strncmp(v, "name=", 5))
            return cmd_usage_error(ctx, "invalid filter '%.*s' (the one there is: name)",
                                   (int)(strchr(v, '=') - v), v);
        if (regcomp(&f->re[f->n], v + 5, REG_EXTENDED | REG_NOSUB) != 0)
            return cmd_usage_error(ctx, "--filter: '%s' is not a regular expression", v + 5);
        f->n++;
    }
    return 0;
}

static bool name_matches(const struct name_filter *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (regexec(&f->re[i], name, 0, NULL, 0) == 0)
            return true;
    return f->n == 0;
}

int cmd_ls(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_list l = {0};
    struct stack_project_rows rows = {0};
    bool json = format && !strcmp(format, "json");
    cJSON *doc = json ? cJSON_CreateArray() : NULL;
    struct name_filter nf = {0};
    int status = EXIT_OK;

    if (compile_filters(ctx, &nf) != 0) {
        status = EXIT_USAGE;
        goto done;
    }
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

        if (!name_matches(&nf, r->name))
            continue;
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
    for (size_t i = 0; i < nf.n; i++)
        regfree(&nf.re[i]);
    free(nf.re);
    strvec_clear(&filters);
    cJSON_Delete(doc);
    stack_project_rows_release(&rows);
    stack_container_list_release(&l);
    ds_error_release(&err);
    return status;
}
