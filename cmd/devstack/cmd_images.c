/* devstack images: the images the project's containers were created from, as Compose lists them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "devstack.h"
#include "stack/control.h"
#include "table.h"
#include "util/buf.h"
#include "util/size.h"
#include "util/banned.h"

static bool quiet;
static const char *format;
static struct strvec services = STRVEC_INIT;

const struct opt_spec cmd_images_options[] = {
        {OPT_BOOL, "quiet", 'q', &quiet, NULL, "only the image ids"},
        {OPT_CHOICE, "format", 0, &format, "FORMAT", "table (default) or json", 0, "table|json"},
        {OPT_ARGS, "SERVICE", 0, &services, NULL, "only these services"},
        {0},
};

static const char *short_id(const char *id)
{
    const char *colon = strchr(id, ':');

    return colon ? colon + 1 : id;
}

static void print_quiet(const struct stack_container_images *l)
{
    struct strvec seen = STRVEC_INIT;

    for (size_t i = 0; i < l->n; i++) {
        if (strvec_contains(&seen, short_id(l->items[i].id)))
            continue;
        strvec_push(&seen, short_id(l->items[i].id));
        printf("%s\n", short_id(l->items[i].id));
    }
    strvec_clear(&seen);
}

static int by_container(const void *a, const void *b)
{
    return strcmp(((const struct stack_container_image *)a)->container,
                  ((const struct stack_container_image *)b)->container);
}

static void print_json(const struct stack_container_images *l)
{
    cJSON *a = cJSON_CreateArray();
    char *text;

    for (size_t i = 0; i < l->n; i++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "ID", l->items[i].id);
        cJSON_AddStringToObject(o, "ContainerName", l->items[i].container);
        cJSON_AddStringToObject(o, "Repository", l->items[i].repository);
        cJSON_AddStringToObject(o, "Tag", l->items[i].tag);
        cJSON_AddNumberToObject(o, "Size", (double)l->items[i].size);
        cJSON_AddItemToArray(a, o);
    }
    text = cJSON_PrintUnformatted(a);
    printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(a);
}

static void print_table(const struct stack_container_images *l)
{
    struct table t = TABLE_INIT;
    struct buf size = BUF_INIT;
    char id[13];

    table_add(&t, (const char *const[]){"CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"}, 5,
              false);
    for (size_t i = 0; i < l->n; i++) {
        const struct stack_container_image *img = &l->items[i];

        buf_reset(&size);
        size_format(&size, img->size > 0 ? (uint64_t)img->size : 0, SIZE_DOCKER);
        snprintf(id, sizeof(id), "%s", short_id(img->id));
        table_add(&t,
                  (const char *const[]){img->container,
                                        *img->repository ? img->repository : "<none>",
                                        *img->tag ? img->tag : "<none>", id, size.buf},
                  5, false);
    }
    table_print(stdout, &t, 20, 3);
    table_release(&t);
    buf_release(&size);
}

int cmd_images(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_container_images l = {0};
    int status = EXIT_OK;

    if (stack_container_images(ctx->engine, ctx->project, &services, &l, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (quiet) {
        print_quiet(&l);
        goto done;
    }
    qsort(l.items, l.n, sizeof(*l.items), by_container);
    if (format && !strcmp(format, "json"))
        print_json(&l);
    else
        print_table(&l);

done:
    stack_container_images_release(&l);
    strvec_clear(&services);
    ds_error_release(&err);
    return status;
}
