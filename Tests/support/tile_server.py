"""A map tile server for the browser journeys: every /{z}/{x}/{y}.png is the same 256×256 light-grey PNG with a
grid line, made here with zlib (no imaging library). MAP_TILE_URL points at it in scripts/e2e.sh, so the maps
load real tiles without the internet. GET /count answers how many tiles were served."""
import argparse
import re
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def png(width=256, height=256):
    rows = []
    for y in range(height):
        line = bytearray([0])
        for x in range(width):
            v = 170 if x == 0 or y == 0 else 228
            line += bytes([v, v, v])
        rows.append(bytes(line))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


TILE = png()
served = [0]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/count":
            body = str(served[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
        elif re.fullmatch(r"/\d{1,2}/\d{1,7}/\d{1,7}\.png", self.path):
            with lock:
                served[0] += 1
            body = TILE
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Cache-Control", "max-age=3600")
        else:
            body = b"not a tile"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    ThreadingHTTPServer((a.host, a.port), Handler).serve_forever()
