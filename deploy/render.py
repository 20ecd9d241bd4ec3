#!/usr/bin/env python3
"""Fills a deploy/ template: every ${NAME} (capital letters, digits, _) is replaced by the value of NAME, taken
from NAME=VALUE arguments or else from the environment. A name with no value stops it with the list of what is
missing, so a half-filled file is never written. nginx's own variables ($host, $remote_addr, ...) have no braces
and pass through untouched.

  python3 deploy/render.py deploy/nginx/eservice.conf HTTPS_PORT=443 ... > /etc/nginx/sites-available/eservice

The scale-out test (Tests/scaleout/) renders the same file the same way with its ports, certificate and folders.
"""
import os
import re
import sys

NAME = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(text, values):
    missing = sorted({m.group(1) for m in NAME.finditer(text) if m.group(1) not in values})
    if missing:
        raise KeyError(", ".join(missing))
    return NAME.sub(lambda m: values[m.group(1)], text)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    values = dict(os.environ)
    for arg in argv[2:]:
        name, sep, value = arg.partition("=")
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            print("render: expected NAME=VALUE, got %r" % arg, file=sys.stderr)
            return 2
        values[name] = value
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        sys.stdout.write(render(text, values))
    except KeyError as e:
        print("render: %s: no value for %s" % (argv[1], e.args[0]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
