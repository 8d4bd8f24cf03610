/*
 * .dockerignore rules. The expected answers are Docker's: buildkit's
 * dockerignore.ReadAll for reading the file, moby/patternmatcher's
 * MatchesOrParentMatches for matching, Go's filepath.Match for the syntax.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "util/alloc.h"
#include "util/ignore.h"
#include "util/banned.h"

struct match_case {
    const char *rules; /* the .dockerignore text */
    const char *path;
    bool excluded;
};

static void test_excludes_table(void **state)
{
    static const struct match_case cases[] = {
            /* `*` stays inside one path segment */
            {"*.md", "README.md", true},
            {"*.md", "docs/guide.md", false},
            {"docs/*.md", "docs/guide.md", true},
            {"docs/*.md", "docs/api/ref.md", false},
            {"docs/*.md", "guide.md", false},
            {"*", "a/b/c", true}, /* through the parent "a" */
            {"*/temp*", "somedir/temporary.txt", true},
            {"*/temp*", "somedir/sub/temp", false},
            {"*/*/temp*", "a/b/temp.txt", true},
            {"*.MD", "readme.md", false},
            /* `**` leading, middle, trailing */
            {"**/*.go", "main.go", true},
            {"**/*.go", "cmd/tool/main.go", true},
            {"**/*.go", "cmd/tool/main.gox", false},
            {"**", "any/thing/at/all", true},
            {"a/**/b", "a/b", true},
            {"a/**/b", "a/x/y/b", true},
            {"a/**/b", "a/x/b/c", true},
            {"a/**/b", "ab", false},
            {"a/**", "a/x/y", true},
            {"a/**", "a", false}, /* Docker: the prefix is "a/", the directory itself stays */
            {"**/foo", "foo", true},
            {"**/foo", "x/y/foo", true},
            {"**/foo", "xfoo", false},
            {"**foo", "barfoo", true}, /* Docker's suffix shortcut for "**" + plain text */
            {"**foo", "x/barfoo/y", true},
            {"**/a/**", "x/a/y", true},
            {"**/a/**", "x/a", false},
            {"a/**/*.js", "a/b/c/d.js", true},
            {"a/**/*.js", "b/x.js", false},
            /* `?` */
            {"temp?", "tempa", true},
            {"temp?", "temp", false},
            {"?.txt", "ab.txt", false},
            {"a?b", "a/b", false},
            {"?.txt", "\xc3\xa9.txt", true}, /* one character, two bytes */
            /* classes */
            {"[a-c]at", "bat", true},
            {"[a-c]at", "dat", false},
            {"[^a-c]at", "dat", true},
            {"[^a-c]at", "bat", false},
            {"[!a]bc", "!bc", true}, /* only '^' negates in Go; '!' is a member */
            {"[!a]bc", "xbc", false},
            {"*.[ch]", "x.c", true},
            {"*.[ch]", "x.o", false},
            {"[[]x", "[x", true},
            {"a[/]b", "a/b", true}, /* a class may match '/' */
            {"[\xc3\xa9]x", "\xc3\xa9x", true},
            {"[*]", "*", true},
            {"[*]", "a", false},
            /* escapes */
            {"\\*.txt", "*.txt", true},
            {"\\*.txt", "a.txt", false},
            {"\\[x]", "[x]", true},
            {"\\a", "a", true},
            /* exceptions: the last matching line wins */
            {"*.md\n!README.md", "README.md", false},
            {"*.md\n!README.md", "CHANGES.md", true},
            {"*.md\n!README.md\nREADME.md", "README.md", true},
            {"*\n!src", "src/a/b.c", false}, /* an exception matches parents too */
            {"*\n!src", "other", true},
            {"*\n!data\ndata/file1", "data/file1", true},
            {"*\n!data\ndata/file1", "data/file2", false},
            {"*\n!./README.md", "README.md", false},
            {"*\n! README.md", "README.md", false},
            {"*\n!/README.md", "README.md", false},
            /* leading '/', "./", trailing '/', cleaning */
            {"/build", "build/out.o", true},
            {"/build", "src/build", false},
            {"./build", "build", true},
            {"build/", "build", true},
            {"build/", "build/x", true},
            {"foo/../bar", "bar", true},
            {"a//b", "a/b", true},
            {"/", "a", false},
            {".", "a", false},
            {"*/", "x", true},
            /* comments, blank lines, whitespace, line ends */
            {"# foo\nbar", "# foo", false},
            {"# foo\nbar", "bar", true},
            {"  # foo", "# foo", true}, /* '#' counts only in column 1 */
            {"\n\n   \n\t foo.txt \t\n\n", "foo.txt", true},
            {"foo\r\nbar\r\n", "foo", true},
            {"foo\r\nbar\r\n", "bar", true},
            {"\xef\xbb\xbf"
             "foo",
             "foo", true},                /* a UTF-8 BOM */
            {"foo\xc2\xa0", "foo", true}, /* Unicode space is trimmed too */
            {"", "x", false},
            /* a directory excludes what it holds */
            {"node_modules", "node_modules/a/b.js", true},
            {"node_modules", "src/node_modules/x", false},
            {"**/node_modules", "src/node_modules/x", true},
            {".git", ".git/HEAD", true},
            {".git", ".gitignore", false},
            {"**/temp", "temp/x", true},
            /* the query is cleaned; the root is never excluded */
            {"build", "build/", true},
            {"build", "./build", true},
            {"*", ".", false},
            {"*", "", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct ignore *ig = NULL;
        const struct match_case *c = &cases[i];

        if (ignore_parse(&ig, c->rules, strlen(c->rules), "t", &err) < 0)
            fail_msg("case %zu '%s': %s", i, c->rules, err.msg);
        if (ignore_excludes(ig, c->path) != c->excluded)
            fail_msg("case %zu: rules '%s', path '%s': expected %s", i, c->rules, c->path,
                     c->excluded ? "excluded" : "included");
        ignore_free(ig);
    }
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *rules;
        const char *message; /* the whole error */
    } cases[] = {
            {"[abc", "bad pattern '[abc' on line 1 of 't': unterminated character class"},
            {"ok\n# comment\n\nsrc/[a-", "bad pattern 'src/[a-' on line 4 of 't': "
                                         "unterminated character class"},
            {"a\r\nb\r\n  x\\  ", "bad pattern 'x\\' on line 3 of 't': trailing backslash"},
            {"[]", "bad pattern '[]' on line 1 of 't': malformed character class"},
            {"[a-]", "bad pattern '[a-]' on line 1 of 't': malformed character class"},
            {"[-a]", "bad pattern '[-a]' on line 1 of 't': malformed character class"},
            {"x\n!", "bad pattern '!' on line 2 of 't': '!' needs a pattern after it"},
            {"x\n ! ", "bad pattern '!' on line 2 of 't': '!' needs a pattern after it"},
            {"!/", "bad pattern '!/' on line 1 of 't': '!' needs a pattern after it"},
            {"*.go\n[\xff]", "bad pattern '[\xff]' on line 2 of 't': "
                             "invalid UTF-8 in character class"},
            {"a*[", "bad pattern 'a*[' on line 1 of 't': unterminated character class"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct ignore *ig = (struct ignore *)&err; /* must come back NULL */

        assert_int_equal(ignore_parse(&ig, cases[i].rules, strlen(cases[i].rules), "t", &err),
                         DS_EINVAL);
        assert_null(ig);
        if (!err.msg || strcmp(err.msg, cases[i].message))
            fail_msg("case %zu: got '%s'", i, err.msg);
        ds_error_release(&err);
    }
}

static void test_may_include_below(void **state)
{
    static const struct {
        const char *rules, *dir;
        bool may;
    } cases[] = {
            {"build\n!build/keep.txt", "build", true},
            {"build\n!build/keep.txt", "src", false},
            {"build\n!build/keep.txt", "build/sub", false},
            {"node_modules", "node_modules", false}, /* no exception at all */
            {"*\n!*/keep", "x", true},               /* Docker itself prunes here (moby#30018) */
            {"*\n!*/keep", "x/y", false},
            {"*\n!**/*.py", "a/b", true},
            {"*\n!src", "src", true},
            {"*\n!src", "src/deep/er", true}, /* the exception matches a parent */
            {"*\n!src", "lib", false},
            {"*\n!docs/*.md", "docs", true},
            {"*\n!docs/*.md", "docs/sub", false},
            {"*\n!a[/]b", "a", true},
            {"*\n!**foo", "x", true},
            {"*\n!a/**", "a", true},
            {"*\n!a?", "ab", true},
            {"*\n!a?", "a", false}, /* '?' cannot be the '/' after "a" */
            {"*\n!x", ".", true},   /* the root */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct ds_error err = DS_ERROR_INIT;
        struct ignore *ig = NULL;

        assert_int_equal(ignore_parse(&ig, cases[i].rules, strlen(cases[i].rules), "t", &err), 0);
        if (ignore_may_include_below(ig, cases[i].dir) != cases[i].may)
            fail_msg("case %zu: rules '%s', dir '%s': expected %s", i, cases[i].rules, cases[i].dir,
                     cases[i].may ? "true" : "false");
        ignore_free(ig);
    }
    assert_false(ignore_may_include_below(NULL, "x"));
}

/*
 * Whatever the rules, a directory for which ignore_may_include_below() says
 * no must hold nothing that is included: check every path of a small tree.
 */
static void test_pruning_is_safe(void **state)
{
    static const char *const rules[] = {
            "*\n!*/keep",   "a\n!a/b/c",     "**/x\n!**/x/y",  "*\n!?/[ab]",
            "a/**\n!a/*/k", "*\n!**/k/**/m", "*\n!a/b\na/b/c",
    };
    static const char *const segs[] = {"a", "b", "c", "k", "m", "x", "y"};
    struct buf path = BUF_INIT, dir = BUF_INIT;

    (void)state;
    for (size_t r = 0; r < ARRAY_SIZE(rules); r++) {
        struct ds_error err = DS_ERROR_INIT;
        struct ignore *ig = NULL;
        size_t n = ARRAY_SIZE(segs);

        assert_int_equal(ignore_parse(&ig, rules[r], strlen(rules[r]), "t", &err), 0);
        /* every path of up to 4 segments */
        for (size_t code = 0; code < n * n * n * n; code++) {
            size_t c = code, depth = 0;

            buf_reset(&path);
            while (depth < 4) {
                if (depth)
                    buf_addch(&path, '/');
                buf_adds(&path, segs[c % n]);
                c /= n;
                depth++;
                if (ignore_excludes(ig, path.buf))
                    continue;
                /* included: no excluded ancestor may have been pruned */
                buf_reset(&dir);
                for (const char *p = path.buf; (p = strchr(p, '/')); p++) {
                    buf_reset(&dir);
                    buf_add(&dir, path.buf, (size_t)(p - path.buf));
                    if (ignore_excludes(ig, dir.buf) && !ignore_may_include_below(ig, dir.buf))
                        fail_msg("rules '%s': '%s' is included but '%s' would be pruned", rules[r],
                                 path.buf, dir.buf);
                }
            }
        }
        ignore_free(ig);
    }
    buf_release(&path);
    buf_release(&dir);
}

static void test_load(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct ignore *ig = NULL;
    char *tmp = test_mkdtemp();
    struct buf sub = BUF_INIT;

    (void)state;
    /* no file: nothing is excluded */
    assert_int_equal(ignore_load(&ig, tmp, &err), 0);
    assert_non_null(ig);
    assert_false(ignore_excludes(ig, "anything"));
    assert_false(ignore_may_include_below(ig, "anything"));
    ignore_free(ig);

    test_write_file(tmp, ".dockerignore", "# build output\n/dist\n*.log\n!keep.log\n");
    assert_int_equal(ignore_load(&ig, tmp, &err), 0);
    assert_true(ignore_excludes(ig, "dist/app.js"));
    assert_true(ignore_excludes(ig, "x.log"));
    assert_false(ignore_excludes(ig, "keep.log"));
    assert_false(ignore_excludes(ig, "src/main.c"));
    ignore_free(ig);

    /* errors name the file and the line */
    buf_addf(&sub, "%s/bad", tmp);
    test_write_file(sub.buf, ".dockerignore", "ok\n\n[oops\n");
    assert_int_equal(ignore_load(&ig, sub.buf, &err), DS_EINVAL);
    assert_null(ig);
    assert_non_null(strstr(err.msg, "on line 3 of '"));
    assert_non_null(strstr(err.msg, "/bad/.dockerignore'"));
    ds_error_release(&err);

    /* a .dockerignore that cannot be read */
    buf_reset(&sub);
    buf_addf(&sub, "%s/dir/.dockerignore", tmp);
    test_write_file(sub.buf, "x", "");
    buf_setlen(&sub, sub.len - strlen("/.dockerignore"));
    assert_int_equal(ignore_load(&ig, sub.buf, &err), DS_EIO);
    assert_null(ig);
    assert_non_null(strstr(err.msg, "cannot read '"));
    assert_non_null(strstr(err.msg, "Is a directory"));
    ds_error_release(&err);

    /* one larger than the cap: an error that says so, not a long wait */
    {
        struct buf big = BUF_INIT;

        while (big.len <= IGNORE_FILE_MAX)
            buf_adds(&big, "some/generated/path/that/goes/on/**/*.tmp\n");
        buf_reset(&sub);
        buf_addf(&sub, "%s/big", tmp);
        test_write_file(sub.buf, ".dockerignore", big.buf);
        assert_int_equal(ignore_load(&ig, sub.buf, &err), DS_EINVAL);
        assert_null(ig);
        assert_non_null(strstr(err.msg, "/big/.dockerignore' is larger than 1 MiB"));
        ds_error_release(&err);
        /* at the cap it is read */
        buf_setlen(&big, IGNORE_FILE_MAX);
        test_write_file(sub.buf, ".dockerignore", big.buf);
        assert_int_equal(ignore_load(&ig, sub.buf, &err), 0);
        assert_true(ignore_excludes(ig, "some/generated/path/that/goes/on/x.tmp"));
        ignore_free(ig);
        buf_release(&big);
    }

    buf_release(&sub);
    test_rmtree(tmp);
    free(tmp);
}

static void test_many_patterns(void **state)
{
    struct ds_error err = DS_ERROR_INIT;
    struct ignore *ig = NULL;
    struct buf rules = BUF_INIT, path = BUF_INIT;

    (void)state;
    /* a long pattern (more states than the matcher keeps on its stack) */
    for (int i = 0; i < 200; i++)
        buf_adds(&rules, "*a");
    buf_adds(&rules, "\n");
    for (int i = 0; i < 1000; i++)
        buf_addf(&rules, "dir%d/**/*.tmp\n!dir%d/**/keep.tmp\n", i, i);
    assert_int_equal(ignore_parse(&ig, rules.buf, rules.len, "t", &err), 0);
    for (int i = 0; i < 200; i++)
        buf_adds(&path, "ba");
    assert_true(ignore_excludes(ig, path.buf));
    buf_addch(&path, 'b');
    assert_false(ignore_excludes(ig, path.buf));
    assert_true(ignore_excludes(ig, "dir999/x/y/z.tmp"));
    assert_false(ignore_excludes(ig, "dir999/x/y/keep.tmp"));
    assert_false(ignore_excludes(ig, "dir1000/x/y/z.tmp"));
    ignore_free(ig);
    buf_release(&rules);
    buf_release(&path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_excludes_table),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_may_include_below),
            cmocka_unit_test(test_pruning_is_safe),
            cmocka_unit_test(test_load),
            cmocka_unit_test(test_many_patterns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
