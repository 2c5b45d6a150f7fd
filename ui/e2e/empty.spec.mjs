// Runs while the store is still empty: the traces page must tell a new user how to send data,
// with the values GET /api/v1/info reports.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, BASE, launch, newPage, shot } from "./lib.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("empty store: the traces page explains how to send data", async () => {
  const info = await api("/info");
  const page = await newPage(browser);
  await page.goto(BASE + "/");
  await page.waitForURL(/\/traces/);
  const empty = page.getByTestId("empty-state");
  await empty.waitFor();
  // The addresses come from /api/v1/info, fetched after the first render: wait for them.
  await empty.getByText(info.otlpGrpc, { exact: false }).first().waitFor();
  const text = await empty.innerText();
  assert.match(text, /cairn demo/);
  assert.ok(text.includes("OTEL_EXPORTER_OTLP_ENDPOINT=" + info.otlpHttp), "OTLP endpoint from /api/v1/info: " + text);
  assert.ok(text.includes(info.breezeConnectionString), "Application Insights connection string from /api/v1/info");
  assert.ok(text.includes(info.otlpGrpc), "OTLP/gRPC address");
  await shot(page, "empty-state");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("empty store: sessions and dashboard show the same help", async () => {
  const page = await newPage(browser);
  for (const path of ["/sessions", "/dashboard"]) {
    await page.goto(BASE + path);
    await page.getByTestId("empty-state").waitFor();
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
