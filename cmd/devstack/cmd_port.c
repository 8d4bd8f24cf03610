/* devstack port: where a service's private port is published, as HOST:PORT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack.h"
#include "stack/control.h"
#include "util/banned.h"

static const char *service, *private_port, *protocol;
static int number;

const struct opt_spec cmd_port_options[] = {
        {OPT_INT, "index", 0, &number, "N",
         "the service's container number N (default: the first)"},
        {OPT_CHOICE, "protocol", 0, &protocol, "PROTOCOL", "tcp (the default), udp or sctp", 0,
         "tcp|udp|sctp"},
        {OPT_ARG, "SERVICE", 0, &service, NULL, "the service", OPT_REQUIRED},
        {OPT_ARG, "PRIVATE_PORT", 0, &private_port, NULL, "the port in the container",
         OPT_REQUIRED},
        {0},
};

int cmd_port(struct cmd_context *ctx)
{
    struct ds_error err = DS_ERROR_INIT;
    char *host_ip = NULL, *end = NULL;
    long port = strtol(private_port, &end, 10);
    int host_port = 0, status = EXIT_OK;

    if (!*private_port || *end || port < 1 || port > 65535)
        return cmd_usage_error(ctx, "PRIVATE_PORT '%s' is not a port number (1 to 65535)",
                               private_port);
    if (stack_port(ctx->engine, ctx->project, service, number, (int)port,
                   protocol ? protocol : "tcp", &host_ip, &host_port, &err) < 0)
        status = cmd_error(&err);
    else
        printf("%s:%d\n", host_ip, host_port);
    free(host_ip);
    ds_error_release(&err);
    return status;
}
