// Injected by tests/browser/accessibility.py into every page the browser tests open (never
// served by the app). Defines window.__accessibilityCheck(): axe-core's WCAG 2.0/2.1/2.2 A and
// AA violations, and the size of every visible link, button and form control. After each htmx
// swap it checks again by itself and hands the result to the test through a binding.
(() => {
  if (window !== window.top) return;
  const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
  const TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, summary";

  function describe(element) {
    const text = (element.innerText || element.value || element.getAttribute("aria-label") || "").trim();
    const id = element.id ? "#" + element.id : "";
    const classes = element.classList.length ? "." + [...element.classList].join(".") : "";
    return { selector: element.tagName.toLowerCase() + id + classes, text: text.slice(0, 40) };
  }

  // A checkbox or radio inside its label is tapped through the label: measure the label.
  function tapArea(element) {
    const label = element.closest("label");
    return label && (element.type === "checkbox" || element.type === "radio") ? label : element;
  }

  function targets() {
    // Paper is not tapped: a test printing a page (print media) is checked for contrast only.
    if (window.matchMedia("print").matches) return [];
    const viewport = document.documentElement.clientWidth;
    return [...document.querySelectorAll(TARGETS)].flatMap((element) => {
      const box = tapArea(element).getBoundingClientRect();
      // Not rendered, visually hidden (1 px), or off screen until focused (the skip link).
      if (box.width <= 1 || box.height <= 1 || box.right <= 0 || box.left >= viewport) return [];
      return [{ ...describe(element), width: Math.round(box.width), height: Math.round(box.height) }];
    });
  }

  async function check() {
    const result = await axe.run(document, { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] });
    const violations = result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      helpUrl: violation.helpUrl,
      nodes: violation.nodes.map((node) => ({
        target: node.target.join(" "),
        html: node.html.slice(0, 160),
        summary: node.failureSummary,
      })),
    }));
    return { url: location.href, violations, targets: targets() };
  }

  let queue = Promise.resolve();
  window.__accessibilityCheck = () => (queue = queue.catch(() => null).then(check));
  // One swap may settle several elements (out-of-band counters): one check covers them all.
  let swapCheckWaiting = false;
  document.addEventListener("htmx:afterSettle", () => {
    if (!window.__accessibilitySwapped || swapCheckWaiting) return;
    swapCheckWaiting = true;
    window.__accessibilityBusy(true);
    queue = queue.catch(() => null).then(() => {
      swapCheckWaiting = false;
      return check();
    });
    queue.then(
      (found) => window.__accessibilitySwapped(found),
      (error) => window.__accessibilitySwapped({ url: location.href, error: String(error), violations: [], targets: [] }),
    );
  });
})();
