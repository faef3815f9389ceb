/**
 * The worker-thread side of the js engine (a piscina task): runs one plan on a fresh instance.
 * The compiled module arrives with each task; V8 shares its code between threads, so nothing is
 * recompiled. Output chunks, when streamed, go over the task's port, followed by an `end` marker.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ExecutionResult } from '../../execute/types.js';
import type { RunPlan } from '../engine.js';
import { runPlan } from './runner.js';

export interface WorkerTask {
  module: WebAssembly.Module;
  plan: RunPlan;
  port?: MessagePort;
}

/** Messages on a task's port: an output chunk (`s` 1 stdout, 2 stderr), or the end of output. */
export type PortMessage = { s: 1 | 2; c: Uint8Array } | { end: true };

export default function run(task: WorkerTask): ExecutionResult {
  const { port } = task;
  if (!port) return runPlan(task.module, task.plan);
  try {
    return runPlan(task.module, task.plan, {
      stdout: (c) => port.postMessage({ s: 1, c } satisfies PortMessage),
      stderr: (c) => port.postMessage({ s: 2, c } satisfies PortMessage),
    });
  } finally {
    port.postMessage({ end: true } satisfies PortMessage);
    port.close();
  }
}
