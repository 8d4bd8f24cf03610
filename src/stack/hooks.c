/*
 * post_start and pre_stop hooks: commands run in the service's container as
 * `docker exec` would, right after it starts and right before it stops, as
 * Compose runs them. Their output is shown as the container's.
 */
#include <stdlib.h>
#include <string.h>

#include "stack/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

struct hook_output {
    const struct stack_apply_options *ao;
    const char *service, *container;
    struct buf line;
};

/* Each whole line of the hook's output as a warning-free event line of the service. */
static int on_output(int stream, const char *data, size_t len, void *ud)
{
    struct hook_output *o = ud;

    (void)stream;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n') {
            buf_addch(&o->line, data[i]);
            continue;
        }
        stack_emit(o->ao, EV_BUILD_OUTPUT, o->service, o->container, o->line.buf, 0);
        buf_reset(&o->line);
    }
    return 0;
}

int stack_run_hooks(struct engine *e, const struct compose_service *s, const char *which,
                    const struct compose_hook *hooks, size_t n, const char *id,
                    const char *container, const struct stack_apply_options *ao,
                    struct ds_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct compose_hook *h = &hooks[i];
        struct engine_exec_config x = {
                .user = h->user, .working_dir = h->working_dir, .privileged = h->privileged};
        struct engine_exec_info info = {0};
        struct hook_output out = {
                .ao = ao, .service = s->name, .container = container, .line = BUF_INIT};
        char *exec_id = NULL;
        int rc;

        strvec_init(&x.cmd);
        strvec_init(&x.env);
        strvec_copy(&x.cmd, &h->command);
        for (size_t k = 0; k < h->environment.n; k++)
            strvec_pushf(&x.env, "%s=%s", h->environment.items[k].key,
                         h->environment.items[k].value ? h->environment.items[k].value : "");
        rc = engine_exec_create(e, id, &x, &exec_id, err);
        if (rc == 0)
            rc = engine_exec_start(e, exec_id, false, false, on_output, &out, err);
        if (rc == 0 && out.line.len)
            stack_emit(ao, EV_BUILD_OUTPUT, s->name, container, out.line.buf, 0);
        if (rc == 0)
            rc = engine_exec_inspect(e, exec_id, &info, err);
        if (rc == 0 && info.exit_code != 0)
            rc = ds_error_set(err, DS_ERR, "service '%s': %s hook '%s' exited with status %d",
                              s->name, which, h->command.v[0], info.exit_code);
        else if (rc < 0)
            ds_error_wrap(err, "service '%s': running the %s hook '%s'", s->name, which,
                          h->command.v[0]);
        engine_exec_info_release(&info);
        free(exec_id);
        buf_release(&out.line);
        strvec_clear(&x.cmd);
        strvec_clear(&x.env);
        if (rc < 0)
            return rc;
    }
    return 0;
}
