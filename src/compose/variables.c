/*
 * The variables a project's files use, as `docker compose config --variables`
 * finds them: compose-go's template.ExtractVariables (v2.4.8, which Debian
 * 13's Compose 2.26 is built with) run over the files as written, before
 * interpolation. Its rules are kept, quirks included, so that both list the
 * same names with the same defaults:
 *   - a braced variable's text runs to the last '}' of its line, and the
 *     first '}' closing its '{' ends it ("${A:-x} ${B}" is A with default
 *     x, then B); a default or alternative value is searched too;
 *   - the name ends at the first character outside [A-Za-z0-9_], and what
 *     follows decides: ":?" or "?" required, ":-" or "-" a default, ":+"
 *     or "+" an alternative value;
 *   - mapping keys are not searched, and in a list only the items that are
 *     strings; the forms Compose turns into lists of mappings before it
 *     searches (a service's volumes, env_file, secrets, configs, devices,
 *     build secrets) and the lists it turns into mapping keys (depends_on,
 *     networks) are not searched either.
 * A name used twice keeps what its last use says (Compose keeps either).
 */
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "compose/variables.h"
#include "compose/yamltree.h"
#include "util/alloc.h"
#include "util/banned.h"

/* as compose_load() reads them */
#define VARIABLES_FILE_MAX (16u << 20)

static bool is_name_char(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_name_start(char c)
{
    return is_name_char(c) && !(c >= '0' && c <= '9');
}

static void add(struct compose_variables *vars, const char *name, size_t name_len, const char *def,
                size_t def_len, const char *alt, size_t alt_len, bool required)
{
    struct compose_variable *v = NULL;

    for (size_t i = 0; i < vars->n; i++) {
        if (strlen(vars->v[i].name) == name_len && !memcmp(vars->v[i].name, name, name_len)) {
            v = &vars->v[i];
            free(v->name);
            free(v->default_value);
            free(v->alternate_value);
            break;
        }
    }
    if (!v) {
        vars->v = xrealloc(vars->v, (vars->n + 1) * sizeof(*vars->v));
        v = &vars->v[vars->n++];
    }
    v->name = xstrndup(name, name_len);
    v->default_value = xstrndup(def ? def : "", def_len);
    v->alternate_value = xstrndup(alt ? alt : "", alt_len);
    v->required = required;
}

/*
 * compose-go's getFirstBraceClosingIndex: the '}' that closes the first '{',
 * every '{' skipping the character after it; -1 when none does.
 */
static long first_closing(const char *s, size_t len)
{
    int open = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '}' && --open == 0)
            return (long)i;
        if (s[i] == '{') {
            open++;
            i++;
        }
    }
    return -1;
}

static void scan(struct compose_variables *vars, const char *s, size_t len, int depth);

/* One variable's text (a name, then perhaps an operator and its value). */
static void one(struct compose_variables *vars, const char *val, size_t len, int depth)
{
    size_t i = 0;
    const char *rest;
    size_t rlen;

    while (i < len && is_name_char(val[i]))
        i++;
    if (i == 0 || i == len) {
        add(vars, val, len, NULL, 0, NULL, 0, false);
        return;
    }
    rest = val + i;
    rlen = len - i;
    if ((rlen >= 2 && !memcmp(rest, ":?", 2)) || rest[0] == '?') {
        add(vars, val, i, NULL, 0, NULL, 0, true);
    } else if (rlen >= 2 && !memcmp(rest, ":-", 2)) {
        add(vars, val, i, rest + 2, rlen - 2, NULL, 0, false);
        scan(vars, rest + 2, rlen - 2, depth + 1);
    } else if (rest[0] == '-') {
        add(vars, val, i, rest + 1, rlen - 1, NULL, 0, false);
        scan(vars, rest + 1, rlen - 1, depth + 1);
    } else if (rlen >= 2 && !memcmp(rest, ":+", 2)) {
        add(vars, val, i, NULL, 0, rest + 2, rlen - 2, false);
        scan(vars, rest + 2, rlen - 2, depth + 1);
    } else if (rest[0] == '+') {
        add(vars, val, i, NULL, 0, rest + 1, rlen - 1, false);
        scan(vars, rest + 1, rlen - 1, depth + 1);
    } else {
        add(vars, val, i, NULL, 0, NULL, 0, false);
    }
}

/* Every match of compose-go's pattern in s, as its FindAllStringSubmatch meets them. */
static void scan(struct compose_variables *vars, const char *s, size_t len, int depth)
{
    size_t i = 0;

    if (depth > 64)
        return;
    while (i + 1 < len) {
        const char *dollar = memchr(s + i, '$', len - i - 1);
        size_t j, k, n;

        if (!dollar)
            return;
        j = (size_t)(dollar - s);
        if (s[j + 1] == '$') { /* $$: a literal $ */
            i = j + 2;
            continue;
        }
        if (is_name_start(s[j + 1])) { /* $NAME */
            for (n = 1; j + 1 + n < len && is_name_char(s[j + 1 + n]); n++)
                ;
            add(vars, s + j + 1, n, NULL, 0, NULL, 0, false);
            i = j + 1 + n;
            continue;
        }
        if (s[j + 1] != '{') {
            i = j + 1;
            continue;
        }
        /* ${NAME} or ${NAME<op>...} up to the last '}' of the line; else "${" alone */
        k = j + 2;
        n = 0;
        if (k < len && is_name_start(s[k]))
            while (k + n < len && is_name_char(s[k + n]))
                n++;
        if (n && k + n < len && s[k + n] == '}') {
            one(vars, s + k, n, depth);
            i = k + n + 1;
            continue;
        }
        if (n && k + n < len) {
            size_t op = k + n, end = len, last = 0;
            bool found = false;

            if (s[op] == ':' && op + 1 < len)
                op++;
            if (s[op] == '-' || s[op] == '+' || s[op] == '?') {
                const char *nl = memchr(s + op + 1, '\n', len - op - 1);

                if (nl)
                    end = (size_t)(nl - s);
                for (size_t x = op + 1; x < end; x++) {
                    if (s[x] == '}') {
                        last = x;
                        found = true;
                    }
                }
            }
            if (found) {
                const char *m = s + j;
                size_t mlen = last + 1 - j;
                long close = first_closing(m, mlen);

                if (close > 0) {
                    if ((size_t)close + 1 < mlen)
                        scan(vars, m + close + 1, mlen - (size_t)close - 1, depth + 1);
                    one(vars, m + 2, (size_t)close - 2, depth);
                } else {
                    one(vars, s + k, last - k, depth);
                }
                i = last + 1;
                continue;
            }
        }
        add(vars, "", 0, NULL, 0, NULL, 0, false); /* "${" that starts no variable */
        i = j + 2;
    }
}

void compose_variables_scan(struct compose_variables *vars, const char *text)
{
    scan(vars, text, strlen(text), 0);
}

static bool is_key(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (!strcmp(key, *keys))
            return true;
    return false;
}

/* `level` says where n sits: 0 the file, 1 a top-level value, 2 a service, 3 its build. */
static void walk(struct compose_variables *vars, const struct ynode *n, int level, bool services)
{
    static const char *const hidden[] = {"volumes", "env_file", "secrets",
                                         "configs", "devices",  NULL};
    static const char *const keyed[] = {"depends_on", "networks", NULL};

    if (n->kind == YNODE_SCALAR) {
        compose_variables_scan(vars, n->text);
        return;
    }
    if (n->kind == YNODE_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            if (n->items[i]->kind == YNODE_SCALAR)
                compose_variables_scan(vars, n->items[i]->text);
        return;
    }
    if (n->kind != YNODE_MAP)
        return;
    for (size_t i = 0; i < n->n; i++) {
        const char *key = n->keys[i]->text;
        const struct ynode *v = n->items[i];

        if (level == 2 && services && is_key(key, hidden))
            continue;
        if (level == 2 && services && is_key(key, keyed) && v->kind == YNODE_SEQ)
            continue;
        if (level == 3 && !strcmp(key, "secrets"))
            continue;
        if (level == 0)
            walk(vars, v, 1, !strcmp(key, "services"));
        else if (level == 1)
            walk(vars, v, 2, services);
        else if (level == 2 && services && !strcmp(key, "build"))
            walk(vars, v, 3, services);
        else
            walk(vars, v, 4, services);
    }
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const struct compose_variable *)a)->name,
                  ((const struct compose_variable *)b)->name);
}

int compose_variables_collect(struct compose_variables *out, const struct compose_project *p,
                              struct ds_error *err)
{
    for (size_t i = 0; i < p->config_files.n; i++) {
        struct buf text = BUF_INIT;
        struct ynode *root = NULL;
        int rc = buf_read_file(&text, p->config_files.v[i], VARIABLES_FILE_MAX);

        if (rc < 0) {
            buf_release(&text);
            return ds_error_errno(err, -rc, "cannot read compose file '%s'", p->config_files.v[i]);
        }
        rc = ytree_parse(&root, text.buf, text.len, p->file_names.v[i], err);
        buf_release(&text);
        if (rc < 0)
            return rc;
        walk(out, root, 0, false);
        ytree_free(root);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), compare_names);
    return 0;
}

void compose_variables_release(struct compose_variables *vars)
{
    for (size_t i = 0; i < vars->n; i++) {
        free(vars->v[i].name);
        free(vars->v[i].default_value);
        free(vars->v[i].alternate_value);
    }
    free(vars->v);
    vars->v = NULL;
    vars->n = 0;
}
