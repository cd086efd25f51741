// Drives sightline's Chat Completions with the official `openai` npm SDK, unmodified; run by
// tests/e2e/chat/test_openai_js_sdk.py, which then checks what the stub upstream received.
//
// Configuration comes only from the environment, as for any openai-node user:
//   OPENAI_BASE_URL   sightline's /v1 URL
//   OPENAI_API_KEY    a sightline API key
//   OVS_IMAGE_URL     an ovs:// image reference to send (optional: skipped when unset)
//   OVS_MODEL         the model id to use for the ovs:// and streaming requests
// Prints one JSON object on stdout: what each call returned.

import OpenAI from "openai";

const results = {};

// The "Create chat completion" example of the OpenAI API reference
// (https://platform.openai.com/docs/api-reference/chat/create), verbatim but for capturing the
// result: the client reads OPENAI_BASE_URL and OPENAI_API_KEY from the environment.
const openai = new OpenAI();

async function main() {
  const completion = await openai.chat.completions.create({
    messages: [{ role: "developer", content: "You are a helpful assistant." }],
    model: "gpt-4o",
    store: true,
  });

  console.error(completion.choices[0]);
  results.docs_example = completion;
}

async function ovsImage() {
  if (!process.env.OVS_IMAGE_URL) return;
  const completion = await openai.chat.completions.create({
    model: process.env.OVS_MODEL,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "What is in this frame?" },
          { type: "image_url", image_url: { url: process.env.OVS_IMAGE_URL } },
        ],
      },
    ],
  });
  results.ovs_image = completion;
}

async function streaming() {
  const stream = await openai.chat.completions.create({
    model: process.env.OVS_MODEL,
    messages: [{ role: "user", content: "Say something, slowly." }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  let text = "";
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunk.choices.length > 0) text += chunk.choices[0].delta?.content ?? "";
  }
  results.streaming = { text, chunks };
}

async function errors() {
  try {
    await openai.chat.completions.create({
      model: "no-such-model",
      messages: [{ role: "user", content: "hi" }],
    });
    results.unknown_model = { error: null };
  } catch (err) {
    results.unknown_model = {
      is_api_error: err instanceof OpenAI.APIError,
      is_not_found: err instanceof OpenAI.NotFoundError,
      status: err.status,
      code: err.code ?? null,
      type: err.type ?? null,
    };
  }
}

try {
  await main();
  await ovsImage();
  await streaming();
  await errors();
  const models = [];
  for await (const m of openai.models.list()) models.push(m.id);
  results.models = models;
  process.stdout.write(JSON.stringify(results) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ ...results, fatal: String(err), status: err?.status ?? null }) + "\n");
  process.exit(1);
}
