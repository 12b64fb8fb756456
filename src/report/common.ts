// Helpers every renderer shares: compact verdict marks, the one-word verdict of an instruction,
// places in spec files, and the list of offenders across the three theorems.

import path from 'node:path';
import type { Span } from '../ir/index.js';
import type { IsaAnalysis, InstructionClassification, PrivilegeVerdict, TheoremVerdict, Tri, Verdict } from '../analysis/index.js';

/** The compact mark of a table cell: yes / no / cond / ?. */
export function triMark(value: Tri | PrivilegeVerdict['value']): string {
  switch (value) {
    case 'yes':
      return 'yes';
    case 'no':
      return 'no';
    case 'conditional':
      return 'cond';
    default:
      return '?';
  }
}

export function verdictMark(v: Verdict): string {
  return triMark(v.value);
}

/**
 * What the instruction means for a monitor, in a few words: the last column of the
 * classification table. An offender names the theorems it breaks.
 */
export function instructionVerdict(a: IsaAnalysis, c: InstructionClassification): string {
  const broken = brokenTheorems(a, c.mnemonic);
  if (broken.length > 0) return `breaks ${broken.join(', ')}`;
  if (c.sensitive === 'unknown' || c.privileged.value === 'unknown') return 'unknown';
  const priv = c.privileged.value === 'yes' ? 'privileged' : c.privileged.value === 'conditional' ? 'cond. privileged' : '';
  if (c.sensitive === 'yes') return priv ? `sensitive, ${priv}` : 'sensitive';
  if (priv) return priv;
  return 'innocuous';
}

/** Theorem labels ("T1", "T2", "T3") whose offenders include the mnemonic. */
export function brokenTheorems(a: IsaAnalysis, mnemonic: string): string[] {
  const out: string[] = [];
  for (const [label, t] of theorems(a)) {
    if (t.offenders.some((o) => o.mnemonic === mnemonic)) out.push(label);
  }
  return out;
}

export function theorems(a: IsaAnalysis): [string, TheoremVerdict][] {
  return [
    ['T1', a.theorem1],
    ['T2', a.theorem2],
    ['T3', a.theorem3],
  ];
}

/** Distinct mnemonics that break at least one theorem. */
export function offenderMnemonics(a: IsaAnalysis): string[] {
  const seen = new Set<string>();
  for (const [, t] of theorems(a)) for (const o of t.offenders) seen.add(o.mnemonic);
  return [...seen];
}

/** Verdicts of one instruction that are unknown, by the name a reader knows them by. */
export function unknownVerdicts(c: InstructionClassification): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const push = (name: string, value: string, ev: { k: string; text: string }) => {
    if (value === 'unknown') out.push({ name, text: ev.text });
  };
  push('privileged', c.privileged.value, c.privileged.evidence);
  push('control-sensitive', c.controlSensitive.value, c.controlSensitive.evidence);
  push('mode-sensitive', c.modeSensitive.value, c.modeSensitive.evidence);
  push('location-sensitive', c.locationSensitive.value, c.locationSensitive.evidence);
  push('user-sensitive', c.userSensitive.value, c.userSensitive.evidence);
  push('timing-dependent', c.timingDependent.value, c.timingDependent.evidence);
  return out;
}

/** A file name as a user would type it: relative to `base` when inside it, with forward slashes. */
export function displayPath(file: string, base: string = process.cwd()): string {
  if (!path.isAbsolute(file)) return file.split(path.sep).join('/');
  const rel = path.relative(base, file);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  return file.split(path.sep).join('/');
}

/** "isas/pg.isa:211:1". */
export function spanLocation(span: Span, base?: string): string {
  return `${displayPath(span.file, base)}:${span.line}:${span.col}`;
}
