// The language server over stdio (`isavirt lsp`).

export { FramingGuard } from './framing.js';
export { startLanguageServer } from './server.js';
