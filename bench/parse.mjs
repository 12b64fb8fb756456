// Front-end benchmark: parse + check time (median of repeated runs, after warm-up) for every spec
// in isas/ and for a generated 200-instruction spec. Run after `npm run build` (imports dist/).
// Prints figures only; the target is < 50 ms for 200 instructions.
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const { parseIsaText, loadIsaFile, exportIsaJson, fsHost } = await import('../dist/ir/index.js');

/**
 * A spec with `n` instructions in the style of isas/: a rotating mix of register arithmetic,
 * loads and stores through a relocated view, branches, privileged instructions with a trap, and
 * (one in eight) a helper call and an unrolled loop. Opcodes are 12 bits, so encodings are disjoint.
 */
export function generateSpec(n) {
  const lines = [
    'isa generated;',
    'endian big;',
    'memory E : 32 [65536];',
    'register M : 1 mode;',
    'register P : 16;',
    'register B : 32 control { base = 31..16; bound = 15..0; }',
    'registers r[16] : 32;',
    'modes { s when M == 1; u when M == 0; }',
    'translate reloc(a : 16) : 16 { if a >= B.bound { trap mem; } return a + B.base; }',
    'view V = E via reloc;',
    'fetch V at P;',
    'trap priv kind privilege vector 1;',
    'trap mem kind memory vector 2;',
    'function mix(x : 32, y : 32) : 32 { let t = x ^ (y << 3); return t + (x >> 2); }',
  ];
  const bodies = [
    (i) => [`r[rd] = r[rd] + r[rs];`],
    (i) => [`r[rd] = V[a];`],
    (i) => [`V[a + ${i % 100}] = r[rs];`],
    (i) => [`if r[rs] == 0 {`, `  P = a;`, `}`],
    (i) => [`if M == 0 {`, `  trap priv;`, `}`, `B = r[rs];`],
    (i) => [`r[rd] = slt(r[rd], r[rs]) ? r[rs] : zext(a, 32);`],
    (i) => [`let v = V[a];`, `r[rd] = r[rd] - (v & 0xff) + ${i};`],
    (i) => [`r[rd] = mix(r[rd], r[rs]);`, `for k in 0..3 {`, `  r[k] = r[k] | (r[rs] >> k);`, `}`],
  ];
  for (let i = 0; i < n; i++) {
    const op = (i + 1).toString(16);
    lines.push(
      `/// Instruction ${i}.`,
      `instruction I${i}(rd : reg r, rs : reg r, a : addr 16) {`,
      `  syntax "I${i} {rd}, {rs}, [{a}]";`,
      `  encoding 0x${op}:12 rd:4 rs:4 0:28 a:16;`,
      i % 8 === 4 ? '  claims privileged;' : '',
      '  semantics {',
      ...bodies[i % 8](i).map((l) => '    ' + l),
      '  }',
      '}',
    );
  }
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Median wall-clock and CPU milliseconds (CPU time is steadier on a loaded machine). */
function time(fn, runs) {
  for (let i = 0; i < Math.min(5, runs); i++) fn(); // warm-up
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    fn();
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - t0);
  }
  return [median(wall), median(cpu)];
}

const rows = [];
for (const f of readdirSync('isas')
  .filter((x) => x.endsWith('.isa'))
  .sort()) {
  const path = `isas/${f}`;
  const text = readFileSync(path, 'utf8');
  const first = parseIsaText(text, path, fsHost);
  const ms = time(() => parseIsaText(text, path, fsHost), 20);
  rows.push([path, first.ok ? `${first.isa.instructions.length} instr` : `${first.diagnostics.length} diag`, ms]);
}
for (const n of [50, 200, 800]) {
  const text = generateSpec(n);
  const r = parseIsaText(text, 'gen.isa', fsHost);
  if (!r.ok) {
    console.error(
      r.diagnostics
        .slice(0, 3)
        .map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`)
        .join('\n'),
    );
    process.exit(1);
  }
  rows.push([`generated, ${n} instructions`, `${r.isa.instructions.length} instr`, time(() => parseIsaText(text, 'gen.isa', fsHost), n > 200 ? 5 : 15)]);
}
{
  const r = loadIsaFile('isas/pg.isa');
  if (r.ok) {
    const json = exportIsaJson(r.isa);
    const host = { readFile: () => json };
    rows.push(['isas/pg.isa as .isa.json (schema + IR checks)', `${json.length} bytes`, time(() => loadIsaFile('pg.isa.json', host), 20)]);
  }
}
const w = Math.max(...rows.map((r) => r[0].length));
console.log('parse + check, median after warm-up: wall ms / CPU ms');
for (const [name, what, [wall, cpu]] of rows)
  console.log(`${name.padEnd(w)}  ${what.padStart(12)}  ${wall.toFixed(2).padStart(8)} ms  ${cpu.toFixed(2).padStart(8)} ms`);
