// The reference document: Markdown and HTML from the same content; the HTML page rendered in a
// real headless Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIsa } from '../../src/analysis/index.js';
import type { IsaAnalysis } from '../../src/analysis/types.js';
import { encodingLayout, renderIsaDoc } from '../../src/doc/index.js';
import { loadIsaFile, parseIsaText } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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
      const row = md.split('\n').filter((l) => l.startsWith(`| **${c.mnemonic}** |`));
      expect(row, c.mnemonic).toHaveLength(1);
      expect(row[0]).toContain(c.sensitive === 'yes' ? 'sensitive' : 'innocuous');
      expect(md).toContain(`### ${c.mnemonic}`);
    }
    expect(md).toMatch(/\| Theorem 1 \(trap-and-emulate monitor\) \| \*\*holds\*\* \|/);
    expect(md).toContain('| `R` | register | 32 bits | **control** |');
    expect(md).toContain('| `0x40` | `0x0` | **a** |');
    expect(md).toContain('if M == 0 {\n  trap privileged_trap;\n}');
  });
});

describe('html in a real browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(process.env.ISAVIRT_CHROMIUM_SETUP ?? `${CHROMIUM} is missing and test/setup/chromium.ts could not install it (apt-get install -y chromium)`);
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
