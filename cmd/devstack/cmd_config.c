/* devstack config: the resolved, interpolated, merged compose model, or parts of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "compose/hash.h"
#include "compose/variables.h"
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

static const char *format, *output, *hash;
static bool services, volumes, networks, profiles, images, environment, quiet;
static bool no_path_resolution, no_normalize, no_consistency, resolve_image_digests;
static struct strvec names = STRVEC_INIT;
bool cmd_config_variables;

const struct opt_spec cmd_config_options[] = {
        {OPT_CHOICE, "format", 0, &format, "FORMAT",
         "yaml (default) or json; with --variables: a table (default), json or yaml", 0,
         "yaml|json"},
        {OPT_BOOL, "services", 0, &services, NULL, "print the service names, one per line"},
        {OPT_BOOL, "volumes", 0, &volumes, NULL, "print the volume names, one per line"},
        {OPT_BOOL, "networks", 0, &networks, NULL, "print the network names, one per line"},
        {OPT_BOOL, "profiles", 0, &profiles, NULL, "print the profiles, one per line"},
        {OPT_BOOL, "images", 0, &images, NULL, "print the image of each service"},
        {OPT_STRING, "hash", 0, &hash, "SERVICE",
         "print \"service hash\" for SERVICE (several: a,b; all: '*'): Compose's config hash "
         "(Compose 2.26 hashes a service with env_file without the files' values: there they "
         "differ)"},
        {OPT_BOOL, "variables", 0, &cmd_config_variables, NULL,
         "print the variables the files use, their defaults and whether required"},
        {OPT_BOOL, "environment", 0, &environment, NULL,
         "print the environment interpolation saw, KEY=VALUE, one per line"},
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only validate the files"},
        {OPT_BOOL, "no-interpolate", 0, &cmd_no_interpolate, NULL,
         "leave ${VARIABLES} as they are"},
        {OPT_STRING, "output", 'o', &output, "FILE", "write to FILE instead of stdout"},
        /* Compose's, refused with a reason rather than unknown */
        {OPT_BOOL, "no-path-resolution", 0, &no_path_resolution, NULL, "not supported"},
        {OPT_BOOL, "no-normalize", 0, &no_normalize, NULL, "not supported"},
        {OPT_BOOL, "no-consistency", 0, &no_consistency, NULL, "not supported"},
        {OPT_BOOL, "resolve-image-digests", 0, &resolve_image_digests, NULL, "not supported"},
        /* named SERVICE: main() checks and enables them; only they and their dependencies show */
        {OPT_ARGS, "SERVICE", 0, &names, NULL, "only these services (and what they need)"},
        {0},
};

/* Compose's variables table: text/tabwriter, cells at least 20 wide, 3 spaces apart. */
static size_t text_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void add_cell(struct buf *out, const char *text, size_t width)
{
    buf_adds(out, text);
    for (size_t w = text_width(text); w < width; w++)
        buf_addch(out, ' ');
}

static void variables_table(struct buf *out, const struct compose_variables *vars)
{
    static const char *const head[] = {"NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"};
    size_t width[3] = {0, 0, 0};

    for (size_t c = 0; c < 3; c++)
        width[c] = text_width(head[c]);
    for (size_t i = 0; i < vars->n; i++) {
        const struct compose_variable *v = &vars->v[i];
        size_t w[3] = {text_width(v->name), v->required ? 4 : 5, text_width(v->default_value)};

        for (size_t c = 0; c < 3; c++)
            if (w[c] > width[c])
                width[c] = w[c];
    }
    for (size_t c = 0; c < 3; c++)
        width[c] = width[c] + 3 < 20 ? 20 : width[c] + 3;
    for (size_t c = 0; c < 3; c++)
        add_cell(out, head[c], width[c]);
    buf_addf(out, "%s\n", head[3]);
    for (size_t i = 0; i < vars->n; i++) {
        const struct compose_variable *v = &vars->v[i];

        add_cell(out, v->name, width[0]);
        add_cell(out, v->required ? "true" : "false", width[1]);
        add_cell(out, v->default_value, width[2]);
        buf_addf(out, "%s\n", v->alternate_value);
    }
}

/* Compose's JSON of its Variable type (fields capitalized), by name, indented by four spaces. */
static void variables_json(struct buf *out, const struct compose_variables *vars, bool yaml)
{
    cJSON *doc = cJSON_CreateObject();
    char *text;

    for (size_t i = 0; i < vars->n; i++) {
        const struct compose_variable *v = &vars->v[i];
        cJSON *o = cJSON_AddObjectToObject(doc, v->name);

        /* yaml.v3 lowercases Go's field names; encoding/json keeps them */
        cJSON_AddStringToObject(o, yaml ? "name" : "Name", v->name);
        cJSON_AddStringToObject(o, yaml ? "defaultvalue" : "DefaultValue", v->default_value);
        cJSON_AddStringToObject(o, yaml ? "presencevalue" : "PresenceValue", v->alternate_value);
        cJSON_AddBoolToObject(o, yaml ? "required" : "Required", v->required);
    }
    if (yaml) {
        text = compose_json_to_yaml(doc);
        if (text)
            buf_adds(out, text);
    } else {
        text = cJSON_Print(doc);
        for (const char *c = text; c && *c; c++) {
            if (*c != '\t')
                buf_addch(out, *c);
            else if (c > text && c[-1] == ':')
                buf_addch(out, ' ');
            else
                buf_adds(out, "    ");
        }
        buf_addch(out, '\n');
    }
    free(text);
    cJSON_Delete(doc);
}

static int print_variables(struct buf *out, const struct compose_project *p, struct ds_error *err)
{
    struct compose_variables vars = COMPOSE_VARIABLES_INIT;
    int rc = compose_variables_collect(&vars, p, err);

    if (rc == 0 && !format)
        variables_table(out, &vars);
    else if (rc == 0)
        variables_json(out, &vars, !strcmp(format, "yaml"));
    compose_variables_release(&vars);
    return rc;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "service hash" lines, sorted by service, for the services named (a,b) or all ('*'). */
static int print_hashes(struct buf *out, const struct compose_project *p, struct ds_error *err)
{
    struct strvec want = STRVEC_INIT;
    int rc = 0;

    if (!strcmp(hash, "*")) {
        for (size_t i = 0; i < p->n_services; i++)
            if (p->services[i].enabled)
                strvec_push(&want, p->services[i].name);
    } else {
        strvec_split(&want, hash, ',');
        if (!want.n) /* "," names no service: neither does Compose find one */
            strvec_push(&want, "");
    }
    if (want.n)
        qsort(want.v, want.n, sizeof(*want.v), compare_strings);
    for (size_t i = 0; i < want.n; i++) {
        const struct compose_service *s = compose_find_service(p, want.v[i]);
        char digest[65];

        /* as Compose: a service its profiles leave out is not in the project */
        if (!s || !s->enabled) {
            rc = ds_error_set(err, DS_ENOTFOUND, "no such service: '%s'", want.v[i]);
            ds_error_hint(err, "'devstack config --services' lists the project's services");
            break;
        }
        compose_hash_service(digest, s);
        buf_addf(out, "%s %s\n", s->name, digest);
    }
    strvec_clear(&want);
    return rc;
}

static int print_environment(struct buf *out, const struct compose_project *p)
{
    struct strvec lines = STRVEC_INIT;

    for (size_t i = 0; i < p->environment.n; i++) {
        const struct kv *kv = &p->environment.items[i];
        struct buf line = BUF_INIT;

        buf_addf(&line, "%s=%s", kv->key, kv->value ? kv->value : "");
        strvec_push(&lines, line.buf);
        buf_release(&line);
    }
    if (lines.n)
        qsort(lines.v, lines.n, sizeof(*lines.v), compare_strings);
    for (size_t i = 0; i < lines.n; i++)
        buf_addf(out, "%s\n", lines.v[i]);
    strvec_clear(&lines);
    return 0;
}

int cmd_config(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct compose_project *p = ctx->project;
    struct buf out = BUF_INIT;
    int status = EXIT_OK;

    if (no_path_resolution || no_normalize || no_consistency || resolve_image_digests) {
        status = cmd_usage_error(
                ctx,
                "--%s is not supported: devstack always resolves paths, normalizes and checks "
                "the model, and pins no digests",
                no_path_resolution ? "no-path-resolution"
                : no_normalize     ? "no-normalize"
                : no_consistency   ? "no-consistency"
                                   : "resolve-image-digests");
        goto done;
    }
    if (names.n)
        compose_select_services(p, &names);
    if (quiet)
        goto done;
    if (hash && *hash) {
        if (print_hashes(&out, p, &err) < 0) {
            status = cmd_error(&err);
            goto done;
        }
    } else if (cmd_config_variables) {
        if (print_variables(&out, p, &err) < 0) {
            status = cmd_error(&err);
            goto done;
        }
    } else if (environment) {
        print_environment(&out, p);
    } else if (networks) {
        for (size_t i = 0; i < p->n_networks; i++)
            buf_addf(&out, "%s\n", p->networks[i].key);
    } else if (services) {
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
