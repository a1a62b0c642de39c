"""The built site reads as rendered documentation: the text rules of scripts/docs_screenshots.py.

No browser here: ``mkdocs build --strict`` once, then the checks of
``check_html`` on the HTML of every page (raw Markdown left over, doctest
prompts rendered as nested blockquotes, internal wording). The screenshot
script runs the same checks on the DOM Chromium renders.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_screenshots", ROOT / "scripts" / "docs_screenshots.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


shots = _load_script()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    shots.build_site(site_dir)
    return site_dir


def test_built_pages_break_no_text_rule(site: Path) -> None:
    findings = [f for f in shots.check_site(site) if not shots.is_known(f)]
    assert findings == [], "\n".join(map(str, findings))


def test_known_wording_from_elsewhere_is_still_there(site: Path) -> None:
    """Each KNOWN_ELSEWHERE entry is a docstring to fix; once fixed, drop the entry."""
    found = shots.check_site(site)
    for phrase, origin in shots.KNOWN_ELSEWHERE:
        assert any(phrase in f.excerpt for f in found), f"{origin} is fixed: drop {phrase!r}"


def test_every_nav_page_is_built(site: Path) -> None:
    for page in ["index.html", "quickstart-sync/index.html", "reference/client/index.html"]:
        assert (site / page).is_file(), page
    reference = sorted(p.parent.name for p in (site / "reference").glob("*/index.html"))
    assert len(reference) >= 9, reference
    biggest = max((site / "reference").rglob("index.html"), key=lambda p: p.stat().st_size)
    assert biggest.stat().st_size < 400_000, f"{biggest} is one page of everything again"


SAMPLE = """<html><body><article>
<p>Some **bold** that was not rendered, see [Timeout][fruxon_core.Timeout].</p>
<blockquote><blockquote><blockquote><p>from x import y</p></blockquote></blockquote></blockquote>
<p>The seed's shape (spec §5.7) [UNVERIFIED route].</p>
<pre><code>x = 2**3  # code may say ** and ```</code></pre>
<p>A reST literal: ``insufficient_scope``.</p>
<p>IntegrationSeed and seeded data are fine.</p>
</article></body></html>"""


def test_the_rules_catch_what_they_are_for() -> None:
    rules = sorted({finding.rule for finding in shots.check_html("sample", SAMPLE)})
    assert rules == sorted(
        [
            "**",
            "[text][target]",
            "nested blockquotes (a >>> example?)",
            "seed",
            "spec §",
            "§",
            "UNVERIFIED",
            "``literal`` shown as typed",
        ]
    )


def test_the_exception_tree_renders_without_rest_markup(site: Path) -> None:
    prose, code, _ = shots.visible_text((site / "reference/errors/index.html").read_text())
    assert "InsufficientScopeError 403 naming the missing scope" in code
    assert "``" not in prose + code
    assert "::" not in code


def test_code_is_not_prose() -> None:
    page = "<p>Use <code>**kwargs</code> and <code>```python</code>.</p>"
    assert shots.check_html("p", page) == []
