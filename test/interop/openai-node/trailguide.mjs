// The seeds' Trail Guide AI Assistant on the plain OpenTelemetry JS SDK: the OpenAI
// instrumentation traces each chat call (a "chat gpt-4o" span) and, with
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, sends the messages as log records;
// spans and logs go over OTLP/HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT (Cairn's HTTP
// port, e.g. http://127.0.0.1:4318).
//
// One session of two turns, each its own trace rooted at trail_guide_session with the same
// session.id: a trail recommendation, then a packing list for that trail. The model is
// OPENAI_BASE_URL (an OpenAI-compatible server; Cairn's tests use its stand-in).
//
// It prints one JSON line on stdout:
//   {"sessionId","turns":[{"traceId","system","user","answer","model"}...],"exportFailures":N}
// and exits 1 when any export failed.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";

for (const v of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OPENAI_BASE_URL"]) {
  if (!process.env[v]) {
    console.error(`set ${v}`);
    process.exit(2);
  }
}
process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT ??= "true";

const require = createRequire(import.meta.url);
const api = require("@opentelemetry/api");
const apiLogs = require("@opentelemetry/api-logs");
const { resourceFromAttributes } = require("@opentelemetry/resources");
const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
const { BatchSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { LoggerProvider, BatchLogRecordProcessor } = require("@opentelemetry/sdk-logs");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
const { OTLPLogExporter } = require("@opentelemetry/exporter-logs-otlp-proto");
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

// The exporters read OTEL_EXPORTER_OTLP_ENDPOINT and append /v1/traces and /v1/logs.
const resource = resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME ?? "trail-guide-node" });
const tracerProvider = new NodeTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(counted(new OTLPTraceExporter()))],
});
tracerProvider.register();
const loggerProvider = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: counted(new OTLPLogExporter()) })],
});
apiLogs.logs.setGlobalLoggerProvider(loggerProvider);
// No config: content capture comes from OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT.
registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });

// Loaded after the instrumentation is registered (through require, so that it patches it).
const { OpenAI } = require("openai");
const client = new OpenAI({ apiKey: "sk-cairn-test", baseURL: process.env.OPENAI_BASE_URL, maxRetries: 0 });
const tracer = api.trace.getTracer("trail-guide");

// inSpan runs fn in a new active span, recording an error status when fn throws.
async function inSpan(name, fn) {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

// callModel is the seeds' model call wrapper.
async function callModel(systemPrompt, userPrompt, spanName) {
  return inSpan(spanName, async (span) => {
    span.setAttribute("prompt.user", userPrompt);
    const start = performance.now();
    const response = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "system", content: systemPrompt },
        { role: "user", content: userPrompt },
      ],
    });
    const output = response.choices[0].message.content;
    span.setAttribute("response.time", (performance.now() - start) / 1000);
    span.setAttribute("response.tokens", output.split(/\s+/).length);
    return { system: systemPrompt, user: userPrompt, answer: output, model: response.model };
  });
}

async function recommendHike(preferences) {
  return inSpan("recommend_hike", async (span) => {
    const prompt =
      "Recommend a named hiking trail based on the following user preferences. " +
      "Provide only the name of the trail and a one-sentence summary. Preferences: " + preferences;
    const call = await callModel("You are an expert hiking trail recommender.", prompt, "recommend_model_call");
    span.setAttribute("hike_recommendation", call.answer.trim());
    return call;
  });
}

async function packForHike(trail) {
  return inSpan("pack_for_hike", async () =>
    callModel("You are an AI assistant that acts as a travel guide.",
      `What supplies should I pack for a mountain hike on ${trail}?`, "pack_model_call"));
}

// One turn of the session: its own trace, rooted at trail_guide_session.
async function turn(sessionId, work) {
  return tracer.startActiveSpan("trail_guide_session", async (span) => {
    span.setAttribute("session.id", sessionId);
    try {
      const call = await work();
      span.setAttribute("session.success", true);
      return { traceId: span.spanContext().traceId, ...call };
    } catch (err) {
      span.setAttribute("session.success", false);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

const sessionId = `session_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
const turns = [];
turns.push(await turn(sessionId, () => recommendHike("moderate difficulty, lakes, under 6 miles")));
const trail = turns[0].answer.split(":")[0];
turns.push(await turn(sessionId, () => packForHike(trail)));

await tracerProvider.forceFlush();
await loggerProvider.forceFlush();
await tracerProvider.shutdown();
await loggerProvider.shutdown();
console.log(JSON.stringify({ sessionId, turns, exportFailures }));
process.exit(exportFailures > 0 ? 1 : 0);
