"""Writes ROOT/etc/ssl/certs/java/cacerts, the JVM's trust store, as a JKS keystore of the CA
certificates ROOT/etc/ssl/certs holds (one entry per *.pem, aliased `debian:<name>` as
ca-certificates-java does), byte for byte the same from the same certificates.

Why: ca-certificates-java's postinst writes that store (JKS too) with the day of the build as
every entry's date, so python-java-base built on another day differed in this one file, and a
fresh machine's images had other digests than dfp.lock.json. Same certificates, aliases and
password (`changeit`); only the date is fixed.

Usage (an mmdebstrap customize hook): python3 jks-cacerts.py ROOT [EPOCH_SECONDS]
"""
import base64
import hashlib
import os
import struct
import sys

PASSWORD = "changeit"


def java_utf(s):
    """DataOutputStream.writeUTF: a length, then UTF-8 (the same as Java's for these names)."""
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def pem_der(text):
    """The DER bytes of the first certificate in a PEM text."""
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    return base64.b64decode("".join(body.split()))


def inside(root, path):
    """Follows the links of /etc/ssl/certs (absolute, meant for the image) inside ROOT."""
    for _ in range(8):
        if not os.path.islink(path):
            return path
        target = os.readlink(path)
        path = os.path.join(root, target.lstrip("/")) if os.path.isabs(target) else os.path.join(os.path.dirname(path), target)
    raise SystemExit(f"jks-cacerts: {path}: too many links")


def keystore(certs, millis):
    """JKS version 2: magic, version, count, trusted-certificate entries, then the SHA-1 of
    the password (UTF-16BE), "Mighty Aphrodite" and everything before it."""
    out = bytearray(struct.pack(">IIi", 0xFEEDFEED, 2, len(certs)))
    for alias, der in certs:
        out += struct.pack(">i", 2) + java_utf(alias) + struct.pack(">q", millis)
        out += java_utf("X.509") + struct.pack(">i", len(der)) + der
    digest = hashlib.sha1(PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite" + bytes(out)).digest()
    return bytes(out) + digest


def main(root, epoch=None):
    seconds = int(epoch if epoch is not None else os.environ.get("SOURCE_DATE_EPOCH", "0"))
    certs_dir = os.path.join(root, "etc/ssl/certs")
    names = sorted(n for n in os.listdir(certs_dir) if n.endswith(".pem"))
    certs = []
    for n in names:
        with open(inside(root, os.path.join(certs_dir, n)), encoding="utf-8") as f:
            certs.append(("debian:" + n.lower(), pem_der(f.read())))
    if not certs:
        raise SystemExit(f"jks-cacerts: no certificates in {certs_dir}")
    target = os.path.join(certs_dir, "java/cacerts")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = target + ".tmp"
    with open(tmp, "wb") as f:
        f.write(keystore(certs, seconds * 1000))
    os.replace(tmp, target)
    print(f"jks-cacerts: {len(certs)} certificates into {target}")


if __name__ == "__main__":
    main(*sys.argv[1:])
