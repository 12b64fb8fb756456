// SARIF 2.1.0 (OASIS): one run of isavirt over every checked ISA, so code-scanning tools and
// editors show each finding at the offending instruction. One rule per finding kind.

import type { Span } from '../ir/types.js';
import type { InstructionClassification, IsaAnalysis } from '../analysis/types.js';
import { displayPath, unknownVerdicts } from './common.js';
import { toolVersion } from './json.js';

export type SarifLevel = 'error' | 'warning' | 'note';

interface Rule {
  id: string;
  name: string;
  short: string;
  full: string;
  level: SarifLevel;
}

/** The finding kinds, in the order of tool.driver.rules (results refer to them by index too). */
export const SARIF_RULES: readonly Rule[] = [
  {
    id: 'ISA-T1',
    name: 'SensitiveNotPrivileged',
    short: 'A sensitive instruction is not privileged (Theorem 1 fails).',
    full:
      'Popek and Goldberg Theorem 1: a trap-and-emulate monitor can be built when every sensitive ' +
      'instruction is privileged. This instruction is sensitive but does not trap in the guest mode, ' +
      'so a guest running it behaves differently under a monitor.',
    level: 'error',
  },
  {
    id: 'ISA-T3',
    name: 'UserSensitiveNotPrivileged',
    short: 'A user-sensitive instruction is not privileged (Theorem 3 fails).',
    full:
      'Popek and Goldberg Theorem 3: a hybrid monitor (interpreting the guest supervisor) can be built ' +
      'when every user-sensitive instruction is privileged. This instruction is sensitive in the guest ' +
      'mode itself and does not trap there.',
    level: 'error',
  },
  {
    id: 'ISA-T2',
    name: 'TimingDependent',
    short: 'An instruction makes the machine timing dependent (Theorem 2 fails).',
    full:
      'Popek and Goldberg Theorem 2 (recursive virtualization) needs Theorem 1 and no timing ' +
      'dependence. This instruction breaks Theorem 2 without breaking Theorem 1, e.g. it reads a clock.',
    level: 'warning',
  },
  {
    id: 'ISA-CLAIM',
    name: 'ContradictedClaim',
    short: "The spec's claim about an instruction is contradicted by its semantics.",
    full:
      'An instruction carries a `claims` clause that the derivation from its semantics contradicts, ' +
      'with proof or a replayed witness.',
    level: 'warning',
  },
  {
    id: 'ISA-UNKNOWN',
    name: 'UnknownVerdict',
    short: 'A verdict about an instruction is unknown.',
    full:
      'Neither a proof nor a replayed witness settles this verdict (the solver hit its bound or the ' +
      'query is outside what it decides). isavirt reports it as unknown rather than guess.',
    level: 'note',
  },
  {
    id: 'ISA-REPLAY',
    name: 'ReplayFailure',
    short: 'A witness did not replay on the reference interpreter.',
    full:
      'The analysis produced a witness that the reference interpreter did not confirm. This is a bug ' +
      'in isavirt or an inconsistency in the spec; verdicts that rest on it are not to be trusted.',
    level: 'error',
  },
];

export interface SarifOptions {
  /** URIs are made relative to this folder (default: the working directory). */
  base?: string;
  version?: string;
}

type Json = Record<string, unknown>;

function region(span: Span): Json {
  return { startLine: span.line, startColumn: span.col, endLine: span.endLine, endColumn: span.endCol };
}

function location(file: string, span: Span | undefined, base: string | undefined): Json {
  const physicalLocation: Json = { artifactLocation: { uri: encodeUriPath(displayPath(file, base)) } };
  if (span) physicalLocation.region = region(span);
  return { physicalLocation };
}

/** A file path as a URI reference: each segment percent-encoded, slashes kept. */
function encodeUriPath(p: string): string {
  const absolute = p.startsWith('/');
  const encoded = p.split('/').map(encodeURIComponent).join('/');
  return absolute ? 'file://' + encoded : encoded;
}

function result(ruleId: string, text: string, file: string, span: Span | undefined, base: string | undefined, props: Json): Json {
  const ruleIndex = SARIF_RULES.findIndex((r) => r.id === ruleId);
  return {
    ruleId,
    ruleIndex,
    level: SARIF_RULES[ruleIndex]!.level,
    message: { text },
    locations: [location(file, span, base)],
    properties: props,
  };
}

/** The instruction a replay error names: errors are written "MNEMONIC: ..." when they concern one. */
function instructionOfError(a: IsaAnalysis, error: string): InstructionClassification | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*:/.exec(error);
  return m ? a.instructions.find((i) => i.mnemonic === m[1]) : undefined;
}

function resultsOf(a: IsaAnalysis, base: string | undefined): Json[] {
  const out: Json[] = [];
  const props = (mnemonic?: string): Json => (mnemonic ? { isa: a.isa, instruction: mnemonic } : { isa: a.isa });
  const t1 = new Set(a.theorem1.offenders.map((o) => o.mnemonic));
  for (const o of a.theorem1.offenders) out.push(result('ISA-T1', o.reason, o.span.file, o.span, base, props(o.mnemonic)));
  for (const o of a.theorem3.offenders) out.push(result('ISA-T3', o.reason, o.span.file, o.span, base, props(o.mnemonic)));
  for (const o of a.theorem2.offenders) {
    // Theorem 2 includes Theorem 1; its own finding is what breaks it beyond that (timing).
    if (!t1.has(o.mnemonic)) out.push(result('ISA-T2', o.reason, o.span.file, o.span, base, props(o.mnemonic)));
  }
  for (const ic of a.instructions) {
    for (const f of ic.claimFindings) {
      out.push(result('ISA-CLAIM', f.message, f.claim.span.file, f.claim.span, base, props(ic.mnemonic)));
    }
  }
  for (const ic of a.instructions) {
    const unknown = unknownVerdicts(ic);
    if (unknown.length === 0) continue;
    const text = `${ic.mnemonic}: unknown ${unknown.map((u) => u.name).join(', ')} (${unknown[0]!.text})`;
    out.push(result('ISA-UNKNOWN', text, ic.span.file, ic.span, base, props(ic.mnemonic)));
  }
  for (const e of a.errors) {
    const ic = instructionOfError(a, e);
    out.push(result('ISA-REPLAY', e, ic?.span.file ?? a.source, ic?.span, base, props(ic?.mnemonic)));
  }
  return out;
}

/** The SARIF log as an object (one run). */
export function buildSarif(analyses: IsaAnalysis[], opts: SarifOptions = {}): Json {
  const rules = SARIF_RULES.map((r) => ({
    id: r.id,
    name: r.name,
    shortDescription: { text: r.short },
    fullDescription: { text: r.full },
    defaultConfiguration: { level: r.level },
  }));
  const files = [...new Set(analyses.map((a) => displayPath(a.source, opts.base)))];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'isavirt',
            version: opts.version ?? toolVersion(),
            rules,
          },
        },
        artifacts: files.map((f) => ({ location: { uri: encodeUriPath(f) }, roles: ['analysisTarget'] })),
        columnKind: 'utf16CodeUnits',
        results: analyses.flatMap((a) => resultsOf(a, opts.base)),
      },
    ],
  };
}

export function renderSarif(analyses: IsaAnalysis[], opts: SarifOptions = {}): string {
  return JSON.stringify(buildSarif(analyses, opts), null, 2) + '\n';
}
