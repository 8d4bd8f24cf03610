/*
 * libFuzzer target: any bytes as a compose file. Loading must end in a model
 * or an error, never a crash or a leak; a model must also print as JSON and
 * YAML.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *fake_environ[] = {"HOME=/home/fuzz", "TAG=1.0", "EMPTY=", "COMPOSE_PROFILES=a,b",
                                   NULL};
    struct compose_options o = {.environ = fake_environ, .project_directory = "/nonexistent/fuzz"};
    struct compose_project *p = NULL;
    struct ds_error err = DS_ERROR_INIT;

    if (compose_load_text(&p, (const char *)data, size, "/nonexistent/fuzz/compose.yaml", &o,
                          &err) == 0) {
        cJSON *doc = compose_to_json(p);
        char *json = compose_json_text(doc), *yaml = compose_json_to_yaml(doc);

        free(json);
        free(yaml);
        cJSON_Delete(doc);
        compose_project_free(p);
    }
    ds_error_release(&err);
    return 0;
}
