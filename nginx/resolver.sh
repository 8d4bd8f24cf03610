#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (the stack mounts it as
# /docker-entrypoint.d/15-devstack-resolver.sh): writes the resolver that nginx.conf
# includes, the container's first nameserver. That is the engine's DNS, which knows
# the services' names: Docker's 127.0.0.11, or Podman's aardvark-dns on the network's
# gateway (Podman lists the host's own nameservers after it, which do not know them,
# and nginx would ask each in turn).
set -eu
ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
case $ns in *:*) ns="[$ns]" ;; esac
printf 'resolver %s valid=5s ipv6=off;\nresolver_timeout 2s;\n' "${ns:-127.0.0.11}" >/etc/nginx/conf.d/resolver.conf
