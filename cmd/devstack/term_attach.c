/*
 * The local terminal of a command attached to a container or an exec (exec,
 * shell, run): raw mode restored on every way out, its size and SIGWINCH,
 * the signals that ask to stop, and writing the command's output.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "term_attach.h"
#include "util/banned.h"

static struct termios saved_termios;
static volatile sig_atomic_t term_is_raw;
volatile sig_atomic_t cmd_term_winch;
volatile sig_atomic_t cmd_term_signal;

/* Safe in a signal handler: tcsetattr() is async-signal-safe. */
void cmd_term_restore(void)
{
    if (term_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        term_is_raw = 0;
    }
}

int cmd_term_make_raw(void *ud, struct ds_error *err)
{
    static bool at_exit_registered;
    struct termios raw;

    (void)ud;
    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return ds_error_errno(err, errno, "cannot read the terminal's settings");
    if (!at_exit_registered) {
        /* also restored when something calls exit() (out of memory) */
        atexit(cmd_term_restore);
        at_exit_registered = true;
    }
    raw = saved_termios;
    /* keystrokes, Ctrl-C included, are bytes for the container's terminal */
    cfmakeraw(&raw);
    term_is_raw = 1;
    /* TCSANOW, not TCSAFLUSH: typed-ahead input belongs to the command */
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
        term_is_raw = 0;
        return ds_error_errno(err, errno, "cannot put the terminal in raw mode");
    }
    return 0;
}

int cmd_term_size(void *ud, int *height, int *width)
{
    struct winsize ws;

    (void)ud;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
        return -1;
    *height = ws.ws_row;
    *width = ws.ws_col;
    return 0;
}

static void on_winch(int sig)
{
    (void)sig;
    cmd_term_winch = 1;
}

static void on_stop_signal(int sig)
{
    if (cmd_term_signal) {
        /* a second one: do not wait for the engine, just leave the terminal usable */
        cmd_term_restore();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cmd_term_signal = sig;
}

void cmd_term_catch_signals(bool tty)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a blocking call returns, and the loop sees the flag */
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    if (tty) {
        sa.sa_handler = on_winch;
        sigaction(SIGWINCH, &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ---- signals for the container ------------------------------------------------------- */

static const int passed_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_PASSED (sizeof(passed_signals) / sizeof(*passed_signals))
/* one flag per signal, so that two different ones in a row are both passed on */
static volatile sig_atomic_t caught[N_PASSED];
volatile sig_atomic_t cmd_term_notice;

static void on_passed_signal(int sig)
{
    for (size_t i = 0; i < N_PASSED; i++)
        if (passed_signals[i] == sig)
            caught[i] = 1;
    cmd_term_notice = 1;
}

void cmd_term_pass_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_passed_signal;
    for (size_t i = 0; i < N_PASSED; i++)
        sigaction(passed_signals[i], &sa, NULL);
}

int cmd_term_next_signal(void *ud)
{
    (void)ud;
    for (size_t i = 0; i < N_PASSED; i++) {
        if (caught[i]) {
            caught[i] = 0;
            return passed_signals[i];
        }
    }
    return 0;
}

/* ---- the command's output ------------------------------------------------------------ */

int cmd_term_write_errno;

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                poll(&p, 1, 100);
                continue;
            }
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int cmd_term_write_output(int stream, const char *data, size_t len, void *ud)
{
    (void)ud;
    if (write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0) {
        cmd_term_write_errno = errno;
        return DS_EIO;
    }
    return 0;
}
