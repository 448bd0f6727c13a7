"""Where an IRI shown on an HTML page may link to: this server for IRIs under the IRI base, else the IRI itself."""
from __future__ import annotations

import re

# An absolute http(s) URL with a host, and none of the characters browsers strip or read as '/' (tabs, newlines,
# '\'), so that the link goes where its text says.
WEB_URL = re.compile(r"https?://[^/?#\\\x00-\x20\x7f]+(?:[/?#][^\\\x00-\x20\x7f]*)?", re.IGNORECASE)
SAFE_PATH = re.compile(r"[^/\\\x00-\x20\x7f][^\\\x00-\x20\x7f]*|")


def href_for(iri: str, iri_base: str, public_base: str) -> str | None:
    """A safe link target for an IRI, or None to show it as plain text.

    Only absolute http(s) IRIs become links. One under the IRI base links to the same path on this server,
    unless the rest of its path could take the link elsewhere (a leading '/' would turn '/' + rest into a
    protocol-relative '//host'); then, like any other web IRI, the link is the full IRI.
    """
    if not WEB_URL.fullmatch(iri):
        return None
    if iri.startswith(iri_base) and SAFE_PATH.fullmatch(iri[len(iri_base):]):
        return public_base + iri[len(iri_base):]
    return iri
