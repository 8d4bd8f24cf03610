#!/usr/bin/env python3
"""Compare `devstack config` with Debian's docker-compose 1.29 `config` on compose files.

Not a test: a report of where the two differ, to read and explain. For each
project directory given (default: tests/corpus/compose/* and
tests/corpus/awesome-compose/*), both tools load the same files; the
facts users rely on are compared: services, images, environment, ports,
volumes (type, source, target, read-only), depends_on conditions, commands,
networks and volumes at the top level.

    python3 tests/corpus/compare-docker-compose.py [DIR...]
"""
import glob, json, os, shlex, subprocess, sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVSTACK = os.environ.get("DEVSTACK", os.path.join(ROOT, "build", "devstack"))


def args_of(d):
    args = []
    if os.path.exists(os.path.join(d, "files")):
        for f in open(os.path.join(d, "files")).read().split():
            args += ["-f", f]
    if os.path.exists(os.path.join(d, "args")):
        args += open(os.path.join(d, "args")).read().split()
    return args


def run(cmd, d):
    env = {"HOME": "/home/dev", "PATH": os.environ["PATH"]}
    p = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def cmd_list(v):
    if v is None:
        return None
    return shlex.split(v) if isinstance(v, str) else [str(x) for x in v]


def facts(doc):
    # the implicit default network: devstack lists it, 1.29 leaves it out
    out = {"services": {}, "volumes": sorted((doc.get("volumes") or {}).keys()),
           "networks": sorted(k for k in (doc.get("networks") or {}).keys() if k != "default")}
    for name, s in (doc.get("services") or {}).items():
        env = s.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
        ports = []
        for p in s.get("ports") or []:
            if isinstance(p, dict):
                ports.append((int(p["target"]), str(p.get("published", "")) or "",
                              p.get("host_ip") or "", p.get("protocol") or "tcp"))
            else:  # 1.29 prints ports with a host IP as "127.0.0.1:8000:8000/tcp"
                spec, _, proto = str(p).partition("/")
                bits = spec.split(":")
                ports.append((int(bits[-1]), bits[-2] if len(bits) > 1 else "",
                              bits[-3] if len(bits) > 2 else "", proto or "tcp"))
        vols = []
        for v in s.get("volumes") or []:
            if isinstance(v, dict):
                t, src, dst, ro = v.get("type"), v.get("source"), v.get("target"), bool(v.get("read_only"))
            else:  # docker-compose 1.29 prints "src:dst:rw"
                parts = v.split(":")
                mode = parts.pop() if len(parts) > 1 and set(parts[-1].split(",")) & {"rw", "ro"} else ""
                if len(parts) == 1:
                    t, src, dst = "volume", None, parts[0]
                else:
                    src, dst = parts[0], parts[1]
                    t = "bind" if src.startswith("/") else "volume"
                ro = "ro" in mode.split(",")
            # 1.29 drops a trailing slash from the target; the engine treats both alike
            vols.append((t, src, dst.rstrip("/") or "/", ro))
        deps = s.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        out["services"][name] = {
            "image": s.get("image"),
            "build": (s.get("build") or {}).get("context") if isinstance(s.get("build"), dict) else s.get("build"),
            "environment": {k: (None if v is None else str(v)) for k, v in env.items()},
            "ports": sorted(map(str, ports)),
            "volumes": sorted(map(str, vols)),
            "depends_on": {k: (v or {}).get("condition", "service_started") for k, v in deps.items()},
            "command": cmd_list(s.get("command")),
            "entrypoint": cmd_list(s.get("entrypoint")),
        }
    return out


def diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    elif a != b:
        yield f"  {path}: devstack={a!r} docker-compose={b!r}"


def main():
    dirs = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "tests/corpus/compose/*/"))) + \
        sorted(glob.glob(os.path.join(ROOT, "tests/corpus/awesome-compose/*/")))
    same = 0
    for d in dirs:
        d = d.rstrip("/")
        args = args_of(d)
        rc1, out1, err1 = run([DEVSTACK] + args + ["config", "--format", "json"], d)
        rc2, out2, err2 = run(["docker-compose"] + args + ["config"], d)
        name = os.path.relpath(d, ROOT)
        if rc2 != 0:
            print(f"{name}: docker-compose 1.29 refuses it: {err2.strip().splitlines()[-1] if err2.strip() else rc2}")
            if rc1 != 0:
                print(f"  devstack refuses it too: {err1.strip()}")
            continue
        if rc1 != 0:
            print(f"{name}: devstack refuses what docker-compose accepts: {err1.strip()}")
            continue
        lines = list(diff(facts(json.loads(out1)), facts(yaml.safe_load(out2))))
        if lines:
            print(f"{name}: differs")
            print("\n".join(lines))
        else:
            same += 1
    print(f"{same} of {len(dirs)} projects agree on every compared fact")


main()
