// IRs built by hand for the assembler's tests: only what the assembler reads (state layout,
// operands, syntax, encodings) is filled in; semantics are empty.
import type { EncodingItem, Instruction, Isa, Operand, RegisterFile, SyntaxPart } from '../../src/ir/types.js';

const span = { file: 'fixture', line: 1, col: 1, endLine: 1, endCol: 1 };

/** "LOAD {rd}, [{a}]" -> syntax parts. */
export function syntaxParts(s: string): SyntaxPart[] {
  const parts: SyntaxPart[] = [];
  const re = /\{(\w+)\}/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > last) parts.push({ k: 'text', text: s.slice(last, m.index) });
    parts.push({ k: 'operand', name: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push({ k: 'text', text: s.slice(last) });
  return parts;
}

/** "0x01:8 rd:4 0:4 a:16 b[11..8]" -> encoding with derived mask and match (no little groups). */
export function encoding(s: string): Instruction['encoding'] {
  const items: EncodingItem[] = s.split(/\s+/).map((t) => {
    const slice = /^(\w+)\[(\d+)\.\.(\d+)\]$/.exec(t);
    if (slice) return { k: 'field', operand: slice[1]!, width: Number(slice[2]) - Number(slice[3]) + 1, lo: Number(slice[3]) };
    const [v, w] = t.split(':') as [string, string];
    return /^[0-9]/.test(v) ? { k: 'fixed', width: Number(w), value: '0x' + BigInt(v).toString(16) } : { k: 'field', operand: v, width: Number(w) };
  });
  let mask = 0n;
  let match = 0n;
  let width = 0;
  for (const it of items) {
    const w = BigInt(it.width);
    mask <<= w;
    match <<= w;
    if (it.k === 'fixed') {
      mask |= (1n << w) - 1n;
      match |= BigInt(it.value);
    }
    width += it.width;
  }
  return { width, items, mask: '0x' + mask.toString(16), match: '0x' + match.toString(16) };
}

export interface InstrSpec {
  name: string;
  /** "rd:reg r, a:addr 16" */
  operands?: string;
  syntax?: string;
  encoding: string;
}

export function operands(s: string | undefined): Operand[] {
  if (!s) return [];
  return s.split(',').map((o) => {
    const [name, rest] = o.split(':').map((x) => x.trim()) as [string, string];
    const [kind, arg] = rest.split(/\s+/) as [Operand['kind'], string];
    return kind === 'reg' ? { name, kind, width: 0, file: arg } : { name, kind, width: Number(arg) };
  });
}

export function makeIsa(opts: {
  name: string;
  memory: { name: string; wordWidth: number; size: number };
  view?: boolean;
  files: { name: string; count: number; width: number; names?: string[] }[];
  instructions: InstrSpec[];
  endian?: 'little' | 'big';
}): Isa {
  const files: RegisterFile[] = opts.files.map((f) => ({
    name: f.name,
    count: f.count,
    width: f.width,
    role: 'plain',
    readonly: false,
    names: f.names ?? [],
    span,
  }));
  const instructions: Instruction[] = opts.instructions.map((i) => {
    const ops = operands(i.operands).map((o) => (o.kind === 'reg' ? { ...o, width: Math.log2(files.find((f) => f.name === o.file)!.count) } : o));
    return {
      mnemonic: i.name,
      operands: ops,
      syntax: syntaxParts(i.syntax ?? (ops.length ? `${i.name} ${ops.map((o) => `{${o.name}}`).join(', ')}` : i.name)),
      encoding: encoding(i.encoding),
      claims: [],
      semantics: [],
      span,
    };
  });
  return {
    format: 'isavirt-ir',
    version: 1,
    name: opts.name,
    source: 'fixture',
    extends: [],
    endian: opts.endian ?? 'big',
    registers: [{ name: 'P', width: 16, role: 'plain', readonly: false, clock: false, init: '0x0', fields: [], span }],
    files,
    memories: [{ name: opts.memory.name, wordWidth: opts.memory.wordWidth, size: opts.memory.size, role: 'plain', span }],
    views: opts.view ? [{ name: 'V', memory: opts.memory.name, translation: 'relocate', span }] : [],
    translations: [],
    functions: [],
    modes: [],
    guestMode: 'user',
    traps: [],
    trapEntry: [],
    reset: [],
    fetch: { space: opts.view ? 'V' : opts.memory.name, pc: 'P', span },
    assumptions: [],
    instructions,
  };
}

/** isas/pg.isa's assembly-relevant parts, by hand. */
export const pgFixture: Isa = makeIsa({
  name: 'pg',
  memory: { name: 'E', wordWidth: 32, size: 65536 },
  view: true,
  files: [{ name: 'r', count: 16, width: 32 }],
  instructions: [
    { name: 'LOAD', operands: 'rd: reg r, a: addr 16', syntax: 'LOAD {rd}, [{a}]', encoding: '0x01:8 rd:4 0:4 a:16' },
    { name: 'STORE', operands: 'rs: reg r, a: addr 16', syntax: 'STORE {rs}, [{a}]', encoding: '0x02:8 rs:4 0:4 a:16' },
    { name: 'LOADI', operands: 'rd: reg r, value: imm 16', syntax: 'LOADI {rd}, {value}', encoding: '0x03:8 rd:4 0:4 value:16' },
    { name: 'LOADX', operands: 'rd: reg r, rx: reg r, off: imm 16', syntax: 'LOADX {rd}, [{rx}+{off}]', encoding: '0x04:8 rd:4 rx:4 off:16' },
    { name: 'STOREX', operands: 'rs: reg r, rx: reg r, off: imm 16', syntax: 'STOREX {rs}, [{rx}+{off}]', encoding: '0x05:8 rs:4 rx:4 off:16' },
    { name: 'ADD', operands: 'rd: reg r, rs: reg r', encoding: '0x10:8 rd:4 rs:4 0:16' },
    { name: 'SUB', operands: 'rd: reg r, rs: reg r', encoding: '0x11:8 rd:4 rs:4 0:16' },
    { name: 'AND', operands: 'rd: reg r, rs: reg r', encoding: '0x12:8 rd:4 rs:4 0:16' },
    { name: 'OR', operands: 'rd: reg r, rs: reg r', encoding: '0x13:8 rd:4 rs:4 0:16' },
    { name: 'XOR', operands: 'rd: reg r, rs: reg r', encoding: '0x14:8 rd:4 rs:4 0:16' },
    { name: 'ADDI', operands: 'rd: reg r, value: simm 16', syntax: 'ADDI {rd}, {value}', encoding: '0x15:8 rd:4 0:4 value:16' },
    { name: 'SHL', operands: 'rd: reg r, n: imm 5', encoding: '0x16:8 rd:4 0:15 n:5' },
    { name: 'DIV', operands: 'rd: reg r, rs: reg r', encoding: '0x17:8 rd:4 rs:4 0:16' },
    { name: 'JMP', operands: 'a: addr 16', syntax: 'JMP {a}', encoding: '0x20:8 0:8 a:16' },
    { name: 'JZ', operands: 'rs: reg r, a: addr 16', encoding: '0x21:8 rs:4 0:4 a:16' },
    { name: 'JNZ', operands: 'rs: reg r, a: addr 16', encoding: '0x22:8 rs:4 0:4 a:16' },
    { name: 'SVC', operands: 'n: imm 8', encoding: '0x30:8 0:16 n:8' },
    { name: 'LPSW', operands: 'a: addr 16', syntax: 'LPSW [{a}]', encoding: '0x40:8 0:8 a:16' },
    { name: 'SETR', operands: 'rs: reg r', encoding: '0x41:8 rs:4 0:20' },
    { name: 'GETR', operands: 'rd: reg r', encoding: '0x42:8 rd:4 0:20' },
    { name: 'HALT', encoding: '0x43:8 0:24' },
  ],
});

/** A byte-addressed machine with variable-length instructions, named registers, and one mnemonic
 *  with several operand forms (register, immediate, bracketed address), like x86's MOV. */
export const byteFixture: Isa = makeIsa({
  name: 'bytes',
  memory: { name: 'M', wordWidth: 8, size: 256 },
  files: [{ name: 'g', count: 4, width: 8, names: ['al', 'bl', 'cl', 'dl'] }],
  instructions: [
    { name: 'MOV_rr', operands: 'd: reg g, s: reg g', syntax: 'MOV {d}, {s}', encoding: '0x10:6 d:2 0:4 s:2 0:2' },
    { name: 'MOV_ri', operands: 'd: reg g, v: imm 8', syntax: 'MOV {d}, #{v}', encoding: '0x11:6 d:2 v:8' },
    { name: 'MOV_rm', operands: 'd: reg g, a: addr 8', syntax: 'MOV {d}, [{a}]', encoding: '0x12:6 d:2 a:8' },
    { name: 'MOV_rx', operands: 'd: reg g, x: reg g, o: simm 8', syntax: 'MOV {d}, [{x}+{o}]', encoding: '0x13:6 d:2 0:6 x:2 o:8' },
    { name: 'JR', operands: 'o: simm 8', syntax: 'JR {o}', encoding: '0x20:8 o:8' },
    { name: 'JMPL', operands: 'a: addr 8, b: imm 12', syntax: 'JMPL {a}:{b}', encoding: '0x21:8 a:8 b[11..8] 0:4 b[7..0]' },
    { name: 'NOP', encoding: '0x00:8' },
  ],
});
