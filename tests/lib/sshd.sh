# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# A private sshd on loopback, for ssh:// engines: Debian's openssh-server on a
# free port of 127.0.0.1, with a host key and a user key made for it, that
# lets the user who started it log in with that key only. Sourced:
#
#     . "$ROOT/tests/lib/sshd.sh"
#     sshd_start "$TMP/sshd" || tap_bail "a private sshd starts: $SSHD_ERROR"
#     PATH=$SSHD_BIN:$PATH DOCKER_HOST=$SSHD_URL devstack ...
#     sshd_stop
#
#   sshd_start DIR  keys, configuration and logs in DIR; sets SSHD_PORT,
#                   SSHD_URL (ssh://USER@127.0.0.1:PORT), SSHD_BIN and SSHD_LOG
#   sshd_stop       stops it (the EXIT trap of the test should call it)
#
# ssh reads ~/.ssh/config from the home directory of the passwd entry, not
# $HOME, so a test cannot point it at its key and known_hosts without
# touching the user's own files. SSHD_BIN holds an `ssh` that runs the real
# one with `-F DIR/ssh_config` (the key, the host key as the only known one,
# BatchMode) and appends each command line to SSHD_LOG: a test counts the
# ssh processes a command started from it. Whatever runs `ssh` from PATH
# (devstack, the docker CLI) goes through it alike.
#
# The remote command's environment: sshd passes DOCKER_HOST on (SetEnv) when
# it is set, so `docker system dial-stdio` reaches the engine the test uses.

SSHD_PORT=
SSHD_URL=
SSHD_BIN=
SSHD_LOG=
SSHD_ERROR=
_SSHD_DIR=

_sshd_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sshd_start() {
    local dir=$1 user sshd pid
    SSHD_ERROR=
    sshd=$(command -v sshd || echo /usr/sbin/sshd)
    if [ ! -x "$sshd" ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
        SSHD_ERROR="openssh-server and openssh-client are needed (scripts/setup.sh installs them)"
        return 1
    fi
    user=$(id -un)
    mkdir -p "$dir/bin" && chmod 700 "$dir" || {
        SSHD_ERROR="cannot make $dir"
        return 1
    }
    _SSHD_DIR=$dir
    ssh-keygen -q -t ed25519 -N '' -C devstack-test-host -f "$dir/host_key" &&
        ssh-keygen -q -t ed25519 -N '' -C devstack-test-user -f "$dir/user_key" || {
        SSHD_ERROR="ssh-keygen failed"
        return 1
    }
    cp "$dir/user_key.pub" "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys"
    SSHD_PORT=$(_sshd_free_port)
    {
        echo "ListenAddress 127.0.0.1"
        echo "Port $SSHD_PORT"
        echo "HostKey $dir/host_key"
        echo "AuthorizedKeysFile $dir/authorized_keys"
        echo "AllowUsers $user"
        echo "PermitRootLogin prohibit-password"
        echo "PasswordAuthentication no"
        echo "KbdInteractiveAuthentication no"
        echo "UsePAM no"
        echo "StrictModes no"
        echo "PidFile $dir/sshd.pid"
        [ -n "${DOCKER_HOST:-}" ] && echo "SetEnv DOCKER_HOST=$DOCKER_HOST"
    } >"$dir/sshd_config"
    {
        echo "Host *"
        echo "  IdentityFile $dir/user_key"
        echo "  IdentitiesOnly yes"
        echo "  UserKnownHostsFile $dir/known_hosts"
        echo "  GlobalKnownHostsFile /dev/null"
        echo "  StrictHostKeyChecking yes"
        echo "  BatchMode yes"
        echo "  LogLevel ERROR"
    } >"$dir/ssh_config"
    echo "[127.0.0.1]:$SSHD_PORT $(cat "$dir/host_key.pub")" >"$dir/known_hosts"
    SSHD_LOG=$dir/ssh.log
    : >"$SSHD_LOG"
    cat >"$dir/bin/ssh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$SSHD_LOG"
exec $(command -v ssh) -F "$dir/ssh_config" "\$@"
EOF
    chmod 755 "$dir/bin/ssh"
    SSHD_BIN=$dir/bin
    SSHD_URL=ssh://$user@127.0.0.1:$SSHD_PORT
    # sshd wants its privilege separation directory, which the package's service makes
    [ "$(id -u)" = 0 ] && mkdir -p /run/sshd && chmod 755 /run/sshd
    "$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" || {
        SSHD_ERROR="sshd did not start: $(tail -n 5 "$dir/sshd.log" 2>/dev/null)"
        return 1
    }
    for _ in $(seq 100); do
        pid=$(cat "$dir/sshd.pid" 2>/dev/null)
        if [ -n "$pid" ] && "$SSHD_BIN/ssh" -p "$SSHD_PORT" "$user@127.0.0.1" true 2>/dev/null; then
            : >"$SSHD_LOG"
            return 0
        fi
        sleep 0.1
    done
    SSHD_ERROR="no login through sshd on port $SSHD_PORT: $(tail -n 5 "$dir/sshd.log" 2>/dev/null)"
    return 1
}

sshd_stop() {
    local pid
    [ -n "$_SSHD_DIR" ] || return 0
    pid=$(cat "$_SSHD_DIR/sshd.pid" 2>/dev/null)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    _SSHD_DIR=
}
