#!/bin/sh
# The backend container's entrypoint: bring the database's migration state up
# to date (this replaces the old backend.sh), then run the command, the server
# by default.
set -e

devstack migrate --bootstrap

exec "$@"
