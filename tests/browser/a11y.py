"""Accessibility checks for the browser tests: axe-core at WCAG 2.1 AA, and what a screen
reader is told about each control (its name, whether it is required, its error).

axe-core comes from the axe-playwright-python package (its bundled axe.min.js is evaluated in
the page: no CDN, no network). Accessible names come from Chromium's own accessibility tree
(the DevTools protocol), so they are what assistive technology is given, not a re-computation.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

__all__ = [
    "WCAG_21_AA",
    "axe_violations",
    "describe_violations",
    "assert_no_axe_violations",
    "unnamed_controls",
    "ungrouped_choices",
    "required_controls",
    "unlinked_errors",
    "landmark_problems",
]

# axe-core's tags for every WCAG 2.0 and 2.1 success criterion at levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()

# Roles a person operates: each must have a name a screen reader can announce.
CONTROL_ROLES = {
    "button",
    "checkbox",
    "combobox",
    "link",
    "listbox",
    "menuitem",
    "radio",
    "searchbox",
    "slider",
    "spinbutton",
    "switch",
    "tab",
    "textbox",
    "DisclosureTriangle",  # <summary>
    "Date",  # <input type=date>
    "DateTime",
    "InputTime",
}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.0/2.1 A and AA on the page as it is now."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return _AXE.run(page, options=options).response["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One block per violation: rule id, impact, what to do, and where (CSS targets), so a
    failure can be fixed from the CI log alone."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{violation['helpUrl'].split('?')[0]}]"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node['html'][:200]}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, (
        f"{where} ({page.url}): {len(violations)} WCAG 2.1 AA violation(s) found by axe-core\n"
        + describe_violations(violations)
    )


def _ax_nodes(page: Any) -> list[dict[str, Any]]:
    cdp = page.context.new_cdp_session(page)
    try:
        return cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()


def _describe_node(page: Any, backend_id: int | None) -> str:
    if backend_id is None:
        return "?"
    cdp = page.context.new_cdp_session(page)
    try:
        node = cdp.send("DOM.describeNode", {"backendNodeId": backend_id})["node"]
    finally:
        cdp.detach()
    attributes = node.get("attributes", [])
    pairs = " ".join(f'{k}="{v}"' for k, v in zip(attributes[::2], attributes[1::2], strict=True))
    return f"<{node['localName']} {pairs}>"


def unnamed_controls(page: Any) -> tuple[int, list[str]]:
    """How many controls the accessibility tree exposes, and those without a name."""
    controls = [
        node
        for node in _ax_nodes(page)
        if not node.get("ignored") and node.get("role", {}).get("value") in CONTROL_ROLES
    ]
    unnamed = [
        f"{node['role']['value']} {_describe_node(page, node.get('backendDOMNodeId'))}"
        for node in controls
        if not str(node.get("name", {}).get("value", "")).strip()
    ]
    return len(controls), unnamed


_UNGROUPED = """() => {
  // Radios, and checkboxes that share a name, are one question: they belong in a fieldset
  // whose legend asks it (or a radiogroup/group with a name).
  const problems = [];
  const inputs = [...document.querySelectorAll("input[type=radio], input[type=checkbox]")];
  for (const input of inputs) {
    const siblings = inputs.filter((other) => other.name === input.name && other.type === input.type);
    if (input.type === "checkbox" && siblings.length < 2) continue;
    const fieldset = input.closest("fieldset");
    const legend = fieldset && fieldset.querySelector(":scope > legend");
    const group = input.closest("[role=radiogroup], [role=group]");
    const named = group && (group.getAttribute("aria-label") || group.getAttribute("aria-labelledby"));
    if (!(legend && legend.textContent.trim()) && !named) problems.push(input.outerHTML);
  }
  return problems;
}"""


def ungrouped_choices(page: Any) -> list[str]:
    """Radio buttons and sets of checkboxes not grouped under a question (fieldset/legend)."""
    return page.evaluate(_UNGROUPED)


def required_controls(page: Any) -> set[str]:
    """The ids (or names, for radios) of the controls exposed as required."""
    return set(
        page.evaluate(
            """() => [...document.querySelectorAll("[required], [aria-required=true]")]
                 .map((el) => el.type === "radio" ? el.name : el.id)"""
        )
    )


_UNLINKED_ERRORS = """() => {
  // Each field in error says so (aria-invalid, where the role allows it) and points at its
  // message (aria-describedby on the control, or on the fieldset of a radio group).
  const problems = [];
  const describes = (el, message) =>
    (el.getAttribute("aria-describedby") || "").split(/\\s+/).includes(message.id);
  for (const message of document.querySelectorAll(".field-error")) {
    if (!message.id) { problems.push("error without an id: " + message.textContent); continue; }
    const field = message.closest(".field, fieldset");
    const radios = field.querySelectorAll("input[type=radio]");
    if (radios.length) {
      if (!describes(message.closest("fieldset"), message)) problems.push("radio group not described by " + message.id);
      continue;
    }
    const boxes = field.querySelectorAll(".date-input input");
    if (boxes.length) {
      // A date in three boxes: only the boxes the error is about are invalid; each of those
      // points at the message, and one at least is marked.
      const invalid = [...boxes].filter((box) => box.getAttribute("aria-invalid") === "true");
      if (!invalid.length) problems.push("no box of " + message.id + " is aria-invalid");
      for (const box of invalid) if (!describes(box, message)) problems.push(box.id + " not described by " + message.id);
      continue;
    }
    const control = field.querySelector("input:not([type=hidden]), select, textarea");
    if (!control) { problems.push("no control beside " + message.id); continue; }
    if (!describes(control, message)) problems.push(control.id + " not described by " + message.id);
    if (control.getAttribute("aria-invalid") !== "true") problems.push(control.id + " lacks aria-invalid");
  }
  // The summary lists the errors in the order the page shows the fields, and no two of its
  // links read the same (a screen reader's list of links shows each without its neighbours).
  const texts = [...document.querySelectorAll(".error-summary a")].map((a) => a.textContent.trim());
  for (const text of new Set(texts.filter((t, i) => texts.indexOf(t) !== i))) problems.push("summary links that read the same: " + text);
  let previous = null;
  for (const link of document.querySelectorAll(".error-summary a[href^='#']")) {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { problems.push("summary link to nothing: " + link.href); continue; }
    if (previous && previous.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING)
      problems.push("summary out of page order at " + target.id);
    previous = target;
  }
  return problems;
}"""


def unlinked_errors(page: Any) -> list[str]:
    """Errors a screen reader would not hear with their field, and summary links to nowhere."""
    return page.evaluate(_UNLINKED_ERRORS)


_LANDMARKS = """() => {
  // One banner, one main, one contentinfo; no navigation landmark is empty.
  const problems = [];
  const count = (selector) => document.querySelectorAll(selector).length;
  if (count("main, [role=main]") !== 1) problems.push("not exactly one main landmark");
  if (count("body > header, [role=banner]") !== 1) problems.push("not exactly one banner");
  if (count("body > footer, [role=contentinfo]") !== 1) problems.push("not exactly one contentinfo");
  for (const nav of document.querySelectorAll("nav")) {
    if (!nav.textContent.trim()) problems.push("a navigation landmark with nothing in it: " + nav.outerHTML.slice(0, 120));
    if (count("nav") > 1 && !nav.getAttribute("aria-label") && !nav.getAttribute("aria-labelledby")) problems.push("an unnamed navigation landmark among several");
  }
  return problems;
}"""


def landmark_problems(page: Any) -> list[str]:
    """Landmarks a screen reader user navigates by: missing, doubled or empty."""
    return page.evaluate(_LANDMARKS)
