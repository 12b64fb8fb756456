// The reference document: Markdown and HTML from the same content; the HTML page rendered in a
// real headless Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIsa } from '../../src/analysis/index.js';
import type { IsaAnalysis } from '../../src/analysis/types.js';
import { encodingLayout, reflow, renderIsaDoc } from '../../src/doc/index.js';
import { loadIsaFile, parseIsaText } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function load(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.isa;
}

const pg = load('isas/pg.isa');
let pgAnalysis: IsaAnalysis;
beforeAll(async () => {
  pgAnalysis = await analyzeIsa(pg);
}, 120_000);

describe('encoding layout', () => {
  it('gives bit ranges from the most significant bit', () => {
    const lpsw = pg.instructions.find((i) => i.mnemonic === 'LPSW')!;
    expect(encodingLayout(lpsw.encoding)).toEqual([
      { bits: '31..24', value: '0x40', operand: false },
      { bits: '23..16', value: '0x0', operand: false },
      { bits: '15..0', value: 'a', operand: true },
    ]);
    const load1 = pg.instructions.find((i) => i.mnemonic === 'LOAD')!;
    expect(encodingLayout(load1.encoding)[2]).toEqual({ bits: '19..16', value: '0b0000', operand: false });
  });
});

describe('markdown', () => {
  it('has every section and one table row per instruction with its classification', () => {
    const md = renderIsaDoc(pg, pgAnalysis, { format: 'markdown' });
    for (const h of ['# pg', '## Verdicts', '## State', '## Modes', '## Traps', '## Instructions']) expect(md).toContain(h);
    for (const c of pgAnalysis.instructions) {
      const row = md.split('\n').filter((l) => l.startsWith(`| [${c.mnemonic}](#instr-${c.mnemonic}) |`));
      expect(row, c.mnemonic).toHaveLength(1);
      expect(row[0]).toContain(c.sensitive === 'yes' ? 'sensitive' : 'innocuous');
      expect(md).toContain(`### ${c.mnemonic}`);
    }
    expect(md).toMatch(/\| Theorem 1 \(sensitive ⊆ privileged\) \| \*\*holds\*\* \|/);
    expect(md).toContain('| `R` | register | 32 bits | **control** |');
    // The encoding as a bit-field table: each field's name over its bit range.
    expect(md).toContain('| `0x40` | `0x0` | **a** |\n|---|---|---|\n| 31..24 | 23..16 | 15..0 |');
    expect(md).toContain('if M == 0 {\n  trap privileged_trap;\n}');
  });
});

describe('cross-links and reflowed doc comments', () => {
  const md = renderIsaDoc(pg, pgAnalysis, { format: 'markdown' });

  it('links instructions to the state they touch and the traps they raise, and back', () => {
    // LPSW's section: what it reads and writes, linked to the state table; its traps, to the trap table.
    const lpsw = md.slice(md.indexOf('### LPSW'), md.indexOf('###', md.indexOf('### LPSW') + 4));
    expect(lpsw).toContain('Writes [M](#state-M), [P](#state-P), [R](#state-R).');
    expect(lpsw).toContain('May raise [privileged\\_trap](#trap-privileged_trap)');
    // The state table says who uses each element; the trap table who raises each trap.
    expect(md).toMatch(/^\| `R` \| register .*\| \[LPSW\]\(#instr-LPSW\), \[SETR\]\(#instr-SETR\), \[GETR\]\(#instr-GETR\) \|$/m);
    expect(md).toMatch(/^\| `privileged_trap` \|.*\[LPSW\]\(#instr-LPSW\)/m);
    // The instruction table links each mnemonic to its section.
    expect(md).toContain('| [LPSW](#instr-LPSW) |');
  });

  it('reflows doc-comment paragraphs: no line break inside a sentence', () => {
    expect(reflow('one line\nand its continuation.\n\nA second\n  paragraph.\n- a list item\n- another')).toEqual([
      'one line and its continuation.',
      'A second paragraph.',
      '- a list item',
      '- another',
    ]);
    const html = renderIsaDoc(pg, pgAnalysis, { format: 'html' });
    expect(html).not.toContain('<br>');
  });
});

describe('pseudo-instructions', () => {
  it('a table of them, each expansion linked to the instructions it is made of; none where a spec has none', () => {
    const riscv = load('isas/riscv.isa');
    const md = renderIsaDoc(riscv, undefined, { format: 'markdown' });
    expect(md).toContain('### Pseudo-instructions');
    expect(md).toMatch(
      /^\| `LI` \| `li \{rd\}, \{v\}` \| `when sext\(v\[11\.\.0\], 32\) == v`: \[ADDI\]\(#instr-ADDI\)`\(rd, 0, v\[11\.\.0\]\)`; .*otherwise: \[LUI\]\(#instr-LUI\)/m,
    );
    expect(md).toMatch(/^\| `J` \| `j \{off:pc\}` \| \[JAL\]\(#instr-JAL\)`\(0, off\)` \|/m);
    // Every link in the table names an instruction section of the document.
    const table = md.slice(md.indexOf('### Pseudo-instructions'), md.indexOf('###', md.indexOf('### Pseudo-instructions') + 4));
    const html = renderIsaDoc(riscv, undefined, { format: 'html' });
    const targets = [...table.matchAll(/\]\(#(instr-[A-Za-z0-9_]+)\)/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(25);
    for (const id of targets) expect(html).toContain(`id="${id}"`);
    expect(renderIsaDoc(pg, pgAnalysis, { format: 'markdown' })).not.toContain('Pseudo-instructions');
  });
});

describe('html in a real browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        process.env.ISAVIRT_CHROMIUM_SETUP ?? `${CHROMIUM} is missing and test/setup/chromium.ts could not install it (apt-get install -y chromium)`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function render(html: string) {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    await page.setContent(html, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  it('renders the instruction table with one row per instruction, no console errors, nothing fetched', async () => {
    const out = mkdtempSync(join(tmpdir(), 'isavirt-doc-'));
    const file = join(out, 'pg.html');
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'doc', 'isas/pg.isa', '--format', 'html', '--output', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    const { page, problems, requests } = await render(html);
    const rows = await page.locator('#instruction-table tbody tr').all();
    expect(rows).toHaveLength(pg.instructions.length);
    const firstCells = await page.locator('#instruction-table tbody tr td:first-child').allTextContents();
    expect(firstCells).toEqual(pg.instructions.map((i) => i.mnemonic));
    const getr = await page.locator('#row-GETR').textContent();
    expect(getr).toContain('sensitive, privileged');
    expect(await page.locator('h2').allTextContents()).toEqual(['Verdicts', 'State', 'Modes', 'Traps', 'Instructions']);
    expect(await page.title()).toBe('pg — instruction set reference');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('the 386 reference: cross-links that resolve, bit-field tables, highlighted witnesses (screenshots)', async () => {
    const x86 = load('isas/x86-386.isa');
    const html = renderIsaDoc(x86, await analyzeIsa(x86), { format: 'html' });
    // Screenshots for a person to look at: ISAVIRT_SCREENSHOTS or a temporary folder.
    const shots = process.env.ISAVIRT_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'isavirt-doc-shots-'));
    mkdirSync(shots, { recursive: true });
    const { page, problems, requests } = await render(html);
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.screenshot({ path: join(shots, 'x86-386-top.png') });

    // Every in-page link points at an element that exists.
    const dangling = await page.evaluate(() =>
      [...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href')!.slice(1)).filter((id) => !document.getElementById(id)),
    );
    expect(dangling).toEqual([]);
    const linkCount = await page.locator('a[href^="#"]').count();
    expect(linkCount).toBeGreaterThan(x86.instructions.length * 3);

    // From the instruction table to POPF's section, and from there to the state it writes.
    await page.locator('#instruction-table a[href="#instr-POPF"]').click();
    expect(await page.evaluate(() => location.hash)).toBe('#instr-POPF');
    expect(await page.locator('#instr-POPF').isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, 'x86-386-popf.png') });
    const popf = page.locator('#instr-POPF ~ p', { hasText: 'Writes' }).first();
    await popf.locator('a[href="#state-EFLAGS_IF"]').click();
    expect(await page.evaluate(() => location.hash)).toBe('#state-EFLAGS_IF');
    expect(await page.locator('#state-EFLAGS_IF').textContent()).toContain('POPF');
    // The trap table says who raises the general-protection fault.
    expect(await page.locator('#trap-table tbody tr').count()).toBe(x86.traps.length);

    // A bit-field table: field names over their bit ranges, each cell as wide as its bits.
    const withFields = x86.instructions.find((i) => i.encoding.items.length >= 3)!;
    const table = page.locator(`#${'instr-' + withFields.mnemonic.replace(/[^A-Za-z0-9_-]/g, '_')} ~ table.bitfield`).first();
    const names = await table.locator('tr.names td').allTextContents();
    const ranges = await table.locator('tr.bits td').allTextContents();
    expect(names).toEqual(encodingLayout(withFields.encoding).map((f) => f.value));
    expect(ranges).toEqual(encodingLayout(withFields.encoding).map((f) => f.bits));
    const widths = await table.locator('tr.names td').evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().width));
    const bitsOf = withFields.encoding.items.map((it) => it.width);
    // Proportional to the bits (within a pixel or two per cell for borders).
    for (let i = 1; i < widths.length; i++) expect(Math.abs(widths[i]! / widths[0]! - bitsOf[i]! / bitsOf[0]!)).toBeLessThan(0.15);
    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'x86-386-bitfield.png') });

    // Witness tables: the deciding values highlighted.
    const key = page.locator('#instr-SMSW ~ table.witness strong.key').first();
    expect(await key.count()).toBe(1);
    expect(await key.evaluate((el) => getComputedStyle(el.querySelector('code')!).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
    await key.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'x86-386-witness.png') });
    console.log(`screenshots of the 386 reference: ${shots}`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 300_000);

  it('escapes everything that comes from the spec', async () => {
    const hostile = readFileSync('isas/pg.isa', 'utf8').replace(
      '/// Load a word: r[rd] <- V[a].',
      '/// <script>console.error("injected")</script><img src=x onerror="console.error(1)"> & "quotes"',
    );
    const res = parseIsaText(hostile, 'hostile.isa');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const html = renderIsaDoc(res.isa, undefined, { format: 'html' });
    expect(html).not.toContain('<script>');
    const { page, problems, requests } = await render(html);
    expect(await page.locator('script, img').count()).toBe(0);
    expect(await page.locator('#instr-LOAD + p').textContent()).toContain('<script>console.error("injected")</script>');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    // Without an analysis every row still exists and says so.
    expect(await page.locator('#instruction-table tbody tr').count()).toBe(res.isa.instructions.length);
    expect(await page.locator('#row-LOAD').textContent()).toContain('not analysed');
    await page.close();
  });
});
