"""Finding a name in files meant for sharing: every byte, and the pictures embedded or compressed inside.

A name can hide where a plain search misses it: URL-quoted in a link, HTML- or JSON-escaped,
in a base64 picture of a page, in a PNG's text chunks (compressed ones too), in UTF-16. Each
file is searched as bytes in those forms, and its embedded base64 images and compressed PNG
chunks are unpacked and searched the same way.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

_BASE64 = re.compile(rb"base64,([A-Za-z0-9+/=]+)")


def _forms(name: str) -> set[bytes]:
    forms = set()
    for variant in {name, name.lower(), name.upper(), name.capitalize()}:
        for text in (variant, quote(variant), quote(variant, safe=""), html.escape(variant, quote=True),
                     json.dumps(variant)[1:-1], json.dumps(variant, ensure_ascii=True)[1:-1]):
            forms.add(text.encode("utf-8"))
        forms.add(variant.encode("utf-16-le"))
    return forms


def _png_chunks(data: bytes) -> Iterator[bytes]:
    """The decompressed text and image data of a PNG (zTXt, iTXt, IDAT); nothing for other bytes."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return
    at, idat = 8, b""
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IDAT":
            idat += body
        elif kind in (b"zTXt", b"iTXt"):
            keyword, _, rest = body.partition(b"\0")
            for start in range(len(rest)):
                try:
                    yield keyword + zlib.decompress(rest[start:])
                    break
                except zlib.error:
                    continue
    if idat:
        with contextlib.suppress(zlib.error):
            yield zlib.decompress(idat)


def _blobs(data: bytes) -> Iterator[bytes]:
    yield data
    yield from _png_chunks(data)
    for match in _BASE64.finditer(data):
        inner = base64.b64decode(match.group(1) + b"==")
        yield inner
        yield from _png_chunks(inner)


def names_found(folder: Path, names: Iterable[str]) -> list[tuple[str, str]]:
    """(file relative to ``folder``, name) for every name found in any file under it, its own name included."""
    wanted = {name: _forms(name) for name in names}
    found = []
    for path in sorted(p for p in folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        blobs = [relative.encode("utf-8")] + (list(_blobs(path.read_bytes())) if path.is_file() else [])
        for name, forms in wanted.items():
            if any(form in blob for blob in blobs for form in forms):
                found.append((relative, name))
    return found
