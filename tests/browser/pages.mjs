// Walks a prop's device page in headless Chromium as a new user would:
// opens the Firmware dialog and waits for it to finish loading, presses
// Scare twice and reads the toast, opens show lighting's options, and saves
// a screenshot of each. Prints one REPORT line of JSON.
//
// node pages.mjs MODULES_DIR URL USER PASSWORD DEVICE_ID SHOTS_DIR STEP...
// Steps: device, firmware[=text to wait for], scare_twice, options.
import { createRequire } from "node:module";
import { join } from "node:path";

const [modules, url, user, password, device, shots, ...steps] = process.argv.slice(2);
const require = createRequire(join(modules, "package.json"));
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
});
const report = { steps: {}, errors: [] };
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
// The dialogs, cards and toasts live in shadow roots: find one, and the text
// of one with its shadow roots'.
await page.addInitScript(() => {
  // What a failed call the page did not catch was rejected with.
  window.__rejections = [];
  window.addEventListener("unhandledrejection", (event) => {
    window.__rejections.push(event.reason && typeof event.reason === "object" ? event.reason : String(event.reason));
  });
  window.__find = (selector, root = document) => {
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) {
        const deeper = window.__find(selector, el.shadowRoot);
        if (deeper) return deeper;
      }
    }
    return null;
  };
  window.__text = (node) => {
    let out = node.shadowRoot ? window.__text(node.shadowRoot) : "";
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) out += " " + child.textContent;
      else if (child.nodeType === Node.ELEMENT_NODE && child.tagName !== "STYLE") {
        out += " " + window.__text(child);
      }
    }
    return out.replace(/\s+/g, " ").trim();
  };
});
// Page errors are counted per step; the rejections behind them are reported.
let pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error.message || error).slice(0, 300)));

async function login(path) {
  await page.goto(url + path);
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="password"]').press("Enter");
  await page.waitForURL((u) => !u.pathname.startsWith("/auth"), { timeout: 60000 });
}

// Inside the app, as its own links do: a full reload would log the user out
// (the login did not ask to be remembered).
async function go(path) {
  await page.evaluate((to) => {
    history.pushState(null, "", to);
    window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
  }, path);
}

async function devicePage() {
  await go(`/config/devices/device/${device}`);
  await page.locator("hui-update-entity-row").waitFor({ timeout: 60000 });
}

const STEPS = {
  async device() {
    // Tall enough for every card, down to the diagnostics.
    await page.setViewportSize({ width: 1400, height: 1750 });
    await devicePage();
    // Live values, not "unknown", before the picture.
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(shots, "device-page.png") });
    await page.setViewportSize({ width: 1400, height: 1000 });
    const info = await page.evaluate(() => window.__text(window.__find("ha-device-info-card")));
    return { info };
  },
  async firmware(wanted = "Latest version") {
    await devicePage();
    const started = Date.now();
    await page.locator("hui-update-entity-row").getByText("Firmware").click();
    await page.locator("more-info-update").waitFor({ timeout: 30000 });
    // Loaded: no spinner left in the dialog, and what the step waits for shown.
    await page.waitForFunction(
      (want) => {
        const dialog = window.__find("more-info-update");
        return (
          dialog &&
          !dialog.shadowRoot.querySelector("ha-spinner, ha-circular-progress") &&
          window.__text(dialog).includes(want)
        );
      },
      wanted,
      { timeout: 20000 },
    );
    const loaded_ms = Date.now() - started;
    const text = await page.evaluate(() => window.__text(window.__find("more-info-update")));
    await page.screenshot({ path: join(shots, "firmware-dialog.png") });
    await page.keyboard.press("Escape");
    return { loaded_ms, text };
  },
  async scare_twice() {
    await devicePage();
    const row = page.locator("hui-button-entity-row").filter({ hasText: "Scare" });
    await row.getByRole("button", { name: /press/i }).click();
    await page.waitForTimeout(1000);
    await row.getByRole("button", { name: /press/i }).click();
    await page.waitForFunction(
      () => {
        const toast = window.__find("ha-toast");
        return toast && toast.open && toast.labelText;
      },
      null,
      { timeout: 15000 },
    );
    const toast = await page.evaluate(() => window.__find("ha-toast").labelText);
    await page.screenshot({ path: join(shots, "scare-refused.png") });
    return { toast };
  },
  async options() {
    await go("/config/integrations/integration/propnet");
    await page.getByRole("button", { name: /configure/i }).first().click();
    const dialog = page.locator("dialog-data-entry-flow");
    // The options open on a menu: the settings, or a fixture or output to add.
    const settings = dialog.getByText("Settings: fixtures, outputs, inputs");
    await settings.waitFor({ timeout: 30000 });
    const menu = await page.evaluate(() => window.__text(window.__find("dialog-data-entry-flow")));
    await settings.click();
    await dialog.getByText("Enttec DMX USB Pro", { exact: true }).waitFor({ timeout: 30000 });
    await page.waitForTimeout(500);
    const sections = await page.locator("ha-expansion-panel").evaluateAll((panels) =>
      panels.map((p) => ({ text: window.__text(p), expanded: p.expanded })),
    );
    await page.screenshot({ path: join(shots, "lighting-options.png") });
    return { menu, sections };
  },
};

try {
  await login(`/config/devices/device/${device}`);
  for (const step of steps) {
    // A step may say what it waits for: firmware=Faster lid.
    const [name, wanted] = step.split("=");
    try {
      pageErrors = [];
      await page.evaluate(() => (window.__rejections = []));
      report.steps[name] = await STEPS[name](wanted);
      report.steps[name].page_errors = pageErrors;
      report.steps[name].rejections = await page.evaluate(() => window.__rejections);
    } catch (error) {
      report.errors.push(`${step}: ${String(error)}`);
    }
  }
} catch (error) {
  report.errors.push(String(error));
} finally {
  await browser.close();
}
console.log("REPORT " + JSON.stringify(report));
