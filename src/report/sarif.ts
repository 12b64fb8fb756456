// SARIF 2.1.0 (OASIS; schema grammar/sarif-schema-2.1.0.json): one run of isavirt over every
// checked ISA, so code-scanning tools and editors show each finding at the offending instruction.
// One rule per finding kind. Fit for GitHub code scanning ("SARIF support for code scanning",
// docs.github.com), checked in the tests with Microsoft's SARIF Multitool and its GitHub rules:
// every rule has `help` (text and Markdown) and `helpUri` (GH2012); every result has
// `partialFingerprints` (a key of the finding itself, so an alert survives edits elsewhere in the
// file); the run has `automationDetails` (GitHub's category) and an invocation that says whether
// every spec loaded: a spec that failed to load is a tool execution notification and
// `executionSuccessful: false`, never an empty "all clear" that would close every open alert;
// artifact URIs are relative to `%SRCROOT%`, which `originalUriBaseIds` defines.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Span } from '../ir/index.js';
import type { InstructionClassification, IsaAnalysis } from '../analysis/index.js';
import { unknownVerdicts } from './common.js';
import { toolVersion, type FailedSpec } from './json.js';

export type SarifLevel = 'error' | 'warning' | 'note';

interface Rule {
  id: string;
  name: string;
  short: string;
  full: string;
  level: SarifLevel;
  /** What to do about it, in Markdown (GitHub shows it under the alert). */
  help: string;
}

/** Where each rule is explained (the paper the theorems are from, for the theorem rules). */
const PAPER = 'Popek and Goldberg, "Formal Requirements for Virtualizable Third Generation Architectures", CACM 17(7), 1974';
export const HELP_URI = 'https://isavirt.dev/rules';

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
    help:
      'This instruction is sensitive (it reads or changes state the monitor owns) but does not trap in the guest mode, ' +
      'so a trap-and-emulate monitor cannot intercept it (Theorem 1 of ' +
      PAPER +
      ').\n\n' +
      '**To fix** the ISA, make the instruction trap for privilege in the guest mode (and behave as before in the most ' +
      'privileged mode), or remove what makes it sensitive. Run `isavirt explain <spec> <mnemonic>` for the witness, ' +
      'and `isavirt demo <spec> --instruction <mnemonic>` to see the two runs diverge.',
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
    help:
      'This instruction is sensitive in the guest mode itself and does not trap there, so even a hybrid monitor, which ' +
      'interprets the guest supervisor, cannot intercept it (Theorem 3 of ' +
      PAPER +
      ').\n\n' +
      '**To fix**, make it trap in the guest mode, or keep what it reads out of the guest mode.',
  },
  {
    id: 'ISA-T2',
    name: 'TimingDependent',
    short: 'An instruction makes the machine timing dependent (Theorem 2 fails).',
    full:
      'Popek and Goldberg Theorem 2 (recursive virtualization) needs Theorem 1 and no timing ' +
      'dependence. This instruction breaks Theorem 2 without breaking Theorem 1, e.g. it reads a clock.',
    level: 'warning',
    help:
      'The instruction lets a guest observe timing (it reads a `clock`), so the machine cannot be virtualized ' +
      'recursively (Theorem 2 of ' +
      PAPER +
      ').\n\n**To fix**, make the clock read trap in the guest mode, or make ' +
      'the clock virtual state the monitor owns.',
  },
  {
    id: 'ISA-CLAIM',
    name: 'ContradictedClaim',
    short: "The spec's claim about an instruction is contradicted by its semantics.",
    full: 'An instruction carries a `claims` clause that the derivation from its semantics contradicts, ' + 'with proof or a replayed witness.',
    level: 'warning',
    help:
      'The spec says something about this instruction (`claims`) that its semantics contradict; the message gives the ' +
      'proof or the replayed witness.\n\n**To fix**, correct the claim or the semantics.',
  },
  {
    id: 'ISA-UNKNOWN',
    name: 'UnknownVerdict',
    short: 'A verdict about an instruction is unknown.',
    full:
      'Neither a proof nor a replayed witness settles this verdict (the solver hit its bound or the ' +
      'query is outside what it decides). isavirt reports it as unknown rather than guess.',
    level: 'note',
    help:
      'isavirt could neither prove nor refute this verdict within its bounds, so it reports it as unknown rather than ' +
      'guess.\n\n**To decide it**, simplify the semantics (split the instruction by operand), or raise the solver bound.',
  },
  {
    id: 'ISA-REPLAY',
    name: 'ReplayFailure',
    short: 'A witness did not replay on the reference interpreter.',
    full:
      'The analysis produced a witness that the reference interpreter did not confirm. This is a bug ' +
      'in isavirt or an inconsistency in the spec; verdicts that rest on it are not to be trusted.',
    level: 'error',
    help:
      'The analysis found a witness that the reference interpreter did not confirm. This is a bug in isavirt or an ' +
      'inconsistency in the spec: do not trust the verdicts resting on it.\n\n**Please report it**, with the spec.',
  },
  {
    id: 'ISA-TE',
    name: 'BreaksTrapAndEmulateMonitor',
    short: 'No trap-and-emulate monitor exists: this instruction breaks it.',
    full:
      'The exact question behind Theorem 1: for some virtual state and the real state the monitor runs it in, this ' +
      'instruction does not trap, and it either changes what the monitor owns or leaves the guest in a state other ' +
      'than the virtual machine would. The witness is the pair of runs.',
    level: 'error',
    help:
      'A trap-and-emulate monitor for this ISA would run this instruction without noticing, and the guest would see ' +
      'a different machine (the exact condition behind Theorem 1 of ' +
      PAPER +
      ').\n\n' +
      '**To fix**, make the instruction trap in the guest mode where it breaks the monitor. `isavirt demo <spec> ' +
      '--instruction <mnemonic>` replays the witness on the bare machine and under the monitor.',
  },
  {
    id: 'ISA-HM',
    name: 'BreaksHybridMonitor',
    short: 'No hybrid monitor exists: this instruction breaks it.',
    full:
      'The exact question behind Theorem 3: in the virtual user mode this instruction does not trap and the guest ' +
      'would see a different machine under a hybrid monitor.',
    level: 'error',
    help:
      'Even a hybrid monitor, which interprets the guest supervisor, would run this instruction in the virtual user ' +
      'mode without noticing (the exact condition behind Theorem 3 of ' +
      PAPER +
      ').\n\n**To fix**, make it trap in ' +
      'the guest mode.',
  },
];

export interface SarifOptions {
  /** `%SRCROOT%`: artifact URIs are relative to this folder, the repository's root in a workflow
   *  (default: the working directory). */
  base?: string;
  version?: string;
  /** GitHub's category of the analysis (runAutomationDetails.id is "<category>/"); default "isavirt". */
  category?: string;
  /** Specs that failed to load: each is a tool execution notification, and the run unsuccessful. */
  failed?: FailedSpec[];
}

type Json = Record<string, unknown>;

const SRCROOT = '%SRCROOT%';

function region(span: Span): Json {
  return { startLine: span.line, startColumn: span.col, endLine: span.endLine, endColumn: span.endCol };
}

/** A file path as a URI reference: each segment percent-encoded, slashes kept. */
function encodeUriPath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** Where a file is: relative to %SRCROOT% when inside it, else an absolute file: URI. */
function artifactLocation(file: string, base: string): Json {
  const abs = path.resolve(base, file);
  const rel = path.relative(base, abs);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return { uri: encodeUriPath(rel.split(path.sep).join('/')), uriBaseId: SRCROOT };
  return { uri: pathToFileURL(abs).href };
}

function location(file: string, span: Span | undefined, base: string): Json {
  const physicalLocation: Json = { artifactLocation: artifactLocation(file, base) };
  if (span) physicalLocation.region = region(span);
  return { physicalLocation };
}

/** A key of the finding itself, not of its line: the rule, the ISA, the instruction (or the
 *  message when there is none) and the file. Edits elsewhere in the spec keep the alert. */
function fingerprint(ruleId: string, isa: string, subject: string, file: string): string {
  return createHash('sha256')
    .update(JSON.stringify([ruleId, isa, subject, file]))
    .digest('hex')
    .slice(0, 32);
}

function result(ruleId: string, text: string, file: string, span: Span | undefined, base: string, props: Json, subject: string): Json {
  const ruleIndex = SARIF_RULES.findIndex((r) => r.id === ruleId);
  const loc = location(file, span, base);
  const uri = ((loc.physicalLocation as Json).artifactLocation as Json).uri as string;
  return {
    ruleId,
    ruleIndex,
    level: SARIF_RULES[ruleIndex]!.level,
    message: { text },
    locations: [loc],
    partialFingerprints: { 'isavirtFinding/v1': fingerprint(ruleId, String(props.isa ?? ''), subject, uri) },
    properties: props,
  };
}

/** The instruction a replay error names: errors are written "MNEMONIC: ..." when they concern one. */
function instructionOfError(a: IsaAnalysis, error: string): InstructionClassification | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*:/.exec(error);
  return m ? a.instructions.find((i) => i.mnemonic === m[1]) : undefined;
}

function resultsOf(a: IsaAnalysis, base: string): Json[] {
  const out: Json[] = [];
  const props = (mnemonic?: string): Json => (mnemonic ? { isa: a.isa, instruction: mnemonic } : { isa: a.isa });
  const t1 = new Set(a.theorem1.offenders.map((o) => o.mnemonic));
  for (const o of a.theorem1.offenders) out.push(result('ISA-T1', o.reason, o.span.file, o.span, base, props(o.mnemonic), o.mnemonic));
  for (const o of a.theorem3.offenders) out.push(result('ISA-T3', o.reason, o.span.file, o.span, base, props(o.mnemonic), o.mnemonic));
  for (const o of a.theorem2.offenders) {
    // Theorem 2 includes Theorem 1; its own finding is what breaks it beyond that (timing).
    if (!t1.has(o.mnemonic)) out.push(result('ISA-T2', o.reason, o.span.file, o.span, base, props(o.mnemonic), o.mnemonic));
  }
  // The exact monitor verdicts, where the analysis has them: one result per breaking instruction.
  for (const [ruleId, v] of [
    ['ISA-TE', a.trapAndEmulate],
    ['ISA-HM', a.hybridMonitor],
  ] as const) {
    for (const o of v?.offenders ?? []) {
      const text = o.condition && o.condition !== 'true' ? `${o.reason} (where ${o.condition})` : o.reason;
      out.push(result(ruleId, text, o.span.file, o.span, base, { ...props(o.mnemonic), ...(o.condition ? { condition: o.condition } : {}) }, o.mnemonic));
    }
  }
  for (const ic of a.instructions) {
    for (const f of ic.claimFindings) {
      out.push(result('ISA-CLAIM', f.message, f.claim.span.file, f.claim.span, base, props(ic.mnemonic), `${ic.mnemonic} ${f.claim.claim}`));
    }
  }
  for (const ic of a.instructions) {
    const unknown = unknownVerdicts(ic);
    if (unknown.length === 0) continue;
    const text = `${ic.mnemonic}: unknown ${unknown.map((u) => u.name).join(', ')} (${unknown[0]!.text})`;
    out.push(result('ISA-UNKNOWN', text, ic.span.file, ic.span, base, props(ic.mnemonic), ic.mnemonic));
  }
  for (const e of a.errors) {
    const ic = instructionOfError(a, e);
    out.push(result('ISA-REPLAY', e, ic?.span.file ?? a.source, ic?.span, base, props(ic?.mnemonic), e));
  }
  return out;
}

/** One tool execution notification per diagnostic of a spec that failed to load. */
function notificationsOf(f: FailedSpec, base: string): Json[] {
  return f.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({
      level: 'error',
      message: { text: `${f.source}: ${d.message}${d.hint ? ` (${d.hint})` : ''}` },
      descriptor: { id: d.code },
      locations: [location(d.span?.file ?? d.file ?? f.source, d.span, base)],
      properties: { spec: f.source, code: d.code },
    }));
}

/** The SARIF log as an object (one run). */
export function buildSarif(analyses: IsaAnalysis[], opts: SarifOptions = {}): Json {
  const base = path.resolve(opts.base ?? process.cwd());
  const failed = opts.failed ?? [];
  const rules = SARIF_RULES.map((r) => ({
    id: r.id,
    name: r.name,
    shortDescription: { text: r.short },
    fullDescription: { text: r.full },
    defaultConfiguration: { level: r.level },
    help: { text: r.help.replace(/\*\*|`/g, ''), markdown: r.help },
    helpUri: `${HELP_URI}#${r.id.toLowerCase()}`,
  }));
  const seen = new Set<string>();
  const artifacts: Json[] = [];
  for (const file of [...analyses.map((a) => a.source), ...failed.map((f) => f.source)]) {
    const loc = artifactLocation(file, base);
    if (seen.has(loc.uri as string)) continue;
    seen.add(loc.uri as string);
    artifacts.push({ location: loc, roles: ['analysisTarget'] });
  }
  const notifications = failed.flatMap((f) => notificationsOf(f, base));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'isavirt',
            version: opts.version ?? toolVersion(),
            informationUri: HELP_URI,
            rules,
          },
        },
        automationDetails: { id: `${opts.category ?? 'isavirt'}/` },
        invocations: [
          {
            executionSuccessful: failed.length === 0,
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        // SARIF 2.1.0 §3.14.14: a uriBaseId's value is an absolute URI ending in a slash.
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(base + path.sep).href } },
        artifacts,
        columnKind: 'utf16CodeUnits',
        results: analyses.flatMap((a) => resultsOf(a, base)),
      },
    ],
  };
}

export function renderSarif(analyses: IsaAnalysis[], opts: SarifOptions = {}): string {
  return JSON.stringify(buildSarif(analyses, opts), null, 2) + '\n';
}
