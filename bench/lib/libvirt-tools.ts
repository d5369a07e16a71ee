// virsh and qemu-img as the raw baseline runs them, a probe for whether libvirt is usable here, and a console
// watcher (polls a serial log file for a line).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libvirtAvailable } from '@reservoir/adapters/libvirt';
import { sleep } from './bench-broker';

const exec = promisify(execFile);
const TOOL_TIMEOUT_MS = 30_000;

/** Runs virsh against `uri`; resolves with stdout, rejects with virsh's stderr. */
export async function virsh(uri: string, ...args: string[]): Promise<string> {
  try {
    return (await exec('virsh', ['-c', uri, ...args], { timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' })).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`virsh ${args.join(' ')}: ${stderr || (err instanceof Error ? err.message : String(err))}`, { cause: err });
  }
}

/** Runs qemu-img; resolves with stdout. */
export async function qemuImg(...args: string[]): Promise<string> {
  return (await exec('qemu-img', args, { timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' })).stdout;
}

/** What `qemu-img info --output=json` says about an overlay's backing file. */
export interface Backing {
  path: string;
  format: string;
  virtualSize: number;
}

export async function backingOf(overlay: string): Promise<Backing> {
  const info = JSON.parse(await qemuImg('info', '-U', '--output=json', overlay)) as Record<string, unknown>;
  const path = info['full-backing-filename'] ?? info['backing-filename'];
  if (typeof path !== 'string') throw new Error(`${overlay} has no backing file`);
  return { path, format: String(info['backing-filename-format'] ?? 'qcow2'), virtualSize: Number(info['virtual-size']) };
}

/** The libvirt parts' prerequisites, each with the reason it is missing (empty when all are there). */
export async function libvirtProblems(qemuUri: string): Promise<{ addon?: string; qemu?: string }> {
  const problems: { addon?: string; qemu?: string } = {};
  const addon = libvirtAvailable();
  if (!addon.ok) problems.addon = `libvirt addon unavailable: ${addon.reason}`;
  try {
    await virsh(qemuUri, 'list');
    await qemuImg('--version');
  } catch (err) {
    problems.qemu = `\`virsh -c ${qemuUri} list\` / qemu-img failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
  }
  return problems;
}

/** Names of every domain on `uri`, running or not. */
export async function domainNames(uri: string): Promise<string[]> {
  return (await virsh(uri, 'list', '--all', '--name')).split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** Hard stop (if running) and undefine; quiet when the domain is already gone. */
export async function removeRawDomain(uri: string, name: string): Promise<void> {
  if (!(await domainNames(uri)).includes(name)) return;
  await virsh(uri, 'destroy', name).catch(() => undefined); // already shut off
  await virsh(uri, 'undefine', name);
}

/** The line `counter=1` (not counter=10…), as the counter guest prints it on COM1. */
export function readyLine(text: string): RegExp {
  return new RegExp(`(?:^|\\n)${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z_])`);
}

/**
 * Polls for a file (the first in `dir` whose name starts with `prefix`, or a fixed path) until it contains
 * `ready`; resolves with performance.now() at that moment and the file's path.
 */
export async function waitForConsole(
  where: { dir: string; prefix: string } | { path: string },
  ready: RegExp,
  timeoutMs: number,
  everyMs = 5,
): Promise<{ at: number; path: string }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const path = 'path' in where ? where.path : findFile(where.dir, where.prefix);
    if (path !== undefined && existsSync(path) && ready.test(readFileSync(path, 'latin1'))) return { at: performance.now(), path };
    if (performance.now() > deadline) throw new Error(`no ${String(ready)} on ${path ?? JSON.stringify(where)} within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

function findFile(dir: string, prefix: string): string | undefined {
  const name = readdirSync(dir).find((f) => f.startsWith(prefix));
  return name === undefined ? undefined : join(dir, name);
}
