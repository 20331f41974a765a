"""Small readers for the tests: PDF streams (no PDF library needed) and XML edits."""

from __future__ import annotations

import base64
import re
import zlib

from lxml import etree

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def pdf_streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """(dictionary text, decoded content) of every stream object in a PDF."""
    out = []
    for match in re.finditer(rb"\d+ 0 obj\s*(<<.*?)stream\r?\n", pdf, re.S):
        head = match.group(1)
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        data = pdf[match.end() : match.end() + length]
        filters = re.search(rb"/Filter\s*(\[[^\]]*\]|/\w+)", head)
        names = re.findall(rb"/(\w+)", filters.group(1)) if filters else []
        for name in names:  # applied in the order listed (PDF 1.7, 7.4)
            if name == b"ASCII85Decode":
                data = base64.a85decode(data.strip(), adobe=True)
            elif name == b"FlateDecode":
                data = zlib.decompress(data)
        out.append((head, data))
    return out


def embedded_files(pdf: bytes) -> list[bytes]:
    return [data for head, data in pdf_streams(pdf) if b"/Type /EmbeddedFile" in head]


def replace_once(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert xml.count(old) >= 1, old
    return xml.replace(old, new, 1)


def drop_signature(xml: bytes, index: int) -> bytes:
    root = etree.fromstring(xml)
    sigs = root.findall(f"{DS}Signature")
    root.remove(sigs[index])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
