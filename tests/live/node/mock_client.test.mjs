// A JavaScript client against the mock: Node 18+ built-ins only (fetch, node:test), no npm.
// Start the mock first, e.g. `mockserver --host 127.0.0.1 --port 8000 --lifecycle step`,
// then run `VIDU_MOCK_URL=http://127.0.0.1:8000 node --test mock_client.test.mjs`.
import assert from "node:assert/strict";
import { test } from "node:test";

const BASE = process.env.VIDU_MOCK_URL ?? "http://127.0.0.1:8000";
const AUTH = { Authorization: "Bearer sk-test" };
const JSON_BODY = { "Content-Type": "application/json" };

function create() {
  return fetch(`${BASE}/v1/video/generations`, {
    method: "POST",
    headers: { ...AUTH, ...JSON_BODY },
    body: JSON.stringify({ model: "viduq3p-720p", prompt: "a fox in the snow" }),
  });
}

test("create, poll to completed, download the MP4", async () => {
  const created = await create();
  assert.equal(created.status, 200);
  const { task_id: taskId } = await created.json();

  // With --lifecycle step every poll moves the job one state: no waiting.
  let job = { status: "queued" };
  for (let polls = 0; job.status !== "completed" && polls < 10; polls++) {
    const polled = await fetch(`${BASE}/v1/videos/${taskId}`, { headers: AUTH });
    assert.equal(polled.status, 200);
    job = await polled.json();
  }
  assert.equal(job.status, "completed");

  const video = await fetch(`${BASE}/v1/videos/${taskId}/content`);
  assert.equal(video.status, 200);
  assert.equal(video.headers.get("content-type"), "video/mp4");
  const bytes = Buffer.from(await video.arrayBuffer());
  assert.equal(bytes.subarray(4, 8).toString("latin1"), "ftyp"); // an MP4 starts with its ftyp box
  assert.equal(Number(video.headers.get("content-length")), bytes.length);

  // HEAD tells the size before a download.
  const head = await fetch(`${BASE}/v1/video/generations/${taskId}/content`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(bytes.length));
});

test("queue a failure through the admin API, then read it in the journal", async () => {
  const queued = await fetch(`${BASE}/__mock/failures`, {
    method: "POST",
    headers: JSON_BODY,
    body: JSON.stringify({ error: "503", times: 1 }),
  });
  assert.equal(queued.status, 201);

  const refused = await create();
  assert.equal(refused.status, 503);
  assert.ok(Number(refused.headers.get("retry-after")) >= 0);
  await refused.arrayBuffer(); // read the body so the connection is reused
  assert.equal((await create()).status, 200); // the rule fired once

  const journal = await (await fetch(`${BASE}/__mock/journal`)).json();
  const [failed, passed] = journal.entries.slice(-2);
  assert.deepEqual([failed.endpoint, failed.status, passed.status], ["create", 503, 200]);
  assert.match(failed.injected, /^rule/);
  assert.equal(failed.headers.authorization, "Bearer [redacted]"); // tokens never stored
});
