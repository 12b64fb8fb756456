import { describe, expect, test } from 'vitest';
import { Diagnostics, diag, didYouMean, editDistance, formatMessage, renderDiagnostic } from '../../src/syntax/diagnostics.js';
import { parseIsaText } from '../../src/ir/index.js';

describe('rendering', () => {
  const text = 'isa x;\nregister PC : 8;\n\tPC = PX;\n';
  const d = diag(Diagnostics.UnknownName, ['PX'], { file: 'r.isa', line: 3, col: 7, endLine: 3, endCol: 9 }, { hint: "did you mean 'PC'?" });

  test('file:line:col: error CODE: message, source line, carets under the span, hint', () => {
    expect(renderDiagnostic(d, text, { color: false })).toBe("r.isa:3:7: error ISA2002: unknown name 'PX'\n\tPC = PX;\n\t     ^^\nhint: did you mean 'PC'?");
  });

  test('without source text only the first line and the hint', () => {
    expect(renderDiagnostic({ ...d, hint: undefined }, undefined, { color: false })).toBe("r.isa:3:7: error ISA2002: unknown name 'PX'");
  });

  test('color only when asked', () => {
    expect(renderDiagnostic(d, text, { color: false })).not.toContain('\x1b[');
    const colored = renderDiagnostic(d, text, { color: true });
    expect(colored).toContain('\x1b[');
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderDiagnostic(d, text, { color: false }));
  });

  test('warnings and diagnostics without a span', () => {
    expect(renderDiagnostic({ code: 'ISA5003', severity: 'warning', message: 'm', file: 'f.json' }, undefined, { color: false })).toBe(
      'f.json: warning ISA5003: m',
    );
  });

  test('a real spec error renders with the caret under the name', () => {
    const r = parseIsaText(
      'isa x;\nmemory E : 8 [16];\nregister P : 4;\nregister M : 1 mode;\nmodes { s when M; }\nfetch E at P;\ninstruction X() {\n  encoding 1:8;\n  semantics { P = Q; }\n}\n',
      'x.isa',
    );
    expect(r.ok).toBe(false);
    expect(
      renderDiagnostic(
        r.diagnostics[0]!,
        'isa x;\nmemory E : 8 [16];\nregister P : 4;\nregister M : 1 mode;\nmodes { s when M; }\nfetch E at P;\ninstruction X() {\n  encoding 1:8;\n  semantics { P = Q; }\n}\n',
        { color: false },
      ),
    ).toBe("x.isa:9:19: error ISA2002: unknown name 'Q'\n  semantics { P = Q; }\n                  ^");
  });
});

describe('did you mean', () => {
  test('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  test('suggests close names only', () => {
    expect(didYouMean('regsiter', ['register', 'memory'])).toBe('register');
    expect(didYouMean('pc', ['PC', 'SP'])).toBe('PC');
    expect(didYouMean('xyz', ['register', 'memory'])).toBeUndefined();
    expect(didYouMean('a', ['b'])).toBeUndefined(); // a one-letter name is not a typo of another
    expect(didYouMean('ab', ['abc'])).toBe('abc');
    expect(didYouMean('R', [])).toBeUndefined();
  });

  test('message placeholders', () => {
    expect(formatMessage('{0} and {1}', ['a', 2])).toBe('a and 2');
    expect(formatMessage("hole '{{0}}'", ['x'])).toBe("hole '{x}'");
  });
});
