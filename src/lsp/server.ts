// The language server: diagnostics from the parser, the checker and the analysis; hover;
// definition and references; document symbols; formatting.
//
// Two speeds. The parser and checker run `debounceMs` after each change and their diagnostics are
// published at once. The analysis (Z3) is slow, so it runs later, one at a time; it is abandoned
// between instructions as soon as a newer version of its document exists, and a result that comes
// back for an old version is dropped (the version check), so an author never sees a stale verdict
// at a moved line.

import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createConnection,
  DiagnosticSeverity,
  ErrorCodes,
  MarkupKind,
  ResponseError,
  ProposedFeatures,
  SymbolKind as LspSymbolKind,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Range,
  type TextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { IsaAnalysis, InstructionClassification } from '../analysis/index.js';
import { StateModel, plain, reasonRich, richMarkdown, splitRich, verdictList } from '../report/index.js';
import { formatSpec, frontEnd, type CheckOptions, fsHost, type FileHost, type Isa, type Span } from '../ir/index.js';
import type { Diagnostic } from '../syntax/index.js';
import { buildSymbolIndex, definitionsOf, referencesOf, symbolAt, type IsaSymbol, type SymbolIndex } from './symbols.js';

export interface LspOptions {
  /** Delay after a change before the parser and checker run (default 25 ms). */
  debounceMs?: number;
  /** Delay after a check before the analysis starts (default none: the check is debounced already, an unchanged instruction comes
   *  from the analysis cache, and a newer edit cancels the run between instructions). */
  analysisDelayMs?: number;
  /** Run the analysis at all (default true). */
  analysis?: boolean;
  /** Per-query solver bound (default 2000 ms). */
  solverTimeoutMs?: number;
  /** Let `extends` leave the document's folder tree (as the CLI's --allow-extends-outside). */
  allowExtendsOutside?: boolean;
}

/** At most this many diagnostics are published per document; the last one says how many were left out. */
export const MAX_DIAGNOSTICS_PER_DOCUMENT = 200;

/** The first MAX_DIAGNOSTICS_PER_DOCUMENT diagnostics and, past that, one note of how many more there are. */
export function capDiagnostics(ds: LspDiagnostic[]): LspDiagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS_PER_DOCUMENT) return ds;
  const kept = ds.slice(0, MAX_DIAGNOSTICS_PER_DOCUMENT - 1);
  const last = kept[kept.length - 1];
  kept.push({
    range: last?.range ?? FILE_START,
    severity: DiagnosticSeverity.Information,
    source: 'isavirt',
    message: `${ds.length - kept.length} more diagnostics in this file are not shown (at most ${MAX_DIAGNOSTICS_PER_DOCUMENT} are); fix these first`,
  });
  return kept;
}

/**
 * A request handler that first checks its params name a document: a client that sends
 * `params: null` (or no textDocument) gets InvalidParams, not an internal error from `p.textDocument`.
 */
function onDocument<P extends { textDocument: { uri: string } }, R>(handler: (p: P) => R): (p: P) => R | ResponseError<void> {
  return (p: P) => {
    const uri = (p as { textDocument?: { uri?: unknown } } | null | undefined)?.textDocument?.uri;
    if (typeof uri !== 'string') return new ResponseError<void>(ErrorCodes.InvalidParams, 'params must name a document: { textDocument: { uri } }');
    return handler(p);
  };
}

/** Code of the warning on an author's claim the derivation contradicts (the SARIF rule's id). */
export const CLAIM_CODE = 'ISA-CLAIM';

interface DocState {
  uri: string;
  file: string;
  version: number;
  frontEnd: Diagnostic[];
  /** Last index built from a text that parsed (kept while the text does not parse). */
  index?: SymbolIndex;
  isa?: Isa;
  /** Latest analysis and the version it is of: while it runs, the instructions decided so far
   *  (`complete` false), published as they come. */
  analysis?: { version: number; result: IsaAnalysis; complete?: boolean };
  /** The last complete analysis, for hovers on instructions a running one has not reached. */
  lastComplete?: { version: number; result: IsaAnalysis; complete?: boolean };
  /** The version the front-end diagnostics and index are of (-1: not checked yet). */
  checked: number;
  checkTimer?: NodeJS.Timeout | undefined;
  analysisTimer?: NodeJS.Timeout;
}

class Cancelled extends Error {}

/** The file name a URI stands for in spans (a path for file: URIs, the URI itself otherwise). */
export function uriToFile(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

function fileToUri(file: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? file : pathToFileURL(file).href;
}

export function spanToRange(s: Span): Range {
  return {
    start: { line: Math.max(0, s.line - 1), character: Math.max(0, s.col - 1) },
    end: { line: Math.max(0, s.endLine - 1), character: Math.max(0, s.endCol - 1) },
  };
}

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/** A front-end diagnostic as the editor shows it; one in another file (a base spec) sits on line 1. */
export function toLspDiagnostic(d: Diagnostic, file: string): LspDiagnostic {
  const here = d.span && d.span.file === file;
  const where = !here && d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : '';
  return {
    range: here ? spanToRange(d.span!) : FILE_START,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'isavirt',
    message: where + d.message + (d.hint ? ` (${d.hint})` : ''),
  };
}

/** Warnings and notes from the analysis: contradicted claims, and the theorems each instruction breaks. */
export function analysisDiagnostics(a: IsaAnalysis, file: string, isa?: Isa): LspDiagnostic[] {
  const model = new StateModel(isa);
  // The reason in words from the witness (as check and the hover give it), never a cut-short sentence.
  const reasonOf = (o: IsaAnalysis['theorem1']['offenders'][number]) => {
    const c = a.instructions.find((i) => i.mnemonic === o.mnemonic);
    return c ? `${o.mnemonic}: ${plain(reasonRich(c, model, a.guestMode))}` : o.reason;
  };
  const out: LspDiagnostic[] = [];
  for (const c of a.instructions) {
    for (const f of c.claimFindings) {
      if (f.claim.span.file !== file) continue;
      out.push({ range: spanToRange(f.claim.span), severity: DiagnosticSeverity.Warning, code: CLAIM_CODE, source: 'isavirt', message: f.message });
    }
  }
  const theorems: [string, string, IsaAnalysis['theorem1']][] = [
    ['ISA-T1', 'Theorem 1 (trap-and-emulate monitor)', a.theorem1],
    ['ISA-T3', 'Theorem 3 (hybrid monitor)', a.theorem3],
  ];
  for (const [code, title, t] of theorems) {
    for (const o of t.offenders) {
      if (o.span.file !== file) continue;
      const r = spanToRange(o.span);
      // Only the header line: the whole instruction would underline a screenful.
      out.push({
        range: { start: r.start, end: { line: r.start.line, character: r.start.character + 'instruction'.length } },
        severity: DiagnosticSeverity.Information,
        code,
        source: 'isavirt',
        message: `breaks ${title}: ${reasonOf(o)}`,
      });
    }
  }
  return out;
}

const ROLE_WORDS: Record<string, string> = {
  mode: 'mode state: it decides the processor mode; an instruction that writes it is control-sensitive, one whose result depends on it is mode-sensitive',
  control:
    "control state: it defines the virtual machine's resources and the monitor owns it; an instruction that writes it is control-sensitive, one whose result depends on it is location-sensitive",
  plain: 'plain state: a guest may use it freely',
};

function verdictRow(name: string, value: string, text: string): string {
  return `| ${name} | ${value} | ${text.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`;
}

/** Hover text for an instruction's classification (Markdown): the reason in words and each
 *  verdict with how it is known, through the one evidence renderer (src/report/evidence.ts). */
export function classificationMarkdown(c: InstructionClassification, guestMode: string, isa?: Isa): string {
  const model = new StateModel(isa);
  const L = [`**${c.mnemonic}**: ${richMarkdown(reasonRich(c, model, guestMode))}`];
  const split = splitRich(c);
  if (split) L.push('', `instances: ${richMarkdown(split)}`);
  L.push('', '| verdict | value | evidence |', '|---|---|---|');
  for (const v of verdictList(c, guestMode)) L.push(verdictRow(v.name, v.value, v.evidence.text));
  return L.join('\n');
}

export function hoverMarkdown(sym: IsaSymbol, analysis: { result: IsaAnalysis; stale: boolean; isa?: Isa } | undefined, pending: boolean): string {
  const parts = ['```isa\n' + sym.detail + '\n```'];
  if (sym.role !== undefined) {
    const width = sym.kind === 'memory' ? `${sym.width}-bit words` : sym.kind === 'view' ? 'words of its memory' : `${sym.width} bits`;
    parts.push(`${sym.kind}, ${width}; role **${sym.role}** — ${ROLE_WORDS[sym.role]}`);
  }
  if (sym.doc) parts.push(sym.doc);
  if (sym.kind === 'instruction' && sym.detail.startsWith('pseudo ')) {
    parts.push('_a pseudo-instruction: the assembler expands it into instructions; the analysis does not see it_');
  } else if (sym.kind === 'instruction') {
    const c = analysis?.result.instructions.find((i) => i.mnemonic === sym.name);
    if (c) {
      parts.push(classificationMarkdown(c, analysis!.result.guestMode, analysis!.isa));
      if (analysis!.stale) parts.push('_(from the analysis of an earlier version; a new one is running)_');
    } else {
      parts.push(pending ? '_classification: the analysis is running…_' : '_classification: not analysed (the spec has errors)_');
    }
  }
  return parts.join('\n\n');
}

const SYMBOL_KINDS: Record<string, LspSymbolKind> = {
  register: LspSymbolKind.Variable,
  field: LspSymbolKind.Field,
  file: LspSymbolKind.Array,
  memory: LspSymbolKind.Array,
  view: LspSymbolKind.Interface,
  translation: LspSymbolKind.Function,
  function: LspSymbolKind.Function,
  trap: LspSymbolKind.Event,
  instruction: LspSymbolKind.Method,
  mode: LspSymbolKind.EnumMember,
  assumption: LspSymbolKind.Property,
  operand: LspSymbolKind.TypeParameter,
};

/** The outline of a file: declarations, with fields under their register and operands under their instruction. */
export function documentSymbols(index: SymbolIndex, file: string): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  const parents = new Map<string, DocumentSymbol>();
  for (const s of index.symbols) {
    if (s.span.file !== file || s.kind === 'local' || s.kind === 'param') continue;
    const ds: DocumentSymbol = {
      name: s.name,
      detail: s.detail,
      kind: SYMBOL_KINDS[s.kind] ?? LspSymbolKind.Key,
      range: spanToRange(s.declSpan),
      selectionRange: spanToRange(s.span),
    };
    if (s.kind === 'field' || s.kind === 'operand') {
      const parent = parents.get(s.kind === 'field' ? `register:${s.container}` : `instruction:${s.container}`);
      if (parent) {
        (parent.children ??= []).push(ds);
        continue;
      }
    }
    if (s.kind === 'register' || s.kind === 'instruction') parents.set(s.id, ds);
    out.push(ds);
  }
  return out;
}

/** Start a server on a connection (stdio for `isavirt lsp`). Returns the connection, listening. */
export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all), opts: LspOptions = {}): Connection {
  const debounceMs = opts.debounceMs ?? 25;
  const analysisDelayMs = opts.analysisDelayMs ?? 0;
  const analysisOn = opts.analysis ?? true;
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  const checkOptions: CheckOptions = { allowExtendsOutside: opts.allowExtendsOutside === true };

  // `extends` reads open documents before the disk, so an unsaved base spec counts.
  const host: FileHost = {
    readFile(path) {
      for (const d of documents.all()) if (uriToFile(d.uri) === path) return d.getText();
      return fsHost.readFile(path);
    },
    realPath: (path) => fsHost.realPath?.(path),
  };

  const stateOf = (uri: string): DocState => {
    let s = states.get(uri);
    if (!s) {
      s = { uri, file: uriToFile(uri), version: -1, checked: -1, frontEnd: [] };
      states.set(uri, s);
    }
    return s;
  };

  // Diagnostics are labelled with the version they were computed from (s.checked): a change that
  // is not checked yet (s.version ahead) must not receive the previous version's diagnostics.
  const publish = (s: DocState): void => {
    const diagnostics = s.frontEnd.map((d) => toLspDiagnostic(d, s.file));
    if (s.analysis && s.analysis.version === s.checked) diagnostics.push(...analysisDiagnostics(s.analysis.result, s.file, s.isa));
    void connection.sendDiagnostics({ uri: s.uri, version: s.checked, diagnostics: capDiagnostics(diagnostics) });
  };

  const check = (s: DocState): void => {
    const doc = documents.get(s.uri);
    if (!doc) return;
    s.version = doc.version;
    s.checked = doc.version;
    // The CLI's front end (extends by its one rule), keeping the AST and the bases for the index.
    const fe = frontEnd(doc.getText(), s.file, host, checkOptions);
    s.isa = fe.isa;
    s.frontEnd = fe.diagnostics;
    if (fe.ast) s.index = buildSymbolIndex(fe.ast, fe.bases);
    publish(s);
    if (s.isa && analysisOn) {
      clearTimeout(s.analysisTimer);
      s.analysisTimer = setTimeout(() => requestAnalysis(s), analysisDelayMs);
    }
  };

  // ---- the analysis queue: one at a time, newest version wins ----
  let running: { state: DocState; version: number } | undefined;
  const waiting = new Set<DocState>();

  const requestAnalysis = (s: DocState): void => {
    waiting.add(s);
    if (!running) void runNext();
  };

  const runNext = async (): Promise<void> => {
    const next = waiting.values().next();
    if (next.done) return;
    const s = next.value;
    waiting.delete(s);
    // The version the checked spec came from; a change not yet checked (s.version is ahead)
    // makes it stale, and its own check will ask again.
    const version = s.checked;
    const isa = s.isa;
    if (!isa || !documents.get(s.uri) || version !== s.version) return runNext();
    running = { state: s, version };
    // The editor sees progress ($/progress, when it asked for work-done progress) and each
    // instruction's findings as soon as it is decided. Instructions the analysis cache has
    // (src/analysis/cache.ts: keyed by content, so an edit misses only on what it changed) are
    // published at once; then the others — the edited ones — one at a time as each is decided.
    // Each instruction is solved in its own context (src/analysis CHUNK), so this gives the same
    // verdicts and witnesses as analyzeIsa.
    const progress = await connection.window.createWorkDoneProgress().catch(() => undefined);
    try {
      const { analysedInstructions, assembleAnalysis, cachedInstruction, classifyRange } = await import('../analysis/index.js');
      const options = opts.solverTimeoutMs !== undefined ? { timeoutMs: opts.solverTimeoutMs } : {};
      const instrs = analysedInstructions(isa);
      const total = instrs.length;
      const t0 = performance.now();
      const chunks: (Awaited<ReturnType<typeof classifyRange>> | undefined)[] = instrs.map((instr) => cachedInstruction(isa, instr, options));
      let decided = chunks.filter((c) => c).length;
      const current = () => s.version === version && !!documents.get(s.uri);
      const show = (last: string) => {
        if (!current()) throw new Cancelled();
        if (s.analysis?.complete) s.lastComplete = s.analysis;
        s.analysis = {
          version,
          result: assembleAnalysis(
            isa,
            chunks.filter((c) => c !== undefined),
            performance.now() - t0,
          ),
          complete: decided === total,
        };
        progress?.report(Math.round((decided * 100) / Math.max(1, total)), `${decided}/${total} instructions${last ? ` (${last})` : ''}`);
        publish(s);
      };
      progress?.begin(`isavirt: analysing ${isa.name}`, 0, `${decided}/${total} instructions`, true);
      if (decided > 0 || total === 0) show('');
      for (let i = 0; i < total; i++) {
        if (chunks[i]) continue;
        // A newer edit (or a closed document) makes this run worthless: stop between instructions.
        if (!current() || progress?.token.isCancellationRequested) throw new Cancelled();
        const chunk = await classifyRange(isa, i, i + 1, options);
        if (!current()) throw new Cancelled();
        chunks[i] = chunk;
        decided++;
        show(chunk.instructions[0]?.mnemonic ?? '');
      }
    } catch (e) {
      if (!(e instanceof Cancelled)) connection.console.error(`analysis of ${s.file} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      progress?.done();
      running = undefined;
    }
    return runNext();
  };

  const schedule = (uri: string): void => {
    const s = stateOf(uri);
    clearTimeout(s.checkTimer);
    s.checkTimer = setTimeout(() => {
      s.checkTimer = undefined;
      check(s);
    }, debounceMs);
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      documentFormattingProvider: true,
    },
    serverInfo: { name: 'isavirt' },
  }));

  documents.onDidOpen((e) => {
    // The first check runs at once: nothing to debounce on open.
    const s = stateOf(e.document.uri);
    check(s);
  });
  documents.onDidChangeContent((e) => {
    const s = stateOf(e.document.uri);
    // The open handler has checked this version already (open fires both events).
    if (s.checked === e.document.version) return;
    // Mark the version now, so a running analysis sees it is stale even before the check runs.
    s.version = e.document.version;
    schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    const s = states.get(e.document.uri);
    if (s) {
      clearTimeout(s.checkTimer);
      clearTimeout(s.analysisTimer);
      waiting.delete(s);
      states.delete(e.document.uri);
    }
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  /** The state of a document with its pending check done, so queries see the newest text. */
  const current = (uri: string): DocState | undefined => {
    const s = states.get(uri);
    if (!s) return undefined;
    if (s.checkTimer !== undefined) {
      clearTimeout(s.checkTimer);
      s.checkTimer = undefined;
      check(s);
    }
    return s;
  };

  connection.onHover(
    onDocument((p): Hover | null => {
      const s = current(p.textDocument.uri);
      if (!s?.index) return null;
      const at = symbolAt(s.index, s.file, p.position.line + 1, p.position.character + 1);
      if (!at) return null;
      // An instruction the running analysis has not reached yet: the last complete one, marked stale.
      const decided = s.analysis && s.analysis.result.instructions.some((i) => i.mnemonic === at.symbol.name) ? s.analysis : (s.lastComplete ?? s.analysis);
      const analysis = decided ? { result: decided.result, stale: decided.version !== s.version, isa: s.isa } : undefined;
      const pending = analysisOn && s.isa !== undefined;
      return { contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(at.symbol, analysis, pending) }, range: spanToRange(at.span) };
    }),
  );

  connection.onDefinition(
    onDocument((p): Location[] => {
      const s = current(p.textDocument.uri);
      if (!s?.index) return [];
      const at = symbolAt(s.index, s.file, p.position.line + 1, p.position.character + 1);
      if (!at) return [];
      return definitionsOf(s.index, at.symbol.id).map((d) => ({ uri: d.span.file === s.file ? s.uri : fileToUri(d.span.file), range: spanToRange(d.span) }));
    }),
  );

  connection.onReferences(
    onDocument((p): Location[] => {
      const s = current(p.textDocument.uri);
      if (!s?.index) return [];
      const at = symbolAt(s.index, s.file, p.position.line + 1, p.position.character + 1);
      if (!at) return [];
      return referencesOf(s.index, at.symbol.id, p.context.includeDeclaration).map((span) => ({
        uri: span.file === s.file ? s.uri : fileToUri(span.file),
        range: spanToRange(span),
      }));
    }),
  );

  connection.onDocumentSymbol(
    onDocument((p): DocumentSymbol[] => {
      const s = current(p.textDocument.uri);
      return s?.index ? documentSymbols(s.index, s.file) : [];
    }),
  );

  connection.onDocumentFormatting(
    onDocument((p): TextEdit[] | null => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return null;
      const text = doc.getText();
      const r = formatSpec(text, uriToFile(doc.uri));
      // A file that does not parse is left alone: its diagnostics already say why.
      if (!r.ok || r.text === text) return [];
      return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: r.text }];
    }),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
