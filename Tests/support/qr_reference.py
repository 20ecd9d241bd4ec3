#!/usr/bin/env python3
"""Reference QR Code matrices from the `qrcode` package (PyPI), for Tests/DomainTests/QRCodeTests.swift.

Always byte mode (the library would otherwise pick numeric/alphanumeric mode for some inputs), no border.

Command line, one symbol:
    qr_reference.py [--level L|M|Q|H] [--version N] [--mask K] TEXT...
  TEXT (the arguments joined by spaces) is encoded as UTF-8. Without --version the smallest fitting
  version is used; without --mask the library chooses one. Prints a header line, then one line of 0/1
  (1 = dark) per module row:
    = VERSION MASK SIZE
    0101...

Batch (what the Swift tests use): --batch, with one case per line on stdin:
    LEVEL VERSION MASK HEX
  where HEX is the data bytes in hexadecimal (may be empty). Prints each symbol as above, in order.

Capacities: --capacity prints "LEVEL VERSION BYTES" for every level and version 1-40: the most bytes
a byte-mode segment can hold there, from the library's own Reed-Solomon block table.

Exit status 3 with a message on stderr if the `qrcode` package is missing, 2 on bad input or overflow.
"""
import sys

try:
    import qrcode
    import qrcode.base
    import qrcode.constants
    import qrcode.util
except ImportError:
    sys.stderr.write(
        "qr_reference.py: the Python package 'qrcode' is not installed for %s; "
        "run scripts/install-deps.sh test (or: .venv/bin/python -m pip install qrcode)\n" % sys.executable
    )
    sys.exit(3)

LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def matrix(data, level, version=None, mask=None):
    qr = qrcode.QRCode(version=version, error_correction=LEVELS[level], border=0, mask_pattern=mask)
    qr.add_data(qrcode.util.QRData(data, mode=qrcode.util.MODE_8BIT_BYTE))
    qr.make(fit=version is None)
    rows = qr.get_matrix()
    lines = ["= %d %d %d" % (qr.version, qr.mask_pattern if mask is not None else qr.best_mask_pattern(), len(rows))]
    lines += ["".join("1" if cell else "0" for cell in row) for row in rows]
    return "\n".join(lines)


def capacities():
    lines = []
    for name, level in LEVELS.items():
        for version in range(1, 41):
            data_bits = 8 * sum(block.data_count for block in qrcode.base.rs_blocks(version, level))
            header_bits = 4 + qrcode.util.length_in_bits(qrcode.util.MODE_8BIT_BYTE, version)
            lines.append("%s %d %d" % (name, version, (data_bits - header_bits) // 8))
    return "\n".join(lines)


def fail(message):
    sys.stderr.write("qr_reference.py: %s\n" % message)
    sys.exit(2)


def main(argv):
    if argv[:1] == ["--capacity"]:
        print(capacities())
        return
    if argv[:1] == ["--batch"]:
        out = []
        for number, line in enumerate(sys.stdin.read().splitlines(), 1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) == 3:
                fields.append("")
            if len(fields) != 4 or fields[0] not in LEVELS:
                fail("line %d: expected 'LEVEL VERSION MASK HEX', got %r" % (number, line))
            try:
                data = bytes.fromhex(fields[3])
                out.append(matrix(data, fields[0], int(fields[1]), int(fields[2])))
            except Exception as error:  # overflow, bad hex, bad numbers
                fail("line %d: %s" % (number, error))
        sys.stdout.write("\n".join(out) + "\n")
        return

    level, version, mask, words = "M", None, None, []
    args = iter(argv)
    for arg in args:
        if arg in ("--level", "-l"):
            level = next(args, "").upper()
        elif arg in ("--version", "-v"):
            version = int(next(args, "0"))
        elif arg in ("--mask", "-m"):
            mask = int(next(args, "0"))
        elif arg in ("--help", "-h"):
            print(__doc__)
            return
        else:
            words.append(arg)
    if level not in LEVELS:
        fail("level must be one of L, M, Q, H")
    if not words:
        fail("no text given (or use --batch)")
    try:
        print(matrix(" ".join(words).encode("utf-8"), level, version, mask))
    except Exception as error:
        fail(str(error))


if __name__ == "__main__":
    main(sys.argv[1:])
