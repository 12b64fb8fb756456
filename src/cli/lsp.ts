// `isavirt lsp [--stdio]`: the language server, speaking LSP over stdin/stdout (editors start it).
import { defineCommand } from './command.js';
import { EXIT } from './io.js';

export default defineCommand<{ stdio?: boolean; analysis: boolean; allowExtendsOutside?: boolean }>({
  command: 'lsp',
  describe: 'run the language server over stdio (for editors; see editors/vscode)',
  builder: (y) =>
    y.option('stdio', { type: 'boolean', describe: 'talk over stdin/stdout (the only transport; accepted for editors that pass it)' }).option('analysis', {
      type: 'boolean',
      default: true,
      describe: 'run the solver for claims and hover classifications (--no-analysis: parser and checker only)',
    }),
  examples: [['isavirt lsp --stdio', 'what an editor runs']],
  async run(args) {
    // Loaded here: `isavirt --help` should not pay for the protocol libraries.
    const { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } = await import('vscode-languageserver/node');
    const { startLanguageServer } = await import('../lsp/index.js');
    const { FramingGuard } = await import('../lsp/index.js');
    const guard = new FramingGuard({ onDropped: (why) => process.stderr.write(`isavirt lsp: dropped ${why}\n`) });
    const reader = new StreamMessageReader(process.stdin.pipe(guard));
    const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout));
    startLanguageServer(connection, { analysis: args.analysis, allowExtendsOutside: args.allowExtendsOutside === true });
    // Serve until the client says 'exit' or closes stdin (an editor quitting): both end normally.
    return new Promise<number>((resolve) => {
      connection.onExit(() => resolve(EXIT.ok));
      reader.onClose(() => resolve(EXIT.ok));
    });
  },
});
