/*
 * Runs inside the container of tests/bench/watch.sh: prints "<name> <ns>"
 * (CLOCK_REALTIME, which the container shares with the host) as soon as a
 * file appears whole in DIR: written and closed, or renamed into it. Names
 * that start with '.' (temporary files) are left out.
 *
 *   watch_probe DIR
 *
 * Built static by the benchmark and copied into the container, so that the
 * time of arrival is taken where the file arrives, not by a `docker exec`
 * poll whose own cost (a process started in the container each time) would
 * dwarf what is measured.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

int main(int argc, char **argv)
{
    char buf[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
    int fd = inotify_init1(IN_CLOEXEC);

    if (argc != 2 || fd < 0 || inotify_add_watch(fd, argv[1], IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        perror("watch_probe");
        return 2;
    }
    puts("ready");
    fflush(stdout);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        struct timespec now;

        if (n <= 0)
            return 1;
        clock_gettime(CLOCK_REALTIME, &now);
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;

            if (ev->len && ev->name[0] != '.')
                printf("%s %lld\n", ev->name, (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
            p += sizeof(*ev) + ev->len;
        }
        fflush(stdout);
    }
}
