// The UI's end-to-end specs against a real `cairn serve` that holds `cairn demo`'s traces and
// e2e/seed.mjs's fixtures (run by e2e/run.sh). Each test opens its own browser context.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, BASE, launch, newPage, seed, shot, until } from "./lib.mjs";

const { xssTraceId, bigTraceId } = seed();
let browser;
let demoTrace; // a successful trail_guide_session trace with a model call

before(async () => {
  assert.ok(xssTraceId && bigTraceId, "CAIRN_SEED must name the seeded traces (run e2e/run.sh)");
  // Ingestion is asynchronous: wait until the fixtures are searchable.
  await until(async () => {
    const { traces } = await api("/traces?limit=1000");
    return traces.some((t) => t.traceId === xssTraceId) && traces.some((t) => t.traceId === bigTraceId && t.spanCount === 10_000) && traces.length >= 10;
  }, "the demo and seed traces");
  const { traces } = await api("/traces?service=trail-guide&status=ok&limit=50");
  demoTrace = traces.find((t) => t.rootName === "trail_guide_session" && t.generationCount > 0 && t.sessionId);
  assert.ok(demoTrace, "cairn demo sent a successful trail_guide_session trace with a session");
  browser = await launch();
});
after(async () => browser?.close());

const rowIds = (page) => page.locator("[data-testid=trace-table] tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.traceId));

test("traces: newest first, with every column, and a screenshot", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces");
  await page.getByTestId("trace-table").waitFor();
  const heads = await page.locator("[data-testid=trace-table] thead th").allInnerTexts();
  for (const h of ["TIME", "ROOT SPAN", "SERVICE", "DURATION", "SPANS", "ERRORS", "TOKENS", "COST"])
    assert.ok(heads.some((x) => x.toUpperCase().includes(h)), `column ${h} in ${heads}`);
  const ids = await rowIds(page);
  const { traces } = await api("/traces?limit=50");
  assert.deepEqual(ids, traces.map((t) => t.traceId), "rows are the API's newest-first order");
  const starts = traces.map((t) => BigInt(t.startUnixNano));
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i - 1] >= starts[i], "newest first");
  await shot(page, "traces");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("traces: filter by status=error and by full text q, kept in the URL", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces");
  await page.getByTestId("trace-table").waitFor();
  await page.locator("select[name=status]").selectOption("error");
  await page.waitForURL(/status=error/);
  await until(async () => {
    const ids = await rowIds(page);
    const { traces } = await api("/traces?status=error&limit=50");
    return ids.length > 0 && JSON.stringify(ids) === JSON.stringify(traces.map((t) => t.traceId));
  }, "the error traces");
  const classes = await page.locator("[data-testid=trace-table] tbody tr").evaluateAll((trs) => trs.map((tr) => tr.className));
  assert.ok(classes.every((c) => c.includes("has-error")), "every row is marked as failing");

  // Full text: only the XSS probe's prompt says "Ignore previous instructions".
  await page.locator("select[name=status]").selectOption("");
  await page.waitForURL((u) => !u.search.includes("status="));
  await page.locator("input[name=q]").fill("Ignore previous instructions");
  await page.locator("input[name=q]").press("Enter");
  await page.waitForURL(/q=Ignore/);
  await until(async () => JSON.stringify(await rowIds(page)) === JSON.stringify([xssTraceId]), "the q match");

  // Filters that match nothing say so (not the first-run help).
  await page.goto(BASE + "/traces?service=trail-guide&minDuration=3600000");
  await page.getByTestId("no-match").waitFor();

  // Model, session, user and attribute filters reach the API and narrow the list.
  await page.goto(BASE + `/traces?session=${encodeURIComponent(demoTrace.sessionId)}`);
  await page.getByTestId("trace-table").waitFor();
  const sess = await api(`/traces?session=${encodeURIComponent(demoTrace.sessionId)}`);
  assert.deepEqual(await rowIds(page), sess.traces.map((t) => t.traceId));
  await page.goto(BASE + "/traces");
  await page.locator("input[name=attrNew]").fill("session.id=xss-session");
  await page.locator("input[name=attrNew]").press("Enter");
  await page.waitForURL(/attr=session.id/);
  await until(async () => JSON.stringify(await rowIds(page)) === JSON.stringify([xssTraceId]), "the attr match");
  assert.equal(await page.locator(".chip").count(), 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("traces: cursor paging and new traces appear without a reload", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces?limit=5");
  await page.getByTestId("trace-table").waitFor();
  const first = await rowIds(page);
  assert.equal(first.length, 5);
  await page.getByTestId("next-page").click();
  await page.waitForURL(/cursor=/);
  await until(async () => {
    const ids = await rowIds(page);
    return ids.length === 5 && !ids.some((id) => first.includes(id));
  }, "the second page");

  // Polling: a trace sent now shows up on the first page by itself.
  await page.goto(BASE + "/traces");
  await page.getByTestId("trace-table").waitFor();
  const traceId = randomBytes(16).toString("hex");
  const now = BigInt(Date.now()) * 1_000_000n;
  const res = await fetch(BASE + "/v1/traces", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "live-probe" } }] },
      scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8).toString("hex"), name: "live_probe", kind: 1,
        startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }] }] }] }),
  });
  assert.ok(res.ok, "OTLP/JSON accepted");
  await page.locator(`tr[data-trace-id="${traceId}"]`).waitFor({ timeout: 20_000 });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("trace: tree with waterfall, expand/collapse, chat with system prompt, prompt and answer", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces?service=trail-guide&status=ok");
  await page.locator(`tr[data-trace-id="${demoTrace.traceId}"] a.root-name`).click();
  await page.waitForURL(new RegExp("/traces/" + demoTrace.traceId));
  await page.getByTestId("span-tree").waitFor();
  const rows = page.locator(".tree-row");
  const n = demoTrace.spanCount;
  await until(async () => (await rows.count()) === n, `${n} tree rows`);
  // Bars sit on the trace's time axis: the root's bar starts at 0 and is the widest.
  const bars = await page.locator(".tree-row .bar").evaluateAll((bs) => bs.map((b) => ({ left: parseFloat(b.style.left), width: parseFloat(b.style.width) })));
  assert.ok(bars[0].left < 0.5 && bars[0].width > 90, "root bar spans the trace: " + JSON.stringify(bars));
  assert.ok(bars.every((b) => b.left >= 0 && b.left + b.width <= 100.5));

  // The first model call is selected and its chat is shown.
  const chat = page.getByTestId("chat");
  await chat.waitFor();
  assert.match(await page.getByTestId("msg-system").innerText(), /You are an expert hiking trail recommender/);
  assert.match(await page.getByTestId("msg-user").first().innerText(), /Recommend a named hiking trail/);
  const answer = await page.getByTestId("msg-output").first().innerText();
  assert.ok(answer.replace(/assistant|finish: \w+/gi, "").trim().length > 10, "answer visible: " + answer);
  assert.match(await page.getByTestId("chat-model").innerText(), /gpt-4o/);
  assert.match(await page.getByTestId("chat-input-tokens").innerText(), /^\d[\d,]*$/);
  assert.match(await chat.innerText(), /LATENCY/i);
  assert.match(await chat.innerText(), /COST/i);
  await shot(page, "trace");

  // Collapse the root: only it remains; expand again.
  await page.locator('.tree-row[aria-level="1"] .twisty').click();
  await until(async () => (await rows.count()) === 1, "collapsed tree");
  assert.equal(await page.locator('.tree-row[aria-level="1"]').getAttribute("aria-expanded"), "false");
  await page.locator('.tree-row[aria-level="1"] .twisty').click();
  await until(async () => (await rows.count()) === n, "expanded tree");
  await page.getByTestId("collapse-all").click();
  await until(async () => (await rows.count()) < n, "collapse all");
  await page.getByTestId("expand-all").click();
  await until(async () => (await rows.count()) === n, "expand all");

  // Clicking a row opens its detail: attributes and resource.
  await rows.first().click();
  await until(async () => (await page.getByTestId("detail-name").innerText()) === "trail_guide_session", "root detail");
  const detail = await page.getByTestId("span-detail").innerText();
  assert.match(detail, /Attributes/);
  assert.match(detail, /Resource/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("trace: a failing trace marks its error spans and shows the exception", async () => {
  const { traces } = await api("/traces?status=error&service=trail-guide&limit=5");
  assert.ok(traces.length > 0, "the demo sent failing traces");
  const page = await newPage(browser);
  await page.goto(BASE + "/traces/" + traces[0].traceId);
  await page.getByTestId("span-tree").waitFor();
  assert.ok((await page.locator(".tree-row.error").count()) > 0, "error rows are marked");
  assert.ok((await page.locator(".tree-row.error .err-dot").count()) > 0);
  await page.locator(".tree-row.error").first().click();
  await page.getByTestId("exception").first().waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("sessions: list, keyboard open, and the session as a conversation", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/sessions");
  await page.getByTestId("session-table").waitFor();
  await shot(page, "sessions");
  // Keyboard: j moves the selection, Enter opens it.
  await page.keyboard.press("j");
  const id = await page.locator("[data-testid=session-table] tbody tr.selected a").innerText();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp("/sessions/" + encodeURIComponent(id)));
  await page.getByTestId("conversation").waitFor();

  // The demo trace's session, from the trace page's link.
  await page.goto(BASE + "/traces/" + demoTrace.traceId);
  await page.getByTestId("session-link").click();
  await page.waitForURL(/\/sessions\//);
  const turns = page.getByTestId("turn");
  await turns.first().waitFor();
  const detail = await api("/sessions/" + encodeURIComponent(demoTrace.sessionId));
  assert.equal(await turns.count(), detail.traces.length);
  assert.equal(await page.getByTestId("session-trace-count").innerText(), String(detail.session.traceCount));
  assert.match(await page.getByTestId("turn-user").first().innerText(), /hiking trail/i);
  assert.ok((await page.getByTestId("turn-answer").count()) > 0);
  await shot(page, "session");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("dashboard: charts drawn with data, split by, slowest and failing traces", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/dashboard");
  await page.getByTestId("chart-calls").locator("canvas").waitFor();
  const calls = Number((await page.getByTestId("totals").locator(".big").first().innerText()).replace(/,/g, ""));
  assert.ok(calls > 0, "model calls > 0");
  for (const id of ["chart-calls", "chart-errors", "chart-latency", "chart-tokens", "chart-cost"]) {
    await page.getByTestId(id).locator("canvas").waitFor();
  }
  // The calls chart's canvas holds pixels of the series colours (data drawn, not just axes).
  const painted = await page.getByTestId("chart-calls").locator("canvas").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const cols = [[59, 130, 246], [245, 158, 11], [16, 185, 129]];
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && cols.some(([r, g, b]) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40)) n++;
    return n;
  });
  assert.ok(painted > 20, "series pixels drawn: " + painted);
  const failing = page.getByTestId("failing").locator("a");
  await failing.first().waitFor();
  assert.ok((await page.getByTestId("slowest").locator("a").count()) > 0, "slowest traces listed");
  await shot(page, "dashboard");

  // Split by service, kept in the URL across a reload.
  await page.getByTestId("group-by").selectOption("service");
  await page.waitForURL(/groupBy=service/);
  await page.reload();
  await page.getByTestId("chart-calls").locator("canvas").waitFor();
  assert.equal(await page.getByTestId("group-by").inputValue(), "service");
  assert.match(await page.getByTestId("chart-calls").innerText(), /trail-guide/);

  // A failing trace is a link to its trace page.
  const href = await failing.first().getAttribute("href");
  await failing.first().click();
  await page.waitForURL(new RegExp(href));
  await page.getByTestId("span-tree").waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("deep links survive a reload: trace + span, search, session, dashboard", async () => {
  const page = await newPage(browser);
  const t = await api("/traces/" + demoTrace.traceId);
  const root = t.spans.find((s) => !s.parentSpanId);
  await page.goto(BASE + `/traces/${demoTrace.traceId}?span=${root.spanId}`);
  await page.getByTestId("span-detail").waitFor();
  assert.equal(await page.getByTestId("span-detail").getAttribute("data-span-id"), root.spanId);
  await page.reload();
  await page.getByTestId("span-detail").waitFor();
  assert.equal(await page.getByTestId("span-detail").getAttribute("data-span-id"), root.spanId);

  await page.goto(BASE + "/traces?status=error&service=trail-guide&range=6h");
  await page.reload();
  await page.getByTestId("trace-table").waitFor();
  assert.equal(await page.locator("select[name=status]").inputValue(), "error");
  assert.equal(await page.locator(".time-range .seg.active").innerText(), "6h");

  await page.goto(BASE + "/sessions/" + encodeURIComponent(demoTrace.sessionId));
  await page.reload();
  await page.getByTestId("conversation").waitFor();
  await page.goto(BASE + "/dashboard?range=24h&groupBy=operation");
  await page.reload();
  await page.getByTestId("chart-calls").locator("canvas").waitFor();
  assert.equal(await page.getByTestId("group-by").inputValue(), "operation");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("untrusted content is text: the XSS probe never runs", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces/" + xssTraceId);
  await page.getByTestId("chat").waitFor();
  const user = await page.getByTestId("msg-user").first().innerText();
  assert.ok(user.includes("<script>window.__xss=1</script>"), "script payload shown as text: " + user);
  assert.ok(user.includes('<img src=x onerror="window.__xss=1">'), "img payload shown as text");
  const detail = await page.getByTestId("span-detail").innerText();
  assert.ok(detail.includes("prompt.user"), "the prompt attribute is listed");
  // The root span's attribute value carries the img payload.
  await page.locator(".tree-row").first().click();
  await until(async () => (await page.getByTestId("span-detail").innerText()).includes('<img src=x onerror="window.__xss=1">'), "attribute as text");
  // Session page and traces list with the payload too.
  await page.goto(BASE + "/sessions/xss-session");
  await page.getByTestId("turn").first().waitFor();
  await page.goto(BASE + "/traces?q=" + encodeURIComponent("<script>"));
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.locator("main script").count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("theme: dark toggle applies and is remembered", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces/" + demoTrace.traceId);
  await page.getByTestId("chat").waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
  const bgLight = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.getByTestId("theme-toggle").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  const bgDark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bgLight, bgDark);
  await page.reload();
  await page.getByTestId("chat").waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await shot(page, "trace-dark");
  await page.goto(BASE + "/dashboard");
  await page.getByTestId("chart-calls").locator("canvas").waitFor();
  await page.waitForTimeout(300);
  await shot(page, "dashboard-dark");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("keyboard: / focuses search, j/k and arrows move, Enter opens", async () => {
  const page = await newPage(browser);
  await page.goto(BASE + "/traces");
  await page.getByTestId("trace-table").waitFor();
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "q");
  await page.keyboard.press("Escape");
  await page.evaluate(() => document.activeElement?.blur());
  const ids = await rowIds(page);
  const selectedId = () => page.locator("[data-testid=trace-table] tbody tr.selected").getAttribute("data-trace-id");
  assert.equal(await selectedId(), ids[0]);
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  await page.keyboard.press("ArrowDown");
  assert.equal(await selectedId(), ids[2]);
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp("/traces/" + ids[2]));
  await page.getByTestId("span-tree").waitFor();

  // In the tree: j/k move the selection (and the detail follows), ←/→ collapse and expand.
  await page.goto(BASE + "/traces/" + demoTrace.traceId);
  await page.getByTestId("span-detail").waitFor();
  const sel = () => page.locator(".tree-row.selected").getAttribute("data-span-id");
  const before = await sel();
  await page.keyboard.press("k");
  const up = await sel();
  assert.notEqual(up, before);
  assert.equal(await page.getByTestId("span-detail").getAttribute("data-span-id"), up);
  await page.keyboard.press("ArrowDown");
  assert.equal(await sel(), before);
  // Go to the root and collapse it with ←, expand with →.
  for (let i = 0; i < 10; i++) await page.keyboard.press("k");
  await page.keyboard.press("ArrowLeft");
  await until(async () => (await page.locator(".tree-row").count()) === 1, "collapsed by ←");
  await page.keyboard.press("ArrowRight");
  await until(async () => (await page.locator(".tree-row").count()) === demoTrace.spanCount, "expanded by →");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("benchmark: a 10,000-span trace is interactive quickly", async () => {
  const page = await newPage(browser);
  const runs = [];
  for (let i = 0; i < 4; i++) {
    await page.goto(BASE + "/traces/" + bigTraceId, { waitUntil: "commit" });
    // Measured inside the page, from navigation start (performance.now()'s origin): first tree
    // rows rendered, then a click on a row that is not selected, then its detail shown.
    const r = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const poll = () => {
            const rows = document.querySelectorAll(".tree-row");
            if (rows.length < 10) return requestAnimationFrame(poll);
            const rowsAt = performance.now();
            const row = rows[5];
            const id = row.dataset.spanId;
            row.click();
            const check = () => {
              const d = document.querySelector("[data-testid=span-detail]");
              if (d && d.dataset.spanId === id) resolve({ rowsAt, interactiveAt: performance.now(), rows: rows.length });
              else requestAnimationFrame(check);
            };
            check();
          };
          poll();
        }),
    );
    runs.push(r);
  }
  // The page loads the trace once, in the compact form, gzipped, through the preload the server
  // puts in the page (one request: the preload is used, not fetched twice).
  const loads = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => e.name.includes("/api/v1/traces/"))
      .map((e) => ({ url: e.name.replace(location.origin, ""), initiator: e.initiatorType, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  );
  assert.equal(loads.length, 1, "one request for the trace: " + JSON.stringify(loads));
  assert.match(loads[0].url, /\?view=compact$/);
  assert.equal(loads[0].initiator, "link", "answered by the preload");
  assert.ok(loads[0].encoded > 0 && loads[0].encoded < loads[0].decoded / 4, "gzipped: " + JSON.stringify(loads[0]));
  const counted = await page.locator("[data-testid=span-tree] .tree-header").innerText();
  assert.match(counted, /10,000/);
  const domRows = await page.locator(".tree-row").count();
  assert.ok(domRows < 200, "rows are virtualised: " + domRows + " in the DOM");
  // The first run pays for a cold cache; report the median of the warm runs and the cold one.
  const warm = runs.slice(1).map((r) => r.interactiveAt).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  console.log(
    `BENCHMARK trace page, 10,000 spans: interactive at ${median.toFixed(0)} ms after navigation start (median of ${warm.length} warm runs; ` +
      `cold run ${runs[0].interactiveAt.toFixed(0)} ms; rows first rendered at ${runs.map((r) => r.rowsAt.toFixed(0)).join("/")} ms; ${domRows} rows in the DOM; ` +
      `trace JSON ${(loads[0].decoded / 1e6).toFixed(2)} MB, ${(loads[0].encoded / 1e3).toFixed(0)} KB gzipped)`,
  );
  // A measurement, not a pass/fail limit: timing belongs in BENCHMARKS.md, not in assertions.
  assert.ok(Number.isFinite(median) && median > 0, "every run became interactive: " + JSON.stringify(runs));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("API token: a 401 asks for the token, which is then sent as a bearer token", async (t) => {
  const bin = process.env.CAIRN_BIN_FOR_TESTS;
  if (!bin) return t.skip("CAIRN_BIN_FOR_TESTS not set");
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), "cairn-token-"));
  const proc = spawn(bin, ["serve", "--data", dir, "--http-addr", `127.0.0.1:${port}`, "--grpc-addr", "off", "--api-token", "s3cret"], { stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(url + "/readyz").catch(() => ({ ok: false }))).ok, "token server ready");
    const page = await newPage(browser);
    await page.goto(url + "/traces");
    const dialog = page.getByTestId("token-dialog");
    await dialog.waitFor();
    await dialog.locator("input").fill("s3cret");
    await dialog.locator("button[type=submit]").click();
    await page.getByTestId("empty-state").waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("cairn.apiToken")), "s3cret");
    await page.reload();
    await page.getByTestId("empty-state").waitFor();
    assert.equal(await dialog.count(), 0);
    // 401s are expected here (before the token was given); only page errors count.
    assert.deepEqual(page.errors.filter((e) => !e.includes("401")), []);
    await page.context().close();
  } finally {
    proc.kill("SIGINT");
    await new Promise((r) => proc.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
});
