// The demonstration as text (two runs side by side in 80 columns) and as JSON.

import type { DemoResult, OffenderDemo, RunSummary } from './demo.js';
import { describeDiff } from './diff.js';
import wrapAnsi from 'wrap-ansi';

const WIDTH = 80;
const COL = (WIDTH - 3) / 2; // two columns and " | "

/** Break text into lines of at most `w` columns (at spaces where possible; wrap-ansi, as the
 *  text report and explain wrap). */
function wrap(text: string, w: number): string[] {
  return wrapAnsi(text, w, { hard: true, trim: true }).split('\n');
}

function indent(lines: string[], n: number): string[] {
  return lines.map((l) => ' '.repeat(n) + l);
}

function side(left: string[], right: string[]): string[] {
  const n = Math.max(left.length, right.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${(left[i] ?? '').padEnd(COL)} | ${right[i] ?? ''}`.trimEnd());
  return out;
}

function runLines(title: string, r: RunSummary | undefined): string[] {
  if (!r) return [title, '(not run)'];
  return [
    title,
    ...wrap(r.outcome, COL),
    `virtual mode at the end: ${r.mode ?? '?'}`,
    `direct ${r.stats.direct}, emulated ${r.stats.emulated}`,
    `traps ${r.stats.traps}, reflected ${r.stats.reflected}`,
  ];
}

function offenderText(d: OffenderDemo): string[] {
  const out: string[] = [];
  out.push(`${d.mnemonic}${d.witness ? ` (${d.witness})` : ''}`);
  out.push(...indent(wrap(d.reason, WIDTH - 2), 2));
  if (d.status === 'no-witness' || d.status === 'error') {
    out.push(...indent(wrap(d.message ?? 'no demonstration', WIDTH - 2), 2), '');
    return out;
  }
  out.push(...indent(wrap(`guest (${d.construction}, kernel in the most privileged virtual mode):`, WIDTH - 2), 2));
  out.push(...indent(d.code, 4));
  const mc = Object.entries(d.monitorControl);
  if (mc.length) out.push(...indent(wrap(`the monitor keeps its own ${mc.map(([k, v]) => `${k} = ${v}`).join(', ')} in the real machine`, WIDTH - 2), 2));
  out.push(...indent(side(runLines('bare machine', d.bare), runLines('trap-and-emulate monitor', d.monitor)), 0));
  if (d.divergence) {
    const v = d.divergence;
    out.push(`  first divergence: step ${v.step}, pc ${v.pc}, ${v.instruction}`);
    for (const x of v.differs.slice(0, 8)) out.push(...indent(wrap(describeDiff(x), WIDTH - 4), 4));
    if (v.differs.length > 8) out.push(`    ... and ${v.differs.length - 8} more`);
    if (v.outcomes) {
      out.push(...indent(wrap(`bare machine ${v.outcomes.bare}`, WIDTH - 4), 4));
      out.push(...indent(wrap(`under the monitor ${v.outcomes.monitor}`, WIDTH - 4), 4));
    }
  } else {
    out.push(...indent(wrap(d.message ?? 'no divergence', WIDTH - 2), 2));
  }
  if (d.patched) {
    const p = d.patched;
    if (!p.divergence)
      out.push(
        ...indent(
          wrap(
            `patched guest (${p.sites} site${p.sites === 1 ? '' : 's'} rewritten to trap): no difference from the bare machine; ${p.stats.emulated} emulated`,
            WIDTH - 2,
          ),
          2,
        ),
      );
    else {
      out.push(`  patched guest still diverges: step ${p.divergence.step}, ${p.divergence.instruction}`);
      for (const x of p.divergence.differs.slice(0, 4)) out.push(...indent(wrap(describeDiff(x, 'patched'), WIDTH - 4), 4));
    }
  }
  out.push('');
  return out;
}

export function renderDemoText(r: DemoResult): string {
  const out: string[] = [];
  if (r.notFound) return r.notFound;
  const n = r.offenders.length;
  const s = n === 1 ? '' : 's';
  if (r.trapAndEmulate !== undefined) {
    // The exact verdict (the monitor exists or not), with Theorem 1 beside it.
    if (n === 0) {
      return wrap(
        `${r.isa}: the trap-and-emulate monitor exists (${r.trapAndEmulate}; Theorem 1 ${r.theorem1}): it runs every guest as the bare machine does.`,
        WIDTH,
      ).join('\n');
    }
    const shown = r.offenders.filter((o) => o.status === 'diverges').length;
    out.push(
      ...wrap(
        `${r.isa}: the trap-and-emulate monitor ${r.trapAndEmulate} (Theorem 1 ${r.theorem1}). ${n} instruction${s} break${n === 1 ? 's' : ''} it; ${shown} shown diverging.`,
        WIDTH,
      ),
      '',
    );
    for (const d of r.offenders) out.push(...offenderText(d));
    return out.join('\n').trimEnd();
  }
  if (n === 0) {
    return `${r.isa}: Theorem 1 ${r.theorem1}; no instruction is sensitive without being privileged, so the trap-and-emulate monitor runs every guest as the bare machine does.`;
  }
  const shown = r.offenders.filter((o) => o.status === 'diverges').length;
  out.push(...wrap(`${r.isa}: Theorem 1 ${r.theorem1}. ${n} instruction${s} sensitive but not privileged; ${shown} shown diverging.`, WIDTH), '');
  for (const d of r.offenders) out.push(...offenderText(d));
  return out.join('\n').trimEnd();
}

export function demoJson(r: DemoResult): unknown {
  return { format: 'isavirt-demo', version: 1, ...r };
}
