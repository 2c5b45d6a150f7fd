import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
const base = process.argv[2]; const paths = process.argv.slice(3);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless","--no-sandbox","--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
let i = 0;
for (const p of paths) { await page.goto(base + p); await page.waitForTimeout(1200); await page.screenshot({ path: `/tmp/shot${i++}.png` }); console.log("shot", p); }
await browser.close();
