// `isavirt run` and `isavirt demo`, spawned as a user runs them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { MIPS_KERNEL, PG_LPSW_SVC } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');
const isavirt = (args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = mkdtempSync(path.join(tmpdir(), 'isavirt-vmm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('isavirt run', () => {
  test('--compare on a pg kernel: no difference, exit 0', () => {
    const r = isavirt(['run', 'isas/pg.isa', file('k.s', PG_LPSW_SVC), '--compare']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bare machine: halted/);
    expect(r.stdout).toMatch(/monitor trap: halted/);
    expect(r.stdout).toMatch(/no difference/);
  });

  test('--compare on movesr.s: the runs diverge, exit 1', () => {
    const r = isavirt(['run', 'isas/m68000.isa', 'isas/m68000/movesr.s', '--compare']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the runs diverge/);
    expect(r.stdout).toMatch(/ram\[0x502\]: bare machine 0x20, under the monitor 0x0/);
  });

  test('--monitor patched with --trace and json', () => {
    const r = isavirt(['run', 'isas/m68000.isa', 'isas/m68000/movesr.s', '--monitor', 'patched', '--trace', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runs[0].monitor).toBe('patched');
    expect(j.runs[0].patches).toEqual([{ address: 0x400, mnemonic: 'MOVE_FROM_SR' }]);
    expect(j.runs[0].trace[0]).toMatchObject({ pc: '0x400', mnemonic: 'MOVE_FROM_SR' });
  });

  test('the red pill diverges under --compare with no special flag; --guest-control hides it', () => {
    const r = isavirt(['run', 'isas/x86-386.isa', 'isas/x86-386/redpill.s', '--compare']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    // `base` (0x1308): the IDT base 0x2000 natively, the monitor's own (0) under it.
    expect(r.stdout).toMatch(/phys\[0x1309\]: bare machine 0x20, under the monitor 0x0/);
    const own = isavirt(['run', 'isas/x86-386.isa', 'isas/x86-386/redpill.s', '--compare', '--monitor-control', 'IDTR=0x7f0007ff']);
    expect(own.stdout).toMatch(/phys\[0x1309\]: bare machine 0x20, under the monitor 0x7f/);
    const through = isavirt(['run', 'isas/x86-386.isa', 'isas/x86-386/redpill.s', '--compare', '--guest-control']);
    expect(through.stdout).not.toMatch(/phys\[0x1309\]: bare machine/);
    const bad = isavirt(['run', 'isas/x86-386.isa', 'isas/x86-386/redpill.s', '--monitor-control', 'FOO=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/FOO is not a control element/);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });

  test('an endless loop ends at --max-steps with a message', () => {
    const r = isavirt(['run', 'isas/pg.isa', file('loop.s', '.kernel\n.org 0x10\nstart: JMP start\n'), '--monitor', 'trap', '--max-steps', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step budget of 1000 instructions/);
  });

  test('bad input: exit 2 with a message, no stack', () => {
    const bad = isavirt(['run', 'isas/pg.isa', file('bad.s', '.kernel\n FROB r1\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.s:2/);
    const far = isavirt(['run', 'isas/pg.isa', file('far.s', '.kernel\n.org 0x9000\nstart: HALT\n'), '--monitor', 'trap']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/outside the guest's allocation/);
    expect(far.stderr).not.toMatch(/^\s+at /m);
    expect(isavirt(['run', 'isas/pg.isa', file('k2.s', PG_LPSW_SVC), '--max-steps', '0']).code).toBe(2);
  });
});

describe('isavirt run shows what happened', () => {
  test('--format json: the final state (registers, fields, files, changed memory), stats and placement', () => {
    const r = isavirt(['run', 'isas/pg.isa', file('k3.s', PG_LPSW_SVC), '--monitor', 'trap', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'isavirt-run', version: 2 });
    const run = j.runs[0];
    expect(run.stats).toEqual({ steps: 11, direct: 8, emulated: 2, traps: 3, reflected: 1 });
    expect(run.placement).toEqual({
      kind: 'relocation',
      windows: [{ memory: 'E', base: 0x8000, size: 0x8000 }],
      registers: [{ base: 'R.base', bound: 'R.bound' }],
    });
    expect(run.final.mode).toBe('supervisor');
    expect(run.final.registers).toMatchObject({ M: '0x1', R: '0xffff' });
    expect(run.final.fields).toMatchObject({ 'R.base': '0x0', 'R.bound': '0xffff' });
    expect(run.final.files.r.slice(0, 3)).toEqual(['0x0', '0xc', '0x7']);
    // Memory: only the words the run changed (the trap entry's old PSW and the handler's stores).
    expect(run.final.memory.E).toMatchObject({ '0x2': '0x4', '0x300': '0x4', '0x302': '0xc' });
    expect(Object.keys(run.final.memory.E)).not.toContain('0x10'); // the program's own code
  });

  test('--trace: each instruction in assembly syntax, each trap with what the monitor did and why', () => {
    const r = isavirt(['run', 'isas/pg.isa', file('k4.s', PG_LPSW_SVC), '--monitor', 'trap', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/efficiency: 8 instructions ran directly, 2 emulated by the monitor; 3 traps, 1 reflected into the guest/);
    expect(r.stdout).toMatch(
      /0x12 {2}LPSW \[0x18\]\n\s+emulated: privileged_trap in the real user mode; the virtual machine \(supervisor\) would not trap, so the monitor does what it would do/,
    );
    expect(r.stdout).toMatch(
      /SVC 9\n\s+reflected: supervisor_call in the real user mode; the virtual machine \(user\) traps too \(supervisor_call\), so the guest's own handler runs/,
    );
    expect(r.stdout).toMatch(/final state:\n\s+registers: M=0x1 P=/);
    const j = JSON.parse(isavirt(['run', 'isas/pg.isa', file('k5.s', PG_LPSW_SVC), '--monitor', 'trap', '--trace', '--format', 'json']).stdout);
    expect(j.runs[0].trace[0]).toEqual({ step: 1, pc: '0x10', text: 'LOADI r1, 5', mnemonic: 'LOADI', operands: { rd: '0x1', value: '0x5' } });
    expect(j.runs[0].events.map((e: { action: string; trap: string }) => `${e.trap}:${e.action}`)).toEqual([
      'privileged_trap:emulated',
      'supervisor_call:reflected',
      'privileged_trap:emulated',
    ]);
  });

  test('a MIPS-like guest kernel in kseg0 under --compare: no loop at the vector, no difference', () => {
    const kernel = file('mips-k.s', MIPS_KERNEL);
    const r = isavirt(['run', 'test/vmm/fixtures/mipslike.isa', kernel, '--compare']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/monitor trap: halted/);
    expect(r.stdout).toMatch(/efficiency: 3 instructions ran directly, 10 emulated by the monitor; 11 traps, 1 reflected into the guest/);
    expect(r.stdout).toMatch(/no difference/);
    const read = file(
      'kseg0.s',
      '.kernel\n.org 0x200\nstart: LW r1, 0x8100(r0)\n ADDIU r1, r1, 1\n SW r1, 0x300(r0)\n WAIT\n.org 0x8100\n.word 0x41\n.entry start\n',
    );
    const k = isavirt(['run', 'test/vmm/fixtures/mipslike.isa', read, '--compare']);
    expect(k.code).toBe(0);
    expect(k.stdout).toMatch(/memory changed: ram\[0x300\]=0x42/);
    expect(k.stdout).toMatch(/no difference/);
  });

  test('a raw read of the storage behind the view shows a difference under --compare', () => {
    const src = file('raw.s', '.kernel\n.org 0x10\nstart: LOADI r1, 0x55\n STORE r1, [0x40]\n LOADP r2, [0x40]\n HALT\n');
    const r = isavirt(['run', 'test/vmm/fixtures/pg-raw.isa', src, '--compare']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/guest storage: E\[0x8000\.\.0xffff\], through the relocation \(R\.base, R\.bound composed with the allocation\)/);
    expect(r.stdout).toMatch(/r\[2\]: bare machine 0x55, under the monitor 0x0/);
  });

  test('a budget spent reflecting traps says so, with the count and the pc, instead of a larger budget', () => {
    // The new PSW enters the handler in user mode, where its GETR traps again: forever.
    const loop = `
        .kernel
        .org 4
newpsw: .word handler, 0x0000ffff
        .org 0x10
start:  SVC 1
handler: GETR r1
        .entry start
`;
    const r = isavirt(['run', 'isas/pg.isa', file('loop2.s', loop), '--monitor', 'trap', '--max-steps', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the monitor reflected 1000 traps into the guest in them, the last \(privileged_trap\) at pc=0x11: a loop of reflected traps/);
    expect(r.stdout).not.toMatch(/raise the budget/);
  });
});

describe('isavirt demo', () => {
  test('MOVE from SR side by side, exit 1', () => {
    const r = isavirt(['demo', 'isas/m68000.isa']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bare machine +\| trap-and-emulate monitor/);
    expect(r.stdout).toMatch(/first divergence: step 1/);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('pg: nothing diverges, exit 0; an unknown mnemonic is bad input', () => {
    expect(isavirt(['demo', 'isas/pg.isa']).code).toBe(0);
    const r = isavirt(['demo', 'isas/pg.isa', '--instruction', 'FROB']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no instruction FROB/);
  });
});
