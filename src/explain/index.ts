// Explanations for learners: why one instruction is classified as it is, in plain words, walking
// through Popek and Goldberg's definitions one by one (what it reads, what it writes, when it
// traps), with the witness states when there are any, and what a trap-and-emulate monitor would
// see when a guest runs it. `check --explain` (src/analysis explainInstruction) prints the same
// evidence tersely for experts; this text is for someone meeting the definitions for the first time.

import type { Evidence, InstructionClassification, IsaAnalysis, PrivilegeVerdict, Verdict, Witness } from '../analysis/index.js';
import type { Instruction, Isa, TrapKind } from '../ir/index.js';
import { didYouMean } from '../syntax/index.js';
import { NO_PAINT, StateModel, reasonRich, richText, splitRich, witnessLines, witnessView, type Paint } from '../report/index.js';
import wrapAnsi from 'wrap-ansi';
import { createColors } from 'picocolors';
import { isaIndex } from '../ir/index.js';

export type FindResult =
  { ok: true; instruction: Instruction; classification: InstructionClassification } | { ok: false; message: string; suggestion?: string };

/** Find an instruction by mnemonic (exact, then case-insensitive), or say what is close. */
export function findInstruction(isa: Isa, analysis: IsaAnalysis, mnemonic: string): FindResult {
  const instruction = isaIndex(isa).instructions.get(mnemonic) ?? isa.instructions.find((i) => i.mnemonic.toLowerCase() === mnemonic.toLowerCase());
  const classification = instruction && analysis.instructions.find((c) => c.mnemonic === instruction.mnemonic);
  if (instruction && classification) return { ok: true, instruction, classification };
  const suggestion =
    didYouMean(
      mnemonic,
      isa.instructions.map((i) => i.mnemonic),
    ) ??
    didYouMean(
      mnemonic.toUpperCase(),
      isa.instructions.map((i) => i.mnemonic),
    );
  const r: FindResult = { ok: false, message: `${isa.name} has no instruction '${mnemonic}'` };
  if (suggestion !== undefined) r.suggestion = suggestion;
  return r;
}

const KIND_WORDS: Record<TrapKind, string> = {
  privilege: 'a privilege trap',
  memory: 'a memory fault',
  arithmetic: 'an arithmetic fault',
  software: 'a deliberate software trap',
  illegal: 'an illegal-instruction trap',
  interrupt: 'an interrupt',
};

function list(xs: string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** A witness as lines a student can follow: the instance, what differs, the rest summarised
 *  (the one evidence model of src/report/evidence.ts, rendered as text). */
export function witnessInWords(w: Witness, model: StateModel = new StateModel(), paint: Paint = NO_PAINT): string[] {
  const out = witnessLines(witnessView(w, model)).map((l) => capitalise(richText(l, paint)) + '.');
  out.push(
    w.replayed
      ? 'This witness was replayed on the reference interpreter, which saw exactly this.'
      : 'Warning: the reference interpreter did NOT confirm this witness (a bug; please report it).',
  );
  return out;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function evidenceInWords(e: Evidence, model: StateModel, paint: Paint, shown?: Set<string>): string[] {
  if (e.k === 'witness' && shown) {
    // The same witness often backs two verdicts (location and user sensitivity): show it once.
    const id = JSON.stringify(e.witness);
    if (shown.has(id)) return [`How we know: ${e.text}. The concrete example is the one shown above.`];
    shown.add(id);
  }
  switch (e.k) {
    case 'syntactic':
      return [`How we know, for every state: ${e.text}. This follows from reading the semantics; no search was needed.`];
    case 'proof':
      return [`How we know, for every state: ${e.text}. The solver checked every bit pattern of the state and operands and found no counterexample.`];
    case 'witness':
      return [`How we know: ${e.text}. A concrete example:`, ...witnessInWords(e.witness, model, paint).map((l) => `  ${l}`)];
    case 'unknown':
      return [`Undecided: ${e.text} (${e.reason}). isavirt never guesses, so this verdict stays unknown.`];
  }
}

function answer(v: string): string {
  return v === 'yes' ? 'Yes.' : v === 'no' ? 'No.' : v === 'conditional' ? 'Only under a condition.' : 'Unknown.';
}

/** The plain-words explanation of one instruction's classification. */
export function explainForLearner(
  isa: Isa,
  analysis: IsaAnalysis,
  instruction: Instruction,
  c: InstructionClassification,
  opts: { width?: number; color?: boolean } = {},
): string {
  const width = opts.width ?? 80;
  const model = new StateModel(isa);
  const colors = createColors(opts.color ?? false);
  const paint: Paint = { name: (x) => x, value: (x) => x, key: (x) => colors.bold(colors.yellow(x)) };
  const guest = analysis.guestMode;
  const top = analysis.mostPrivilegedMode;
  const e = c.effects;
  const out: string[] = [];
  const para = (text: string, indent = ''): void => {
    // wrap-ansi: a highlighted value may sit in the text; columns are counted without its codes.
    for (const line of wrapAnsi(text, Math.max(10, width - indent.length), { hard: true, trim: true }).split('\n')) out.push(indent + line);
  };
  const blank = (): void => void out.push('');
  const shown = new Set<string>();
  const m = c.mnemonic;

  out.push(`${m} in ${isa.name} (${c.span.file}:${c.span.line})`);
  out.push('='.repeat(Math.min(width, out[0]!.length)));
  // The same one-line reason as check's offender list, built from the witnesses.
  para(`${m}: ${richText(reasonRich(c, model, guest), paint)}.`);
  const split = splitRich(c);
  if (split) {
    blank();
    para(
      `Its instances (the instruction with fixed operand values) are not all alike: ${richText(split, paint)}. Popek and Goldberg's definitions are about instances, so each class is judged on its own.`,
    );
  }
  if (instruction.doc) {
    blank();
    para(`The spec says: ${instruction.doc.replace(/\s*\n\s*/g, ' ')}`);
  }

  blank();
  out.push('1. What it touches');
  const role = (name: string): string => {
    if (e.modeReads.includes(name) || e.modeWrites.includes(name)) return `${name} (mode state)`;
    if (e.controlReads.includes(name) || e.controlWrites.includes(name)) return `${name} (control state, owned by the monitor)`;
    if (e.clockReads.includes(name)) return `${name} (a clock)`;
    return name;
  };
  para(e.reads.length ? `It reads ${list(e.reads.map(role))}.` : 'It reads no state.', '   ');
  para(e.writes.length ? `It writes ${list(e.writes.map(role))}.` : 'It writes no state.', '   ');
  if (e.traps.length === 0) para('It never traps.', '   ');
  for (const t of e.traps) para(`It raises ${t.trap}, ${KIND_WORDS[t.kind]}, when ${t.condition}.`, '   ');
  if (e.halts) para('It may halt the machine; stopping the machine is something only the monitor may do, so this counts as touching control state.', '   ');

  const step = (n: number, title: string, definition: string, v: Verdict | PrivilegeVerdict, extra = ''): void => {
    blank();
    out.push(`${n}. ${title}`);
    para(`Definition: ${definition}`, '   ');
    para(`Answer: ${answer(v.value)}${extra}`, '   ');
    for (const l of evidenceInWords(v.evidence, model, paint, shown)) para(l, l.startsWith('  ') ? '     ' : '   ');
  };
  step(
    2,
    'Is it privileged?',
    `an instruction is privileged when it traps for privilege in every state whose mode is the guest mode (${guest}) and in no state whose mode is the most privileged one (${top}).`,
    c.privileged,
    c.privileged.condition ? ` In mode ${guest} it traps only when ${c.privileged.condition}.` : '',
  );
  step(
    3,
    'Is it control-sensitive?',
    'there is a state where it does not trap and changes a mode or control element (or halts the machine).',
    c.controlSensitive,
  );
  step(4, 'Is it mode-sensitive?', 'two states that differ only in the mode, neither traps, and the results differ outside the mode.', c.modeSensitive);
  step(
    5,
    'Is it location-sensitive?',
    'two states that differ only in control elements (with memory seen through the translation shifted to match), neither traps, and the results differ.',
    c.locationSensitive,
  );

  blank();
  out.push('6. Putting it together');
  const sens = c.sensitive === 'yes' ? 'sensitive' : c.sensitive === 'no' ? 'innocuous (not sensitive)' : 'of unknown sensitivity';
  para(
    `An instruction is sensitive when it is control-sensitive or behaviour-sensitive (mode or location); otherwise it is innocuous. ${m} is ${sens}.`,
    '   ',
  );
  para(
    `User-sensitive means control-sensitive in a state of the guest mode (${guest}), or location-sensitive with both states in it; the mode alone does not count, because under a hybrid monitor the guest's user code runs in the real ${guest} mode. Answer: ${answer(c.userSensitive.value)}`,
    '   ',
  );
  for (const l of evidenceInWords(c.userSensitive.evidence, model, paint, shown)) para(l, l.startsWith('  ') ? '     ' : '   ');
  para(`Timing-dependent (it reads a clock, which matters for recursive virtualization): ${answer(c.timingDependent.value)}`, '   ');

  blank();
  out.push('7. What a monitor sees');
  for (const l of monitorView(analysis, c, richText(reasonRich(c, model, guest), paint))) para(l, '   ');
  if (c.breaksMonitor) {
    const b = c.breaksMonitor;
    para(
      b.value === 'yes'
        ? `Decided exactly (not just by Theorem 1): ${m} breaks the trap-and-emulate monitor. ${b.evidence.text}.`
        : b.value === 'no'
          ? `Decided exactly (not just by Theorem 1): ${m} does not break the trap-and-emulate monitor: ${b.evidence.text}.`
          : `Whether ${m} breaks the trap-and-emulate monitor is undecided: ${b.evidence.text}.`,
      '   ',
    );
    if (b.evidence.k === 'witness')
      for (const l of witnessLines(witnessView(b.evidence.witness, model, ['virtual', 'real']))) para(capitalise(richText(l, paint)) + '.', '     ');
  }

  blank();
  out.push('Verdicts');
  const broken = [
    ['Theorem 1', analysis.theorem1],
    ['Theorem 2', analysis.theorem2],
    ['Theorem 3', analysis.theorem3],
  ]
    .filter(([, t]) => (t as IsaAnalysis['theorem1']).offenders.some((o) => o.mnemonic === m))
    .map(([n]) => n as string);
  out.push(`   privileged: ${c.privileged.value}`);
  out.push(`   control-sensitive: ${c.controlSensitive.value}`);
  out.push(`   mode-sensitive: ${c.modeSensitive.value}`);
  out.push(`   location-sensitive: ${c.locationSensitive.value}`);
  out.push(`   sensitive: ${c.sensitive}`);
  out.push(`   innocuous: ${c.innocuous}`);
  out.push(`   user-sensitive: ${c.userSensitive.value}`);
  out.push(`   timing-dependent: ${c.timingDependent.value}`);
  out.push(`   breaks: ${broken.length ? broken.join(', ') : 'no theorem'}`);
  for (const f of c.claimFindings) {
    blank();
    para(
      `Note: the spec claims '${f.claim.negated ? 'not ' : ''}${f.claim.claim}' at line ${f.claim.span.line}, but the derivation says otherwise: ${f.message}`,
    );
  }
  return out.join('\n') + '\n';
}

/** What happens when a guest, running in the guest mode under a trap-and-emulate monitor, executes it. */
function monitorView(a: IsaAnalysis, c: InstructionClassification, reason: string): string[] {
  const m = c.mnemonic;
  const guest = a.guestMode;
  const priv = c.privileged.value;
  const privTrap = c.effects.traps.find((t) => t.kind === 'privilege')?.trap;
  if (priv === 'unknown' || c.sensitive === 'unknown') {
    return [`Some verdict is undecided, so isavirt cannot say whether a monitor handles ${m} correctly.`];
  }
  const out: string[] = [];
  out.push(`The monitor runs the guest's code, even its supervisor code, in mode ${guest}, directly on the machine, and gets control only through traps.`);
  if (priv === 'yes') {
    out.push(
      `In mode ${guest}, ${m} always traps${privTrap ? ` (${privTrap})` : ''}, so the monitor sees every execution of it and can emulate it on the guest's virtual state.`,
    );
    out.push(
      c.sensitive === 'yes'
        ? `That is exactly what a sensitive instruction needs: the guest cannot tell it is not on bare metal.`
        : `It is not even sensitive, so the trap costs time but nothing else.`,
    );
    return out;
  }
  if (c.sensitive === 'no') {
    out.push(
      `${m} is innocuous: it runs directly on the hardware at full speed, the monitor never sees it, and it does not need to: it behaves the same whatever the monitor has done to mode and control state.`,
    );
    return out;
  }
  if (priv === 'conditional')
    out.push(`In mode ${guest}, ${m} traps only when ${c.privileged.condition}; otherwise it runs directly and the monitor never sees it.`);
  else out.push(`In mode ${guest}, ${m} does not trap for privilege, so it runs directly on the real machine and the monitor never sees it.`);
  out.push(
    `But it is sensitive: ${reason}. A guest that runs it can observe or change what the monitor owns, so the virtual machine is not faithful: this breaks Theorem 1 (every sensitive instruction must be privileged).`,
  );
  if (c.userSensitive.value === 'no')
    out.push(
      `It is not user-sensitive, though: in mode ${guest} it behaves correctly. A hybrid monitor, which interprets the guest's supervisor code instead of running it, can still work (Theorem 3).`,
    );
  else if (c.userSensitive.value === 'yes')
    out.push(`It is user-sensitive too, so even a hybrid monitor (Theorem 3) cannot host this machine without patching the guest.`);
  return out;
}
