/* devstack top: the processes of the services' running containers, in Compose's tables. */
#include <stdio.h>

#include "devstack.h"
#include "stack/control.h"
#include "table.h"
#include "util/banned.h"

static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_top_options[] = {
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

int cmd_top(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_tops tops = {0};
    int status = EXIT_OK;

    if (stack_top(ctx->engine, ctx->project, &services, &tops, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; i < tops.n; i++) {
        const struct engine_top *top = &tops.items[i].top;
        struct table t = TABLE_INIT;

        printf("%s\n", tops.items[i].container);
        /* Compose's rows end with a tab, its header does not: the last column is padded but
           for the header, and a blank line ends each table */
        table_add_strvec(&t, &top->titles, false);
        for (size_t r = 0; r < top->n; r++)
            table_add_strvec(&t, &top->rows[r], true);
        table_add(&t, NULL, 0, false);
        table_print(stdout, &t, 5, 3);
        table_release(&t);
    }

done:
    stack_tops_release(&tops);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
