/* The engine itself: connecting, and what it says about itself. */
#include <stdlib.h>
#include <string.h>

#include "stack/system.h"
#include "util/alloc.h"
#include "util/banned.h"

int stack_engine_open(struct engine **out, struct strvec *warnings, struct ds_error *err)
{
    struct engine_endpoint ep;
    int rc;

    *out = NULL;
    rc = engine_endpoint_resolve(&ep, NULL, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; warnings && i < ep.warnings.n; i++)
        strvec_push(warnings, ep.warnings.v[i]);
    rc = engine_new(out, &ep, err);
    engine_endpoint_release(&ep);
    if (rc < 0)
        return rc;
    return engine_connect(*out, err);
}

void stack_engine_close(struct engine *e)
{
    engine_free(e);
}

char *stack_engine_endpoint(void)
{
    struct engine_endpoint ep;
    struct ds_error err = DS_ERROR_INIT;
    char *host = NULL;

    if (engine_endpoint_resolve(&ep, NULL, &err) == 0) {
        host = xstrdup(ep.host ? ep.host : ep.base_url);
        engine_endpoint_release(&ep);
    }
    ds_error_release(&err);
    return host;
}

int stack_engine_facts(struct engine *e, unsigned what, struct stack_engine_facts *out,
                       struct ds_error *err)
{
    const struct engine_endpoint *ep;
    int rc;

    memset(out, 0, sizeof(*out));
    engine_api_version_format(ENGINE_API_MIN, out->client_min, sizeof(out->client_min));
    engine_api_version_format(ENGINE_API_MAX, out->client_max, sizeof(out->client_max));
    if (!e)
        return 0;
    ep = engine_get_endpoint(e);
    out->endpoint = ep->host ? ep->host : ep->base_url;
    out->source = ep->source ? ep->source : "";
    out->transport = engine_endpoint_transport(ep);
    out->remote = ep->remote;
    if (ep->ssh_host) {
        struct strvec argv = STRVEC_INIT;
        struct buf cmd = BUF_INIT;

        engine_endpoint_ssh_argv(ep, &argv);
        for (size_t i = 0; i < argv.n; i++)
            buf_addf(&cmd, "%s%s", i ? " " : "", argv.v[i]);
        out->ssh_command = buf_detach(&cmd, NULL);
        strvec_clear(&argv);
    }
    engine_api_version_format(engine_api_version(e), out->api, sizeof(out->api));
    if (engine_server_api_version(e))
        engine_api_version_format(engine_server_api_version(e), out->server_api,
                                  sizeof(out->server_api));
    if (what & STACK_FACTS_VERSION) {
        if ((rc = engine_version(e, &out->version, err)) < 0)
            return rc;
        out->have_version = true;
    }
    if (what & STACK_FACTS_INFO) {
        if ((rc = engine_info(e, &out->info, err)) < 0)
            return rc;
        out->have_info = true;
    }
    return 0;
}

void stack_engine_facts_release(struct stack_engine_facts *f)
{
    engine_version_release(&f->version);
    engine_info_release(&f->info);
    free(f->ssh_command);
    memset(f, 0, sizeof(*f));
}
