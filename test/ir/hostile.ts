// Generators of hostile specs, shared by the bound tests and the property tests: each is small to
// write down and huge (or slow) to expand if a bound is missing.

const prelude = 'isa h;\nmemory M : 8 [256];\nregister PC : 8;\nregister A : 8;\nregister S : 1 mode;\nmodes { sup when S == 0; }\nfetch M at PC;\n';

/** `n` functions each calling the previous `fanout` times: fanout^n nodes once inlined. */
export function exponentialCalls(n: number, fanout = 2): string {
  const lines = [prelude, 'function f0(x : 8) : 8 { return x + 1; }'];
  for (let i = 1; i <= n; i++) lines.push(`function f${i}(x : 8) : 8 { return ${Array.from({ length: fanout }, () => `f${i - 1}(x)`).join(' + ')}; }`);
  lines.push(`instruction NOP() { encoding 0x00:8; semantics { A = f${n}(A); } }`);
  return lines.join('\n') + '\n';
}

/** A spec declaring `n` registers of `width` bits. */
export function manyRegisters(n: number, width = 8): string {
  const lines = [prelude];
  for (let i = 0; i < n; i++) lines.push(`register R${i} : ${width};`);
  lines.push('instruction NOP() { encoding 0x00:8; }');
  return lines.join('\n') + '\n';
}

/** A spec with `files` register files of `count` registers of `width` bits. */
export function bigFiles(files: number, count: number, width = 64): string {
  const lines = [prelude];
  for (let i = 0; i < files; i++) lines.push(`registers F${i}[${count}] : ${width};`);
  lines.push('instruction NOP() { encoding 0x00:8; }');
  return lines.join('\n') + '\n';
}
