// The only way grading reads a submission's files: a host confined to the submission's folder.
// A spec's `extends` and every file an assignment names are resolved through it, so a submission
// cannot read the reference solution, another student's work, or anything else on the machine
// (symbolic links are resolved before the check).

import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FileHost } from '../ir/index.js';

/** Largest file a submission may hand in (a spec or program beyond this is not coursework). */
export const MAX_SUBMISSION_FILE = 1 << 20;

export interface ConfinedHost extends FileHost {
  /** The confining folder (real path). */
  readonly root: string;
  /** Why each refused read was refused, in words, in order. */
  readonly refused: string[];
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** A host that reads only regular files inside `root` (after resolving links), or only the file
 *  `only` when given, each at most MAX_SUBMISSION_FILE bytes; anything else reads as missing and is
 *  recorded in `refused`. */
export function confinedHost(root: string, only?: string): ConfinedHost {
  const rootReal = real(root) ?? path.resolve(root);
  const onlyReal = only === undefined ? undefined : (real(only) ?? path.resolve(only));
  const refused: string[] = [];
  // A one-file submission sits beside other students' files: then that file alone is readable.
  const inside = (p: string) => (onlyReal !== undefined ? p === onlyReal : p === rootReal || p.startsWith(rootReal + path.sep));
  return {
    root: rootReal,
    refused,
    readFile(file: string): string | undefined {
      const abs = path.resolve(file);
      const r = real(abs);
      if (!inside(r ?? abs)) {
        const why = r !== undefined && inside(abs) ? 'it links outside the submission' : 'it is outside the submission';
        // Named relative to the submission: the grading machine's folders are not the student's business.
        refused.push(`refused to read ${path.relative(rootReal, abs) || '.'}: ${why}`);
        return undefined;
      }
      if (r === undefined) return undefined;
      try {
        const st = statSync(r);
        if (!st.isFile()) return undefined;
        if (st.size > MAX_SUBMISSION_FILE) {
          refused.push(`refused to read ${path.basename(r)}: ${st.size} bytes is more than the ${MAX_SUBMISSION_FILE} a submission file may have`);
          return undefined;
        }
        return readFileSync(r, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
