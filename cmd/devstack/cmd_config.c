/* devstack config: the resolved, interpolated, merged compose model, or parts of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "devstack.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

static void print_profiles(struct buf *out, const struct compose_project *p)
{
    struct strvec all = STRVEC_INIT;

    for (size_t i = 0; i < p->n_services; i++)
        for (size_t k = 0; k < p->services[i].profiles.n; k++)
            if (!strvec_contains(&all, p->services[i].profiles.v[k]))
                strvec_push(&all, p->services[i].profiles.v[k]);
    /* sorted, as a list a user scans */
    for (size_t i = 1; i < all.n; i++)
        for (size_t j = i; j > 0 && strcmp(all.v[j - 1], all.v[j]) > 0; j--) {
            char *t = all.v[j];
            all.v[j] = all.v[j - 1];
            all.v[j - 1] = t;
        }
    for (size_t i = 0; i < all.n; i++)
        buf_addf(out, "%s\n", all.v[i]);
    strvec_clear(&all);
}

static int write_output(const char *path, const struct buf *out, struct ds_error *err)
{
    FILE *f;

    if (!path) {
        fwrite(out->buf, 1, out->len, stdout);
        return 0;
    }
    f = fopen(path, "w");
    if (!f)
        return ds_error_errno(err, errno, "cannot write '%s'", path);
    if (fwrite(out->buf, 1, out->len, f) != out->len || fclose(f) != 0)
        return ds_error_errno(err, errno, "cannot write '%s'", path);
    return 0;
}

int cmd_config(int argc, char **argv)
{
    static const char *format, *output;
    static bool services, volumes, profiles, images, quiet, no_interpolate;
    static struct strvec names = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "format", 0, &format, "FORMAT", "yaml (default) or json"},
            {OPT_BOOL, "services", 0, &services, NULL, "print the service names, one per line"},
            {OPT_BOOL, "volumes", 0, &volumes, NULL, "print the volume names, one per line"},
            {OPT_BOOL, "profiles", 0, &profiles, NULL, "print the profiles, one per line"},
            {OPT_BOOL, "images", 0, &images, NULL, "print the image of each service"},
            {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only validate the files"},
            {OPT_BOOL, "no-interpolate", 0, &no_interpolate, NULL,
             "leave ${VARIABLES} as they are"},
            {OPT_STRING, "output", 'o', &output, "FILE", "write to FILE instead of stdout"},
            {OPT_ARGS, "SERVICE", 0, &names, NULL, "only these services (and what they need)"},
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = NULL;
    struct buf out = BUF_INIT;
    int status;

    if (!cmd_parse("config", opts, argc, argv, 0, NULL, &status))
        return status;
    if (format && strcmp(format, "yaml") && strcmp(format, "json")) {
        status = cmd_usage_error("config", opts, "unknown format '%s' (use yaml or json)", format);
        goto done;
    }
    if (cmd_load_project(&p, no_interpolate, &names, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (names.n) {
        /* only what was asked for: the named services and their dependencies */
        for (size_t i = 0; i < p->n_services; i++)
            p->services[i].enabled = false;
        for (size_t i = 0; i < names.n; i++)
            compose_find_service(p, names.v[i])->enabled = true;
        for (bool grew = true; grew;) {
            grew = false;
            for (size_t i = 0; i < p->n_services; i++) {
                if (!p->services[i].enabled)
                    continue;
                for (size_t d = 0; d < p->services[i].n_depends_on; d++) {
                    struct compose_service *dep =
                            compose_find_service(p, p->services[i].depends_on[d].service);
                    if (!dep->enabled)
                        dep->enabled = grew = true;
                }
            }
        }
    }

    status = EXIT_OK;
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
        print_profiles(&out, p);
    } else if (images) {
        for (size_t i = 0; i < p->n_services; i++) {
            const struct compose_service *s = &p->services[i];

            if (!s->enabled)
                continue;
            if (s->image)
                buf_addf(&out, "%s\n", s->image);
            else
                buf_addf(&out, "%s-%s\n", p->name, s->name);
        }
    } else {
        cJSON *doc = compose_to_json(p);
        char *text = NULL;

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
    compose_project_free(p);
    strvec_clear(&names);
    buf_release(&out);
    ds_error_release(&err);
    return status;
}
