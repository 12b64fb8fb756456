// The linter: typescript-eslint's strict preset over the sources, the tests and the scripts.
// `npm run lint` (which also type-checks the tests); `.ci/run` runs it. Its packages live in
// tools/lint, installed by `npm run lint:install` (see the note in tools/lint/package.json:
// typescript-eslint needs a TypeScript with a JavaScript API, and the build uses TypeScript 7).
import { createRequire } from 'node:module';

const require = createRequire(new URL('./tools/lint/package.json', import.meta.url));
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

// The stages of src/, in the order they may import each other: a stage imports only stages before
// it, so the graph between stage folders is a DAG; and only through the stage's index.ts (inside a
// stage, files import each other freely). Tests may import internals.
const STAGES = ['syntax', 'ir', 'exec', 'asm', 'analysis', 'vmm', 'report', 'demo', 'doc', 'explain', 'grade', 'lsp', 'cli'];
const THROUGH_INDEX = 'import another stage through its index.ts (ARCHITECTURE.md, "The pipeline")';
const stageRules = STAGES.map((stage, i) => ({
  files: [`src/${stage}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: '^\\.\\./[^/]+/(?!index\\.js$)', message: THROUGH_INDEX },
          ...(i + 1 < STAGES.length
            ? [
                {
                  regex: `^\\.\\./(${STAGES.slice(i + 1).join('|')})/`,
                  message: `${stage} may import only the stages before it (${STAGES.join(' → ')}): a later one would make a cycle possible`,
                },
              ]
            : []),
        ],
      },
    ],
    // `await import()` of another stage (commands load heavy stages lazily) goes through its index too.
    'no-restricted-syntax': ['error', { selector: 'ImportExpression > Literal[value=/^\\.\\.\\x2F[^\\x2F]+\\x2F(?!index\\.js$)/]', message: THROUGH_INDEX }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tools/**', 'editors/**', 'grammar/**', 'isas/**', 'bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
  {
    rules: {
      // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the idiom (845 uses): a
      // rule against it would trade each for a runtime check that cannot fail.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `_name`: a parameter a signature needs and this implementation does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  ...stageRules,
  {
    files: ['src/*/**/*.ts'],
    ignores: STAGES.map((stage) => `src/${stage}/**`),
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'Program', message: 'a new stage folder: add it to STAGES in eslint.config.js, where it belongs in the order' },
      ],
    },
  },
  {
    // The library's entry point re-exports the stages' indexes.
    files: ['src/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\./[^/]+/(?!index\\.js$)', message: THROUGH_INDEX },
            { regex: '^\\./(cli|lsp)/', message: 'the library does not include the commands or the language server' },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON fixtures as `any` and match ANSI escapes in output on purpose.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
  {
    // Empty classes used as tagged exceptions / markers.
    files: ['src/exec/interpret.ts', 'src/vmm/monitor.ts', 'test/exec/trap-loop.test.ts'],
    rules: { '@typescript-eslint/no-extraneous-class': 'off' },
  },
  {
    // `R | void` for a visitor that may return nothing (the shared walk).
    files: ['src/ir/walk.ts'],
    rules: { '@typescript-eslint/no-invalid-void-type': 'off' },
  },
);
