#!/bin/bash
# Entrypoint of devstack's phpMyAdmin stand-in: the official image's start-up
# steps, after which config.inc.php reads the PMA_* variables at run time.
#
#   PMA_CONFIG_BASE64 / PMA_USER_CONFIG_BASE64  replace config.inc.php /
#       write config.user.inc.php
#   PMA_HOST, PMA_USER, PMA_PASSWORD, PMA_HOSTS, PMA_CONTROLHOST,
#   PMA_CONTROLUSER, PMA_CONTROLPASS  also as *_FILE (Docker secrets)
#   APACHE_PORT  the port Apache listens on (default 80)
#   HIDE_PHP_VERSION  no X-Powered-By header, no Apache version
set -eo pipefail

if [ ! -f /etc/phpmyadmin/config.secret.inc.php ]; then
    # Cookie authentication encrypts the password in the cookie with this:
    # one per container, 32 bytes as phpMyAdmin 5.2 wants.
    secret=$(LC_ALL=C tr -dc 'a-zA-Z0-9' </dev/urandom | head -c 32) || true
    printf "<?php\n\$cfg['blowfish_secret'] = '%s';\n" "$secret" >/etc/phpmyadmin/config.secret.inc.php
    chgrp www-data /etc/phpmyadmin/config.secret.inc.php 2>/dev/null || true
    chmod 640 /etc/phpmyadmin/config.secret.inc.php
fi

if [ ! -f /etc/phpmyadmin/config.user.inc.php ]; then
    touch /etc/phpmyadmin/config.user.inc.php
fi

if [ -n "${PMA_CONFIG_BASE64:-}" ]; then
    echo "Adding the custom config.inc.php from base64."
    echo "$PMA_CONFIG_BASE64" | base64 -d >/etc/phpmyadmin/config.inc.php
fi

if [ -n "${PMA_USER_CONFIG_BASE64:-}" ]; then
    echo "Adding the custom config.user.inc.php from base64."
    echo "$PMA_USER_CONFIG_BASE64" | base64 -d >/etc/phpmyadmin/config.user.inc.php
fi

# VAR_FILE (a mounted secret) sets VAR.
for var in PMA_USER PMA_PASSWORD PMA_HOSTS PMA_HOST PMA_CONTROLHOST PMA_CONTROLUSER PMA_CONTROLPASS; do
    file_var=${var}_FILE
    if [ -n "${!file_var:-}" ]; then
        if [ -r "${!file_var}" ]; then
            export "$var=$(<"${!file_var}")"
            unset "$file_var"
        else
            echo "$0: cannot read $file_var=${!file_var}" >&2
            exit 1
        fi
    fi
done

if [ -n "${APACHE_PORT:-}" ]; then
    echo "Setting apache port to ${APACHE_PORT}."
    sed -i -E "s/^<VirtualHost \*:[0-9]+>/<VirtualHost *:${APACHE_PORT}>/" /etc/apache2/sites-available/000-default.conf
    sed -i -E "s/^Listen [0-9]+$/Listen ${APACHE_PORT}/" /etc/apache2/ports.conf
    apache2ctl configtest
fi

if [ -n "${HIDE_PHP_VERSION:-}" ]; then
    echo "PHP version is now hidden."
    echo 'expose_php = Off' >/etc/php/8.2/apache2/conf.d/91-hide-php-version.ini
    printf 'ServerTokens Prod\nServerSignature Off\n' >/etc/apache2/conf-enabled/zz-hide-version.conf
fi

# A bind-mounted session directory may belong to someone else.
if [ "$(id -u)" = 0 ] && [ -d "${SESSION_SAVE_PATH:-/sessions}" ]; then
    chown www-data:www-data "${SESSION_SAVE_PATH:-/sessions}" 2>/dev/null || true
fi

exec "$@"
