// Opens the show dashboard of a running Home Assistant in headless Chromium,
// logs in through Home Assistant's own login page, reports what every card
// shows, presses the Scare button card and saves a screenshot.
//
// node dashboard.mjs MODULES_DIR URL USER PASSWORD SCREENSHOT
import { createRequire } from "node:module";
import { join } from "node:path";

const [modules, url, user, password, screenshot] = process.argv.slice(2);
const require = createRequire(join(modules, "package.json"));
const { chromium } = require("playwright-core");

const CARDS = [
  "hui-heading-card",
  "hui-button-card",
  "hui-tile-card",
  "hui-light-card",
  "hui-entities-card",
  "hui-glance-card",
  "hui-markdown-card",
  "hui-media-control-card",
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const report = { cards: {}, texts: {}, errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  page.on("pageerror", (error) => report.errors.push(String(error)));
  await page.goto(url);
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="password"]').press("Enter");
  await page.waitForURL((u) => !u.pathname.startsWith("/auth"), { timeout: 60000 });
  await page.locator("hui-tile-card").first().waitFor({ timeout: 60000 });
  // Live state: wait until no tile says the entity is unavailable or missing.
  // Live state: no reading on the tiles or the glance of uptimes (telemetry,
  // first sent 10 s after a prop starts) is unavailable or unknown.
  await page.waitForFunction(
    () => {
      const deepText = (node) => {
        let out = "";
        for (const child of node.childNodes) {
          if (child.nodeType === Node.TEXT_NODE) out += " " + child.textContent;
          else if (child.nodeType === Node.ELEMENT_NODE && child.tagName !== "STYLE") {
            out += deepText(child.shadowRoot || child);
            if (child.shadowRoot) out += deepText(child);
          }
        }
        return out;
      };
      const cards = [];
      const notes = [];
      const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
          if (el.tagName === "HUI-TILE-CARD" || el.tagName === "HUI-GLANCE-CARD") cards.push(el);
          if (el.tagName === "HUI-MARKDOWN-CARD") notes.push(el);
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
      const texts = cards.map((c) => deepText(c.shadowRoot || c));
      const readings = texts.filter((t) => !/Last scare/.test(t));
      // A markdown card renders its text in a worker, after the card itself.
      const written = notes.length > 0 && notes.every((c) => deepText(c.shadowRoot || c).trim() !== "");
      return (
        cards.length >= 11 && written && readings.every((t) => !/Unavailable|Unknown|not found/i.test(t))
      );
    },
    null,
    { timeout: 60000 },
  );
  // Cards live in shadow roots; their text is collected the same way.
  const seen = await page.evaluate((names) => {
    const deepText = (node) => {
      let out = "";
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) out += " " + child.textContent;
        else if (child.nodeType === Node.ELEMENT_NODE) {
          if (child.tagName === "STYLE") continue;
          out += deepText(child.shadowRoot || child);
          if (child.shadowRoot) out += deepText(child);
        }
      }
      return out;
    };
    const found = {};
    const walk = (root) => {
      for (const el of root.querySelectorAll("*")) {
        const name = el.tagName.toLowerCase();
        if (names.includes(name)) {
          (found[name] ||= []).push(deepText(el.shadowRoot || el).replace(/\s+/g, " ").trim());
        }
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return found;
  }, CARDS);
  for (const card of CARDS) {
    report.cards[card] = (seen[card] || []).length;
    report.texts[card] = seen[card] || [];
  }
  await page.locator("hui-button-card").first().click();
  report.clicked = "Scare";
  // Let the prop's state come back before the picture is taken.
  await page.waitForTimeout(1500);
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (error) {
  report.errors.push(String(error));
} finally {
  await browser.close();
}
console.log("REPORT " + JSON.stringify(report));
