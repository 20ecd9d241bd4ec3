"""The deployment of README "Deploying", on free local ports, for the scale-out test (test_scaleout.py) and its
benchmark (scripts/bench_scaleout.py): Debian's nginx with deploy/nginx/eservice.conf rendered by
deploy/render.py (a self-signed certificate made here with openssl), two `eservice serve` instances and one
`eservice worker` run with the command lines of deploy/systemd/ and the settings of deploy/eservice.env.example
(only what names this machine is replaced: addresses, ports, folders, secrets), one PostgreSQL
(scripts/with-postgres.sh, around the caller), S3 from `rclone serve s3` and an SMTP sink (Tests/support/).

Each instance has its own DATA_DIR, as on two machines: only the database and the object store are shared.
"""
import hashlib
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "Tests/support"))
import bench_line as bl  # noqa: E402  (Helper: a Tests/support server in a child process)
import bench_petitions as bp  # noqa: E402  (tenants folder, browser-like client, sign-ins, psql)

DEPLOY = ROOT / "deploy"
RELEASE_BIN = "/opt/eservice/bin/eservice"  # the path the units name; the stack runs the built binary instead
SLUG = bp.SLUG
# Settings of the example file that name the machine, the secrets or the folders: replaced here. Everything
# else (APP_ENV, TRUSTED_PROXIES, MIGRATE_ON_START, OUTBOX_WORKER, ...) is used as the file says.
MACHINE_SETTINGS = {"PUBLIC_BASE_URL", "APP_SECRET", "DATABASE_URL", "STORAGE_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY",
                    "SMTP_URL", "MAIL_FROM", "DATA_DIR", "TENANTS_DIR", "VIEWS_DIR", "PUBLIC_DIR", "PASSWORD_HASH_COST", "LOG_LEVEL"}


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def env_file(path):
    """KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped)."""
    out = {}
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def unit(path):
    """The [Service] settings of a systemd unit file that the stack follows: ExecStart (as argv) and Nice."""
    service = {}
    section = None
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            service[key] = value
    return service


def make_cert(folder):
    """A self-signed certificate for 127.0.0.1 and localhost (it is its own CA)."""
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=eservice-scaleout",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def tls_context(cert):
    ctx = ssl.create_default_context(cafile=str(cert))
    return ctx


class Process:
    """A child process with its output in a file."""

    def __init__(self, name, argv, env, log, nice=0):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log
        self.out = open(log, "ab")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT,
                                     preexec_fn=(lambda: os.nice(nice)) if nice else None)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def summary(self):
        """Its errors (a crash's register dump and backtrace left out), or the end of its output."""
        lines = self.log().splitlines()
        errors = [l[:400] for l in lines if re.search(r"\b(ERROR|CRITICAL|Fatal error)\b|\[ (ERROR|CRITICAL) \]", l)]
        return "\n".join(errors[:8]) if errors else "\n".join(l[:400] for l in lines[-30:])

    def stop(self, timeout=20):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.out.close()


class Stack:
    """Builds the deployment in `tmp`; `start_*` methods start its parts, `close()` stops everything."""

    def __init__(self, binary, tmp, clients_rate_budget="100000"):
        self.binary = os.path.abspath(binary)
        self.tmp = pathlib.Path(tmp)
        self.db_url = os.environ.get("TEST_POSTGRES_URL")
        if not self.db_url:
            raise RuntimeError("run inside scripts/with-postgres.sh (TEST_POSTGRES_URL is not set)")
        self.processes = []
        self.instances = {}  # name -> (Process, port)
        self.tenants = self.tmp / "tenants"
        bp.make_tenants(self.tenants)
        self.cert, self.key = make_cert(self.tmp)
        # Every TLS client of this process (urllib in bench_petitions' helpers too) trusts the certificate.
        os.environ["SSL_CERT_FILE"] = str(self.cert)
        self.tls = tls_context(self.cert)
        self.https_port, self.http_port = free_port(), free_port()
        self.base = "https://127.0.0.1:%d" % self.https_port
        self.ports = {"a": free_port(), "b": free_port(), "worker-metrics": free_port()}
        self.secret = "scaleout-" + os.urandom(24).hex()
        self.upload_budget = clients_rate_budget
        self.smtp = None
        self.s3 = None
        self.nginx = None

    # ---- outside services

    def start_smtp(self):
        (self.tmp / "mail").mkdir(exist_ok=True)
        self.smtp = bl.Helper("smtp_sink.py", "--dir", str(self.tmp / "mail"))
        return self.smtp

    def start_s3(self):
        """The S3 server of scripts/with-s3.sh (`rclone serve s3`, around the caller like with-postgres.sh):
        self.s3 = its STORAGE_URL and keys, and `objects()`: every object in the bucket, read from the folder
        rclone serves ({key: (size, sha256)})."""
        url = os.environ.get("TEST_S3_URL")
        if not url:
            raise RuntimeError("run inside scripts/with-s3.sh (TEST_S3_URL is not set)")
        bucket = pathlib.Path(os.environ["TEST_S3_DIR"]) / os.environ["TEST_S3_BUCKET"]

        def objects():
            out = {}
            for path in bucket.rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    out[str(path.relative_to(bucket))] = (len(data), hashlib.sha256(data).hexdigest())
            return out

        self.s3 = {"url": url, "key": os.environ["TEST_S3_ACCESS_KEY_ID"], "secret": os.environ["TEST_S3_SECRET_ACCESS_KEY"],
                   "bucket": bucket, "objects": objects}
        return self.s3

    # ---- settings, exactly as the deploy files give them

    def settings(self, name, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "LINE_")) and k != "SSL_CERT_FILE"}
        env.update(env_file(DEPLOY / "eservice.env.example"))
        env.update({
            "PUBLIC_BASE_URL": self.base,
            "APP_SECRET": self.secret,
            "DATABASE_URL": self.db_url,
            "SMTP_URL": "smtp://127.0.0.1:%d?starttls=off" % self.smtp.port,
            "MAIL_FROM": "e-Service <no-reply@scaleout.test>",
            "DATA_DIR": str(self.tmp / ("data-" + name)),
            "TENANTS_DIR": str(self.tenants),
            "VIEWS_DIR": str(ROOT / "Views"),
            "PUBLIC_DIR": str(ROOT / "Public"),
            "PASSWORD_HASH_COST": "10",
            "LOG_LEVEL": "info",
            # One citizen files every petition of the kill test: lift the per-account upload budget (30 an hour).
            "UPLOAD_FILES_PER_HOUR": self.upload_budget,
        })
        if self.s3:
            env.update({"STORAGE_URL": self.s3["url"], "S3_ACCESS_KEY_ID": self.s3["key"], "S3_SECRET_ACCESS_KEY": self.s3["secret"]})
        else:
            for k in ("STORAGE_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
                env.pop(k, None)
        env.update(overrides)
        return env

    def command(self, unit_name, port=None):
        """The unit's ExecStart, with the release path replaced by the built binary and %i by the port."""
        service = unit(DEPLOY / "systemd" / unit_name)
        argv = shlex.split(service["ExecStart"])
        argv = [self.binary if a == RELEASE_BIN else a.replace("%i", str(port)) for a in argv]
        # The worker's /metrics port: a free one here, so a busy 9464 on the machine cannot fail the run.
        argv = [str(self.ports["worker-metrics"]) if i and argv[i - 1] == "--metrics-port" else a for i, a in enumerate(argv)]
        return argv, int(service.get("Nice", "0"))

    # ---- the product

    def start_instance(self, name, **overrides):
        port = self.ports[name]
        argv, nice = self.command("eservice@.service", port)
        p = Process("instance " + name, argv, self.settings(name, **overrides), self.tmp / ("instance-%s.log" % name), nice)
        self.processes.append(p)
        self.instances[name] = (p, port)
        return p

    def start_worker(self, **overrides):
        argv, nice = self.command("eservice-worker.service")
        p = Process("worker", argv, self.settings("worker", **overrides), self.tmp / "worker.log", nice)
        self.processes.append(p)
        return p

    def migrate(self, **overrides):
        argv, nice = self.command("eservice-migrate.service")
        p = Process("migrate", argv, self.settings("migrate", **overrides), self.tmp / "migrate.log", nice)
        self.processes.append(p)
        return p

    def instance_url(self, name):
        return "http://127.0.0.1:%d" % self.instances[name][1]

    def wait_ready(self, name, timeout=120):
        p, port = self.instances[name]
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not p.alive():
                raise AssertionError("instance %s stopped (exit %s):\n%s" % (name, p.proc.returncode, p.summary()))
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=2).read()
                return
            except Exception:
                time.sleep(0.2)
        raise AssertionError("instance %s not ready in %d s:\n%s" % (name, timeout, p.summary()))

    def kill9(self, name):
        p, _ = self.instances[name]
        p.kill9()

    # ---- nginx

    def site_values(self):
        return {
            "LISTEN_ADDRESS": "127.0.0.1", "HTTP_PORT": str(self.http_port), "HTTPS_PORT": str(self.https_port),
            "SERVER_NAMES": "127.0.0.1 localhost", "TLS_CERT": str(self.cert), "TLS_KEY": str(self.key),
            "INSTANCE_1": "127.0.0.1:%d" % self.ports["a"], "INSTANCE_2": "127.0.0.1:%d" % self.ports["b"],
            "PUBLIC_DIR": str(ROOT / "Public"), "WEB_FONTS_DIR": "/usr/share/fonts/woff/tlwg",
            "CITIZEN_UPLOAD_MAX": "256m", "LOG_DIR": str(self.tmp / "nginx"),
        }

    def render_nginx(self):
        """deploy/nginx/eservice.conf through deploy/render.py, included by a main nginx.conf that only holds what
        a packaged nginx's /etc/nginx/nginx.conf holds (pid, temp folders, mime types), under tmp/nginx."""
        folder = self.tmp / "nginx"
        folder.mkdir(exist_ok=True)
        args = [sys.executable, str(DEPLOY / "render.py"), str(DEPLOY / "nginx/eservice.conf")]
        args += ["%s=%s" % kv for kv in self.site_values().items()]
        site = subprocess.run(args, check=True, capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")}).stdout
        (folder / "eservice.conf").write_text(site, encoding="utf-8")
        temp = "".join("    %s_temp_path %s;\n" % (k, folder / ("temp-" + k)) for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            # Workers as root only because this test runs as root and its files are root's (a packaged nginx runs
            # them as www-data).
            ("user root;\n" if os.geteuid() == 0 else "")
            + "worker_processes 2;\npid %s;\nerror_log %s warn;\nevents { worker_connections 1024; }\n" % (folder / "nginx.pid", folder / "error.log")
            + "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n    sendfile on;\n"
            + temp + "    include %s;\n}\n" % (folder / "eservice.conf"), encoding="utf-8")
        return folder

    def nginx_check(self):
        folder = self.render_nginx()
        return subprocess.run(["nginx", "-t", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
                              capture_output=True, text=True)

    def start_nginx(self):
        folder = self.render_nginx()
        p = Process("nginx", ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log"), "-g", "daemon off;"],
                    dict(os.environ), folder / "nginx.out")
        self.processes.append(p)
        self.nginx = p
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    return p
            except OSError:
                if not p.alive():
                    raise AssertionError("nginx stopped:\n" + p.log() + (folder / "error.log").read_text(errors="replace"))
                time.sleep(0.1)
        raise AssertionError("nginx did not listen")

    # ---- clean-up

    def close(self):
        for p in reversed(self.processes):
            try:
                p.stop()
            except Exception:
                pass
        if self.smtp:
            self.smtp.stop()


def psql(sql):
    return bp.psql(sql)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def submission_key(citizen_id, token):
    """PetitionFilingController.submissionKey: "web:" + SHA-256 of "<account UUID, upper case>:<token>"."""
    return "web:" + sha256(("%s:%s" % (citizen_id.upper(), token)).encode())


def new_tmp(prefix):
    return pathlib.Path(tempfile.mkdtemp(prefix=prefix))


def keep_or_remove(tmp, failed):
    if os.environ.get("KEEP") == "1" or failed:
        print("scale-out files kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def quote(s):
    return urllib.parse.quote(s, safe="")
