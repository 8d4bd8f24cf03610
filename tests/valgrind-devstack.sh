#!/usr/bin/env bash
# build/devstack under valgrind, for the cli tests of `make valgrind`: memory
# errors and leaks turn into exit code 99, which no test expects.
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect "${DEVSTACK_BIN:?}" "$@"
