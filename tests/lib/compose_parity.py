#!/usr/bin/env python3
"""Compare `devstack config --format json` with `docker compose config --format json`.

    compose_parity.py [--on-purpose NAME]... [--not-yet KEY]...
                      [--hashes DEVSTACK COMPOSE COMPOSE_RAW.json]
                      [--variables DEVSTACK COMPOSE] DEVSTACK.json COMPOSE.json

Both documents are normalized for what only printing makes different, then
flattened into fields (a path such as services.db.ports[0].host_ip and the
value at its end) and compared field by field over the union of both sides'
paths. Each field that differs is

  - allowed when it is a difference devstack makes on purpose, named with
    --on-purpose (the rules are in ON_PURPOSE below);
  - counted as not yet supported when a component of its path is a key named
    with --not-yet (a key devstack does not act on yet);
  - a failure otherwise.

With --hashes, the `config --hash '*'` lines of both are compared for every
service whose fields all agree (a field that differs makes the hash differ
too); COMPOSE_RAW.json is Compose's `config --no-interpolate --format json`,
which says which services have env_file. With --variables, the rows of both
`config --variables` tables are compared (Compose prints them in random
order: both are sorted).

One line per difference, then one summary line:

    fields N equal E on-purpose P not-yet Y differ D hashes H hashes-equal HE variables V variables-equal VE

Exit status 1 when D > 0, 2 on bad input.
"""
import argparse
import json
import sys


# ---- print-only differences ------------------------------------------------------


def unescape_dollars(v):
    """Compose doubles every '$' of the document it prints (so that it reads back
    the same); devstack prints values as they are."""
    if isinstance(v, str):
        return v.replace("$$", "$")
    if isinstance(v, list):
        return [unescape_dollars(x) for x in v]
    if isinstance(v, dict):
        return {unescape_dollars(k): unescape_dollars(x) for k, x in v.items()}
    return v


def drop_empty(v):
    """An empty mapping says nothing: Compose prints `ipam: {}` on every network,
    devstack prints `bind: {}` on a bind mount without options."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = drop_empty(x)
            if x != {}:
                out[k] = x
        return out
    if isinstance(v, list):
        return [drop_empty(x) for x in v]
    return v


def clean_path(p):
    """/data/ and /data name the same directory; Compose cleans a mount's target
    and keeps its source as written, devstack the other way round."""
    if isinstance(p, str) and len(p) > 1 and p.endswith("/"):
        return p.rstrip("/") or "/"
    return p


# services a normalization changed on the Compose side: their hashes cannot agree
RESHAPED = set()


def normalize(doc, compose):
    if compose:
        doc = unescape_dollars(doc)
    for name, svc in (doc.get("services") or {}).items():
        if not isinstance(svc, dict):
            continue
        # Compose prints an unset command or entrypoint as null
        for key in ("command", "entrypoint"):
            if key in svc and svc[key] is None:
                del svc[key]
        for m in svc.get("volumes") or []:
            if isinstance(m, dict) and m.get("type") == "bind":
                for key in ("source", "target"):
                    if key in m and clean_path(m[key]) != m[key]:
                        m[key] = clean_path(m[key])
                        if compose:
                            RESHAPED.add(name)
            elif isinstance(m, dict) and "target" in m:
                m["target"] = clean_path(m["target"])
    return drop_empty(doc)


# ---- fields --------------------------------------------------------------------


def flatten(v, path, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(x, (path + (k,)), out)
    elif isinstance(v, list):
        if not v:
            out[path] = []
        for i, x in enumerate(v):
            flatten(x, path + (i,), out)
    else:
        out[path] = v


def show_path(path):
    s = ""
    for c in path:
        s += "[%d]" % c if isinstance(c, int) else ("." if s else "") + c
    return s


MISSING = object()


def show(v):
    return "(absent)" if v is MISSING else json.dumps(v)


# ---- differences devstack makes on purpose ------------------------------------------


def env_file_hash(path, ds, dc, docs):
    """Compose 2.26 hashes a service with env_file as written (the file names, the
    environment without the files' values); devstack hashes the service as config
    shows it, the files' values in its environment, as newer Compose does."""
    return path[0] == "hash" and "env_file" in (docs[2].get("services", {}).get(path[1]) or {})


def loopback_ports(path, ds, dc, docs):
    """Published ports are bound to 127.0.0.1 unless the file names an address."""
    return (len(path) == 5 and path[0] == "services" and path[2] == "ports" and path[4] == "host_ip"
            and ds == "127.0.0.1" and dc is MISSING)


def dropped_by_compose(path, ds, dc, docs):
    """Keys the compose-go of Compose 2.26 (v2.4.8) validates and then loses: a
    service network's gw_priority (lost in a copy, fixed in compose-go v2.4.9)
    and a network's ipam.options (not in its types before 2026). devstack acts
    on them, so `config` shows them, as later Compose does."""
    gw = (len(path) == 5 and path[0] == "services" and path[2] == "networks"
          and path[4] == "gw_priority")
    ipam = len(path) >= 4 and path[0] == "networks" and path[2:4] == ("ipam", "options")
    return (gw or ipam) and dc is MISSING


ON_PURPOSE = {
    "published ports bound to 127.0.0.1": loopback_ports,
    "the hash of a service with env_file": env_file_hash,
    "gw_priority and ipam.options, which Compose 2.26 drops": dropped_by_compose,
}


# ---- keys not supported yet ---------------------------------------------------------


def not_yet_key(path, keys, docs):
    """The key of keys that the path starts with: a top-level key (secrets), a
    service's key (services.web.tmpfs) or a network's or volume's (networks.n.ipam);
    or None. A service's links also make it depend on the linked services
    (Compose adds depends_on)."""
    if path and path[0] in keys:
        return path[0]
    if len(path) > 2 and path[0] in ("services", "networks", "volumes") and path[2] in keys:
        return path[2]
    if "links" in keys and len(path) >= 4 and path[0] == "services" and path[2] == "depends_on":
        svc = (docs[1].get("services") or {}).get(path[1]) or {}
        linked = {str(x).split(":")[0] for x in svc.get("links") or []}
        if path[3] in linked:
            return "links"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--on-purpose", action="append", default=[], metavar="NAME")
    ap.add_argument("--not-yet", action="append", default=[], metavar="KEY")
    ap.add_argument("--hashes", nargs=3, metavar=("DEVSTACK", "COMPOSE", "COMPOSE_RAW"))
    ap.add_argument("--variables", nargs=2, metavar=("DEVSTACK", "COMPOSE"))
    ap.add_argument("devstack")
    ap.add_argument("compose")
    a = ap.parse_args()
    for name in a.on_purpose:
        if name not in ON_PURPOSE:
            print("unknown on-purpose difference %r; known: %s" % (name, ", ".join(ON_PURPOSE)),
                  file=sys.stderr)
            return 2
    try:
        ds = normalize(json.load(open(a.devstack)), False)
        dc = normalize(json.load(open(a.compose)), True)
    except (OSError, ValueError) as e:
        print("cannot read the documents: %s" % e, file=sys.stderr)
        return 2
    fa, fb = {}, {}
    flatten(ds, (), fa)
    flatten(dc, (), fb)
    raw = {}
    if a.hashes:
        try:
            raw = json.load(open(a.hashes[2]))
        except (OSError, ValueError) as e:
            print("cannot read %s: %s" % (a.hashes[2], e), file=sys.stderr)
            return 2
    docs = (ds, dc, raw)
    counts = {"fields": 0, "equal": 0, "on-purpose": 0, "not-yet": 0, "differ": 0,
              "hashes": 0, "hashes-equal": 0, "variables": 0, "variables-equal": 0}
    keys = set(a.not_yet)
    differing = set(RESHAPED)

    def judge(path, va, vb):
        what = "%s: devstack %s, compose %s" % (show_path(path), show(va), show(vb))
        rule = next((n for n in a.on_purpose if ON_PURPOSE[n](path, va, vb, docs)), None)
        key = None if rule else not_yet_key(path, keys, docs)
        if rule:
            counts["on-purpose"] += 1
            print("on purpose (%s): %s" % (rule, what))
        elif key:
            counts["not-yet"] += 1
            print("not yet supported (%s): %s" % (key, what))
        else:
            counts["differ"] += 1
            print("differs: %s" % what)

    for path in sorted(set(fa) | set(fb), key=lambda p: [str(c) for c in p]):
        va, vb = fa.get(path, MISSING), fb.get(path, MISSING)
        counts["fields"] += 1
        if va == vb:
            counts["equal"] += 1
            continue
        if len(path) > 1 and path[0] == "services":
            differing.add(path[1])
        judge(path, va, vb)
    if a.hashes:
        ha, hb = read_pairs(a.hashes[0]), read_pairs(a.hashes[1])
        for name in sorted(set(ha) | set(hb)):
            if name in differing:
                continue  # its fields differ, shown above
            counts["hashes"] += 1
            if ha.get(name) == hb.get(name):
                counts["hashes-equal"] += 1
            else:
                judge(("hash", name), ha.get(name, MISSING), hb.get(name, MISSING))
    if a.variables:
        va, vb = read_rows(a.variables[0]), read_rows(a.variables[1])
        for name in sorted(set(va) | set(vb)):
            counts["variables"] += 1
            if va.get(name) == vb.get(name):
                counts["variables-equal"] += 1
            else:
                judge(("variables", name), va.get(name, MISSING), vb.get(name, MISSING))
    print(" ".join("%s %d" % kv for kv in counts.items()))
    return 1 if counts["differ"] else 0


def read_pairs(path):
    """`service hash` lines."""
    out = {}
    for line in open(path).read().splitlines():
        name, _, value = line.partition(" ")
        if name:
            out[name] = value
    return out


def read_rows(path):
    """The rows of a variables table, by name (the header left out), each row's
    cells as the table shows them; trailing blanks do not count."""
    out = {}
    for line in open(path).read().splitlines()[1:]:
        if line.strip():
            out[line.split(" ", 1)[0]] = line.rstrip()
    return out


sys.exit(main())
