# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Where the engines that run beside the machine's live: each one's socket and
# the network namespace it runs in. Sourced by scripts/setup.sh, which starts
# them, and by tests/lib/side-engine.sh, which finds them.

# Docker Engine 26.1: the socket ../shared/tools/debian13-peers.sh uses too, so
# that an engine either of them started is found by the other.
ENGINE26_DIR=${DEVSTACK_ENGINE26_DIR:-/run/engine26}
ENGINE26_SOCK=$ENGINE26_DIR/docker.sock
ENGINE26_NETNS=engine26

# Podman 4.3's Docker-compatible API service.
PODMAN_DIR=${DEVSTACK_PODMAN_DIR:-/run/devstack-podman}
PODMAN_SOCK=$PODMAN_DIR/podman.sock
PODMAN_NETNS=devstack-podman
