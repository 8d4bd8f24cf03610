/* One monotonic clock for elapsed times, deadlines and polling. */
#ifndef DEVSTACK_CLOCK_H
#define DEVSTACK_CLOCK_H

#include <stdint.h>

/* Milliseconds and seconds on CLOCK_MONOTONIC: only differences mean anything. */
uint64_t clock_ms(void);
double clock_seconds(void);
/* Sleep `ms` milliseconds, the whole time even when a signal arrives meanwhile. */
void clock_sleep_ms(long ms);

#endif
