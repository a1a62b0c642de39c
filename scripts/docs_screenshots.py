"""Build the docs, render pages in headless Chromium, save screenshots and check the text.

Usage (from the repository root)::

    uv run python scripts/docs_screenshots.py    # PNGs into $TMPDIR/fruxon-docs-screenshots/
    uv run python scripts/docs_screenshots.py --out DIR --chromium /usr/bin/chromium

It runs ``mkdocs build --strict`` into a temporary directory, serves the site
on 127.0.0.1 (a free port), and renders the home page, the sync quickstart and
a few reference pages with ``chromium --headless``: one PNG per page
(``--screenshot``), and the DOM after rendering (``--dump-dom``), whose text
is checked by :func:`check_html`:

* no Markdown left unrendered outside code: ``**``, a code fence, a
  ``[text][target]`` cross-reference, a ``::: target`` directive;
* no doctest prompt rendered as nested blockquotes (``>>>`` at the start of a
  line in a docstring), nor a ``>>>`` line outside a code block;
* no internal wording: "seed", "spec §", "§", "UNVERIFIED", "issue #…";
* no reST literal shown with its backticks (````x````) outside code.

The exit status is 1 when a rule is broken (each finding is printed), 0
otherwise. Look at the PNGs too: the checks cannot see layout. Chromium is
found on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``) unless
``--chromium`` is given; on Debian/Ubuntu ``apt-get install chromium``.

The same text rules run without a browser, on the built HTML of every page, in
``tests/docs/test_docs_rendered.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html.parser
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Pages rendered by default: (URL path, PNG name).
PAGES = [
    ("", "index"),
    ("quickstart-sync/", "quickstart-sync"),
    ("reference/client/", "reference-client"),
    ("reference/models/", "reference-models"),
    ("reference/streaming/", "reference-streaming"),
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]

#: Words the docs must not use: they name how the SDK was made, not the product.
INTERNAL_WORDING = [
    ("seed", re.compile(r"\bseeds?\b", re.IGNORECASE)),
    ("spec §", re.compile(r"\bspec\s*§", re.IGNORECASE)),
    ("§", re.compile(r"§")),
    ("UNVERIFIED", re.compile(r"\bunverified\b", re.IGNORECASE)),
    ("the spec", re.compile(r"\b(?:the|of)\s+spec\b", re.IGNORECASE)),
    ("issue #", re.compile(r"\bissue\s*(?:#\d|\")", re.IGNORECASE)),
]

#: Markdown that should have been rendered, looked for in text outside code.
RAW_MARKDOWN = [
    ("**", re.compile(r"\*\*")),
    ("```", re.compile(r"```")),
    ("[text][target]", re.compile(r"\]\[[A-Za-z_][\w.]*\]")),
    ("::: directive", re.compile(r"^\s*::: ", re.MULTILINE)),
    (">>> outside code", re.compile(r"^\s*>>>", re.MULTILINE)),
]

#: Internal wording in docstrings these docs cannot change (they belong to code maintained
#: with other parts of the SDK): (phrase as rendered, where it comes from). A finding with
#: one of these phrases is reported as known, not as a failure, and
#: tests/docs/test_docs_rendered.py fails once a phrase is gone, so the entry is removed.
KNOWN_ELSEWHERE: list[tuple[str, str]] = []

#: A docstring's reST literal (````x````) left with its backticks in prose.
RST_LITERAL = ("``literal`` shown as typed", re.compile(r"(?<!`)``(?=[^`\s])"))


@dataclass(frozen=True)
class Finding:
    page: str
    rule: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.page}: {self.rule}: …{self.excerpt}…"


class _TextExtractor(html.parser.HTMLParser):
    """Visible text of a page, split into prose and code; notes nested blockquotes."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "svg"})
    _CODE = frozenset({"code", "pre", "kbd", "samp"})
    _VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.code: list[str] = []
        self.nested_blockquotes = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            if tag == "br":
                self.prose.append("\n")
            return
        if tag == "blockquote" and "blockquote" in self._stack:
            self.nested_blockquotes += 1
        self._stack.append(tag)
        if tag in {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}:
            self.prose.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID:
            return
        while self._stack:
            if self._stack.pop() == tag:
                break
        if tag in {"p", "div", "li", "tr", "pre"}:
            self.prose.append("\n")

    def handle_data(self, data: str) -> None:
        if self._SKIP.intersection(self._stack):
            return
        if self._CODE.intersection(self._stack):
            self.code.append(data)
        else:
            self.prose.append(data)


def visible_text(page_html: str) -> tuple[str, str, int]:
    """(prose, code, number of blockquotes nested in a blockquote) of a page."""
    parser = _TextExtractor()
    parser.feed(page_html)
    parser.close()
    return "".join(parser.prose), "".join(parser.code), parser.nested_blockquotes


def _excerpt(text: str, match: re.Match[str]) -> str:
    start, end = max(match.start() - 50, 0), min(match.end() + 50, len(text))
    return " ".join(text[start:end].split())


def check_html(page: str, page_html: str) -> list[Finding]:
    """Every broken text rule of one rendered page (see the module docstring)."""
    prose, code, nested = visible_text(page_html)
    findings = []
    if nested:
        findings.append(Finding(page, "nested blockquotes (a >>> example?)", f"{nested} of them"))
    for rule, pattern in [*RAW_MARKDOWN, RST_LITERAL]:
        findings += [Finding(page, rule, _excerpt(prose, m)) for m in pattern.finditer(prose)]
    everything = prose + "\n" + code
    for rule, pattern in INTERNAL_WORDING:
        findings += [
            Finding(page, rule, _excerpt(everything, m)) for m in pattern.finditer(everything)
        ]
    return findings


def is_known(finding: Finding) -> bool:
    return any(phrase in finding.excerpt for phrase, _ in KNOWN_ELSEWHERE)


def build_site(site_dir: Path) -> None:
    """``mkdocs build --strict`` of the repository's docs into ``site_dir``."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", site_dir],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def check_site(site_dir: Path) -> list[Finding]:
    """The text rules on the built HTML of every page (no browser involved)."""
    findings = []
    for path in sorted(site_dir.rglob("*.html")):
        if path.name == "404.html":
            continue
        page = path.relative_to(site_dir).as_posix()
        findings += check_html(page, path.read_text(encoding="utf-8"))
    return findings


@contextlib.contextmanager
def serve(site_dir: Path) -> Iterator[str]:
    """Serve ``site_dir`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(site_dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()


def find_chromium(explicit: str | None) -> str:
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium not found: install it (apt-get install chromium) or pass --chromium")


def render(chromium: str, url: str, png: Path, width: int, height: int) -> str:
    """Save a screenshot of ``url`` to ``png`` and return its DOM after rendering."""
    with tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile:
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        subprocess.run(
            [chromium, *flags, f"--screenshot={png}", url],
            check=True,
            capture_output=True,
            timeout=120,
        )
        dom = subprocess.run(
            [chromium, *flags, "--dump-dom", url],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    return dom.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fruxon-docs-screenshots",
        help="where the PNGs go (default: %(default)s)",
    )
    parser.add_argument("--chromium", help="the Chromium binary (default: found on PATH)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    parser.add_argument(
        "--page",
        action="append",
        metavar="PATH",
        help="a page to render, e.g. reference/errors/ (repeatable; default: a fixed set)",
    )
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    pages = [(p, p.strip("/").replace("/", "-") or "index") for p in args.page or []] or PAGES
    args.out.mkdir(parents=True, exist_ok=True)

    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="docs-site-") as tmp:
        site_dir = Path(tmp)
        build_site(site_dir)
        with serve(site_dir) as base_url:
            for path, name in pages:
                png = args.out / f"{name}.png"
                dom = render(chromium, base_url + path, png, args.width, args.height)
                if "<article" not in dom:
                    findings.append(Finding(path or "index", "page did not render", dom[:80]))
                findings += check_html(path or "index", dom)
                print(f"rendered {base_url + path} -> {png}")

    failures = [f for f in findings if not is_known(f)]
    for finding in findings:
        print(("known (fix it where it comes from): " if is_known(finding) else "") + str(finding))
    print(f"{len(failures)} problem(s), {len(findings) - len(failures)} known")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
