/* Shared by the files of src/stack/ only; the module's API is stack.h. */
#ifndef DEVSTACK_STACK_INTERNAL_H
#define DEVSTACK_STACK_INTERNAL_H

#include <pthread.h>

#include "stack/logs.h"
#include "stack/pull.h"
#include "stack/stack.h"

/* How often a wait looks at the engine again. */
#define POLL_MS 200

/* Report an event (serialised: callbacks never run at the same time). */
void stack_emit(const struct stack_apply_options *ao, enum stack_event_kind kind,
                const char *service, const char *object, const char *detail, double since);
/* The same for a BuildKit build's progress, `build` its whole state. */
void stack_emit_build(const struct stack_apply_options *ao, enum stack_event_kind kind,
                      const char *service, const char *object, const struct buildkit_view *build,
                      const char *detail, double since);
/*
 * Hold the lock events are reported under (it nests), so that what a
 * display reads in an event (a build view several builds share) changes
 * only in between.
 */
void stack_emit_hold(void);
void stack_emit_release(void);

/* The last `lines` lines of a container's output (`id`, shown as `container`). Caller frees. */
char *stack_log_tail(struct engine *e, const char *id, const char *container, int lines);

/*
 * Wait until the dependency's container (`id`, shown as `container`) meets the condition. Fails
 * (naming the container and why, with its last log lines as the hint) when it exits or turns
 * unhealthy instead, at once.
 */
int stack_wait_condition(struct engine *e, const char *id, const char *container,
                         const char *service, const char *condition, volatile sig_atomic_t *cancel,
                         struct ds_error *err);

/*
 * Podman schedules healthchecks with systemd timers; without systemd (a CI
 * machine, a container) none runs and a container stays "starting" for good.
 * Every wait on a container's health calls this with what it inspected: on
 * Podman a check that is overdue is run now. Nothing happens on other
 * engines, nor where the timers keep the checks on time.
 */
void stack_health_run_overdue(struct engine *e, const char *id,
                              const struct engine_container_info *info);
/*
 * Is a check overdue at `now_ns` (unix time)? The last one ended (or, before
 * any, the container started) an interval and a second ago or more.
 * Unreadable times are never overdue.
 */
bool stack_health_overdue(const char *started_at, const char *last_end, int64_t interval_ns,
                          int64_t now_ns);

/* The project's containers of a service in the observed state, in number order. */
size_t stack_containers_of(const struct stack_observed *o, const char *service,
                           const struct stack_container **out, size_t max);

/*
 * Copy the service's `environment:` secrets and configs and its `content:`
 * configs into the created container `id` (before it starts), as Compose does.
 * What the engine cannot do as the file says is added to warnings.
 */
int stack_copy_file_refs(struct engine *e, const struct compose_project *p,
                         const struct compose_service *s, const char *id, struct strvec *warnings,
                         struct ds_error *err);

/*
 * Remove a container by force; with `volumes`, its anonymous volumes too, also
 * those a recreate handed it by name (which the engine's own `v=1` keeps).
 */
int stack_remove_container(struct engine *e, const char *id, bool volumes,
                           const struct compose_project *p, struct ds_error *err);

/* A friendlier message for what the engine says about ports and names. */
void stack_explain_engine_error(struct engine *e, const char *service, const char *container,
                                const char *project, struct ds_error *err);

/*
 * Run a service's post_start or pre_stop hooks (`which` names them in
 * messages) in its container `id` (shown as `container`), one after the
 * other; their output goes out as EV_BUILD_OUTPUT events. A hook that
 * exits non-zero is an error naming it and its status.
 */
int stack_run_hooks(struct engine *e, const struct compose_service *s, const char *which,
                    const struct compose_hook *hooks, size_t n, const char *id,
                    const char *container, const struct stack_apply_options *ao,
                    struct ds_error *err);

#endif
