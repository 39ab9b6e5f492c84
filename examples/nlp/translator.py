"""A tiny offline translator speaking LibreTranslate's protocol, so the example needs no network.

    python3 translator.py --port-file out/translator.port --key KEY

Answers ``POST /translate`` (``q``, ``source``, ``target``, ``api_key`` as form or query
fields) with ``{"translatedText": ...}``, word by word from a small English-German word list
(unknown words stay as they are). A wrong key gets 403, as LibreTranslate answers. Listens on
a free 127.0.0.1 port and writes it to --port-file once it serves.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

WORDS = {
    "the": "die",
    "a": "ein",
    "is": "ist",
    "was": "war",
    "and": "und",
    "not": "nicht",
    "very": "sehr",
    "good": "gut",
    "great": "großartig",
    "bad": "schlecht",
    "terrible": "schrecklich",
    "love": "liebe",
    "i": "ich",
    "this": "dieses",
    "it": "es",
    "book": "Buch",
    "film": "Film",
    "day": "Tag",
    "earthquake": "Erdbeben",
    "small": "klein",
    "strong": "stark",
    "today": "heute",
    "we": "wir",
    "felt": "spürten",
    "nothing": "nichts",
    "happened": "geschah",
    "house": "Haus",
    "shook": "bebte",
}
LIMIT = 64 * 1024  # largest request body read


def translate(text: str) -> str:
    """Word by word; case of the first letter kept, punctuation left in place."""

    def word(match: re.Match[str]) -> str:
        found = WORDS.get(match.group(0).lower(), match.group(0))
        return found[0].upper() + found[1:] if match.group(0)[0].isupper() else found

    return re.sub(r"[A-Za-z]+", word, text)


class Handler(BaseHTTPRequestHandler):
    """POST /translate; everything else 404."""

    key = ""

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def answer(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > LIMIT:
            self.answer(413, {"error": "request too large"})
            return
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        fields = {key: values[0] for key, values in {**form, **parse_qs(url.query)}.items()}
        if url.path != "/translate":
            self.answer(404, {"error": "not found"})
        elif fields.get("api_key") != self.key:
            self.answer(403, {"error": "Invalid API key"})
        else:
            self.answer(200, {"translatedText": translate(fields.get("q", ""))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    Handler.key = args.key
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    partial = args.port_file.with_name(args.port_file.name + ".part")
    partial.write_text(f"{server.server_address[1]}\n", encoding="utf-8")
    os.replace(partial, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
