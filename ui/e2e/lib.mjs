// Shared helpers of the UI's end-to-end specs: Debian's Chromium through playwright-core (never a
// downloaded browser), the server under test (CAIRN_URL), screenshots into docs/screenshots/.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BASE = (process.env.CAIRN_URL ?? "http://127.0.0.1:4318").replace(/\/+$/, "");
export const SHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function seed() {
  return process.env.CAIRN_SEED ? JSON.parse(readFileSync(process.env.CAIRN_SEED, "utf8")) : {};
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A fresh page (own context: own localStorage) that fails the test on any page error. */
export async function newPage(browser, { colorScheme = "light", viewport = { width: 1440, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push("console: " + m.text());
  });
  return page;
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.fonts?.ready);
  await page.screenshot({ path: SHOTS + name + ".png" });
}

export async function api(path) {
  const res = await fetch(BASE + "/api/v1" + path);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls fn until it returns a truthy value (ingestion is asynchronous). */
export async function until(fn, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}
