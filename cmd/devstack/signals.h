/* Ctrl-C for long-running commands: the first asks to stop, the second to stop now. */
#ifndef DEVSTACK_SIGNALS_H
#define DEVSTACK_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t sig_interrupted; /* one Ctrl-C (or SIGTERM) */
extern volatile sig_atomic_t sig_forced;      /* a second one */

/* Count SIGINT and SIGTERM instead of dying; blocking calls return early (no SA_RESTART). */
void signals_catch(void);

#endif
