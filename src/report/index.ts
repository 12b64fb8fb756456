// What a user reads of an analysis: text, Markdown, JSON and SARIF reports, and the one evidence
// renderer they, explain, grade and the language server share.

export {
  MONITOR_COLUMNS,
  NO_PAINT,
  StateModel,
  plain,
  reasonRich,
  richHtml,
  richMarkdown,
  richText,
  splitRich,
  verdictLines,
  verdictList,
  witnessLines,
  witnessTable,
  witnessView,
} from './evidence.js';
export type { Paint, Rich } from './evidence.js';
export { buildJsonReport, failedSpec, renderJson, toolVersion } from './json.js';
export type { FailedSpec, JsonReport } from './json.js';
export { mdTable, renderMarkdown } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
export { SARIF_RULES, buildSarif, renderSarif } from './sarif.js';
export type { SarifOptions } from './sarif.js';
export { renderExplainText, renderSummary, renderText } from './text.js';
export type { SummaryOptions, TextOptions } from './text.js';
