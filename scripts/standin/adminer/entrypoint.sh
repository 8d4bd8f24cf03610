#!/bin/sh
# The official adminer image's entrypoint: the server listens on 8080 and the
# command may be replaced. PHP's server listens on [::] (both families) where
# the kernel has IPv6, else on 0.0.0.0.
set -e
if [ "$1" = php ] && [ "$3" = "[::]:8080" ] && [ ! -e /proc/net/if_inet6 ]; then
    shift 3
    set -- php -S 0.0.0.0:8080 "$@"
fi
exec "$@"
