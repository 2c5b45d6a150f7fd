// The seeds' Trail Guide AI Assistant, exporting with the real Azure Monitor JS exporter.
//
// It runs three trail_guide_session traces (two that succeed, one whose model call is refused
// with 429 and records the exception) against a stand-in OpenAI server started here, and sends
// spans and logs (the OpenAI instrumentation's content events) to the endpoint of
// APPLICATIONINSIGHTS_CONNECTION_STRING. For Cairn: point it at Cairn's TLS listener and set
// NODE_EXTRA_CA_CERTS to Cairn's CA (see `cairn serve` output).
//
// TRAILGUIDE_EXPORT chooses how the same app exports, for Cairn's parity test
// (test/e2e/azure_parity_test.go):
//   azure  (default) AzureMonitorTraceExporter and AzureMonitorLogExporter on the plain SDK;
//   distro the Azure Monitor distro, useAzureMonitor() from @azure/monitor-opentelemetry;
//   otlp   OTLP/HTTP protobuf exporters to OTEL_EXPORTER_OTLP_ENDPOINT (Cairn's HTTP port).
//
// It prints one JSON line on stdout: {"traces":[{"traceId","sessionId","ok"}...],"exportFailures":N}
// and exits 1 when any export failed (the distro's exporters are its own: not counted).
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { randomBytes, randomUUID } from "node:crypto";

process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED ??= "true";
process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL ??= "true";

const mode = process.env.TRAILGUIDE_EXPORT || "azure";
const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
if (!["azure", "distro", "otlp"].includes(mode)) {
  console.error(`TRAILGUIDE_EXPORT=${mode}: want azure, distro or otlp`);
  process.exit(2);
}
if (mode !== "otlp" && !connectionString) {
  console.error("set APPLICATIONINSIGHTS_CONNECTION_STRING (cairn serve prints it)");
  process.exit(2);
}
if (mode === "otlp" && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  console.error("set OTEL_EXPORTER_OTLP_ENDPOINT (cairn serve's HTTP address, e.g. http://127.0.0.1:4318)");
  process.exit(2);
}

const require = createRequire(import.meta.url);
const api = require("@opentelemetry/api");
const apiLogs = require("@opentelemetry/api-logs");
const { resourceFromAttributes } = require("@opentelemetry/resources");
const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
const { BatchSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { LoggerProvider, BatchLogRecordProcessor } = require("@opentelemetry/sdk-logs");
const { registerInstrumentations } = require("@opentelemetry/instrumentation");
const { OpenAIInstrumentation } = require("@opentelemetry/instrumentation-openai");

// Count failed exports, so that a broken receiver fails the run instead of passing silently.
let exportFailures = 0;
function counted(exporter) {
  const exportFn = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    exportFn(items, (result) => {
      if (result.code !== 0) {
        exportFailures++;
        console.error(`export of ${items.length} items failed: ${result.error?.message ?? result.code}`);
      }
      done(result);
    });
  return exporter;
}

const resource = resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME || "trail-guide-azure" });

// setUp installs the tracer and logger providers of the mode; it returns the function that
// flushes and shuts them down.
function setUp() {
  if (mode === "distro") {
    const { useAzureMonitor, shutdownAzureMonitor } = require("@azure/monitor-opentelemetry");
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString, disableOfflineStorage: true },
      resource,
      // Every trace, not the default 5 per second, so that the run is deterministic.
      tracesPerSecond: 0,
      samplingRatio: 1,
      // The stand-in model below is a node:http server: its server spans are not the app's.
      instrumentationOptions: { http: { enabled: false } },
    });
    return shutdownAzureMonitor;
  }
  let traceExporter, logExporter;
  if (mode === "otlp") {
    const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
    const { OTLPLogExporter } = require("@opentelemetry/exporter-logs-otlp-proto");
    traceExporter = new OTLPTraceExporter();
    logExporter = new OTLPLogExporter();
  } else {
    const { AzureMonitorTraceExporter, AzureMonitorLogExporter } = require("@azure/monitor-opentelemetry-exporter");
    const exporterOptions = { connectionString, disableOfflineStorage: true };
    traceExporter = new AzureMonitorTraceExporter(exporterOptions);
    logExporter = new AzureMonitorLogExporter(exporterOptions);
  }
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(counted(traceExporter))],
  });
  tracerProvider.register();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: counted(logExporter) })],
  });
  apiLogs.logs.setGlobalLoggerProvider(loggerProvider);
  return async () => {
    await tracerProvider.forceFlush();
    await loggerProvider.forceFlush();
    await tracerProvider.shutdown();
    await loggerProvider.shutdown();
  };
}
const shutDown = setUp();
registerInstrumentations({
  instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
});

// Loaded after the instrumentation is registered (through require, so that it patches it).
const { OpenAI } = require("openai");

// A stand-in for the OpenAI API: chat completions, and 429 for any prompt containing "FAIL".
function startStandIn() {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const request = JSON.parse(body || "{}");
      const system = request.messages?.find((m) => m.role === "system")?.content ?? "";
      const user = request.messages?.find((m) => m.role === "user")?.content ?? "";
      res.setHeader("content-type", "application/json");
      if (user.includes("FAIL")) {
        res.statusCode = 429;
        res.end(JSON.stringify({ error: { message: "Rate limit reached for gpt-4o", type: "requests", code: "rate_limit_exceeded" } }));
        return;
      }
      const content = system.includes("hiking")
        ? "Skyline Trail: a 5.5-mile loop above Paradise with glacier views and wildflower meadows."
        : "Bring layers, a rain shell, water filter, map, headlamp and a first-aid kit.";
      const promptTokens = system.includes("hiking") ? 30 : 23;
      res.end(JSON.stringify({
        id: "chatcmpl-" + randomBytes(6).toString("hex"),
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: "gpt-4o-2024-08-06",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: promptTokens, completion_tokens: 16, total_tokens: promptTokens + 16 },
      }));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const tracer = api.trace.getTracer("trail-guide");

// inSpan runs fn in a new active span, recording an error status when fn throws.
async function inSpan(name, fn) {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

async function callModel(client, systemPrompt, userPrompt, spanName) {
  return inSpan(spanName, async (span) => {
    span.setAttribute("prompt.user", userPrompt);
    const start = performance.now();
    let response;
    try {
      response = await client.chat.completions.create({
        model: "gpt-4o",
        messages: [
          { role: "system", content: systemPrompt },
          { role: "user", content: userPrompt },
        ],
      });
    } catch (err) {
      span.recordException(err);
      throw err;
    }
    const output = response.choices[0].message.content;
    span.setAttribute("response.time", ((performance.now() - start) / 1000).toFixed(3));
    span.setAttribute("response.tokens", output.split(/\s+/).length);
    return output;
  });
}

async function recommendHike(client, preferences) {
  return inSpan("recommend_hike", async (span) => {
    const prompt =
      "Recommend a named hiking trail based on the following user preferences. " +
      "Provide only the name of the trail and a one-sentence summary. Preferences: " + preferences;
    const result = (await callModel(client, "You are an expert hiking trail recommender.", prompt, "recommend_model_call")).trim();
    span.setAttribute("hike_recommendation", result);
    return result;
  });
}

async function trailGuideSession(client, preferences, withSupplies) {
  return tracer.startActiveSpan("trail_guide_session", async (span) => {
    const sessionId = "session_" + randomUUID();
    span.setAttribute("session.id", sessionId);
    const traceId = span.spanContext().traceId;
    let ok = true;
    try {
      await recommendHike(client, preferences);
      if (withSupplies) {
        await callModel(client, "You are an AI assistant that acts as a travel guide.",
          "What are some recommended supplies for a camping trip in the mountains?", "generate_completion");
      }
    } catch (err) {
      ok = false;
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(err?.message ?? err) });
    }
    span.setAttribute("session.success", ok);
    span.end();
    return { traceId, sessionId, ok };
  });
}

const server = await startStandIn();
const client = new OpenAI({ apiKey: "sk-cairn-test", baseURL: `http://127.0.0.1:${server.address().port}/v1`, maxRetries: 0 });
const traces = [];
traces.push(await trailGuideSession(client, "moderate difficulty, lakes, under 6 miles, trip 0", true));
traces.push(await trailGuideSession(client, "moderate difficulty, lakes, under 6 miles, trip 1", true));
traces.push(await trailGuideSession(client, "FAIL: a rate-limited request", false));
server.close();

await shutDown();
console.log(JSON.stringify({ traces, exportFailures }));
process.exit(exportFailures > 0 ? 1 : 0);
