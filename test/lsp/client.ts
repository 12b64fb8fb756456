// A small LSP client for tests: spawns the built `isavirt lsp --stdio` and speaks JSON-RPC to it
// over its real stdin/stdout, recording every diagnostics notification it publishes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export class LspClient {
  readonly child: ChildProcess;
  readonly conn: MessageConnection;
  readonly published: PublishDiagnosticsParams[] = [];
  /** Every $/progress notification, and where it fell among the diagnostics publications. */
  readonly progress: { token: unknown; value: any; afterPublications: number }[] = [];
  /** Tokens the server asked to create (window/workDoneProgress/create). */
  readonly progressTokens: unknown[] = [];
  private waiters: (() => void)[] = [];
  stderr = '';

  /** `env`: over the test process's environment (an empty analysis cache folder, say). */
  constructor(extraArgs: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['dist/cli/main.js', 'lsp', '--stdio', ...extraArgs], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.conn = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onRequest('window/workDoneProgress/create', (p: { token: unknown }) => {
      this.progressTokens.push(p.token);
      return null;
    });
    this.conn.onNotification('$/progress', (p: { token: unknown; value: any }) => {
      this.progress.push({ ...p, afterPublications: this.published.length });
    });
    this.conn.listen();
  }

  /** `capabilities`: what the editor says it supports (e.g. { window: { workDoneProgress: true } }). */
  async initialize(capabilities: object = {}): Promise<any> {
    const r = await this.conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities });
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'isa', version, text } });
  }

  /** Replace the whole text (a full-document change event). */
  change(uri: string, version: number, text: string): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  request<T = any>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  /** The first publication (already received or still to come) for `uri` that satisfies `pred`. */
  async waitForDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean, timeoutMs = 30000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.published.find((p) => p.uri === uri && pred(p));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching diagnostics for ${uri}; got ${JSON.stringify(this.published.filter((p) => p.uri === uri).slice(-3))}\nstderr: ${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    try {
      await this.request('shutdown', null);
      await this.conn.sendNotification('exit');
    } catch {
      // already gone
    }
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.child.kill();
        resolve();
      }, 3000);
      this.child.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.conn.dispose();
  }
}

/** The 0-based LSP position of the `nth` (0-based) occurrence of `needle` in `text`, plus `offset` characters. */
export function positionOf(text: string, needle: string, nth = 0, offset = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' occurs fewer than ${nth + 1} times`);
  }
  at += offset;
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { line, character: at - (before.lastIndexOf('\n') + 1) };
}
