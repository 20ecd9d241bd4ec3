"""What the upload benchmarks share: a free port, a valid national ID per citizen, and the release server started
in production mode on a fresh data directory (SQLite), ready when /readyz answers."""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def national_id(n, base=90_000_000):
    digits = [1] + [int(c) for c in "%011d" % (base + n * 7919)]
    check = (11 - sum(v * (13 - i) for i, v in enumerate(digits)) % 11) % 10
    return "".join(map(str, digits + [check]))


def start(binary, root, prefix):
    """Returns (process, base URL, port, data directory); the caller terminates the process and removes the folder."""
    port = free_port()
    data = tempfile.mkdtemp(prefix=prefix)
    env = dict(os.environ, APP_ENV="production", DATA_DIR=data, PUBLIC_BASE_URL="http://127.0.0.1:%d" % port,
               APP_SECRET="bench-secret-" + "x" * 40, SMTP_URL="smtp://127.0.0.1:9?starttls=off",
               MAIL_FROM="bench@example.com", OUTBOX_WORKER="off", LOG_LEVEL="warning", PASSWORD_HASH_COST="10")
    server = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(port)], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1).read()
            break
        except Exception:
            time.sleep(0.2)
    return server, base, port, data
