// The language server end to end: the built CLI over real stdio JSON-RPC.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSpec } from '../../src/ir/format.js';
import { LspClient, positionOf, root } from './client.js';

const pgPath = join(root, 'isas/pg.isa');
const pgText = readFileSync(pgPath, 'utf8');
const uri = pathToFileURL(pgPath).href;

describe('isavirt lsp over stdio', () => {
  let client: LspClient;
  let init: any;
  beforeAll(async () => {
    client = new LspClient();
    init = await client.initialize();
    await client.open(uri, pgText, 1);
  });
  afterAll(async () => {
    await client.close();
  });

  it('announces its features', () => {
    const caps = init.capabilities;
    expect(caps.hoverProvider).toBe(true);
    expect(caps.definitionProvider).toBe(true);
    expect(caps.referencesProvider).toBe(true);
    expect(caps.documentSymbolProvider).toBe(true);
    expect(caps.documentFormattingProvider).toBe(true);
  });

  it('publishes no front-end diagnostics for pg.isa', async () => {
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    expect(p.diagnostics).toEqual([]);
  });

  it('reports an unknown trap at its place, then clears it once fixed', async () => {
    const broken = pgText.replace('    R = r[rs];', '    trap privileged_trp;\n    R = r[rs];');
    await client.change(uri, 2, broken);
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 2);
    const d = p.diagnostics.find((d) => d.code === 'ISA2003');
    expect(d, JSON.stringify(p.diagnostics)).toBeDefined();
    const start = positionOf(broken, 'privileged_trp');
    expect(d!.range.start).toEqual(start);
    expect(d!.range.end).toEqual({ line: start.line, character: start.character + 'privileged_trp'.length });
    expect(d!.severity).toBe(1);
    expect(d!.message).toContain('privileged_trp');

    await client.change(uri, 3, pgText);
    const fixed = await client.waitForDiagnostics(uri, (p) => p.version === 3);
    expect(fixed.diagnostics).toEqual([]);
  });

  it('reports a syntax error on the line where it is', async () => {
    const broken = pgText.replace('register P : 16;', 'register P : 16');
    await client.change(uri, 4, broken);
    const p = await client.waitForDiagnostics(uri, (p) => p.version === 4);
    expect(p.diagnostics.length).toBeGreaterThan(0);
    const d = p.diagnostics[0]!;
    expect(d.code).toMatch(/^ISA1/);
    // The missing ';' is noticed at the next token, on the line after the declaration, or just after it.
    const line = positionOf(broken, 'register P : 16').line;
    expect([line, line + 1, line + 2, line + 3]).toContain(d.range.start.line);
    await client.change(uri, 5, pgText);
    expect((await client.waitForDiagnostics(uri, (p) => p.version === 5)).diagnostics).toEqual([]);
  });

  it('hovers on a register with its role and width', async () => {
    const h = await client.request('textDocument/hover', { textDocument: { uri }, position: positionOf(pgText, 'register R : 32', 0, 'register '.length) });
    expect(h.contents.value).toContain('register R : 32 control');
    expect(h.contents.value).toContain('32 bits');
    expect(h.contents.value).toContain('role **control**');
    expect(h.contents.value).toContain('relocation-bounds register');
    // A use of a field: the field's width (31..16 is 16 bits) and its inherited role.
    const f = await client.request('textDocument/hover', { textDocument: { uri }, position: positionOf(pgText, 'R.base;', 0, 2) });
    expect(f.contents.value).toContain('field R.base = 31..16');
    expect(f.contents.value).toContain('16 bits');
  });

  it('hovers on an instruction with its classification and reason once the analysis is done', async () => {
    const pos = positionOf(pgText, 'instruction GETR', 0, 'instruction '.length + 1);
    let value = '';
    // Generous: the solver shares the machine with whatever else runs.
    const deadline = Date.now() + 150000;
    while (Date.now() < deadline) {
      const h = await client.request('textDocument/hover', { textDocument: { uri }, position: pos });
      value = h.contents.value;
      if (value.includes('| privileged |')) break;
      expect(value).toContain('analysis is running');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(value).toContain('instruction GETR(rd : reg r)');
    // The reason in words from the witness, as every report gives it.
    expect(value).toMatch(/\*\*GETR\*\*: in `supervisor` `r\[\d+\]` depends on `R\.base` and `R\.bound`, which is control state; privileged/);
    expect(value).toMatch(/\| privileged \| yes \|/);
    expect(value).toMatch(/\| location-sensitive \| yes \|/);
    expect(value).toMatch(/\| control-sensitive \| no \|/);
  }, 180_000);

  it('goes to the definition of a field, a trap, a translation and a register file', async () => {
    const def = (needle: string, nth: number, offset: number) =>
      client.request('textDocument/definition', { textDocument: { uri }, position: positionOf(pgText, needle, nth, offset) });
    const field = await def('R.bound', 0, 3);
    expect(field).toHaveLength(1);
    expect(field[0].uri).toBe(uri);
    expect(field[0].range.start).toEqual(positionOf(pgText, 'bound = 15..0'));
    const trap = await def('trap privileged_trap;', 0, 6);
    expect(trap[0].range.start).toEqual(positionOf(pgText, 'privileged_trap kind'));
    const tr = await def('via relocate', 0, 5);
    expect(tr[0].range.start).toEqual(positionOf(pgText, 'relocate(a : 16)'));
    const file = await def('reg r,', 0, 4);
    expect(file[0].range.start).toEqual(positionOf(pgText, 'r[16]'));
    // A let name resolves to its own declaration, not to anything global.
    const local = await def('psw[16]', 0, 0);
    expect(local[0].range.start).toEqual(positionOf(pgText, 'psw = V[a]'));
  });

  it('finds every reference to the mode register M', async () => {
    const refs = await client.request('textDocument/references', {
      textDocument: { uri },
      position: positionOf(pgText, 'register M', 0, 9),
      context: { includeDeclaration: true },
    });
    // Expected: every whole-word M outside comments.
    const expected: { line: number; character: number }[] = [];
    pgText.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      for (const m of code.matchAll(/\bM\b/g)) expected.push({ line: i, character: m.index! });
    });
    expect(expected.length).toBeGreaterThan(8);
    const got = refs.map((r: any) => r.range.start).sort((a: any, b: any) => a.line - b.line || a.character - b.character);
    expect(got).toEqual(expected);
    const without = await client.request('textDocument/references', {
      textDocument: { uri },
      position: positionOf(pgText, 'register M', 0, 9),
      context: { includeDeclaration: false },
    });
    expect(without).toHaveLength(expected.length - 1);
  });

  it('lists document symbols: state with fields, traps, instructions', async () => {
    const syms = await client.request('textDocument/documentSymbol', { textDocument: { uri } });
    const names = syms.map((s: any) => s.name);
    const mnemonics = [...pgText.matchAll(/^instruction (\w+)/gm)].map((m) => m[1]);
    for (const m of mnemonics) expect(names).toContain(m);
    for (const n of ['E', 'M', 'P', 'R', 'r', 'relocate', 'V', 'privileged_trap', 'supervisor', 'user']) expect(names).toContain(n);
    const R = syms.find((s: any) => s.name === 'R');
    expect(R.children.map((c: any) => c.name)).toEqual(['base', 'bound']);
    const lpsw = syms.find((s: any) => s.name === 'LPSW');
    expect(lpsw.selectionRange.start).toEqual(positionOf(pgText, 'LPSW(a'));
  });

  it('formats through the formatter, and leaves canonical text alone', async () => {
    const fmtUri = pathToFileURL(join(root, 'isas/fmt-scratch.isa')).href;
    const messy = pgText.replace('register P : 16;', 'register   P:16 ;').replace('r[rd] = r[rd] + r[rs];', 'r[rd]=r[rd]+r[rs];');
    await client.open(fmtUri, messy, 1);
    const edits = await client.request('textDocument/formatting', { textDocument: { uri: fmtUri }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    const expected = formatSpec(messy, 'x.isa');
    expect(expected.ok).toBe(true);
    expect(edits[0].newText).toBe((expected as { text: string }).text);
    expect(edits[0].newText).toContain('register P : 16;');
    expect(edits[0].range.start).toEqual({ line: 0, character: 0 });
    const none = await client.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    expect(none).toEqual([]);
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: fmtUri } });
  });
});

describe('solver diagnostics', () => {
  let client: LspClient;
  beforeAll(async () => {
    client = new LspClient();
    await client.initialize();
  });
  afterAll(async () => {
    await client.close();
  });

  it('shows a contradicted claim as a warning on its line, only for the newest version', async () => {
    const claimUri = pathToFileURL(join(root, 'isas/claim-scratch.isa')).href;
    // GETR reads R: it is location-sensitive, so "innocuous" is contradicted.
    const v1 = pgText.replace('encoding 0x42:8 rd:4 0:20;\n  claims privileged;', 'encoding 0x42:8 rd:4 0:20;\n  claims privileged, innocuous;');
    expect(v1).not.toBe(pgText);
    await client.open(claimUri, v1, 1);
    // Straight away a newer version moves every line down by two: a verdict for version 1 must
    // never be published, and the warning must sit where the claim is in version 2.
    const v2 = '// a comment\n// another\n' + v1;
    await client.change(claimUri, 2, v2);
    const p = await client.waitForDiagnostics(claimUri, (p) => p.diagnostics.some((d) => d.code === 'ISA-CLAIM'), 150000);
    expect(p.version).toBe(2);
    const d = p.diagnostics.find((d) => d.code === 'ISA-CLAIM')!;
    expect(d.severity).toBe(2);
    expect(d.range.start).toEqual(positionOf(v2, 'innocuous;\n  semantics {\n    if M == 0 {\n      trap privileged_trap;\n    }\n    r[rd] = R;'));
    expect(d.message).toMatch(/innocuous/);
    expect(client.published.filter((q) => q.uri === claimUri && q.version === 1 && q.diagnostics.some((d) => d.code === 'ISA-CLAIM'))).toEqual([]);
    // Front-end diagnostics for version 1 came first, before any solver verdict.
    const first = client.published.find((q) => q.uri === claimUri)!;
    expect(first.version).toBe(1);
    expect(first.diagnostics).toEqual([]);
  }, 180_000);
});

describe('progress and findings per instruction', () => {
  let client: LspClient;
  // An empty analysis cache of its own: every instruction is decided here, none found cached.
  const cacheDir = mkdtempSync(join(tmpdir(), 'isavirt-lsp-cache-'));
  beforeAll(async () => {
    client = new LspClient([], { ISAVIRT_CACHE_DIR: cacheDir });
    await client.initialize({ window: { workDoneProgress: true } });
  });
  afterAll(async () => {
    await client.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("reports $/progress and publishes each instruction's findings as it is decided", async () => {
    const toyPath = join(root, 'test/report/fixtures/toypopf.isa');
    const toyText = readFileSync(toyPath, 'utf8');
    const toyUri = pathToFileURL(toyPath).href;
    const instructions = [...toyText.matchAll(/^instruction (\w+)/gm)].map((m) => m[1]!);
    await client.open(toyUri, toyText, 1);
    // The analysis is done when the last progress notification says so.
    const deadline = Date.now() + 150_000;
    while (!client.progress.some((p) => p.value.kind === 'end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const kinds = client.progress.map((p) => p.value.kind);
    expect(kinds[0]).toBe('begin');
    expect(kinds.at(-1)).toBe('end');
    expect(client.progressTokens).toHaveLength(1);
    const reports = client.progress.filter((p) => p.value.kind === 'report');
    expect(reports).toHaveLength(instructions.length);
    expect(reports.map((r) => r.value.percentage)).toEqual([...reports.map((r) => r.value.percentage)].sort((a, b) => a - b));
    expect(reports.at(-1)!.value.message).toContain(`${instructions.length}/${instructions.length} instructions`);
    // One publication per decided instruction, each right before its progress report: the
    // editor sees POPF's finding when POPF is decided, not when everything is.
    const mine = client.published.filter((p) => p.uri === toyUri && p.version === 1);
    expect(mine.length).toBeGreaterThanOrEqual(1 + instructions.length);
    const popfAt = instructions.indexOf('POPF');
    const firstT1 = client.published.findIndex((p) => p.uri === toyUri && p.diagnostics.some((d) => d.code === 'ISA-T1'));
    expect(firstT1).toBeGreaterThan(0);
    expect(firstT1).toBeLessThanOrEqual(reports[popfAt]!.afterPublications);
    const last = mine.at(-1)!;
    expect(last.diagnostics.filter((d) => d.code === 'ISA-T1').map((d) => d.message)).toEqual([expect.stringContaining('POPF')]);
  }, 180_000);

  it('after an edit to one instruction, the others are published at once from the cache and only the edited one is decided', async () => {
    const toyPath = join(root, 'test/report/fixtures/toypopf.isa');
    const toyText = readFileSync(toyPath, 'utf8');
    const toyUri = pathToFileURL(toyPath).href;
    const instructions = [...toyText.matchAll(/^instruction (\w+)/gm)].map((m) => m[1]!);
    // POPF made innocuous: it no longer touches the flags, so Theorem 1 now holds.
    const at = toyText.indexOf('semantics {', toyText.indexOf('instruction POPF(')) + 'semantics {'.length;
    const end = toyText.indexOf('\n  }\n', at);
    const edited = `${toyText.slice(0, at)}\n    r[0] = r[0];${toyText.slice(end)}`;
    const before = client.progress.length;
    await client.change(toyUri, 2, edited);
    const deadline = Date.now() + 150_000;
    while (!client.progress.slice(before).some((p) => p.value.kind === 'end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const reports = client.progress.slice(before).filter((p) => p.value.kind === 'report');
    // One report for everything the cache had, then one for POPF.
    expect(reports.map((r) => r.value.message)).toEqual([
      `${instructions.length - 1}/${instructions.length} instructions`,
      `${instructions.length}/${instructions.length} instructions (POPF)`,
    ]);
    const mine = client.published.filter((p) => p.uri === toyUri && p.version === 2);
    expect(mine.at(-1)!.diagnostics.filter((d) => d.code === 'ISA-T1')).toEqual([]);
  }, 180_000);
});
