// The VS Code side of isavirt: start `isavirt lsp --stdio` and let vscode-languageclient connect
// the editor to it. Everything else (diagnostics, hover, definitions, formatting) is the server's.
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** How to run the server: the configured command, or node on a path to main.js. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration('isavirt');
  const command = config.get('command', 'isavirt');
  const args = ['lsp', '--stdio'];
  if (!config.get('analysis', true)) args.push('--no-analysis');
  if (command.endsWith('.js')) return { command: process.execPath, args: [command, ...args] };
  return { command, args };
}

function activate(context) {
  // An executable without a transport talks over stdio; --stdio is already in the arguments.
  const server = serverCommand();
  const serverOptions = { run: server, debug: server };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'isa' }, { scheme: 'untitled', language: 'isa' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.isa') },
  };
  client = new LanguageClient('isavirt', 'isavirt', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
