#!/usr/bin/env python3
"""SMTP sink for tests (aiosmtpd).

Saves each accepted message as DIR/<seq>.eml (raw bytes as received) and
DIR/<seq>.json ({mail_from, rcpt_tos, auth_user, peer_port}). Prints "READY <port>" once
listening and runs until SIGTERM/SIGINT.

  smtp_sink.py --host 127.0.0.1 --port P --dir D [--auth USER:PASS]
               [--starttls-cert CERT --starttls-key KEY] [--fail-first N]
"""
import argparse
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SinkHandler:
    def __init__(self, outdir, fail_first):
        self.outdir = outdir
        self.fail_left = fail_first
        self.seq = 0
        # Continue numbering after files already in the directory.
        for name in os.listdir(outdir):
            stem, ext = os.path.splitext(name)
            if ext == ".eml" and stem.isdigit():
                self.seq = max(self.seq, int(stem))

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later"
        self.seq += 1
        login = getattr(session.auth_data, "login", None) if session.authenticated else None
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": login,
            # The client's port: messages with the same one came over one connection.
            "peer_port": session.peer[1] if isinstance(session.peer, tuple) and len(session.peer) > 1 else None,
        }
        base = os.path.join(self.outdir, str(self.seq))
        # json first, then eml (atomically), so a visible .eml always has its .json
        _write_atomic(base + ".json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        _write_atomic(base + ".eml", envelope.original_content or b"")
        return "250 2.0.0 OK queued as %d" % self.seq


def _write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == self.user and auth_data.password == self.password):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--auth", metavar="USER:PASS")
    ap.add_argument("--starttls-cert")
    ap.add_argument("--starttls-key")
    ap.add_argument("--fail-first", type=int, default=0, metavar="N")
    args = ap.parse_args()

    if bool(args.starttls_cert) != bool(args.starttls_key):
        ap.error("--starttls-cert and --starttls-key go together")
    os.makedirs(args.dir, exist_ok=True)

    smtp_kwargs = {"data_size_limit": 128 * 1024 * 1024}
    tls = None
    if args.starttls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.starttls_cert, args.starttls_key)
        smtp_kwargs.update(tls_context=tls, require_starttls=True)
    if args.auth:
        if ":" not in args.auth:
            ap.error("--auth must be USER:PASS")
        user, password = args.auth.split(":", 1)
        smtp_kwargs.update(
            authenticator=Authenticator(user, password),
            auth_required=True,
            auth_require_tls=tls is not None,
        )

    port = args.port or _free_port(args.host)  # Controller cannot use port 0
    # Quiet aiosmtpd's expected warnings (AUTH without TLS, its own login_data deprecation).
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    handler = SinkHandler(args.dir, args.fail_first)
    controller = Controller(handler, hostname=args.host, port=port,
                            server_hostname="smtp-sink.test", **smtp_kwargs)
    controller.start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("READY %d" % port, flush=True)
    try:
        while not stop.wait(3600):
            pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
