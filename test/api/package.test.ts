// isavirt as a package: what `npm pack` ships (no cached answer keys, no source map pointing at a
// file that is not shipped, the LICENSE, every `exports` target), and the library API a user
// imports by name (`import … from 'isavirt'`, resolved through the exports map exactly as a
// dependency would be, by the package referring to itself).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; license: string };
let files: string[];

beforeAll(() => {
  // A cached answer key where a teacher's run leaves one: it must not ship.
  const cache = path.join(ROOT, 'isas/course/toy/assignment.analysis.json');
  writeFileSync(cache, '{}');
  try {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`);
    files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  } finally {
    rmSync(cache, { force: true });
  }
}, 120_000);

describe('npm pack', () => {
  it('ships no cached answer key (*.analysis.json)', () => {
    expect(files.filter((f) => f.endsWith('.analysis.json'))).toEqual([]);
    expect(files).toContain('isas/course/toy/assignment.json');
  });

  it('ships no dangling source map: every source a map names is in the package', () => {
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const shipped = new Set(files);
    const dangling: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(path.join(ROOT, m), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const s of map.sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(m), map.sourceRoot ?? '', s));
        if (!shipped.has(target)) dangling.push(`${m} -> ${target}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('ships the MIT LICENSE the package declares, and every target of the exports map', () => {
    expect(pkg.license).toBe('MIT');
    expect(files).toContain('LICENSE');
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    for (const [key, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? [target] : Object.values(target as Record<string, string>);
      for (const t of targets) {
        if (t.includes('*')) continue;
        expect(files, `${key} -> ${t}`).toContain(t.replace(/^\.\//, ''));
      }
    }
  });
});

describe('the library API', () => {
  const run = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });

  it('load/check, analyse, every report format, run under a monitor, demo and grade, by package name', () => {
    const r = run(`
      import * as isavirt from 'isavirt';
      import { renderSarif } from 'isavirt/report/sarif';
      const out = {};
      const checked = await isavirt.checkFile('isas/pg.isa');
      out.checked = checked.ok && checked.analysis.theorem1.value;
      const bad = await isavirt.checkFile('test/report/fixtures/bad.isa');
      out.bad = !bad.ok && bad.failed.diagnostics.length > 0;
      const a = checked.analysis;
      out.text = isavirt.renderText(a).includes('pg');
      out.md = isavirt.renderMarkdown([a]).length > 0;
      out.json = JSON.parse(isavirt.renderJson([a], undefined, [bad.failed])).failed.length;
      out.sarif = JSON.parse(renderSarif([a], { failed: [bad.failed] })).runs[0].invocations[0].executionSuccessful;
      const toy = isavirt.loadIsaFile('isas/course/toy/toy.isa');
      const asm = isavirt.assemble(toy.isa, '        .kernel\\n        .org 0x10\\nstart:  GETMODE r0\\n        STORE r0, [0x40]\\n        HALT\\n', 'pill.s');
      const native = isavirt.runGuest(toy.isa, 'none', { program: asm.program }, { maxSteps: 100 });
      const trap = isavirt.runGuest(toy.isa, 'trap', { program: asm.program }, { maxSteps: 100 });
      out.runs = [native.outcome.kind, trap.outcome.kind];
      const toyA = await isavirt.analyzeIsa(toy.isa);
      out.demo = isavirt.demoIsa(toy.isa, toyA).offenders?.length ?? 'none';
      const g = await isavirt.gradeFolder('isas/course/toy/assignment.json', 'isas/course/toy/submissions', { cache: false, workers: 2 });
      out.grades = g.ok && g.grades.map((x) => [x.student, x.score]);
      out.gradescope = g.ok && typeof isavirt.toGradescope(g.grades[0]).score;
      console.log(JSON.stringify(out));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      checked: 'holds',
      bad: true,
      text: true,
      md: true,
      json: 1,
      sarif: false,
      runs: ['halted', 'halted'],
      demo: 1,
      grades: [
        ['dana', 14],
        ['erin', 8.2],
        ['frank', 0],
      ],
      gradescope: 'number',
    });
  }, 120_000);

  it('the README example runs as written', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using isavirt as a library'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const r = run(code);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('holds');
    expect(r.stdout).toMatch(/^halted halted$/m);
    expect(r.stdout).toMatch(/^dana 14 \/ 14/m);
  }, 120_000);
});
