// axe-core's WCAG 2.x A and AA rules on HTML files, in a headless Chromium that may fetch nothing.
// Usage: node axe-run.mjs CHROMIUM FILE...; prints [{"file", "violations": [{"id", "impact", "help", "targets"}],
// "passes": N, "han_langs": {...}}] as JSON, where han_langs counts the text nodes holding Chinese characters
// (outside the chart's SVG, an image with an English name) by the language the browser gives them. The tests (tests/test_html_consumers.py) run it; npm ci --prefix tests/consumers installs it.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const axeSource = require.resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// In the page: for each text node with a Han character, the lang of its nearest element that has one.
function hanLangs() {
  const counts = {};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!/\p{Script=Han}/u.test(node.data) || node.parentElement.closest("svg")) continue;
    const lang = node.parentElement.closest("[lang]")?.getAttribute("lang") ?? "";
    counts[lang] = (counts[lang] ?? 0) + 1;
  }
  return counts;
}

const [executablePath, ...files] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, args: FLAGS });
try {
  const results = [];
  for (const file of files) {
    const page = await browser.newPage();
    // The reports refer to nothing outside themselves: anything but the file itself is refused.
    await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.addScriptTag({ path: axeSource });
    const outcome = await page.evaluate(
      (tags) => globalThis.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
      TAGS,
    );
    results.push({
      file,
      violations: outcome.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((node) => node.target.join(" ")),
      })),
      passes: outcome.passes.length,
      han_langs: await page.evaluate(hanLangs),
    });
    await page.close();
  }
  process.stdout.write(JSON.stringify(results) + "\n");
} finally {
  await browser.close();
}
