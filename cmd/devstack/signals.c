#include <string.h>

#include "signals.h"
#include "util/banned.h"

volatile sig_atomic_t sig_interrupted;
volatile sig_atomic_t sig_forced;

static void on_signal(int sig)
{
    (void)sig;
    if (sig_interrupted)
        sig_forced = 1;
    sig_interrupted = 1;
}

void signals_catch(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a reader that goes away (devstack logs | head) is not an error */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}
