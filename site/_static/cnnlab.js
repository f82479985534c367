// cnnlab's addition to sphinx-book-theme (site/conf.py: html_js_files).
// The sidebar opens a section's sub-pages with a chevron <summary> that has no text, so a
// screen reader announces a nameless control (axe: summary-name). Name it after its section.
document.addEventListener("DOMContentLoaded", () => {
  for (const summary of document.querySelectorAll("nav details > summary")) {
    if (summary.textContent.trim() || summary.hasAttribute("aria-label")) continue;
    const link = summary.closest("li")?.querySelector(":scope > a");
    const section = link ? link.textContent.trim() : "this section";
    summary.setAttribute("aria-label", `Show or hide the pages of ${section}`);
  }
});
