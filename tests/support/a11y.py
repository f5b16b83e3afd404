"""Accessibility checks for every page a browser walk visits (WCAG 2.2 AA as far as tools can):

- axe-core (npm, node_modules/axe-core) with the wcag2a/2aa/21a/21aa/22aa tags: no serious or
  critical violations;
- reflow at 320 CSS pixels wide (WCAG 1.4.10): no horizontal scrolling;
- keyboard only: Tab from the top of the page reaches the page's main action (its primary button
  or, failing that, its first form control) and it shows a visible focus indicator.

`await check_page(page)` runs all three on the page as it is now and returns the axe report.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = {"serious", "critical"}


class AccessibilityFailure(AssertionError):
    pass


async def axe(page) -> dict:
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern
        # (a <script> tag would be refused, rightly, by our nonce-based CSP).
        await page.evaluate(AXE.read_text() + "\n;undefined")
    return await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )


async def check_axe(page) -> dict:
    report = await axe(page)
    bad = [v for v in report["violations"] if v.get("impact") in SERIOUS]
    if bad:
        summary = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in bad
        ]
        raise AccessibilityFailure(f"axe on {page.url}: {json.dumps(summary, indent=1)}")
    return report


async def check_reflow_320(page) -> None:
    original = page.viewport_size
    await page.set_viewport_size({"width": 320, "height": 640})
    try:
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            raise AccessibilityFailure(f"{page.url} scrolls sideways by {overflow}px at 320px wide")
    finally:
        if original:
            await page.set_viewport_size(original)


MAIN_ACTION = """() => {
  const main = document.querySelector('main');
  if (!main) return null;
  const el = main.querySelector('button.govuk-button, .govuk-button')
          || main.querySelector('input:not([type=hidden]), select, textarea, a.govuk-link');
  if (!el) return null;
  el.setAttribute('data-main-action', '1');
  return el.outerHTML.slice(0, 120);
}"""


async def check_keyboard(page, max_tabs: int = 40) -> None:
    target = await page.evaluate(MAIN_ACTION)
    if target is None:
        return  # a page with no action (a confirmation) has nothing to reach
    await page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    await page.focus("body")
    for _ in range(max_tabs):
        await page.keyboard.press("Tab")
        reached = await page.evaluate(
            """() => {
              const a = document.activeElement;
              if (!a || !a.hasAttribute('data-main-action')) return null;
              const s = getComputedStyle(a);
              return {outline: s.outlineStyle !== 'none' && s.outlineWidth !== '0px',
                      shadow: s.boxShadow && s.boxShadow !== 'none',
                      background: s.backgroundColor};
            }"""
        )
        if reached is not None:
            if not (reached["outline"] or reached["shadow"]):
                raise AccessibilityFailure(f"{page.url}: the main action has no visible focus indicator")
            return
    raise AccessibilityFailure(f"{page.url}: {max_tabs} Tab presses did not reach the main action {target}")


async def check_page(page) -> dict:
    # A click that submits a form starts a navigation Playwright does not wait for: check the
    # page that arrives, not the one leaving.
    await page.wait_for_load_state("load")
    report = await check_axe(page)
    await check_reflow_320(page)
    await check_keyboard(page)
    return report
