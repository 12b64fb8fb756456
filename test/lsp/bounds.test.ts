// The language server against hostile clients and documents: bounded diagnostics, bounded
// messages, InvalidParams for bad params, `extends` confined, and a clean exit when stdin closes.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramingGuard, MAX_MESSAGE_BYTES } from '../../src/lsp/framing.js';
import { MAX_DIAGNOSTICS_PER_DOCUMENT, capDiagnostics } from '../../src/lsp/server.js';
import { LspClient, root } from './client.js';
import { exponentialCalls } from '../ir/hostile.js';

/** Everything the guard lets through, for the given input chunks. */
async function through(chunks: Buffer[]): Promise<string> {
  const g = new FramingGuard();
  const out: Buffer[] = [];
  g.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((r) => g.on('end', () => r()));
  for (const c of chunks) g.write(c);
  g.end();
  await ended;
  return Buffer.concat(out).toString('utf8');
}

const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('framing guard', () => {
  it('passes well-framed messages through, split anywhere', async () => {
    const text = frame('{"a":1}') + frame('{"b":2}');
    for (let cut = 0; cut <= text.length; cut += 7) {
      expect(await through([Buffer.from(text.slice(0, cut)), Buffer.from(text.slice(cut))])).toBe(text);
    }
  });

  it('drops a message longer than the limit without buffering it, and junk without Content-Length', async () => {
    const big = `Content-Length: ${MAX_MESSAGE_BYTES + 1}\r\n\r\n`;
    const out = await through([Buffer.from('garbage\r\n\r\n' + big), Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), Buffer.from(frame('{"ok":1}'))]);
    expect(out).toBe(frame('{"ok":1}'));
  });

  it('property: random junk before a message never loses the message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (junk) => {
        // Junk ends with a header terminator so the guard can resynchronise at the next block.
        const input = junk.replace(/Content-Length/gi, 'x') + '\r\n\r\n' + frame('{"id":1}');
        expect(await through([Buffer.from(input)])).toContain(frame('{"id":1}'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('diagnostics cap', () => {
  it(`at most ${MAX_DIAGNOSTICS_PER_DOCUMENT}, the last one saying how many more there are`, () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ range: { start: { line: i, character: 0 }, end: { line: i, character: 1 } }, message: `d${i}` }));
    const capped = capDiagnostics(many);
    expect(capped).toHaveLength(MAX_DIAGNOSTICS_PER_DOCUMENT);
    expect(capped.at(-1)!.message).toMatch(/^801 more diagnostics in this file are not shown/);
    expect(capDiagnostics(many.slice(0, 3))).toHaveLength(3);
  });
});

describe('isavirt lsp against hostile input', () => {
  let client: LspClient;
  const tmp = mkdtempSync(join(tmpdir(), 'isavirt-lsp-bounds-'));
  beforeAll(async () => {
    client = new LspClient(['--no-analysis']);
    await client.initialize();
  });
  afterAll(async () => {
    await client.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a 5 MB junk document gets a bounded list of diagnostics', async () => {
    const uri = pathToFileURL(join(tmp, 'junk.isa')).href;
    await client.open(uri, '#@$\u0001'.repeat(5 * 1024 * 256), 1);
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(p.diagnostics.length).toBeGreaterThan(0);
    expect(p.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS_PER_DOCUMENT);
    expect(JSON.stringify(p.diagnostics).length).toBeLessThan(100_000);
  });

  it('2^40 inlined calls: the document gets ISA3020 and the server keeps answering', async () => {
    const uri = pathToFileURL(join(tmp, 'exp.isa')).href;
    await client.open(uri, exponentialCalls(40), 1);
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(p.diagnostics.map((d) => d.code)).toContain('ISA3020');
    expect(await client.request('textDocument/documentSymbol', { textDocument: { uri } })).not.toEqual([]);
  });

  it('params: null is InvalidParams, and the server keeps answering', async () => {
    await expect(client.request('textDocument/hover', null)).rejects.toMatchObject({ code: -32602 });
    await expect(client.request('textDocument/documentSymbol', {})).rejects.toMatchObject({ code: -32602 });
    expect(await client.request('textDocument/documentSymbol', { textDocument: { uri: 'file:///nowhere.isa' } })).toEqual([]);
  });

  it('extends outside the folder tree is refused and the file is never quoted', async () => {
    mkdirSync(join(tmp, 'spec'), { recursive: true });
    writeFileSync(join(tmp, 'secret.txt'), 'root:x:0:0:SECRET-CONTENT\n');
    const uri = pathToFileURL(join(tmp, 'spec', 'a.isa')).href;
    await client.open(uri, 'isa a;\nextends "../secret.txt";\n', 1);
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(p.diagnostics.map((d) => d.code)).toContain('ISA5007');
    expect(JSON.stringify(p.diagnostics)).not.toContain('SECRET');
  });
});

describe('isavirt lsp exit', () => {
  it('exits 0 when stdin closes', async () => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'lsp', '--stdio', '--no-analysis'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.stdin.end('junk without a header');
    expect(await code).toBe(0);
  });
});
