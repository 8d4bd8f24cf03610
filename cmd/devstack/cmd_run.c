/*
 * devstack run: a one-off container of a service, as `docker compose run`
 * makes it (its name, labels and configuration), its dependencies up first;
 * attached to the local terminal (or pipes), the command's exit code becomes
 * ours. -d starts it and prints its id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devstack.h"
#include "progress.h"
#include "term_attach.h"
#include "stack/run.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/kvlist.h"
#include "util/shellwords.h"
#include "util/banned.h"

static bool detach, rm, service_ports, use_aliases, no_deps, no_tty, interactive = true, build,
                                                                     quiet_pull, remove_orphans;
static const char *name, *entrypoint, *user, *working_dir, *pull, *service, *progress_mode;
static struct strvec env = STRVEC_INIT, labels = STRVEC_INIT, volumes = STRVEC_INIT,
                     publish = STRVEC_INIT, cap_add = STRVEC_INIT, cap_drop = STRVEC_INIT,
                     command = STRVEC_INIT;

const struct opt_spec cmd_run_options[] = {
        {OPT_BOOL, "detach", 'd', &detach, NULL, "run in the background and print its id"},
        {OPT_BOOL, "rm", 0, &rm, NULL, "remove the container and its anonymous volumes after"},
        {OPT_STRING, "name", 0, &name, "NAME",
         "the container's name (default: <project>-<service>-run-<id>)"},
        {OPT_LIST, "env", 'e', &env, "KEY=VALUE",
         "set an environment variable; KEY alone passes ours (repeatable)"},
        {OPT_LIST, "label", 'l', &labels, "KEY=VALUE", "add or override a label (repeatable)"},
        {OPT_STRING, "entrypoint", 0, &entrypoint, "CMD",
         "override the image's entrypoint (split into words as a shell would; no shell runs)"},
        {OPT_STRING, "user", 'u', &user, "USER", "run as this user (name or uid[:gid])"},
        {OPT_STRING, "workdir", 'w', &working_dir, "DIR", "working directory in the container"},
        {OPT_LIST, "volume", 'v', &volumes, "[SRC:]DST[:ro]",
         "mount a path or a declared volume; DST alone: an anonymous one (repeatable)"},
        {OPT_LIST, "publish", 'p', &publish, "PORT",
         "publish a port (\"8080:80\"; on 127.0.0.1 unless an IP is given) (repeatable)"},
        {OPT_BOOL, "service-ports", 'P', &service_ports, NULL,
         "publish the service's ports, as the files map them"},
        {OPT_BOOL, "use-aliases", 0, &use_aliases, NULL,
         "join the networks under the service's aliases too"},
        {OPT_BOOL, "no-deps", 0, &no_deps, NULL, "do not start the services it depends on"},
        {OPT_BOOL, "no-TTY", 'T', &no_tty, NULL,
         "no pseudo-TTY (the default when stdin or stdout is not a terminal)"},
        {OPT_BOOL, "no-tty", 0, &no_tty, NULL, NULL, OPT_HIDDEN},
        {OPT_BOOL, "interactive", 'i', &interactive, NULL,
         "keep stdin open (the default; --interactive=false or -i=false: no stdin)"},
        {OPT_BOOL, "build", 0, &build, NULL, "build the image before starting"},
        {OPT_CHOICE, "pull", 0, &pull, "POLICY", "pull images: always, missing or never", 0,
         "always|missing|never"},
        {OPT_LIST, "cap-add", 0, &cap_add, "CAP", "add a Linux capability (repeatable)"},
        {OPT_LIST, "cap-drop", 0, &cap_drop, "CAP", "drop a Linux capability (repeatable)"},
        {OPT_BOOL, "quiet-pull", 0, &quiet_pull, NULL, "pull without showing progress"},
        {OPT_BOOL, "remove-orphans", 0, &remove_orphans, NULL,
         "remove containers of services the files no longer have"},
        {OPT_CHOICE, "progress", 0, &progress_mode, "MODE", "auto, tty, plain or quiet", 0,
         PROGRESS_CHOICES},
        CMD_LOCK_OPTION,
        CMD_TAKE_OVER_OPTION,
        {OPT_ARG, "SERVICE", 0, &service, NULL, "the service", OPT_REQUIRED},
        {OPT_ARGS, "COMMAND", 0, &command, NULL,
         "the command and its arguments (default: the service's)"},
        {0},
};

struct run_progress {
    struct progress *prog;
    bool quiet_pull;
};

static void on_event(const struct stack_event *ev, void *ud)
{
    struct run_progress *rp = ud;

    if (rp->quiet_pull && (ev->kind == EV_PULLING || ev->kind == EV_PULLED))
        return;
    progress_event(ev, rp->prog);
}

static enum stack_pull pull_policy(const char *s)
{
    if (!s)
        return PULL_POLICY_DEFAULT;
    return !strcmp(s, "always") ? PULL_ALWAYS : !strcmp(s, "missing") ? PULL_MISSING : PULL_NEVER;
}

/* -e KEY=VALUE, or KEY alone: ours, left out when we have none (as Compose). */
static void parse_env(struct kvlist *out)
{
    for (size_t i = 0; i < env.n; i++) {
        const char *eq = strchr(env.v[i], '=');
        char *key = eq ? xstrndup(env.v[i], (size_t)(eq - env.v[i])) : xstrdup(env.v[i]);
        const char *value = eq ? eq + 1 : getenv(key);

        if (value)
            kvlist_set(out, key, value);
        free(key);
    }
}

static int parse_labels(struct cmd_context *ctx, struct kvlist *out)
{
    for (size_t i = 0; i < labels.n; i++) {
        const char *eq = strchr(labels.v[i], '=');
        char *key;

        if (!eq || eq == labels.v[i])
            return cmd_usage_error(ctx, "label '%s' must be set as KEY=VALUE", labels.v[i]);
        key = xstrndup(labels.v[i], (size_t)(eq - labels.v[i]));
        kvlist_set(out, key, eq + 1);
        free(key);
    }
    return 0;
}

/*
 * Attach, start, wait; the exit code it calls for. *exited: the container's
 * exit code is known (with --rm the engine removes it now).
 */
static int attach(struct cmd_context *ctx, const char *id, bool tty, bool *exited,
                  struct ds_error *err)
{
    struct stack_run_io io = {
            .tty = tty,
            .in_fd = interactive ? STDIN_FILENO : -1,
            .out = cmd_term_write_output,
            .winch = &cmd_term_winch,
            .size = cmd_term_size,
            /* without stdin the terminal stays as it is: Ctrl-C is a signal, passed on */
            .ready = tty && interactive ? cmd_term_make_raw : NULL,
            .notice = &cmd_term_notice,
            .next_signal = cmd_term_next_signal,
    };
    int code = -1, rc;

    *exited = false;
    /*
     * As Compose's run (the docker CLI's sig-proxy): from the start on, the
     * signals are the container's process's to act on, a second Ctrl-C too;
     * its exit code is ours. One that came before asked us to stop.
     */
    cmd_term_pass_signals();
    if (cmd_term_signal)
        return EXIT_INTERRUPTED;
    cmd_term_write_errno = 0;
    rc = stack_run_attach(ctx->engine, id, &io, &code, err);
    *exited = rc == 0;
    /* before anything is printed: raw mode would garble it */
    cmd_term_restore();
    if (rc == DS_EINTR) {
        ds_error_release(err);
        return EXIT_INTERRUPTED;
    }
    if (rc < 0 && cmd_term_write_errno == EPIPE) {
        ds_error_release(err);
        return EXIT_BROKEN_PIPE;
    }
    if (rc < 0)
        return cmd_error(err);
    return code >= 0 && code <= 255 ? code : EXIT_ERROR;
}

int cmd_run(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_run r = {.service = service};
    struct stack_options so = {0};
    struct stack_apply_options ao = {0};
    struct run_progress rp = {NULL, quiet_pull};
    struct kvlist vars = KVLIST_INIT, extra_labels = KVLIST_INIT;
    struct strvec ep = STRVEC_INIT, orphans = STRVEC_INIT;
    char *id = NULL, *cname = NULL;
    bool engine_removes = false;
    bool tty = !no_tty && !detach && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    int status;

    if (publish.n && service_ports) {
        status = cmd_usage_error(ctx, "--service-ports and --publish are incompatible");
        goto done;
    }
    if ((status = parse_labels(ctx, &extra_labels)) != 0)
        goto done;
    if (entrypoint && shellwords_split(&ep, entrypoint, &err) < 0) {
        ds_error_wrap(&err, "--entrypoint");
        status = cmd_error(&err);
        goto done;
    }
    parse_env(&vars);
    r.cmd = &command;
    r.entrypoint = entrypoint ? &ep : NULL;
    r.name = name;
    r.user = user;
    r.working_dir = working_dir;
    r.env = &vars;
    r.labels = &extra_labels;
    r.volumes = &volumes;
    r.publish = &publish;
    r.cap_add = &cap_add;
    r.cap_drop = &cap_drop;
    r.service_ports = service_ports;
    r.use_aliases = use_aliases;
    r.no_deps = no_deps;
    r.tty = tty;
    r.interactive = interactive;
    r.detach = detach;
    /* the engine removes it once it exits: we need not wait for that */
    r.auto_remove = rm;

    so.pull = pull_policy(pull);
    so.build = build;
    so.take_over = cmd_take_over;
    so.remove_orphans = remove_orphans;
    so.bind_all = cmd_bind_all();
    rp.prog = progress_new(stderr, progress_mode_of(progress_mode));
    cmd_term_catch_signals(tty);
    ao.cancel = &cmd_term_signal;
    ao.on_event = on_event;
    ao.ud = &rp;

    status = stack_run_create(ctx->engine, ctx->project, &r, &so, &ao, &orphans, &id, &cname,
                              &err) < 0
                     ? cmd_error(&err)
                     : EXIT_OK;
    progress_finish(rp.prog);
    if (orphans.n)
        fprintf(stderr,
                "warning: found orphan containers for this project; if you removed or renamed "
                "their service, remove them with --remove-orphans\n");
    if (status != EXIT_OK) {
        if (cmd_term_signal)
            status = EXIT_INTERRUPTED;
        goto done;
    }
    /* what runs now changes nothing else: another command need not wait for it */
    cmd_unlock();
    if (detach) {
        if (stack_run_start(ctx->engine, id, &err) < 0) {
            status = cmd_error(&err);
            goto done;
        }
        printf("%s\n", id);
        engine_removes = true;
        goto done;
    }
    status = attach(ctx, id, tty, &engine_removes, &err);

done:
    /*
     * --rm: whatever happened, nothing stays (an interrupted create, a failed
     * start included); once it has run, AutoRemove is the engine's work.
     */
    if (rm && id && !engine_removes) {
        struct ds_error rerr = DS_ERROR_INIT;

        if (stack_run_remove(ctx->engine, id, &rerr) < 0) {
            fprintf(stderr, "warning: cannot remove container %s: %s\n", cname ? cname : id,
                    rerr.msg);
        }
        ds_error_release(&rerr);
    }
    if (rp.prog)
        progress_free(rp.prog);
    free(id);
    free(cname);
    kvlist_clear(&vars);
    kvlist_clear(&extra_labels);
    strvec_clear(&ep);
    strvec_clear(&orphans);
    ds_error_release(&err);
    return status;
}
