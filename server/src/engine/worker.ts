/**
 * A lowering worker thread: its own parser and knowledge base; receives file texts, returns
 * each file's facts as JSON text (what the cache stores; JSON.parse on the main thread is
 * cheaper than decoding a structured clone), or the problem that skipped the file. The main
 * thread, which waits on the workers, encodes and checksums what it caches.
 * Bundled to dist/worker.js; compiled by tsc to out/server/src/engine/worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { defaultSettings } from '../config/settings';
import { Configuration } from '../preprocess/config';
import { Engine } from './engine';
import type { LowerReply, LowerRequest, WorkerInit } from './pool';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as WorkerInit;
  const settings = { ...defaultSettings(), ...init.settings };
  const engine = await Engine.create(settings);
  engine.setConfiguration(new Configuration(init.config));
  port.on('message', (req: LowerRequest) => {
    port.postMessage(lower(engine, req));
  });
  port.postMessage({ ready: true } satisfies LowerReply);
}

function lower(engine: Engine, req: LowerRequest): LowerReply {
  try {
    const res = engine.setFile(req.path, req.text, req.source);
    res.tree?.delete();
    engine.removeFile(req.path);
    if (!res.facts) return { id: req.id, problem: res.problem ?? { file: req.path, message: 'not lowered' } };
    return { id: req.id, json: JSON.stringify(res.facts) };
  } catch (e) {
    engine.removeFile(req.path);
    return { id: req.id, problem: { file: req.path, message: e instanceof Error ? e.message : String(e) } };
  }
}

void main();
