/**
 * The program each pooled xmllint worker thread runs (`new Worker(XMLLINT_WORKER_SOURCE, { eval: true })`).
 * It is a string, not a module, so nothing has to be copied into dist/ and it runs the same under ts-jest,
 * ts-node and compiled code (a function's `toString()` would carry transpiler or coverage artefacts).
 *
 * The worker loads xmllint-wasm's Emscripten factory (`xmllint-node.js`; the file also registers its own
 * `parentPort` listener, which ignores every message not tagged `'xmllint-wasm': true`, so ours) and gets the
 * compiled xmllint.wasm from the parent through workerData. For each request it calls the factory once: a new
 * Emscripten runtime (in-memory file system holding only the request's files, file table, exit status), a new
 * instance of the compiled module and a new WebAssembly.Memory capped at `maxMemoryPages` — nothing of a run
 * survives into the next. xmllint-wasm's own worker does the same per run, only it starts a thread and
 * compiles the WebAssembly each time.
 *
 * Requests are handled one after another. Note: Emscripten prepends argv[0] to the `arguments` array it is
 * given, in place; every request's `args` is a fresh structured-clone copy, so that never accumulates.
 * (Reusing one array across runs would make each run validate the previous runs' argv[0] as extra files.)
 */
export const XMLLINT_WORKER_SOURCE = `
'use strict';
(() => {
  const { parentPort, workerData } = require('node:worker_threads');
  const describe = (error) => (error instanceof Error ? error.message : String(error));
  let createXmllint;
  try {
    createXmllint = require(workerData.xmllintPath);
    if (typeof createXmllint !== 'function') throw new Error(workerData.xmllintPath + ' does not export the Emscripten factory');
  } catch (error) {
    parentPort.postMessage({ type: 'failed', message: describe(error) });
    return;
  }
  const compiled = workerData.wasmModule;
  // argv[0] (and the environment's _) as xmllint-wasm's worker has them: Emscripten takes its process.argv[1],
  // the path of xmllint-node.js. They sit in WebAssembly memory, so near the memory ceiling even their length
  // decides which allocation fails, and with it the messages.
  const thisProgram = workerData.xmllintPath.replace(/\\\\/g, '/');

  async function run(request) {
    let stdout = '';
    let stderr = '';
    let exitCode;
    let abort;
    try {
      await createXmllint({
        inputFiles: request.inputFiles,
        arguments: request.args,
        thisProgram,
        print: (text) => { stdout += text + '\\n'; },
        printErr: (text) => { stderr += text + '\\n'; },
        onExit: (code) => { exitCode = code; },
        onAbort: (reason) => { abort = 'WASM Abort: ' + reason; },
        wasmMemory: new WebAssembly.Memory({ initial: request.initialMemoryPages, maximum: request.maxMemoryPages }),
        instantiateWasm: (imports, receive) => {
          const instance = new WebAssembly.Instance(compiled, imports);
          receive(instance, compiled);
          return instance.exports;
        },
      });
    } catch (error) {
      if (abort === undefined) return { type: 'crashed', id: request.id, message: describe(error) };
    }
    // As xmllint-wasm reports an abort: exit code -1, the reason as stderr.
    if (abort !== undefined) return { type: 'exit', id: request.id, exitCode: -1, stdout: '', stderr: abort };
    if (exitCode === undefined) return { type: 'crashed', id: request.id, message: 'xmllint ended without an exit status' };
    return { type: 'exit', id: request.id, exitCode, stdout, stderr };
  }

  let previous = Promise.resolve();
  parentPort.on('message', (request) => {
    if (!request || request.type !== 'run') return;
    previous = previous
      .then(() => run(request))
      .catch((error) => ({ type: 'crashed', id: request.id, message: describe(error) }))
      .then((reply) => parentPort.postMessage(reply));
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

/** A file in xmllint's in-memory file system. */
export interface XmllintFile {
  fileName: string;
  contents: string;
}

/** One xmllint run: its files, its command line (without argv[0]) and its WebAssembly memory, in 64 KiB pages. */
export interface XmllintRun {
  inputFiles: XmllintFile[];
  args: string[];
  initialMemoryPages: number;
  maxMemoryPages: number;
}

/** How an xmllint run ended. */
export interface XmllintExit {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Parent → worker. */
export interface XmllintRequest extends XmllintRun {
  type: 'run';
  id: number;
}

/** Worker → parent. */
export type XmllintWorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | ({ type: 'exit'; id: number } & XmllintExit)
  | { type: 'crashed'; id: number; message: string };
