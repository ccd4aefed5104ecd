/**
 * A lowering worker thread: its own parser and knowledge base; receives file texts, returns
 * each file's facts as UTF-8 JSON bytes (what the cache stores; JSON.parse on the main thread is
 * cheaper than decoding a structured clone) with their sha256, or the problem that skipped the
 * file.
 * Bundled to dist/worker.js; compiled by tsc to out/server/src/engine/worker.js.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { defaultSettings } from '../config/settings';
import { Engine } from './engine';
import type { LowerReply, LowerRequest, WorkerInit } from './pool';

/** Encodes into a fresh, unshared ArrayBuffer (transferable; Buffer.from may use a shared pool). */
const encoder = new TextEncoder();

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as WorkerInit;
  const settings = { ...defaultSettings(), ...init.settings };
  const engine = await Engine.create(settings);
  port.on('message', (req: LowerRequest) => {
    const reply = lower(engine, req);
    // The payload's memory moves to the main thread instead of being copied.
    port.postMessage(reply, 'payload' in reply ? [reply.payload.buffer as ArrayBuffer] : []);
  });
  port.postMessage({ ready: true } satisfies LowerReply);
}

function lower(engine: Engine, req: LowerRequest): LowerReply {
  try {
    const res = engine.setFile(req.path, req.text);
    res.tree?.delete();
    engine.removeFile(req.path);
    if (!res.facts) return { id: req.id, problem: res.problem ?? { file: req.path, message: 'not lowered' } };
    const payload = encoder.encode(JSON.stringify(res.facts));
    return { id: req.id, payload, sum: createHash('sha256').update(payload).digest('hex') };
  } catch (e) {
    engine.removeFile(req.path);
    return { id: req.id, problem: { file: req.path, message: e instanceof Error ? e.message : String(e) } };
  }
}

void main();
