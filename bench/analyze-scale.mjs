// How analysis scales with the size of a spec: generated specs of 100, 200, 400 and 800
// instructions (Popek and Goldberg's machine with a realistic mix: innocuous arithmetic, loads
// and stores through the relocation, branches, privileged instructions that touch the mode or the
// relocation register, and unprivileged sensitive ones that read them), written as .isa text into
// a temporary folder, loaded like any spec and analysed with the public entry (`analyzeIsa`), one
// fresh process per size so no run inherits another's warm solver (and once more after a small
// spec warmed it: JIT and solver warm-up are a fixed cost that would flatter the large sizes).
// Prints ms per instruction and
// its ratio to the 100-instruction figure (the target: within 1.5x at 800, and 800 in
// < 20 s); asserts nothing. Run after `npm run build`; `node bench/analyze-scale.mjs 100 200`
// runs only those sizes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const HEADER = `/// A generated spec for the scaling benchmark: Popek and Goldberg's machine.
isa gen;

endian big;

memory E : 32 [65536];

register M : 1 mode;

register P : 16;

register R : 32 control {
  base = 31..16;
  bound = 15..0;
}

registers r[16] : 32;

modes {
  supervisor when M == 1;
  user when M == 0;
}

guest mode user;

translate relocate(a : 16) : 16 {
  if a >= R.bound {
    trap memory_trap;
  }
  return a + R.base;
}

view V = E via relocate;

fetch V at P;

trap privileged_trap kind privilege vector 1;
trap memory_trap kind memory vector 2;
trap divide_trap kind arithmetic vector 3;
trap supervisor_call kind software vector 4;
trap illegal_trap kind illegal vector 5;

trap entry {
  E[0] = zext(M, 16) ++ return_pc;
  E[1] = R;
  E[2] = zext(trap_vector, 32);
  M = E[4][16];
  P = E[4][15..0];
  R = E[5];
}

reset {
  M = 1;
  P = 0x0010;
  R.base = 0;
  R.bound = 0xffff;
}
`;

// Instruction templates: [share, body(k)] where k varies constants so no two are alike. The shares
// follow a real ISA's proportions: mostly innocuous, a tenth privileged, a few sensitive and
// unprivileged (the offenders of Theorem 1).
const OPS = ['+', '-', '^', '&', '|'];
const TEMPLATES = [
  [30, (k) => `r[rd] = (r[rd] ${OPS[k % 5]} r[rs]) ${OPS[(k >> 3) % 5]} ${(k * 2654435761) % 0xfff};`],
  [12, (k) => `let t = r[rs] << ${(k % 31) + 1};\n    r[rd] = t ^ (r[rd] >> ${((k >> 2) % 31) + 1});`],
  [12, (k) => `r[rd] = V[r[rs][15..0] + ${k % 4096}];`],
  [10, (k) => `V[r[rd][15..0] + ${k % 4096}] = r[rs] + ${k % 977};`],
  [8, (k) => `if r[rs] == 0 {\n      trap divide_trap;\n    }\n    r[rd] = r[rd] / r[rs] + ${k % 13};`],
  [10, (k) => `if r[rs] ${k % 2 ? '==' : '!='} ${k % 7} {\n      P = r[rd][15..0] + ${k % 64};\n    }`],
  [6, (k) => `if M == 0 {\n      trap privileged_trap;\n    }\n    R = r[rs] ^ ${k % 255};`],
  [4, (k) => `if M == 0 {\n      trap privileged_trap;\n    }\n    M = r[rs][${k % 32}];`],
  [3, (k) => `if M == 0 {\n      trap privileged_trap;\n    }\n    r[rd] = R + ${k % 31};`],
  [3, (k) => `r[rd] = R.base ++ r[rs][${(k % 16) + 15}..${k % 16}];`],
  [2, (k) => `r[rd] = zext(M, 32) + ${k % 100};`],
  // Innocuous, but only a solver shows it: reads the mode, does the same in both.
  [8, (k) => `if M == 1 {\n      r[rd] = r[rs] + ${k % 511};\n    } else {\n      r[rd] = r[rs] + ${k % 511};\n    }`],
  // Traps in user mode only for some operand values (a split the analysis reports).
  [3, (k) => `if M == 0 && r[rs][${k % 8}] == 1 {\n      trap privileged_trap;\n    }\n    r[rd] = r[rd] ^ ${k % 4093};`],
];
const totalShare = TEMPLATES.reduce((s, [w]) => s + w, 0);

function generate(n) {
  const out = [HEADER];
  for (let i = 0; i < n; i++) {
    // Deterministic spread over the templates by share.
    let pick = (i * 7919) % totalShare,
      t = 0;
    while (pick >= TEMPLATES[t][0]) pick -= TEMPLATES[t++][0];
    out.push(`instruction I${i}(rd : reg r, rs : reg r) {
  encoding 0x${(i + 0x10).toString(16)}:12 rd:4 rs:4 0:12;
  semantics {
    ${TEMPLATES[t][1](i + 1)}
  }
}
`);
  }
  return out.join('\n');
}

// ---- child: analyse one generated file ----
if (process.argv[2] === '--child') {
  const file = process.argv[3];
  const warmFile = process.argv[4];
  const t0 = performance.now();
  const { loadIsaFile } = await import('../dist/ir/index.js');
  const { analyzeIsa, getZ3 } = await import('../dist/analysis/index.js');
  const tImport = performance.now() - t0;
  const t1 = performance.now();
  const loaded = loadIsaFile(file);
  const tLoad = performance.now() - t1;
  if (!loaded.ok) {
    console.log(
      JSON.stringify({
        error: loaded.diagnostics
          .slice(0, 3)
          .map((d) => d.message)
          .join('; '),
      }),
    );
    process.exit(0);
  }
  const t2 = performance.now();
  await getZ3();
  const tZ3 = performance.now() - t2;
  // Warm: a small generated spec analysed first, so JIT and solver warm-up are not in the figure.
  if (warmFile) {
    const w = loadIsaFile(warmFile);
    if (w.ok) await analyzeIsa(w.isa);
  }
  const t3 = performance.now();
  const a = await analyzeIsa(loaded.isa);
  const tAnalysis = performance.now() - t3;
  const verdicts = (key) => a.instructions.filter((c) => (c[key]?.value ?? c[key]) === 'yes').length;
  console.log(
    JSON.stringify({
      instructions: a.stats.instructions,
      queries: a.stats.solverQueries,
      solverMs: a.stats.solverMs,
      tImport,
      tLoad,
      tZ3,
      tAnalysis,
      rss: process.memoryUsage().rss,
      privileged: verdicts('privileged'),
      sensitive: verdicts('sensitive'),
      innocuous: verdicts('innocuous'),
      T1: a.theorem1.value,
    }),
  );
  process.exit(0);
}

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [100, 200, 400, 800];
const dir = mkdtempSync(join(tmpdir(), 'isavirt-scale-'));
const rows = [];
let base;
const warmFile = join(dir, 'warm.isa');
writeFileSync(warmFile, generate(20).replace('isa gen;', 'isa warm;'));
const child = (file, warm) => {
  const wall0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file, ...(warm ? [warmFile] : [])], {
    encoding: 'utf8',
    cwd: join(here, '..'),
  });
  const wall = performance.now() - wall0;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { wall, ...JSON.parse(line) };
  } catch {
    return { error: `the child failed (${r.status ?? r.signal}): ${r.stderr.slice(0, 400)}` };
  }
};
try {
  for (const n of sizes) {
    const file = join(dir, `gen-${n}.isa`);
    writeFileSync(file, generate(n));
    const j = child(file, false);
    if (j.error) {
      console.log(`${n}: ${j.error}`);
      continue;
    }
    const warm = child(file, true);
    const wall = j.wall;
    const perInstr = (warm.error ? j.tAnalysis : warm.tAnalysis) / j.instructions;
    base ??= perInstr;
    rows.push({
      instructions: j.instructions,
      'wall ms': Math.round(wall),
      'import ms': Math.round(j.tImport),
      'load ms': Math.round(j.tLoad),
      'solver start ms': Math.round(j.tZ3),
      'cold analysis ms': Math.round(j.tAnalysis),
      'warm analysis ms': warm.error ? '-' : Math.round(warm.tAnalysis),
      'solver ms': Math.round(j.solverMs),
      queries: j.queries,
      'ms/instr': +perInstr.toFixed(1),
      'vs first': +(perInstr / base).toFixed(2),
      privileged: j.privileged,
      sensitive: j.sensitive,
      innocuous: j.innocuous,
      T1: j.T1,
      'rss MiB': Math.round(j.rss / 2 ** 20),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.table(rows);
console.log('cold: the first analysis in a fresh process; warm: after a 20-instruction spec warmed the JIT and the solver.');
console.log(
  'ms/instr = warm analysis ms / instructions (import, load and solver start-up excluded); goal: the 800 figure within 1.5x of the 100 one, 800 cold in < 20 s wall',
);
