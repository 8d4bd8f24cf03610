/*
 * The secrets and SSH agents a build's session serves, resolved before the
 * build starts so that a missing file, variable or socket stops it with the
 * place in the compose file, not halfway through a RUN step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stack/build_sources.h"
#include "util/alloc.h"
#include "util/buf.h"
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

static int resolve_ssh(struct engine_session_ssh *out, const struct compose_service *s,
                       const char *id, const char *path, const char *ssh_auth_sock,
                       struct ds_error *err)
{
    const struct compose_pos *at = &s->build->buildkit_pos[BUILD_KEY_SSH];
    struct stat st;

    if (!path && (!ssh_auth_sock || !*ssh_auth_sock)) {
        ds_error_set(err, DS_EINVAL,
                     "%s:%d:%d: services.%s.build.ssh: '%s' forwards the SSH agent, and "
                     "SSH_AUTH_SOCK is not set",
                     at->file, at->line, at->col, s->name, id);
        ds_error_hint(err,
                      "start an agent (ssh-agent, then ssh-add), or write %s=PATH with "
                      "the agent's socket",
                      id);
        return DS_EINVAL;
    }
    if (!path)
        path = ssh_auth_sock;
    if (stat(path, &st) < 0)
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.ssh: '%s': cannot use '%s': %s", at->file,
                            at->line, at->col, s->name, id, path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        ds_error_set(err, DS_EUNSUPPORTED,
                     "%s:%d:%d: services.%s.build.ssh: '%s': '%s' is a key file; devstack "
                     "forwards an SSH agent's socket and does not load keys: not supported yet",
                     at->file, at->line, at->col, s->name, id, path);
        ds_error_hint(err,
                      "add the key to an agent (ssh-add '%s') and write %s=$SSH_AUTH_SOCK, "
                      "or build this service with `docker compose build %s`",
                      path, id, s->name);
        return DS_EUNSUPPORTED;
    }
    if (!S_ISSOCK(st.st_mode))
        return ds_error_set(err, DS_EINVAL,
                            "%s:%d:%d: services.%s.build.ssh: '%s': '%s' is not an SSH agent's "
                            "socket",
                            at->file, at->line, at->col, s->name, id, path);
    out->id = xstrdup(id);
    out->socket = xstrdup(path);
    return 0;
}

int stack_build_sources_resolve(struct stack_build_sources *out, const struct compose_project *p,
                                const struct compose_service *s, const char *ssh_auth_sock,
                                struct ds_error *err)
{
    const struct compose_build *b = s->build;
    int rc = 0;

    *out = (struct stack_build_sources)STACK_BUILD_SOURCES_INIT;
    if (!b)
        return 0;
    out->secrets = xcalloc(b->n_secrets + 1, sizeof(*out->secrets));
    out->ssh = xcalloc(b->ssh.n + 1, sizeof(*out->ssh));
    out->view.secrets = out->secrets;
    out->view.ssh = out->ssh;
    for (size_t i = 0; rc == 0 && i < b->n_secrets; i++) {
        rc = resolve_secret(&out->secrets[i], p, s, &b->secrets[i], err);
        if (rc == 0)
            out->view.n_secrets++;
    }
    for (size_t i = 0; rc == 0 && i < b->ssh.n; i++) {
        rc = resolve_ssh(&out->ssh[i], s, b->ssh.items[i].key, b->ssh.items[i].value, ssh_auth_sock,
                         err);
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
    free(b->secrets);
    free(b->ssh);
    *b = (struct stack_build_sources)STACK_BUILD_SOURCES_INIT;
}
