/*
 * The secrets and SSH agents a build's session serves, resolved before the
 * build starts so that a missing file, variable or socket stops it with the
 * place in the compose file, not halfway through a RUN step.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/build_sources.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/run.h"
#include "util/strutil.h"
#include "util/strvec.h"
#include "util/banned.h"

bool stack_build_needs_session(const struct compose_service *s)
{
    return s->build && (s->build->n_secrets || s->build->ssh.n);
}

static int resolve_secret(struct engine_session_secret *out, const struct compose_project *p,
                          const struct compose_service *s, const struct compose_file_ref *r,
                          struct ds_error *err)
{
    const struct compose_file_object *o = compose_find_secret(p, r->source);
    const struct compose_pos *at = &r->pos;
    struct buf value = BUF_INIT;
    const char *text;
    int rc;

    if (!o)
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.secrets: undefined secret '%s'", at->file,
                            at->line, at->col, s->name, r->source);
    if (o->external || (!o->file && !o->environment))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s:%d:%d: services.%s.build.secrets: secret '%s' is %s; a build "
                            "takes a secret with 'file:' or 'environment:'",
                            at->file, at->line, at->col, s->name, r->source,
                            o->external ? "external" : "neither a file nor a variable");
    if (o->file) {
        rc = buf_read_file(&value, o->file, STACK_BUILD_SECRET_MAX);
        if (rc < 0) {
            buf_release(&value);
            return ds_error_set(err, DS_EINVAL,
                                "%s:%d:%d: services.%s.build.secrets: secret '%s': cannot read "
                                "'%s': %s",
                                at->file, at->line, at->col, s->name, r->source, o->file,
                                rc == -EFBIG ? "larger than BuildKit's 500 KiB" : strerror(-rc));
        }
    } else {
        text = compose_file_object_value(p, o);
        if (!text)
            return ds_error_set(err, DS_EINVAL,
                                "%s:%d:%d: services.%s.build.secrets: secret '%s' takes the "
                                "variable '%s', which is not set (set it in the shell or in "
                                ".env)",
                                at->file, at->line, at->col, s->name, r->source, o->environment);
        buf_adds(&value, text);
    }
    out->id = xstrdup(r->target ? r->target : r->source);
    out->len = value.len;
    out->data = (unsigned char *)buf_detach(&value, NULL);
    return 0;
}

/* The pid in ssh-agent -s's "SSH_AGENT_PID=123; export SSH_AGENT_PID;"; 0: none. */
static int agent_pid_of(const char *out)
{
    const char *at = strstr(out, "SSH_AGENT_PID=");
    int pid = 0;

    if (!at)
        return 0;
    for (at += strlen("SSH_AGENT_PID="); *at >= '0' && *at <= '9' && pid < 1 << 22; at++)
        pid = pid * 10 + (*at - '0');
    return pid;
}

/* What ssh-add wrote, on one line, without the frame of "@" lines around a warning. */
static const char *ssh_add_says(struct buf *said, const char *errout)
{
    struct strvec lines = STRVEC_INIT;

    strvec_split(&lines, errout, '\n');
    for (size_t i = 0; i < lines.n; i++) {
        if (!*lines.v[i] || lines.v[i][0] == '@')
            continue;
        if (said->len)
            buf_adds(said, " ");
        buf_adds(said, lines.v[i]);
    }
    strvec_clear(&lines);
    return said->len ? said->buf : "ssh-add failed";
}

/*
 * A key file, as buildx takes one: devstack has no agent of its own, so it
 * starts ssh-agent on a socket in a private directory and ssh-adds the key
 * (a passphrase is asked on the terminal, as ssh-add asks it). *pid_out and
 * *dir_out say what to stop and remove, also when it fails.
 */
static int load_key(char **socket_out, int *pid_out, char **dir_out,
                    const struct compose_service *s, const char *id, const char *path,
                    struct ds_error *err)
{
    const struct compose_pos *at = &s->build->buildkit_pos[BUILD_KEY_SSH];
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
    struct buf dir = BUF_INIT, sock = BUF_INIT, out = BUF_INIT, errout = BUF_INIT, said = BUF_INIT;
    struct run_options o = {.null_stdin = true, .out = &out, .errout = &errout};
    int rc;

    buf_addf(&dir, "%s/devstack-ssh-XXXXXX", tmp);
    if (!mkdtemp(dir.buf)) {
        rc = ds_error_errno(err, errno, "cannot make a directory for an ssh-agent in '%s'", tmp);
        goto done;
    }
    *dir_out = xstrdup(dir.buf);
    buf_addf(&sock, "%s/agent.sock", dir.buf);
    strvec_push(&argv, "ssh-agent");
    strvec_push(&argv, "-s");
    strvec_push(&argv, "-a");
    strvec_push(&argv, sock.buf);
    rc = run_command(&argv, &o, err);
    *pid_out = rc == 0 ? agent_pid_of(out.buf) : 0;
    if (rc == 0 && !*pid_out)
        rc = ds_error_set(err, DS_EPROTO, "ssh-agent did not say its pid");
    else if (rc > 0)
        rc = ds_error_set(err, DS_ERR, "ssh-agent failed: %s", errout.buf);
    if (rc < 0) {
        ds_error_wrap(err, "%s:%d:%d: services.%s.build.ssh: '%s': loading the key '%s'", at->file,
                      at->line, at->col, s->name, id, path);
        if (rc == DS_ENOTFOUND)
            ds_error_hint(err, "install OpenSSH's client (apt-get install openssh-client)");
        goto done;
    }
    strvec_clear(&argv);
    buf_reset(&errout);
    strvec_push(&argv, "ssh-add");
    strvec_push(&argv, "-q");
    strvec_push(&argv, "--");
    strvec_push(&argv, path);
    strvec_pushf(&env, "SSH_AUTH_SOCK=%s", sock.buf);
    o.env = &env;
    o.null_stdin = false; /* ssh-add asks a passphrase on the terminal, when there is one */
    rc = run_command(&argv, &o, err);
    if (rc != 0) {
        if (rc > 0)
            ds_error_set(err, DS_EINVAL, "%s", ssh_add_says(&said, errout.buf));
        ds_error_wrap(err, "%s:%d:%d: services.%s.build.ssh: '%s': ssh-add cannot load '%s'",
                      at->file, at->line, at->col, s->name, id, path);
        rc = DS_EINVAL;
        goto done;
    }
    *socket_out = buf_detach(&sock, NULL);

done:
    strvec_clear(&argv);
    strvec_clear(&env);
    buf_release(&dir);
    buf_release(&sock);
    buf_release(&out);
    buf_release(&errout);
    return rc;
}

/* Stop an ssh-agent load_key() started (it removes its socket) and remove its directory. */
static void stop_agent(int pid, char *dir)
{
    struct buf sock = BUF_INIT;

    if (pid > 0)
        kill((pid_t)pid, SIGTERM);
    if (dir) {
        /* the agent may not have removed it yet */
        buf_addf(&sock, "%s/agent.sock", dir);
        unlink(sock.buf);
        rmdir(dir);
    }
    buf_release(&sock);
    free(dir);
}

static int resolve_ssh(struct stack_build_sources *b, size_t i, const struct compose_service *s,
                       const char *id, const char *path, const char *ssh_auth_sock, bool load_keys,
                       struct ds_error *err)
{
    const struct compose_pos *at = &s->build->buildkit_pos[BUILD_KEY_SSH];
    struct engine_session_ssh *out = &b->ssh[i];
    char *socket = NULL;
    struct stat st;

    if (!path && (!ssh_auth_sock || !*ssh_auth_sock)) {
        ds_error_set(err, DS_EINVAL,
                     "%s:%d:%d: services.%s.build.ssh: '%s' forwards the SSH agent, and "
                     "SSH_AUTH_SOCK is not set",
                     at->file, at->line, at->col, s->name, id);
        ds_error_hint(err,
                      "start an agent (ssh-agent, then ssh-add), or write %s=PATH with "
                      "the agent's socket or a key file",
                      id);
        return DS_EINVAL;
    }
    if (!path)
        path = ssh_auth_sock;
    if (stat(path, &st) < 0)
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.ssh: '%s': cannot use '%s': %s", at->file,
                            at->line, at->col, s->name, id, path, strerror(errno));
    if (S_ISREG(st.st_mode) && access(path, R_OK) < 0)
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.ssh: '%s': cannot read the key '%s': %s",
                            at->file, at->line, at->col, s->name, id, path, strerror(errno));
    if (S_ISREG(st.st_mode) && load_keys) {
        int rc = load_key(&socket, &b->agent_pids[i], &b->agent_dirs[i], s, id, path, err);

        if (rc < 0)
            return rc;
    } else if (!S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode)) {
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.ssh: '%s': '%s' is neither an SSH "
                            "agent's socket nor a key file",
                            at->file, at->line, at->col, s->name, id, path);
    }
    out->id = xstrdup(id);
    out->socket = socket ? socket : xstrdup(path);
    return 0;
}

int stack_build_sources_resolve(struct stack_build_sources *out, const struct compose_project *p,
                                const struct compose_service *s, const char *ssh_auth_sock,
                                bool load_keys, struct ds_error *err)
{
    const struct compose_build *b = s->build;
    int rc = 0;

    *out = (struct stack_build_sources)STACK_BUILD_SOURCES_INIT;
    if (!b)
        return 0;
    out->secrets = xcalloc(b->n_secrets + 1, sizeof(*out->secrets));
    out->ssh = xcalloc(b->ssh.n + 1, sizeof(*out->ssh));
    out->agent_pids = xcalloc(b->ssh.n + 1, sizeof(*out->agent_pids));
    out->agent_dirs = xcalloc(b->ssh.n + 1, sizeof(*out->agent_dirs));
    out->n_agents = b->ssh.n;
    out->view.secrets = out->secrets;
    out->view.ssh = out->ssh;
    for (size_t i = 0; rc == 0 && i < b->n_secrets; i++) {
        rc = resolve_secret(&out->secrets[i], p, s, &b->secrets[i], err);
        if (rc == 0)
            out->view.n_secrets++;
    }
    for (size_t i = 0; rc == 0 && i < b->ssh.n; i++) {
        rc = resolve_ssh(out, i, s, b->ssh.items[i].key, b->ssh.items[i].value, ssh_auth_sock,
                         load_keys, err);
        if (rc == 0)
            out->view.n_ssh++;
    }
    if (rc < 0)
        stack_build_sources_release(out);
    return rc;
}

void stack_build_sources_release(struct stack_build_sources *b)
{
    for (size_t i = 0; i < b->view.n_secrets; i++) {
        explicit_bzero((void *)b->secrets[i].data, b->secrets[i].len);
        free((void *)b->secrets[i].data);
        free((void *)b->secrets[i].id);
    }
    for (size_t i = 0; i < b->view.n_ssh; i++) {
        free((void *)b->ssh[i].id);
        free((void *)b->ssh[i].socket);
    }
    for (size_t i = 0; i < b->n_agents; i++)
        stop_agent(b->agent_pids[i], b->agent_dirs[i]);
    free(b->agent_pids);
    free(b->agent_dirs);
    free(b->secrets);
    free(b->ssh);
    *b = (struct stack_build_sources)STACK_BUILD_SOURCES_INIT;
}
