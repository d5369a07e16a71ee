/** Where a command writes: stdout and stderr in the binary, buffers in tests. */
export interface Output {
  log(line: string): void;
  err(line: string): void;
}

export const consoleOutput: Output = {
  log: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export function formatErrors(errors: { path: string; message: string; line?: number }[], file?: string): string {
  return errors
    .map((e) => `  ${file ?? ''}${e.line !== undefined ? `${file ? ':' : 'line '}${e.line}` : ''}${file || e.line !== undefined ? ' ' : ''}${e.path}: ${e.message}`)
    .join('\n');
}
