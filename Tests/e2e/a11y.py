"""Every page a browser journey visits is checked with axe-core (WCAG 2.1 A and AA rules, as Thailand's government
web standard asks): a critical or serious violation fails the journey where the page was reached.

axe.min.js comes from PyPI's axe-playwright-python (installed without its Playwright dependency by
scripts/install-deps.sh test), which bundles a current axe-core; Selenium injects it into the page.

A page is checked once per document: when the driver navigates, and before the journey next looks for an element
on a new document (a form post or a link followed by a click). E2E_AXE_COLLECT=1 lists every violation at the end
instead of stopping at the first page (for a round of fixes).
"""
import json
import os
import pathlib

from selenium.webdriver.support.events import AbstractEventListener

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS = {"critical", "serious"}
COLLECT = os.environ.get("E2E_AXE_COLLECT") == "1"
found = []  # (url, violation summary) when collecting
checked = []  # every URL checked, in order


def axe_source():
    import axe_playwright_python  # an empty __init__: importing it does not need Playwright
    return (pathlib.Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


_SOURCE = None


def summary(v):
    nodes = "; ".join("%s (%s)" % (" ".join(n.get("target", [])), (n.get("failureSummary") or "").replace("\n", " ")[:200])
                      for n in v.get("nodes", [])[:5])
    return "%s [%s] %s: %s" % (v["id"], v["impact"], v["help"], nodes)


def check(driver):
    """Runs axe on the current document unless it was checked; raises AssertionError on a serious violation."""
    global _SOURCE
    state = driver.execute_script("return [document.readyState, !!window.__axeChecked, location.href, document.contentType]")
    ready, done, url, content_type = state
    if done or ready != "complete" or content_type != "text/html" or url.startswith("about:") or url.startswith("data:"):
        return
    if _SOURCE is None:
        _SOURCE = axe_source()
    driver.execute_script("window.__axeChecked = true;")
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(_SOURCE)
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})"
        ".then(function (r) { done(JSON.stringify(r.violations)); }, function (e) { done(JSON.stringify({error: String(e)})); });"
        % json.dumps(TAGS))
    violations = json.loads(result)
    if isinstance(violations, dict):
        raise AssertionError("axe could not run on %s: %s" % (url, violations.get("error")))
    checked.append(url)
    bad = [v for v in violations if v.get("impact") in IMPACTS]
    if not bad:
        return
    if COLLECT:
        found.extend((url, summary(v)) for v in bad)
        return
    raise AssertionError("accessibility (axe-core) at %s:\n  %s" % (url, "\n  ".join(summary(v) for v in bad)))


class AxeListener(AbstractEventListener):
    def after_navigate_to(self, url, driver):
        check(driver)

    def before_find(self, by, value, driver):
        check(driver)


def report():
    """Prints what was collected since the last report (each test module's browser reports at its end)."""
    if COLLECT and found:
        lines = sorted(set("%s  %s" % (u.split("?")[0], s) for u, s in found))
        print("\naxe-core found %d serious or critical violations; %d pages checked so far:\n%s" % (
            len(found), len(set(checked)), "\n".join(lines)))
        found.clear()
    else:
        print("\naxe-core: %d pages checked so far, no serious or critical violation" % len(set(checked)))
