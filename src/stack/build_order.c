/* The order of concurrent builds (see build_order.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stack/build_order.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/banned.h"

/* One logical line of a Dockerfile: continuations joined, comment lines skipped. */
static const char *next_instruction(const char *p, struct buf *line)
{
    buf_reset(line);
    while (*p) {
        const char *end = strchr(p, '\n');
        const char *stop = end ? end : p + strlen(p);
        const char *q = p;

        p = end ? end + 1 : stop;
        while (q < stop && (*q == ' ' || *q == '\t'))
            q++;
        if (*q == '#')
            continue; /* a comment, also between continued lines */
        buf_add(line, q, (size_t)(stop - q));
        while (line->len && isspace((unsigned char)line->buf[line->len - 1]))
            buf_setlen(line, line->len - 1);
        if (line->len && line->buf[line->len - 1] == '\\') {
            buf_setlen(line, line->len - 1);
            buf_addch(line, ' ');
            continue;
        }
        if (line->len)
            return p;
    }
    return line->len ? p : NULL;
}

static void add_image(struct strvec *out, const struct strvec *stages, const char *ref)
{
    if (!*ref || strchr(ref, '$') || strvec_contains(stages, ref) || !strcasecmp(ref, "scratch"))
        return;
    if (!strvec_contains(out, ref))
        strvec_push(out, ref);
}

/* "type=bind,from=x,target=/y" -> x */
static void add_mount_from(struct strvec *out, const struct strvec *stages, const char *spec)
{
    struct strvec fields = STRVEC_INIT;
    const char *v;

    strvec_split(&fields, spec, ',');
    for (size_t i = 0; i < fields.n; i++)
        if (str_skip_prefix(fields.v[i], "from=", &v))
            add_image(out, stages, v);
    strvec_clear(&fields);
}

void stack_dockerfile_images(const char *text, struct strvec *out)
{
    struct buf line = BUF_INIT;
    struct strvec stages = STRVEC_INIT, words = STRVEC_INIT;
    const char *p = text;

    while ((p = next_instruction(p, &line))) {
        size_t i = 1;
        const char *v;

        strvec_clear(&words);
        for (char *c = line.buf; *c; c++)
            if (*c == '\t')
                *c = ' ';
        strvec_split(&words, line.buf, ' ');
        if (!words.n)
            continue;
        if (!strcasecmp(words.v[0], "FROM")) {
            while (i < words.n && str_starts_with(words.v[i], "--"))
                i++;
            if (i < words.n)
                add_image(out, &stages, words.v[i]);
            if (i + 2 < words.n && !strcasecmp(words.v[i + 1], "AS"))
                strvec_push(&stages, words.v[i + 2]);
        } else if (!strcasecmp(words.v[0], "COPY") || !strcasecmp(words.v[0], "ADD")) {
            for (; i < words.n && str_starts_with(words.v[i], "--"); i++)
                if (str_skip_prefix(words.v[i], "--from=", &v))
                    add_image(out, &stages, v);
        } else if (!strcasecmp(words.v[0], "RUN")) {
            for (; i < words.n && str_starts_with(words.v[i], "--"); i++)
                if (str_skip_prefix(words.v[i], "--mount=", &v))
                    add_mount_from(out, &stages, v);
        }
    }
    strvec_clear(&words);
    strvec_clear(&stages);
    buf_release(&line);
}

/* "docker.io/library/x" -> "x:latest"; a digest stays as it is. */
static char *normal_ref(const char *ref)
{
    const char *slash, *rest;
    struct buf b = BUF_INIT;

    if (str_skip_prefix(ref, "docker.io/", &rest) ||
        str_skip_prefix(ref, "index.docker.io/", &rest))
        ref = rest;
    if (str_skip_prefix(ref, "library/", &rest) && !strchr(rest, '/'))
        ref = rest;
    buf_adds(&b, ref);
    slash = strrchr(ref, '/');
    if (!strchr(ref, '@') && !strchr(slash ? slash : ref, ':'))
        buf_adds(&b, ":latest");
    return buf_detach(&b, NULL);
}

bool stack_image_ref_same(const char *a, const char *b)
{
    char *x = normal_ref(a), *y = normal_ref(b);
    bool same = !strcmp(x, y);

    free(x);
    free(y);
    return same;
}

static bool reads_image(const struct stack_build_node *a, const char *image)
{
    for (size_t i = 0; a->reads && image && i < a->reads->n; i++)
        if (stack_image_ref_same(a->reads->v[i], image))
            return true;
    return false;
}

int stack_build_order(const struct stack_build_node *nodes, size_t n, bool *after,
                      struct ds_error *err)
{
    bool *reach = xcalloc(n * n + 1, sizeof(*reach));
    int rc = 0;

    /* direct edges, then what each reaches through any chain of them */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            reach[i * n + k] =
                    i != k &&
                    ((nodes[i].depends_on && strvec_contains(nodes[i].depends_on, nodes[k].name)) ||
                     (nodes[i].build && nodes[k].build && reads_image(&nodes[i], nodes[k].image)));
    for (size_t m = 0; m < n; m++)
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; reach[i * n + m] && k < n; k++)
                reach[i * n + k] = reach[i * n + k] || reach[m * n + k];
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (size_t k = 0; k < n && rc == 0; k++) {
            after[i * n + k] = i != k && nodes[i].build && nodes[k].build && reach[i * n + k];
            if (after[i * n + k] && reach[k * n + i])
                rc = ds_error_set(err, DS_EINVAL,
                                  "the builds of services '%s' and '%s' wait for each other "
                                  "(depends_on, or a Dockerfile that reads the other's image '%s')",
                                  nodes[i].name, nodes[k].name, nodes[k].image);
        }
    }
    free(reach);
    return rc;
}

int stack_build_next(const bool *after, const enum stack_build_state *states, size_t n,
                     size_t limit)
{
    size_t running = 0;

    for (size_t i = 0; i < n; i++)
        running += states[i] == BUILD_RUNNING;
    if (limit && running >= limit)
        return -1;
    for (size_t i = 0; i < n; i++) {
        bool ready = states[i] == BUILD_PENDING;

        for (size_t k = 0; k < n && ready; k++)
            ready = !after[i * n + k] || states[k] == BUILD_DONE;
        if (ready)
            return (int)i;
    }
    return -1;
}
