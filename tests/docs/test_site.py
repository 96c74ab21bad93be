"""The built site, opened page by page in a real headless browser with no network.

Debian's Chromium (``/usr/bin/chromium``, or ``MINIDL_CHROMIUM``), driven by Playwright for
Python (the ``[site-test]`` extra; Playwright's own browser downloads are never used),
opens every page of the site built by ``mkdocs build`` (``site/``, or ``MINIDL_SITE_DIR``)
from a local HTTP server, and asserts on each:

- nothing was requested from outside the site (every other request, a worker's too, is
  recorded and aborted, and no host name resolves: the network is off), and nothing it
  asked for was missing;
- MathJax (served by the site) typeset every formula: no raw ``\\(``/``\\[`` TeX left, no
  TeX error;
- every image loaded (``naturalWidth > 0``);
- no code block cuts its text: a line too long for the block scrolls inside it.

The benchmarks page is also read at 1280 px: no table wider than the text column, no
word broken across two lines in a table cell; a screenshot is written for a person to
look at (``MINIDL_SITE_SHOTS``, or pytest's temporary folder).

Without Chromium, Playwright or a built site these tests skip, saying which is missing,
so the plain test line passes; ``MINIDL_SITE_TEST=1`` (set by ``.ci/run``) makes each
missing piece a failure instead, so CI cannot skip them silently.
"""
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("MINIDL_SITE_DIR", ROOT / "site"))
CHROMIUM = os.environ.get("MINIDL_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("MINIDL_SITE_TEST") == "1"
# What this machine's Chromium needs to run headless as root on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                 # no host name resolves: the network is off even for what a route would miss
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
WIDTH = 1280


def _missing(reason):
    if REQUIRED:
        pytest.fail(f"MINIDL_SITE_TEST=1 but {reason}")
    pytest.skip(reason)


def _pages():
    """Every HTML page of the built site, as URL paths ('' is the home page)."""
    if not (SITE / "index.html").is_file():
        return []
    pages = []
    for html in sorted(SITE.rglob("*.html")):
        rel = html.relative_to(SITE)
        if rel.parts[0] == "assets":
            continue
        path = rel.as_posix()
        pages.append(path[: -len("index.html")] if html.name == "index.html" else path)
    return pages


PAGES = _pages()


# ---------------------------------------------------------------------------------------
# fixtures: a local server for the site, one browser

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    if not (SITE / "index.html").is_file():
        _missing(f"no built site at {SITE} (run `mkdocs build`, or set MINIDL_SITE_DIR)")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set MINIDL_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -e '.[site-test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")      # a fresh user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": WIDTH, "height": 900}, service_workers="block")
        yield context
        context.close()


class Visit:
    """One page opened in the browser, with every request it made."""

    def __init__(self, context, base_url, path):
        self.base = base_url
        self.outside, self.missing = [], []
        self.context = context
        context.route("**/*", self._route)       # the context's route sees its workers' requests too
        self.page = page = context.new_page()
        page.on("requestfailed", lambda r: r.url.startswith(self.base) and self.missing.append(
            f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.missing.append(f"{r.url} ({r.status})"))
        self.response = page.goto(base_url + path, wait_until="load")
        page.wait_for_load_state("networkidle")

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or urlsplit(url).scheme in ("data", "blob", "about"):
            route.continue_()
        else:
            self.outside.append(url)                             # the network is off
            route.abort("internetdisconnected")

    def close(self):
        self.page.close()
        self.context.unroute("**/*", self._route)


@pytest.fixture
def visit(browser, base_url):
    opened = []

    def open_page(path):
        v = Visit(browser, base_url, path)
        opened.append(v)
        return v
    yield open_page
    for v in opened:
        v.close()


# ---------------------------------------------------------------------------------------
# what is checked on a page, in the browser

MATH_JS = """async () => {
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return {loaded: false};
  await MathJax.startup.promise;
  const spans = Array.from(document.querySelectorAll('.arithmatex'));
  const untypeset = spans.filter(s => !s.querySelector('mjx-container')).map(s => s.textContent.slice(0, 80));
  // The page's text as a reader sees it, code left out: no TeX delimiter may be left.
  const body = document.querySelector('.md-content').cloneNode(true);
  body.querySelectorAll('pre, code, mjx-container, script, style').forEach(e => e.remove());
  return {loaded: true, version: MathJax.version, spans: spans.length, untypeset,
          containers: document.querySelectorAll('.md-content mjx-container').length,
          errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent),
          text: body.innerText};
}"""

IMAGES_JS = """() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth}))"""

CODE_JS = """() => Array.from(document.querySelectorAll('.md-content pre > code')).map(code => {
  const style = getComputedStyle(code);
  return {head: code.textContent.split('\\n')[0].slice(0, 60), scroll: code.scrollWidth,
          client: code.clientWidth, overflow: style.overflowX, whiteSpace: style.whiteSpace};
})"""

TABLES_JS = """() => {
  const column = document.querySelector('.md-content__inner').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.md-content table')).map((table, k) => {
    const box = table.getBoundingClientRect();
    const broken = [];      // words whose letters lie on more than one line (a break at
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);   // a hyphen is fine)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                               .map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
    const wrap = table.closest('.md-typeset__scrollwrap') || table.parentElement;   // Material's scroller
    return {k, head: table.rows[0].innerText.slice(0, 60), left: box.left, right: box.right,
            columnLeft: column.left, columnRight: column.right,
            hiddenByScroll: wrap.scrollWidth - wrap.clientWidth, broken};
  });
}"""

RAW_TEX = re.compile(r"\\[(\[]|\\[)\]]|\$\$|\\(frac|sum|mathbb|left|right|qquad|tilde)\b")


def _page_id(path):
    return path.rstrip("/") or "home"


@pytest.mark.parametrize("path", PAGES or [None], ids=[_page_id(p) for p in PAGES] or ["no-site"])
def test_every_page_offline(visit, path):
    if path is None:
        _missing(f"no built site at {SITE} (run `mkdocs build`, or set MINIDL_SITE_DIR)")
    v = visit(path)
    assert v.response is not None and v.response.ok, f"{path}: {v.response and v.response.status}"
    assert not v.outside, f"{path} asked for things outside the site: {v.outside}"
    assert not v.missing, f"{path}: requests that failed: {v.missing}"

    math = v.page.evaluate(MATH_JS)
    assert math["loaded"], f"{path}: MathJax did not load from the site"
    assert math["version"].startswith("3."), math["version"]
    assert not math["untypeset"], f"{path}: formulas left as raw TeX: {math['untypeset'][:5]}"
    assert math["containers"] >= math["spans"], math
    assert not math["errors"], f"{path}: TeX errors: {math['errors'][:5]}"
    raw = [math["text"][max(m.start() - 30, 0): m.end() + 30] for m in RAW_TEX.finditer(math["text"])]
    assert not raw, f"{path}: raw TeX in the text: {raw[:3]}"

    for img in v.page.evaluate(IMAGES_JS):
        assert img["complete"] and img["width"] > 0, f"{path}: image did not load: {img['src']}"

    for code in v.page.evaluate(CODE_JS):
        fits = code["scroll"] <= code["client"] + 1
        assert fits or code["overflow"] in ("auto", "scroll"), \
            f"{path}: a code block cuts its lines off ({code}): {code['head']!r}"
        assert code["whiteSpace"] in ("pre", "pre-wrap"), f"{path}: code block {code}"


def test_the_site_has_math_images_and_code_somewhere(visit):
    """The per-page checks are not empty: the pages they open do have all three."""
    if not PAGES:
        _missing(f"no built site at {SITE}")
    v = visit("blocks/convolution/")
    math = v.page.evaluate(MATH_JS)
    assert math["spans"] >= 10 and math["containers"] >= math["spans"]
    assert len(v.page.evaluate(CODE_JS)) >= 2
    v = visit("blocks/attention/")
    assert any(img["width"] > 0 for img in v.page.evaluate(IMAGES_JS))


def test_a_request_outside_the_site_is_caught(visit):
    """The recorder the page checks rely on does see a page's and a worker's outside requests."""
    if not PAGES:
        _missing(f"no built site at {SITE}")
    v = visit("")
    assert not v.outside
    v.page.evaluate("""() => {
      const img = new Image(); img.src = 'https://cdn.invalid/picture.png'; document.body.append(img);
      const code = "fetch('https://cdn.invalid/from-worker.js').catch(() => {})";
      new Worker(URL.createObjectURL(new Blob([code], {type: 'text/javascript'})));
    }""")
    wanted = {"https://cdn.invalid/picture.png", "https://cdn.invalid/from-worker.js"}
    for _ in range(100):                                        # up to 10 s
        if wanted <= set(v.outside):
            break
        v.page.wait_for_timeout(100)
    assert "https://cdn.invalid/picture.png" in v.outside
    assert "https://cdn.invalid/from-worker.js" in v.outside


def test_benchmarks_page_reads_at_1280_px(visit, tmp_path):
    if "benchmarks/" not in PAGES:
        _missing(f"no benchmarks page in the built site at {SITE}")
    v = visit("benchmarks/")
    assert v.page.viewport_size["width"] == WIDTH
    tables = v.page.evaluate(TABLES_JS)
    assert tables, "the benchmarks page has no table"
    for t in tables:
        assert t["hiddenByScroll"] <= 1 and t["right"] <= t["columnRight"] + 1, \
            f"table {t['k']} ({t['head']!r}) is wider than the text column at {WIDTH} px: {t}"
        assert not t["broken"], f"table {t['k']} ({t['head']!r}) breaks words: {t['broken']}"
    shots = Path(os.environ.get("MINIDL_SITE_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    v.page.locator(".md-content table").first.scroll_into_view_if_needed()
    v.page.screenshot(path=str(shots / "benchmarks-1280.png"))
    assert (shots / "benchmarks-1280.png").stat().st_size > 10_000


def test_only_docs_are_published():
    if not (SITE / "index.html").is_file():
        _missing(f"no built site at {SITE}")
    scripts = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*") if p.suffix in (".py", ".dot")]
    assert not scripts, f"non-docs files published: {scripts}"
    assert (SITE / "assets" / "mathjax" / "tex-mml-chtml.js").is_file()
    for html in SITE.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert not external, f"{html.relative_to(SITE)} loads {external}"
