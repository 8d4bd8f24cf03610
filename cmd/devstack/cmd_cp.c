/*
 * devstack cp: copy files between a service's container and the local
 * machine, `SERVICE:SRC DEST` or `SRC SERVICE:DEST`; "-" is a tar on
 * stdout or stdin, as with docker cp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devstack.h"
#include "stack/copy.h"
#include "util/alloc.h"
#include "util/banned.h"

static bool archive, follow_link, all;
static int number;
static const char *source, *destination;

const struct opt_spec cmd_cp_options[] = {
        {OPT_BOOL, "archive", 'a', &archive, NULL, "keep the owners (uid:gid) of what is copied"},
        {OPT_BOOL, "follow-link", 'L', &follow_link, NULL,
         "copy what a symbolic link SRC points to"},
        {OPT_INT, "index", 0, &number, "N",
         "the service's container number N (default: the first from it, every one to it)"},
        {OPT_BOOL, "all", 0, &all, NULL, NULL, OPT_HIDDEN}, /* Compose's, deprecated: no effect */
        {OPT_ARG, "SRC", 0, &source, NULL, "SERVICE:PATH, a local path, or - (a tar on stdin)",
         OPT_REQUIRED},
        {OPT_ARG, "DEST", 0, &destination, NULL,
         "SERVICE:PATH, a local path, or - (a tar on stdout)", OPT_REQUIRED},
        {0},
};

/* "svc:/path" -> service and path; NULL for a local path ("./a:b" and "/a:b" are local). */
static char *split_service(const char *arg, const char **path)
{
    const char *colon = strchr(arg, ':');

    if (!colon || colon == arg || arg[0] == '.' || arg[0] == '/' ||
        memchr(arg, '/', (size_t)(colon - arg)))
        return NULL;
    *path = colon + 1;
    return xstrndup(arg, (size_t)(colon - arg));
}

static int write_out(int stream, const char *data, size_t len, void *ud)
{
    (void)stream;
    (void)ud;
    return fwrite(data, 1, len, stdout) == len ? 0 : DS_EIO;
}

int cmd_cp(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    struct stack_copy c = {.index = number,
                           .archive = archive,
                           .follow_link = follow_link,
                           .in_fd = STDIN_FILENO,
                           .out = write_out};
    const char *src_path = NULL, *dest_path = NULL;
    char *src_service = split_service(source, &src_path);
    char *dest_service = split_service(destination, &dest_path);
    int status = EXIT_OK;

    if (src_service && dest_service) {
        status = cmd_usage_error(ctx, "copying between containers is not supported");
        goto done;
    }
    if (!src_service && !dest_service) {
        status = cmd_usage_error(ctx, "one of SRC and DEST must be SERVICE:PATH");
        goto done;
    }
    c.to_container = dest_service != NULL;
    c.service = c.to_container ? dest_service : src_service;
    c.container_path = c.to_container ? dest_path : src_path;
    c.local = c.to_container ? source : destination;
    if (!*c.container_path || !*c.local) {
        status = cmd_usage_error(ctx, "an empty path");
        goto done;
    }
    if (!compose_find_service(ctx->project, c.service)) {
        ds_error_set(&err, DS_ENOTFOUND, "no such service: '%s'", c.service);
        status = cmd_error(&err);
        goto done;
    }
    if (!c.to_container && !strcmp(c.local, "-") && isatty(STDOUT_FILENO)) {
        ds_error_set(&err, DS_EINVAL, "refusing to write a tar archive to a terminal");
        ds_error_hint(&err, "redirect the output: devstack cp %s - > out.tar", source);
        status = cmd_error(&err);
        goto done;
    }
    /* Podman 4's archive API gives every entry to root both ways: say so rather than pretend */
    if (archive && engine_is_podman(ctx->engine))
        fprintf(stderr, "warning: -a cannot keep owners on Podman: its archive API makes every "
                        "file root's (0:0)\n");
    if (stack_copy(ctx->engine, ctx->project, &c, &err) < 0)
        status = cmd_error(&err);
    else if (fflush(stdout) != 0 && ds_error_errno(&err, errno, "cannot write the archive") < 0)
        status = cmd_error(&err);

done:
    free(src_service);
    free(dest_service);
    ds_error_release(&err);
    return status;
}
