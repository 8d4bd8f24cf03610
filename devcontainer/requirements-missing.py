"""Print the names of the requirements in FILE that are not installed.

Used when the image is built: pip runs only if something is missing, so a base
image that already has every package (from Debian) needs no package index.
Versions are not compared: any installed version will do for development.
"""
import importlib.metadata
import re
import sys

# Requirements another distribution satisfies: Debian packages psycopg2-binary's
# module as psycopg2 (python3-psycopg2).
SATISFIED_BY = {"psycopg2-binary": ("psycopg2",)}


def missing(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            name = re.match(r"[A-Za-z0-9._-]+", line).group(0)
            if not any(installed(n) for n in (name,) + SATISFIED_BY.get(name.lower(), ())):
                names.append(name)
    return names


def installed(name):
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    print(" ".join(missing(sys.argv[1])))
