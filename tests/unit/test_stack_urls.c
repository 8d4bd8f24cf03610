/* The table `up` ends with: URL schemes, host addresses, a service's URLs, its state in words. */
#include <stdlib.h>
#include <string.h>

#include "lib/testlib.h"
#include "stack/display.h"
#include "stack/stack.h"
#include "util/alloc.h"
#include "util/banned.h"

#define MAX_PORTS 4

struct port {
    uint16_t target;
    const char *protocol, *host_ip;
    uint16_t host_port;
};

static void test_service_urls(void **state)
{
    static const struct {
        const char *what;
        const char *label;
        struct port ports[MAX_PORTS];
        const char *urls; /* expected, joined by ", " */
    } cases[] = {
            {"no ports", NULL, {{0}}, ""},
            {"http", NULL, {{80, "tcp", "127.0.0.1", 8000}}, "http://127.0.0.1:8000/"},
            {"unknown port is http",
             NULL,
             {{9000, "tcp", "127.0.0.1", 9000}},
             "http://127.0.0.1:9000/"},
            {"mysql", NULL, {{3306, "tcp", "127.0.0.1", 3306}}, "mysql://127.0.0.1:3306"},
            {"mysql x protocol",
             NULL,
             {{33060, "tcp", "127.0.0.1", 33060}},
             "mysql://127.0.0.1:33060"},
            {"postgresql", NULL, {{5432, "tcp", "127.0.0.1", 5433}}, "postgresql://127.0.0.1:5433"},
            {"redis", NULL, {{6379, "tcp", "127.0.0.1", 6379}}, "redis://127.0.0.1:6379"},
            {"mongodb", NULL, {{27017, "tcp", "127.0.0.1", 27017}}, "mongodb://127.0.0.1:27017"},
            {"memcached",
             NULL,
             {{11211, "tcp", "127.0.0.1", 11211}},
             "memcached://127.0.0.1:11211"},
            {"amqp", NULL, {{5672, "tcp", "127.0.0.1", 5672}}, "amqp://127.0.0.1:5672"},
            {"https 443", NULL, {{443, "tcp", "127.0.0.1", 8443}}, "https://127.0.0.1:8443/"},
            {"https 8443", NULL, {{8443, "tcp", "127.0.0.1", 32768}}, "https://127.0.0.1:32768/"},
            {"the scheme follows the container port, not the host port",
             NULL,
             {{80, "tcp", "127.0.0.1", 3306}},
             "http://127.0.0.1:3306/"},
            {"0.0.0.0 is reached on loopback",
             NULL,
             {{80, "tcp", "0.0.0.0", 8080}},
             "http://127.0.0.1:8080/"},
            {":: is reached on loopback",
             NULL,
             {{80, "tcp", "::", 8080}},
             "http://127.0.0.1:8080/"},
            {"no host IP is reached on loopback",
             NULL,
             {{80, "tcp", "", 8080}},
             "http://127.0.0.1:8080/"},
            {"a NULL host IP too", NULL, {{80, "tcp", NULL, 8080}}, "http://127.0.0.1:8080/"},
            {"an explicit IPv4 address is kept",
             NULL,
             {{80, "tcp", "192.168.1.20", 80}},
             "http://192.168.1.20:80/"},
            {"an explicit IPv6 address is bracketed",
             NULL,
             {{80, "tcp", "::1", 8080}},
             "http://[::1]:8080/"},
            {"0.0.0.0 and :: for one port: once",
             NULL,
             {{80, "tcp", "0.0.0.0", 8080}, {80, "tcp", "::", 8080}},
             "http://127.0.0.1:8080/"},
            {"... in either order",
             NULL,
             {{3306, "tcp", "::", 3306}, {3306, "tcp", "0.0.0.0", 3306}},
             "mysql://127.0.0.1:3306"},
            {"udp is left out", NULL, {{53, "udp", "127.0.0.1", 5353}}, ""},
            {"sctp too; tcp beside it stays",
             NULL,
             {{80, "sctp", "127.0.0.1", 9999}, {80, "tcp", "127.0.0.1", 8000}},
             "http://127.0.0.1:8000/"},
            {"no protocol is tcp", NULL, {{80, NULL, "127.0.0.1", 8000}}, "http://127.0.0.1:8000/"},
            {"an unpublished port (host port 0) is left out",
             NULL,
             {{80, "tcp", "127.0.0.1", 0}},
             ""},
            {"several ports, in container port order",
             NULL,
             {{8443, "tcp", "127.0.0.1", 8443},
              {3306, "tcp", "127.0.0.1", 3306},
              {80, "tcp", "127.0.0.1", 8000}},
             "http://127.0.0.1:8000/, mysql://127.0.0.1:3306, https://127.0.0.1:8443/"},
            {"one container port on two host ports",
             NULL,
             {{80, "tcp", "127.0.0.1", 8001}, {80, "tcp", "127.0.0.1", 8000}},
             "http://127.0.0.1:8000/, http://127.0.0.1:8001/"},
            {"the label overrides the ports",
             "http://app.localhost:8000/admin",
             {{80, "tcp", "127.0.0.1", 8000}},
             "http://app.localhost:8000/admin"},
            {"the label's URLs, space-separated, as given",
             "http://a.test/  https://b.test:8443",
             {{80, "tcp", "127.0.0.1", 8000}},
             "http://a.test/, https://b.test:8443"},
            {"the label alone, without ports",
             " mysql://root@127.0.0.1:3306/app\n",
             {{0}},
             "mysql://root@127.0.0.1:3306/app"},
            {"an empty label is no label",
             "  ",
             {{80, "tcp", "127.0.0.1", 8000}},
             "http://127.0.0.1:8000/"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct engine_published_port ports[MAX_PORTS];
        struct strvec urls = STRVEC_INIT;
        struct buf joined = BUF_INIT;
        size_t n = 0;

        for (size_t k = 0; k < MAX_PORTS && cases[i].ports[k].target; k++, n++) {
            ports[k].target = cases[i].ports[k].target;
            ports[k].protocol = (char *)cases[i].ports[k].protocol;
            ports[k].host_ip = (char *)cases[i].ports[k].host_ip;
            ports[k].host_port = cases[i].ports[k].host_port;
        }
        stack_service_urls(&urls, cases[i].label, ports, n);
        for (size_t k = 0; k < urls.n; k++)
            buf_addf(&joined, "%s%s", k ? ", " : "", urls.v[k]);
        if (strcmp(joined.buf, cases[i].urls))
            fail_msg("%s: got '%s', want '%s'", cases[i].what, joined.buf, cases[i].urls);
        buf_release(&joined);
        strvec_clear(&urls);
    }
}

static void test_url_host(void **state)
{
    static const struct {
        const char *ip, *host;
    } cases[] = {
            {NULL, "127.0.0.1"},
            {"", "127.0.0.1"},
            {"0.0.0.0", "127.0.0.1"},
            {"::", "127.0.0.1"},
            {"0:0:0:0:0:0:0:0", "127.0.0.1"},
            {"127.0.0.1", "127.0.0.1"},
            {"10.1.2.3", "10.1.2.3"},
            {"::1", "[::1]"},
            {"fe80::1", "[fe80::1]"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        stack_url_host(&b, cases[i].ip);
        if (strcmp(b.buf, cases[i].host))
            fail_msg("'%s': got '%s', want '%s'", cases[i].ip ? cases[i].ip : "(null)", b.buf,
                     cases[i].host);
        buf_release(&b);
    }
}

static void test_status_summary(void **state)
{
    static const struct {
        const char *state, *status, *summary;
    } cases[] = {
            {"running", "Up 3 minutes (healthy)", "running (healthy)"},
            {"running", "Up 2 seconds (health: starting)", "running (starting)"},
            {"running", "Up 10 seconds (unhealthy)", "running (unhealthy)"},
            {"running", "Up Less than a second", "running"},
            {"exited", "Exited (3) 5 seconds ago", "exited (3)"},
            {"exited", "Exited (0) About a minute ago", "exited (0)"},
            {"created", "Created", "created"},
            {"restarting", "Restarting (1) 2 seconds ago", "restarting"},
            {"paused", "Up 5 minutes (Paused)", "paused"},
            {NULL, NULL, ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct buf b = BUF_INIT;

        stack_status_summary(&b, cases[i].state, cases[i].status);
        if (strcmp(b.buf, cases[i].summary))
            fail_msg("'%s': got '%s', want '%s'", cases[i].status ? cases[i].status : "(null)",
                     b.buf, cases[i].summary);
        buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_service_urls),
            cmocka_unit_test(test_url_host),
            cmocka_unit_test(test_status_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
