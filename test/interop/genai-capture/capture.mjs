// Runs one real OpenAI instrumentation against an in-process stand-in OpenAI server and writes
// the OTLP/HTTP JSON it exports (spans and logs, as sent on the wire) to
// ../../../internal/genai/testdata/captures/<name>.json, for internal/genai/capture_test.go.
//
//   npm install && npm run capture      (or: node capture.mjs otel|openinference|openllmetry)
//
// Three calls: a chat completion with a system and a user message, a tool round trip (the model
// asks for get_weather, the app answers with a tool message), and a streamed completion.
// otel-responses makes the same three calls through the Responses API (client.responses.create),
// for which @opentelemetry/instrumentation-openai reports content with the newest convention:
// gen_ai.client.inference.operation.details log records carrying gen_ai.input.messages and
// gen_ai.output.messages as structured values, and gen_ai.system_instructions on the span.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const which = process.argv[2];
if (!["otel", "otel-responses", "openinference", "openllmetry"].includes(which)) {
  console.error("usage: node capture.mjs otel|otel-responses|openinference|openllmetry");
  process.exit(2);
}
process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = "true";
process.env.TRACELOOP_TRACE_CONTENT = "true";

const SYSTEM = "You are an AI assistant that acts as a travel guide.";
const USER = "What are some recommended supplies for a camping trip in the mountains?";
const ANSWER = "Bring layers, a rain shell, water filter, map, headlamp and a first-aid kit.";
const STREAMED = ["Skyline Trail: ", "a 5.5-mile loop ", "above Paradise."];

// listen starts a server on a free loopback port and returns its base URL.
function listen(handler) {
  return new Promise((resolve) => {
    const srv = createServer(handler);
    srv.listen(0, "127.0.0.1", () => resolve({ srv, url: `http://127.0.0.1:${srv.address().port}` }));
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

// The stand-in OpenAI chat completions endpoint.
let seq = 0;
async function openaiHandler(req, res) {
  const body = JSON.parse(await readBody(req));
  if (req.url === "/v1/responses") return responsesHandler(body, res);
  seq++;
  const id = `chatcmpl-capture-${seq}`;
  const model = "gpt-4o-mini-2024-07-18";
  const usage = { prompt_tokens: 24 + seq, completion_tokens: 12, total_tokens: 36 + seq,
    prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
  if (body.stream) {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = (delta, finish, extra = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1760000000, model,
        choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
    chunk({ role: "assistant", content: "" }, null);
    for (const piece of STREAMED) chunk({ content: piece }, null);
    chunk({}, "stop");
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1760000000, model, choices: [], usage })}\n\n`);
    }
    res.end("data: [DONE]\n\n");
    return;
  }
  const last = body.messages[body.messages.length - 1];
  let message = { role: "assistant", content: ANSWER };
  let finish = "stop";
  if (body.tools && last.role !== "tool") {
    message = { role: "assistant", content: null, tool_calls: [{ id: "call_weather_1", type: "function",
      function: { name: "get_weather", arguments: '{"location":"Mount Rainier"}' } }] };
    finish = "tool_calls";
  } else if (last.role === "tool") {
    message = { role: "assistant", content: "It is rainy at Mount Rainier: pack a rain shell." };
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ id, object: "chat.completion", created: 1760000000, model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], usage, system_fingerprint: "fp_capture" }));
}

// The stand-in OpenAI Responses endpoint: the same answers as the chat endpoint.
async function responsesHandler(body, res) {
  seq++;
  const id = `resp_capture_${seq}`;
  const model = "gpt-4o-mini-2024-07-18";
  const usage = { input_tokens: 24 + seq, input_tokens_details: { cached_tokens: 0 }, output_tokens: 12,
    output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 36 + seq };
  const input = Array.isArray(body.input) ? body.input : [];
  const last = input[input.length - 1];
  const text = (t) => ({ type: "message", id: `msg_capture_${seq}`, status: "completed", role: "assistant",
    content: [{ type: "output_text", text: t, annotations: [] }] });
  let item = text(ANSWER);
  if (body.tools && last?.type !== "function_call_output") {
    item = { type: "function_call", id: `fc_capture_${seq}`, call_id: "call_weather_1", name: "get_weather",
      arguments: '{"location":"Mount Rainier"}', status: "completed" };
  } else if (last?.type === "function_call_output") {
    item = text("It is rainy at Mount Rainier: pack a rain shell.");
  } else if (body.stream) {
    item = text(STREAMED.join(""));
  }
  const response = (status, output, u) => ({ id, object: "response", created_at: 1760000000, status, model,
    instructions: body.instructions ?? null, output, parallel_tool_calls: true, tool_choice: "auto",
    tools: body.tools ?? [], usage: u, error: null, incomplete_details: null, metadata: {} });
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(response("completed", [item], usage)));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  let n = 0;
  const send = (ev) => res.write(`event: ${ev.type}\ndata: ${JSON.stringify({ ...ev, sequence_number: n++ })}\n\n`);
  send({ type: "response.created", response: response("in_progress", [], null) });
  send({ type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } });
  for (const piece of STREAMED) {
    send({ type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: piece });
  }
  send({ type: "response.output_item.done", output_index: 0, item });
  send({ type: "response.completed", response: response("completed", [item], usage) });
  res.end();
}

// The stand-in OTLP/HTTP collector: keeps every request body.
const captured = { traces: [], logs: [] };
async function collectorHandler(req, res) {
  const body = await readBody(req);
  if (req.url === "/v1/traces") captured.traces.push(JSON.parse(body));
  if (req.url === "/v1/logs") captured.logs.push(JSON.parse(body));
  res.writeHead(200, { "content-type": "application/json" });
  res.end("{}");
}

const openai = await listen(openaiHandler);
const collector = await listen(collectorHandler);

const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
const { SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { LoggerProvider, SimpleLogRecordProcessor } = require("@opentelemetry/sdk-logs");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
const { OTLPLogExporter } = require("@opentelemetry/exporter-logs-otlp-http");
const { resourceFromAttributes } = require("@opentelemetry/resources");
const { logs } = require("@opentelemetry/api-logs");
const { registerInstrumentations } = require("@opentelemetry/instrumentation");

const resource = resourceFromAttributes({ "service.name": `genai-capture-${which}` });
const tracerProvider = new NodeTracerProvider({ resource,
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))] });
tracerProvider.register();
const loggerProvider = new LoggerProvider({ resource,
  processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector.url}/v1/logs` }) })] });
logs.setGlobalLoggerProvider(loggerProvider);

let instrumentation;
if (which === "otel" || which === "otel-responses") {
  const { OpenAIInstrumentation } = require("@opentelemetry/instrumentation-openai");
  instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
} else if (which === "openinference") {
  const { OpenAIInstrumentation } = require("@arizeai/openinference-instrumentation-openai");
  instrumentation = new OpenAIInstrumentation();
} else {
  const { OpenAIInstrumentation } = require("@traceloop/instrumentation-openai");
  instrumentation = new OpenAIInstrumentation({ enrichTokens: false, traceContent: true });
}
registerInstrumentations({ tracerProvider, loggerProvider, instrumentations: [instrumentation] });
const OpenAI = require("openai");


const client = new OpenAI({ apiKey: "sk-capture", baseURL: `${openai.url}/v1` });
if (which === "otel-responses") {
  await client.responses.create({ model: "gpt-4o-mini", temperature: 0.2, max_output_tokens: 200, instructions: SYSTEM, input: USER });
  const tools = [{ type: "function", name: "get_weather", description: "Current weather at a place", strict: false,
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } }];
  const ask = [{ role: "user", content: "What is the weather at Mount Rainier?" }];
  const first = await client.responses.create({ model: "gpt-4o-mini", input: ask, tools });
  const call = first.output[0];
  await client.responses.create({ model: "gpt-4o-mini", tools, input: [...ask,
    { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
    { type: "function_call_output", call_id: call.call_id, output: '{"forecast":"rain","temperature_c":7}' }] });
  const stream = await client.responses.create({ model: "gpt-4o-mini", stream: true, input: "Recommend a named hiking trail." });
  for await (const _ of stream) { /* drain */ }
} else {
  await client.chat.completions.create({ model: "gpt-4o-mini", temperature: 0.2, max_tokens: 200,
    messages: [{ role: "system", content: SYSTEM }, { role: "user", content: USER }] });

  const tools = [{ type: "function", function: { name: "get_weather", description: "Current weather at a place",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } } }];
  const ask = [{ role: "user", content: "What is the weather at Mount Rainier?" }];
  const first = await client.chat.completions.create({ model: "gpt-4o-mini", messages: ask, tools });
  const call = first.choices[0].message.tool_calls[0];
  await client.chat.completions.create({ model: "gpt-4o-mini", tools, messages: [...ask, first.choices[0].message,
    { role: "tool", tool_call_id: call.id, content: '{"forecast":"rain","temperature_c":7}' }] });

  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", stream: true,
    stream_options: { include_usage: true }, messages: [{ role: "user", content: "Recommend a named hiking trail." }] });
  for await (const _ of stream) { /* drain */ }
}

await tracerProvider.forceFlush();
await loggerProvider.forceFlush();
await tracerProvider.shutdown();
await loggerProvider.shutdown();
openai.srv.close();
collector.srv.close();

const out = join(dirname(fileURLToPath(import.meta.url)), "../../../internal/genai/testdata/captures");
mkdirSync(out, { recursive: true });
const file = join(out, `${which}.json`);
writeFileSync(file, JSON.stringify(captured, null, 1) + "\n");
const spans = captured.traces.flatMap((t) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const records = captured.logs.flatMap((l) => l.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords)));
console.log(`${which}: ${spans.length} spans, ${records.length} log records -> ${file}`);
