/*
 * libFuzzer target for BuildKit's progress messages: the first byte says
 * whether the rest is the base64 text of the JSON line (even) or the
 * protobuf bytes themselves (odd, base64-encoded here so that the fuzzer
 * works on the protobuf). Whatever decodes is fed twice to a view, which is
 * rendered plain, as a panel and as a failure summary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/buildkit.h"
#include "stack/buildkit_view.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buildkit_trace t = BUILDKIT_TRACE_INIT;
    struct ds_error err = DS_ERROR_INIT;
    struct buildkit_view v;
    struct buf text = BUF_INIT, out = BUF_INIT;

    if (size < 1 || size > (1u << 20))
        return 0;
    if (data[0] & 1) {
        buf_grow(&text, (size - 1) / 3 * 4 + 8);
        text.len = (size_t)EVP_EncodeBlock((unsigned char *)text.buf, data + 1, (int)(size - 1));
        text.buf[text.len] = '\0';
    } else {
        buf_add(&text, data + 1, size - 1);
    }
    buildkit_view_init(&v, data[0] & 2 ? "svc" : NULL);
    if (buildkit_trace_decode(&t, text.buf, text.len, &err) == 0) {
        buildkit_view_update(&v, &t, &out);
        buildkit_view_update(&v, &t, &out);
        buildkit_view_render(&v, 0, 1000000000, 40, 5, false, true, &out);
        buildkit_view_failure(&v, &out);
    } else if (!err.msg || !*err.msg) {
        abort(); /* a failure always says why */
    }
    buildkit_view_release(&v);
    buildkit_trace_release(&t);
    ds_error_release(&err);
    buf_release(&text);
    buf_release(&out);
    return 0;
}
