#!/usr/bin/env bash
# Make a self-signed cert/key for 127.0.0.1 and localhost: OUTDIR/cert.pem, OUTDIR/key.pem
set -euo pipefail
OUT="${1:?usage: make_test_cert.sh OUTDIR}"
mkdir -p "$OUT"
if command -v openssl >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$OUT/key.pem" -out "$OUT/cert.pem" >/dev/null 2>&1
else
  PY="${PYTHON:-python3}"
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  [ -x "$ROOT/.venv/bin/python" ] && "$ROOT/.venv/bin/python" -c 'import cryptography' 2>/dev/null && PY="$ROOT/.venv/bin/python"
  "$PY" - "$OUT" <<'PY'
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
out = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(f"{out}/key.pem", "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
open(f"{out}/cert.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
PY
fi
chmod 600 "$OUT/key.pem"
echo "$OUT/cert.pem $OUT/key.pem"
