/* What env.py tells Alembic about its version table, read without running it. */
#include <stdlib.h>
#include <string.h>

#include "migrate/migrate.h"
#include "migrate/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/banned.h"

#define DEFAULT_VERSION_TABLE "alembic_version"

enum key { K_NAME, K_SCHEMA };

static const char *const key_names[] = {"version_table", "version_table_schema"};

/*
 * The value of the keyword argument whose `=` is t[i]: a str literal
 * (adjacent ones concatenated, as Python does) or None, up to the `,` or `)`
 * that ends the argument. *value NULL for None. 0, or -1 when it is anything
 * else.
 */
static int argument_value(char **value, const struct logline *ll, size_t i, const char *path,
                          struct ds_error *err)
{
    const struct token *eq = &ll->t[i];
    struct buf b = BUF_INIT;
    size_t k = i + 1;

    *value = NULL;
    if (k < ll->n && tok_is(&ll->t[k], TOK_NAME, "None")) {
        k++;
    } else {
        for (; k < ll->n && ll->t[k].type == TOK_STRING; k++) {
            if (ll->t[k].flags & (STR_BYTES | STR_FORMAT))
                break;
            if (string_decode(&b, &ll->t[k], true, path, err) < 0) {
                buf_release(&b);
                return -1;
            }
        }
        if (k == i + 1 || (k < ll->n && ll->t[k].type == TOK_STRING)) {
            buf_release(&b);
            return 1;
        }
        *value = buf_detach(&b, NULL);
    }
    /* the argument ends here, or it is an expression that starts with a literal */
    /* a bracket is outside itself: the call's `)` is one level up */
    if (k >= ll->n || !((tok_op(&ll->t[k], ",") && ll->t[k].depth == eq->depth) ||
                        (tok_op(&ll->t[k], ")") && ll->t[k].depth + 1 == eq->depth))) {
        free(*value);
        *value = NULL;
        return 1;
    }
    return 0;
}

static int set_key(struct alembic_version_table *out, enum key key, char *value, unsigned line,
                   const char *path, struct ds_error *err)
{
    char **slot = key == K_NAME ? &out->name : &out->schema;
    unsigned *at = key == K_NAME ? &out->name_line : &out->schema_line;
    bool same = (!*slot && !value) || (*slot && value && !strcmp(*slot, value));

    if (*at && !same) {
        free(value);
        return source_fail(err, DS_EINVAL, path, line,
                           "%s= differs from the one on line %u; devstack cannot tell which one "
                           "Alembic uses",
                           key_names[key], *at);
    }
    free(*slot);
    *slot = value;
    if (!*at)
        *at = line;
    return 0;
}

static int scan_line(struct alembic_version_table *out, const struct logline *ll, const char *path,
                     struct ds_error *err)
{
    for (size_t i = 1; i + 1 < ll->n; i++) {
        const struct token *t = &ll->t[i];
        enum key key;
        char *value;
        int rc;

        if (t->type != TOK_NAME || !tok_op(&ll->t[i + 1], "=") || t->depth == 0)
            continue;
        /* a keyword argument: after `(` or `,` of a call */
        if (!tok_op(&ll->t[i - 1], "(") && !tok_op(&ll->t[i - 1], ","))
            continue;
        if (tok_is(t, TOK_NAME, key_names[K_NAME]))
            key = K_NAME;
        else if (tok_is(t, TOK_NAME, key_names[K_SCHEMA]))
            key = K_SCHEMA;
        else
            continue;
        rc = argument_value(&value, ll, i + 1, path, err);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            source_fail(err, DS_EINVAL, path, t->line,
                        "%s= is not a string literal; devstack reads env.py without running it",
                        key_names[key]);
            ds_error_hint(err,
                          "write the name as a literal (%s=\"...\") for devstack's own db "
                          "commands, or run Alembic itself (python3 -m alembic current)",
                          key_names[key]);
            return DS_EINVAL;
        }
        if (key == K_NAME && value && !*value) {
            free(value);
            return source_fail(err, DS_EINVAL, path, t->line, "version_table= is empty");
        }
        rc = set_key(out, key, value, t->line, path, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int alembic_env_version_table(struct alembic_version_table *out, const char *path, const char *text,
                              size_t len, struct ds_error *err)
{
    struct logline ll = {NULL, 0, 0, 0, false};
    struct buf src = BUF_INIT;
    struct lexer lx;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = lexer_init(&lx, &src, path, text, len, err);
    while (rc >= 0) {
        lx.skip_indented = false;
        rc = lex_line(&lx, &ll);
        if (rc <= 0)
            break;
        rc = scan_line(out, &ll, path, err);
    }
    free(ll.t);
    buf_release(&src);
    if (rc < 0) {
        alembic_version_table_release(out);
        return rc;
    }
    if (!out->name)
        out->name = xstrdup(DEFAULT_VERSION_TABLE);
    return 0;
}

void alembic_version_table_release(struct alembic_version_table *vt)
{
    free(vt->name);
    free(vt->schema);
    memset(vt, 0, sizeof(*vt));
}
