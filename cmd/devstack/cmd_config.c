/* devstack config: the resolved, interpolated, merged compose model, or parts of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "devstack.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/banned.h"

/* The document may hold passwords: a file of the user's only (0600), never half written. */
static int write_output(const char *path, const struct buf *out, struct ds_error *err)
{
    if (!path) {
        fwrite(out->buf, 1, out->len, stdout);
        return 0;
    }
    return file_write_output(path, out->buf, out->len, 0600, err);
}

static const char *format, *output;
static bool services, volumes, profiles, images, quiet;
static struct strvec names = STRVEC_INIT;

const struct opt_spec cmd_config_options[] = {
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "yaml (default) or json", 0, "yaml|json"},
        {OPT_BOOL, "services", 0, &services, NULL, "print the service names, one per line"},
        {OPT_BOOL, "volumes", 0, &volumes, NULL, "print the volume names, one per line"},
        {OPT_BOOL, "profiles", 0, &profiles, NULL, "print the profiles, one per line"},
        {OPT_BOOL, "images", 0, &images, NULL, "print the image of each service"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only validate the files"},
        {OPT_BOOL, "no-interpolate", 0, &cmd_no_interpolate, NULL,
         "leave ${VARIABLES} as they are"},
        {OPT_STRING, "output", 'o', &output, "FILE", "write to FILE instead of stdout"},
        /* named SERVICE: main() checks and enables them; only they and their dependencies show */
        {OPT_ARGS, "SERVICE", 0, &names, NULL, "only these services (and what they need)"},
        {0},
};

int cmd_config(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = ctx->project;
    struct buf out = BUF_INIT;
    int status = EXIT_OK;

    if (names.n)
        compose_select_services(p, &names);
    if (quiet)
        goto done;
    if (services) {
        for (size_t i = 0; i < p->n_services; i++)
            if (p->services[i].enabled)
                buf_addf(&out, "%s\n", p->services[i].name);
    } else if (volumes) {
        for (size_t i = 0; i < p->n_volumes; i++)
            buf_addf(&out, "%s\n", p->volumes[i].key);
    } else if (profiles) {
        struct strvec all = STRVEC_INIT;

        compose_profiles(p, &all);
        for (size_t i = 0; i < all.n; i++)
            buf_addf(&out, "%s\n", all.v[i]);
        strvec_clear(&all);
    } else if (images) {
        for (size_t i = 0; i < p->n_services; i++) {
            char *ref;

            if (!p->services[i].enabled)
                continue;
            ref = stack_image_ref(p, &p->services[i]);
            buf_addf(&out, "%s\n", ref);
            free(ref);
        }
    } else {
        cJSON *doc = compose_to_json(p);
        char *text = NULL;

        /* which files made the document, when it is not just ./compose.yaml */
        if (p->file_names.n > 1 || strchr(p->file_names.v[0], '/')) {
            fputs("compose files:", stderr);
            for (size_t i = 0; i < p->file_names.n; i++)
                fprintf(stderr, " %s", p->file_names.v[i]);
            fputc('\n', stderr);
        }

        if (format && !strcmp(format, "json")) {
            text = compose_json_text(doc);
            buf_addf(&out, "%s\n", text);
            free(text);
        } else {
            text = compose_json_to_yaml(doc);
            if (text)
                buf_adds(&out, text);
            free(text);
        }
        cJSON_Delete(doc);
    }
    if (write_output(output, &out, &err) < 0)
        status = cmd_error(&err);

done:
    strvec_clear(&names);
    buf_release(&out);
    ds_error_release(&err);
    return status;
}
