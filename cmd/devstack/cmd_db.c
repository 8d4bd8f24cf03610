/*
 * devstack db: the application database and its Alembic migration state.
 * current, heads, history, check and wait are native (no Python); upgrade,
 * downgrade, stamp, sql, revision and merge run Alembic, in the app's
 * container when we are on the host of a compose project.
 */
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbcmd.h"
#include "devstack.h"
#include "signals.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/duration.h"
#include "util/banned.h"

#define DB_WAIT_DEFAULT_MS 120000u

static const char *config_file, *config_section;

#define COMMON_OPTS                                                                                \
    {OPT_STRING, "config", 'c', &config_file, "FILE", "alembic.ini to use (default: found)"},      \
    {                                                                                              \
        OPT_STRING, "name", 'n', &config_section, "SECTION", "the ini section (default: alembic)"  \
    }

struct db_verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

/* "db current" for usage lines */
static char usage_name[64];

static bool parse(const char *verb, const struct opt_spec *specs, int argc, char **argv,
                  int *status)
{
    snprintf(usage_name, sizeof(usage_name), "db %s", verb);
    return cmd_parse(usage_name, specs, argc, argv, 0, NULL, status);
}

/* What the diagnosis finds wrong with the state behind a failure, as hints. */
static void print_diagnosis_hints(struct db_target *t)
{
    struct db_findings f = {0};

    if (!t->ini_loaded || !t->have_url)
        return;
    db_diagnose(t, &f);
    for (size_t i = 0; i < f.n; i++)
        if (f.items[i].verdict != DBD_OK && f.items[i].fix)
            fprintf(stderr, "hint: %s: %s\n", f.items[i].detail, f.items[i].fix);
    db_findings_release(&f);
}

/* Print an error with what the diagnosis says about the state behind it. */
static int fail_with_diagnosis(struct db_target *t, struct ds_error *err)
{
    int status = cmd_error(err);

    print_diagnosis_hints(t);
    return status;
}

/* ---- native verbs ------------------------------------------------------------- */

static int db_current(int argc, char **argv)
{
    static bool verbose;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
            COMMON_OPTS,
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;
    bool exists;
    int status;

    if (!parse("current", opts, argc, argv, &status))
        return status;
    if (db_target_open(&t, config_file, config_section, DBT_NEED_INI | DBT_NEED_URL, &err) < 0 ||
        db_target_revmap(&t, &map, &err) < 0 ||
        db_current_versions(&t, &versions, &exists, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (verbose) {
        struct db_url shown = t.url;

        /* Alembic shows the URL its engine has, password masked */
        if (t.url.password)
            shown.password = (char *)"XXXXX";
        buf_adds(&out, "Current revision(s) for ");
        db_url_render(&out, &shown, false);
        buf_adds(&out, ":\n");
    }
    if (alembic_format_current(&out, &map, &versions, verbose, &err) < 0) {
        status = fail_with_diagnosis(&t, &err);
        goto done;
    }
    fwrite(out.buf, 1, out.len, stdout);
    status = EXIT_OK;

done:
    buf_release(&out);
    strvec_clear(&versions);
    revmap_release(&map);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

static int db_heads(int argc, char **argv)
{
    static bool verbose, resolve;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
            {OPT_BOOL, "resolve-dependencies", 0, &resolve, NULL,
             "treat dependencies as down revisions"},
            COMMON_OPTS,
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct revmap map = REVMAP_INIT;
    struct buf out = BUF_INIT;
    int status;

    if (!parse("heads", opts, argc, argv, &status))
        return status;
    if (db_target_open(&t, config_file, config_section, DBT_NEED_INI, &err) < 0 ||
        db_target_revmap(&t, &map, &err) < 0 ||
        alembic_format_heads(&out, &map, verbose, resolve, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    fwrite(out.buf, 1, out.len, stdout);
    status = EXIT_OK;

done:
    buf_release(&out);
    revmap_release(&map);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

static int db_history(int argc, char **argv)
{
    static bool verbose, indicate;
    static const char *range;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "rev-range", 'r', &range, "[START]:[END]",
             "only these revisions (ids, heads, base, current, -N, +N)"},
            {OPT_BOOL, "verbose", 'v', &verbose, NULL, "show each revision in full"},
            {OPT_BOOL, "indicate-current", 'i', &indicate, NULL,
             "mark the database's revisions (current)"},
            COMMON_OPTS,
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT;
    struct buf out = BUF_INIT;
    bool exists, need_db;
    int status;

    if (!parse("history", opts, argc, argv, &status))
        return status;
    /* the database is read only when asked for: history works offline otherwise */
    need_db = indicate || (range && strstr(range, "current"));
    if (db_target_open(&t, config_file, config_section, DBT_NEED_INI | (need_db ? DBT_NEED_URL : 0),
                       &err) < 0 ||
        db_target_revmap(&t, &map, &err) < 0 ||
        (need_db && db_current_versions(&t, &versions, &exists, &err) < 0) ||
        alembic_format_history_db(&out, &map, range, verbose, need_db ? &versions : NULL, indicate,
                                  &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    fwrite(out.buf, 1, out.len, stdout);
    status = EXIT_OK;

done:
    buf_release(&out);
    strvec_clear(&versions);
    revmap_release(&map);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

static int db_check(int argc, char **argv)
{
    static const struct opt_spec opts[] = {COMMON_OPTS, {0}};
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct revmap map = REVMAP_INIT;
    struct strvec versions = STRVEC_INIT, heads = STRVEC_INIT;
    struct buf list = BUF_INIT;
    bool exists, at_heads;
    int status;

    if (!parse("check", opts, argc, argv, &status))
        return status;
    if (db_target_open(&t, config_file, config_section, DBT_NEED_INI | DBT_NEED_URL, &err) < 0 ||
        db_target_revmap(&t, &map, &err) < 0 ||
        db_current_versions(&t, &versions, &exists, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; i < versions.n; i++) {
        if (!revmap_get(&map, versions.v[i])) {
            ds_error_set(&err, DS_ENOTFOUND, "Can't locate revision identified by '%s'",
                         versions.v[i]);
            status = fail_with_diagnosis(&t, &err);
            goto done;
        }
    }
    if (db_resolved_heads(&map, &heads, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    for (size_t i = 0; i < heads.n; i++)
        buf_addf(&list, "%s%s", i ? ", " : "", heads.v[i]);
    at_heads = versions.n == heads.n;
    for (size_t i = 0; at_heads && i < versions.n; i++)
        at_heads = strvec_contains(&heads, versions.v[i]);

    if (at_heads) {
        printf("database is up to date: at %s %s\n", heads.n > 1 ? "heads" : "head",
               list.len ? list.buf : "base (no revisions)");
        status = EXIT_OK;
    } else if (!versions.n) {
        fprintf(stderr, "database is not up to date: no revision applied%s; head%s %s\n",
                exists ? "" : " (no alembic_version table)", heads.n > 1 ? "s" : "", list.buf);
        fprintf(stderr, "hint: apply them with 'devstack db upgrade'\n");
        status = EXIT_ERROR;
    } else {
        fprintf(stderr, "database is not up to date: at ");
        for (size_t i = 0; i < versions.n; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", versions.v[i]);
        fprintf(stderr, "; head%s %s\n", heads.n > 1 ? "s" : "", list.buf);
        if (heads.n > 1)
            fprintf(stderr,
                    "hint: the scripts have %zu heads: apply them all with 'devstack db "
                    "upgrade heads', or join them with 'devstack db merge -m MESSAGE heads'\n",
                    heads.n);
        else
            fprintf(stderr, "hint: apply them with 'devstack db upgrade'\n");
        status = EXIT_ERROR;
    }

done:
    buf_release(&list);
    strvec_clear(&heads);
    strvec_clear(&versions);
    revmap_release(&map);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

static int db_wait_cmd(int argc, char **argv)
{
    static const char *timeout;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "timeout", 't', &timeout, "DURATION",
             "give up after this long (default 120s; 0: one attempt)"},
            COMMON_OPTS,
            {0},
    };
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    struct db_wait_result res = {0};
    int64_t ns = (int64_t)DB_WAIT_DEFAULT_MS * 1000000;
    int status, rc;

    if (!parse("wait", opts, argc, argv, &status))
        return status;
    if (timeout && duration_parse(timeout, &ns) < 0) {
        snprintf(usage_name, sizeof(usage_name), "db wait");
        return cmd_usage_error(usage_name, opts, "invalid --timeout '%s' (e.g. 90s, 2m)", timeout);
    }
    if (db_target_open(&t, config_file, config_section, DBT_NEED_URL, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    signals_catch();
    rc = db_wait(&t.url, (unsigned)(ns / 1000000), &sig_interrupted, &res, &err);
    if (rc == DS_EINTR) {
        status = EXIT_INTERRUPTED;
        goto done;
    }
    if (rc < 0) {
        if (!err.hint)
            ds_error_hint(&err, "the URL came from %s", t.url_source);
        status = cmd_error(&err);
        goto done;
    }
    printf("database '%s' ready after %u.%01u s (%u attempt%s)\n",
           t.url.database ? t.url.database : "", res.elapsed_ms / 1000, res.elapsed_ms % 1000 / 100,
           res.attempts, res.attempts == 1 ? "" : "s");
    status = EXIT_OK;

done:
    db_wait_result_release(&res);
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

/* ---- verbs that run Alembic ---------------------------------------------------- */

/*
 * Run Alembic with args: here, or (on the host of a compose project) by
 * re-running this command in the app's container. argv is the db command
 * line from "db" on.
 */
static int run_alembic(const struct strvec *args, int argc, char **argv)
{
    struct ds_error err = DS_ERROR_INIT;
    struct db_target t;
    const char *service = NULL;
    int status;

    if (db_target_open(&t, config_file, config_section, DBT_NEED_INI, &err) < 0) {
        status = cmd_error(&err);
        goto done;
    }
    if (db_target_remote(&t, &service)) {
        status = db_exec_remote(&t, service, argc, argv);
        goto done;
    }
    status = db_run_alembic(&t, args, NULL, NULL, &err);
    if (status < 0) {
        status = cmd_error(&err);
    } else if (status != 0) {
        print_diagnosis_hints(&t);
    }

done:
    db_target_release(&t);
    ds_error_release(&err);
    return status;
}

/* argv as the db command saw it, from "db": for running it again elsewhere */
static int db_argc;
static char **db_argv;

static int db_upgrade(int argc, char **argv)
{
    static const char *rev;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "REVISION", 0, &rev, NULL, "target (default: head; +N, an id, heads)"},
            COMMON_OPTS,
            {0},
    };
    struct strvec args = STRVEC_INIT;
    int status;

    if (!parse(argv[0], opts, argc, argv, &status))
        return status;
    strvec_push(&args, argv[0]);
    strvec_push(&args, rev ? rev : !strcmp(argv[0], "upgrade") ? "head" : "-1");
    status = run_alembic(&args, db_argc, db_argv);
    strvec_clear(&args);
    return status;
}

static int db_stamp(int argc, char **argv)
{
    static const char *rev;
    static bool purge;
    static const struct opt_spec opts[] = {
            {OPT_BOOL, "purge", 0, &purge, NULL, "empty alembic_version first"},
            {OPT_ARG, "REVISION", 0, &rev, NULL, "the revision to record (head, base, an id)",
             OPT_REQUIRED},
            COMMON_OPTS,
            {0},
    };
    struct strvec args = STRVEC_INIT;
    int status;

    if (!parse("stamp", opts, argc, argv, &status))
        return status;
    strvec_push(&args, "stamp");
    if (purge)
        strvec_push(&args, "--purge");
    strvec_push(&args, rev);
    status = run_alembic(&args, db_argc, db_argv);
    strvec_clear(&args);
    return status;
}

static int db_sql(int argc, char **argv)
{
    static const char *range;
    static const struct opt_spec opts[] = {
            {OPT_ARG, "[START:]END", 0, &range, NULL, "what to render (default: head)"},
            COMMON_OPTS,
            {0},
    };
    struct strvec args = STRVEC_INIT;
    int status;

    if (!parse("sql", opts, argc, argv, &status))
        return status;
    strvec_push(&args, "upgrade");
    strvec_push(&args, range ? range : "head");
    strvec_push(&args, "--sql");
    status = run_alembic(&args, db_argc, db_argv);
    strvec_clear(&args);
    return status;
}

static int db_revision(int argc, char **argv)
{
    static const char *message;
    static bool autogenerate;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "message", 'm', &message, "MESSAGE", "what the revision does"},
            {OPT_BOOL, "autogenerate", 0, &autogenerate, NULL,
             "fill it from the difference between the models and the database"},
            COMMON_OPTS,
            {0},
    };
    struct strvec args = STRVEC_INIT;
    int status;

    if (!parse("revision", opts, argc, argv, &status))
        return status;
    if (!message)
        return cmd_usage_error(usage_name, opts, "missing -m MESSAGE");
    strvec_push(&args, "revision");
    strvec_push(&args, "-m");
    strvec_push(&args, message);
    if (autogenerate)
        strvec_push(&args, "--autogenerate");
    status = run_alembic(&args, db_argc, db_argv);
    strvec_clear(&args);
    return status;
}

static int db_merge(int argc, char **argv)
{
    static const char *message;
    static struct strvec revs = STRVEC_INIT;
    static const struct opt_spec opts[] = {
            {OPT_STRING, "message", 'm', &message, "MESSAGE", "what the merge is for"},
            {OPT_ARGS, "REVISION", 0, &revs, NULL, "the revisions to join (default: heads)"},
            COMMON_OPTS,
            {0},
    };
    struct strvec args = STRVEC_INIT;
    int status;

    if (!parse("merge", opts, argc, argv, &status))
        return status;
    if (!message) {
        status = cmd_usage_error(usage_name, opts, "missing -m MESSAGE");
        goto done;
    }
    strvec_push(&args, "merge");
    strvec_push(&args, "-m");
    strvec_push(&args, message);
    if (revs.n)
        for (size_t i = 0; i < revs.n; i++)
            strvec_push(&args, revs.v[i]);
    else
        strvec_push(&args, "heads");
    status = run_alembic(&args, db_argc, db_argv);

done:
    strvec_clear(&args);
    strvec_clear(&revs);
    return status;
}

static const struct db_verb verbs[] = {
        {"current", db_current, "Show the database's revision (native)"},
        {"heads", db_heads, "Show the heads of the revision scripts (native)"},
        {"history", db_history, "List the revisions, newest first (native)"},
        {"check", db_check, "Exit 0 when the database is at the heads, 1 otherwise (native)"},
        {"wait", db_wait_cmd, "Wait until the app user can query the app database"},
        {"upgrade", db_upgrade, "Upgrade to a revision (default: head) with Alembic"},
        {"downgrade", db_upgrade, "Downgrade to a revision (default: -1) with Alembic"},
        {"stamp", db_stamp, "Record a revision without running migrations"},
        {"sql", db_sql, "Print the SQL of upgrades without running them (offline)"},
        {"revision", db_revision, "Create a revision script (--autogenerate from the models)"},
        {"merge", db_merge, "Create a merge revision joining heads"},
        {"dump", db_dump_cmd, "Write a consistent dump of the database (FILE, .gz, or -)"},
        {"restore", db_restore_cmd, "Replace the database with a dump (asks, keeps a snapshot)"},
        {"snapshot", db_snapshot_cmd,
         "Keep a snapshot in .devstack/snapshots (snapshot restore NAME|--latest, snapshot rm)"},
        {"snapshots", db_snapshots_cmd, "List the snapshots: name, date, size, revision"},
        {"shell", db_shell_cmd, "Open the mysql client in the database container (--root)"},
        {NULL, NULL, NULL},
};

static void print_db_help(FILE *out)
{
    fprintf(out, "usage: devstack db COMMAND [OPTIONS]\n\n"
                 "The application database and its Alembic migration state.\n\nCommands:\n");
    for (const struct db_verb *v = verbs; v->name; v++)
        fprintf(out, "  %-10s %s\n", v->name, v->help);
    fprintf(out, "\nThe project: alembic.ini here (or -c FILE, $ALEMBIC_CONFIG, the compose "
                 "project's app service);\nthe database: $DATABASE_URL, the compose project's "
                 "db service, or sqlalchemy.url.\nSee 'devstack db COMMAND --help'.\n");
}

/* "-1" is a revision, not an option (as with Alembic's argparse): put it after "--". */
static void protect_relative(int argc, char **argv, struct strvec *out)
{
    regex_t re;
    struct strvec tail = STRVEC_INIT;
    bool dashdash = false;

    regcomp(&re, "^-[0-9]+$", REG_EXTENDED | REG_NOSUB);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            dashdash = true;
        if (!dashdash && i > 0 && regexec(&re, argv[i], 0, NULL, 0) == 0 &&
            strcmp(argv[i - 1], "-r") != 0 && strcmp(argv[i - 1], "--rev-range") != 0)
            strvec_push(&tail, argv[i]);
        else
            strvec_push(out, argv[i]);
    }
    if (tail.n) {
        if (!dashdash)
            strvec_push(out, "--");
        for (size_t i = 0; i < tail.n; i++)
            strvec_push(out, tail.v[i]);
    }
    strvec_clear(&tail);
    regfree(&re);
}

int cmd_db(int argc, char **argv)
{
    struct strvec args = STRVEC_INIT;
    int status;

    if (argc < 2) {
        print_db_help(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        print_db_help(stdout);
        return EXIT_OK;
    }
    for (const struct db_verb *v = verbs; v->name; v++) {
        if (strcmp(v->name, argv[1]) != 0)
            continue;
        db_argc = argc;
        db_argv = argv;
        protect_relative(argc - 1, argv + 1, &args);
        status = v->fn((int)args.n, args.v);
        strvec_clear(&args);
        return status;
    }
    fprintf(stderr, "error: unknown db command '%s'\nsee 'devstack db --help'\n", argv[1]);
    return EXIT_USAGE;
}
