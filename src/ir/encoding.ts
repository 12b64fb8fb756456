// Where an encoding puts its bits, for every stage that encodes or decodes (the checker's mask and
// match, the machine's decoder, the assembler and disassembler, the demo's witness programs).
// An operand's value is assembled from its fields wherever and in whatever order they sit; the
// traversal itself is `forEachEncodingBits` in walk.ts.

import type { Encoding } from './types.js';
import { forEachEncodingBits } from './walk.js';

/** `width` bits of operand `operand` starting at its bit `lo` sit at fetch-order bit `at`. */
export interface FieldRun {
  operand: string;
  at: number;
  width: number;
  lo: number;
}

function ones(w: number): bigint {
  return (1n << BigInt(w)) - 1n;
}

/** The runs of operand bits in fetch order, most significant run first. */
export function fieldRuns(enc: Encoding): FieldRun[] {
  const out: FieldRun[] = [];
  forEachEncodingBits(enc, (it, run) => {
    if (it.k === 'field') out.push({ operand: it.operand, at: run.at, width: run.width, lo: (it.lo ?? 0) + run.lo });
  });
  return out;
}

/** Fixed bits: mask and match over the fetch-order value. */
export function fixedBits(enc: Encoding): { mask: bigint; match: bigint } {
  let mask = 0n;
  let match = 0n;
  forEachEncodingBits(enc, (it, run) => {
    if (it.k !== 'fixed') return;
    mask |= ones(run.width) << BigInt(run.at);
    match |= ((BigInt(it.value) >> BigInt(run.lo)) & ones(run.width)) << BigInt(run.at);
  });
  return { mask, match };
}

/** Operand values from the fetch-order bits, each masked to `widths` (uncovered bits zero). */
export function extractOperands(enc: Encoding, bits: bigint, widths: ReadonlyMap<string, number>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const name of widths.keys()) out.set(name, 0n);
  for (const r of fieldRuns(enc)) {
    const v = (bits >> BigInt(r.at)) & ones(r.width);
    out.set(r.operand, (out.get(r.operand) ?? 0n) | (v << BigInt(r.lo)));
  }
  for (const [name, w] of widths) out.set(name, (out.get(name) ?? 0n) & ones(w));
  return out;
}

/** The fetch-order bits of an instance: fixed bits, and each operand's value (two's complement if
 *  negative) cut into its fields. */
export function insertOperands(enc: Encoding, values: ReadonlyMap<string, bigint>): bigint {
  let bits = fixedBits(enc).match;
  for (const r of fieldRuns(enc)) {
    const v = values.get(r.operand) ?? 0n;
    bits |= ((v >> BigInt(r.lo)) & ones(r.width)) << BigInt(r.at);
  }
  return bits;
}

/** Which bits of each operand (below its width) some field holds. */
export function coveredBits(enc: Encoding, widths: ReadonlyMap<string, number>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const name of widths.keys()) out.set(name, 0n);
  for (const r of fieldRuns(enc)) out.set(r.operand, (out.get(r.operand) ?? 0n) | (ones(r.width) << BigInt(r.lo)));
  for (const [name, w] of widths) out.set(name, (out.get(name) ?? 0n) & ones(w));
  return out;
}

/** The fetch-order bits where `operand` has `value`: a decode condition's mask and match. */
export function operandPattern(enc: Encoding, operand: string, value: bigint): { mask: bigint; match: bigint } {
  let mask = 0n;
  let match = 0n;
  for (const r of fieldRuns(enc)) {
    if (r.operand !== operand) continue;
    mask |= ones(r.width) << BigInt(r.at);
    match |= ((value >> BigInt(r.lo)) & ones(r.width)) << BigInt(r.at);
  }
  return { mask, match };
}

/** Whether fetch-order bits fall in one of the encoding's excluded operand values. */
export function excluded(enc: Encoding, bits: bigint): boolean {
  return (enc.exclude ?? []).some((x) => (bits & BigInt(x.mask)) === BigInt(x.match));
}
