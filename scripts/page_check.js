// Run by scripts/check_book_browser.py in each page of the built book once it has loaded: returns,
// as JSON, what a reader would see as broken (the script fills in FIGURE_TEXT_PX and MIN_TEXT_PX).
((figureTextPx, minTextPx) => {
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const limit = column.getBoundingClientRect().width + 1;
  const label = (el) => {
    const id = el.getAttribute("data-srlib") || el.id || (el.getAttribute("src") || "").split("/").pop();
    const cap = el.querySelector ? el.querySelector("caption") : null;
    return (el.tagName.toLowerCase() + (id ? " " + id : "") + (cap ? " (" + cap.innerText.slice(0, 60) + ")" : ""));
  };
  const out = {missing_images: [], empty_tables: [], too_wide: [], clipped: [], small_text: [], overlapping: [],
               tracebacks: [], column_px: Math.round(limit)};
  const where = (el) => {
    const section = el.closest("section");
    const heading = section ? section.querySelector("h1, h2, h3, h4") : null;
    return heading ? " in '" + heading.innerText.replace(/[#\s]+$/, "").slice(0, 50) + "'" : "";
  };
  for (const img of column.querySelectorAll("img")) {
    if (!img.complete || img.naturalWidth === 0) out.missing_images.push(img.getAttribute("src"));
  }
  for (const table of column.querySelectorAll("table")) {
    const cells = [...table.querySelectorAll("td, th")].filter(c => c.innerText.trim() !== "");
    if (cells.length === 0) out.empty_tables.push(label(table));
    const width = Math.max(table.scrollWidth, table.getBoundingClientRect().width);
    if (width > limit) out.too_wide.push(label(table) + ": " + Math.round(width) + " px");
  }
  for (const el of column.querySelectorAll("img, figure, svg, .cell_output > .output")) {
    const width = el.getBoundingClientRect().width;
    if (width > limit) out.too_wide.push(label(el) + ": " + Math.round(width) + " px");
  }
  for (const el of column.querySelectorAll("pre, .output, .cell_output, div.highlight, td, th, p, figcaption")) {
    // not shown (a collapsed code cell: inside a closed details element): a reader sees nothing
    if (!el.getClientRects().length || el.closest("details:not([open])")) continue;
    const style = getComputedStyle(el);
    const hides = ["auto", "scroll", "hidden", "clip"].includes(style.overflowX);
    if (hides && el.scrollWidth > el.clientWidth + 1 && !el.querySelector("pre, table")) {
      const lines = el.tagName === "PRE" ? el.innerText.split("\n") : [];
      const chars = Math.floor(el.clientWidth / (el.scrollWidth / Math.max(1, ...lines.map(l => l.length))));
      const long = lines.filter(l => l.length > chars).length;
      out.clipped.push(el.tagName.toLowerCase() + where(el) + ": " + el.scrollWidth + " px of content in "
                       + el.clientWidth + " px" + (lines.length ? " (" + long + " lines longer than the box)" : "")
                       + ": " + JSON.stringify(el.innerText.trim().split("\n")[0].slice(0, 60)));
    }
  }
  for (const img of column.querySelectorAll("img")) {
    const shown = img.getBoundingClientRect().width;
    if (!img.naturalWidth || !shown) continue;
    const px = figureTextPx * shown / img.naturalWidth;
    if (px < minTextPx) out.small_text.push((img.getAttribute("src") || "").split("/").pop() + where(img) + ": shown at "
        + Math.round(shown) + " of " + img.naturalWidth + " px, 10 pt text at " + px.toFixed(1) + " px");
  }
  const blocks = [...column.querySelectorAll("h1, h2, h3, h4, p, li, figcaption, caption, td, th, pre")]
    .filter(el => el.innerText.trim() !== "" && el.getClientRects().length);
  const rects = blocks.map(el => el.getBoundingClientRect());
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      if (blocks[i].contains(blocks[j]) || blocks[j].contains(blocks[i])) continue;
      const a = rects[i], b = rects[j];
      if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2) {
        out.overlapping.push(JSON.stringify(blocks[i].innerText.trim().slice(0, 40)) + " and "
                             + JSON.stringify(blocks[j].innerText.trim().slice(0, 40)) + where(blocks[i]));
      }
    }
  }
  const text = column.innerText;
  for (const m of text.matchAll(/Traceback \(most recent call last\)|^\w*Error: .*$/gm)) {
    out.tracebacks.push(m[0].slice(0, 120));
  }
  out.height = Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  return JSON.stringify(out);
})(FIGURE_TEXT_PX, MIN_TEXT_PX)
