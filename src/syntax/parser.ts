// The parser: one chevrotain CstParser for the whole language (LANGUAGE.md). Error recovery is on
// so one run reports several syntax errors. Rule names are the grammar's own words because
// grammar/isa.ebnf and the syntax diagrams are generated from getSerializedGastProductions().

import type { CstNode, IParserErrorMessageProvider, ISerializedGast, TokenType, IToken } from 'chevrotain';
import { CstParser, EOF } from './chevrotain.js';
import * as T from './tokens.js';
import { Diagnostics, type DiagnosticTemplate } from './diagnostics.js';

const K = T.Keyword;

/** In-repetition recovery attempts per parse (each one reports at most one error). */
const MAX_RECOVERIES = 50;

/** A syntax error as data: the catalogue entry and its arguments. */
export interface SyntaxMessage {
  template: DiagnosticTemplate;
  args: string[];
}

/**
 * chevrotain wants a string per error; the string is a key into this table, so the structured
 * message never goes through text (a `|` or any other character in a token is just an argument).
 * Cleared at the start of each parse.
 */
const messages = new Map<string, SyntaxMessage>();

/** Errors after which a parse stops: a few are reported (parse.ts), and recovering from each of
 *  300 000 took three minutes on 7 MB of broken declarations. */
export const MAX_PARSE_ERRORS = 30;

/** Thrown from the message provider to stop a parse that has found enough errors. */
export class StopParsing extends Error {}

function message(template: DiagnosticTemplate, ...args: string[]): string {
  if (messages.size >= MAX_PARSE_ERRORS) throw new StopParsing('too many syntax errors');
  const key = `syntax-message-${messages.size}`;
  messages.set(key, { template, args });
  return key;
}

/** The structured message behind a parser error's `message`. */
export function syntaxMessage(key: string): SyntaxMessage | undefined {
  return messages.get(key);
}

const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    // With recovery on, input left after the last declaration is reported as "expected EOF".
    if (expected === EOF) return message(Diagnostics.ExpectedDeclaration, T.describeToken(actual));
    if (expected === T.Identifier && T.keywordSet.has(actual.image)) return message(Diagnostics.KeywordAsName, actual.image);
    return message(Diagnostics.UnexpectedToken, T.tokenLabel(expected), T.describeToken(actual));
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return message(Diagnostics.ExpectedDeclaration, T.describeToken(firstRedundant));
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    if (expressionRules.has(ruleName) && T.keywordSet.has(actual[0]!.image)) return message(Diagnostics.KeywordAsName, actual[0]!.image);
    return message(Diagnostics.NoViableAlternative, describeAlternatives(expectedPathsPerAlt, ruleName), T.describeToken(actual[0]!));
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const what =
      ruleName === 'encodingClause'
        ? 'encoding item (VALUE:WIDTH, OPERAND, OPERAND:WIDTH, OPERAND[HI..LO] or little(...))'
        : describeAlternatives([expectedIterationPaths], '');
    return message(Diagnostics.ExpectedAtLeastOne, what, T.describeToken(actual[0]!));
  },
};

const expressionRules = new Set(['primary', 'unaryExpr', 'postfix', 'expression', 'binaryExpr']);

const ruleWords: Record<string, string> = {
  declaration: 'a declaration',
  unaryExpr: 'an expression',
  postfix: 'an expression',
  statement: 'a statement',
  primary: 'an expression',
  expression: 'an expression',
  clause: "'syntax', 'encoding', 'claims' or 'semantics'",
  claimWord: 'a claim',
  encodingItem: 'an encoding item',
  encodingBits: 'an encoding item',
};

function describeAlternatives(paths: TokenType[][][], ruleName: string): string {
  if (ruleWords[ruleName]) return ruleWords[ruleName]!;
  const firsts: string[] = [];
  for (const alt of paths) for (const p of alt) if (p[0] && !firsts.includes(T.tokenLabel(p[0]))) firsts.push(T.tokenLabel(p[0]));
  if (firsts.length === 0) return 'more input';
  if (firsts.length === 1) return firsts[0]!;
  if (firsts.length > 8) return 'one of ' + firsts.slice(0, 8).join(', ') + ', ...';
  return 'one of ' + firsts.join(', ');
}

export class IsaParser extends CstParser {
  /** Recovery attempts left in this parse: damaged input must not cost unbounded time or stack. */
  private recoveryBudget = 0;

  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'onlyOffset', errorMessageProvider: messageProvider, maxLookahead: 3 });
    this.performSelfAnalysis();
    // chevrotain installs in-repetition recovery as an instance function when recovery is on; each
    // attempt re-enters the repetition recursively, so bound the number of attempts.
    const self = this as unknown as { attemptInRepetitionRecovery: (...a: unknown[]) => unknown };
    const original = self.attemptInRepetitionRecovery;
    self.attemptInRepetitionRecovery = (...args: unknown[]) => {
      if (this.recoveryBudget <= 0) return undefined;
      this.recoveryBudget--;
      return original.apply(this, args);
    };
  }

  /** Parse a token stream as a spec (the entry point: resets state and the recovery budget). */
  parseSpec(tokens: IToken[]): CstNode {
    messages.clear();
    this.input = tokens;
    this.recoveryBudget = MAX_RECOVERIES;
    return this.spec();
  }

  // ---- Top level ----

  public spec = this.RULE('spec', () => {
    this.SUBRULE(this.header);
    this.MANY(() => this.SUBRULE(this.extendsDecl));
    this.MANY2(() => this.SUBRULE(this.declaration));
  });

  public header = this.RULE('header', () => {
    this.CONSUME(K.isa);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  public extendsDecl = this.RULE('extendsDecl', () => {
    this.CONSUME(K.extends);
    this.CONSUME(T.StringLit);
    this.CONSUME(T.Semicolon);
  });

  public declaration = this.RULE('declaration', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.removeDecl) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(K.replace));
          this.OR2([
            { ALT: () => this.SUBRULE(this.endianDecl) },
            { ALT: () => this.SUBRULE(this.memoryDecl) },
            { ALT: () => this.SUBRULE(this.registerDecl) },
            { ALT: () => this.SUBRULE(this.registersDecl) },
            { ALT: () => this.SUBRULE(this.modesDecl) },
            { ALT: () => this.SUBRULE(this.guestDecl) },
            { ALT: () => this.SUBRULE(this.translateDecl) },
            { ALT: () => this.SUBRULE(this.viewDecl) },
            { ALT: () => this.SUBRULE(this.fetchDecl) },
            { ALT: () => this.SUBRULE(this.consoleDecl) },
            { ALT: () => this.SUBRULE(this.trapDecl) },
            { ALT: () => this.SUBRULE(this.trapEntryDecl) },
            { ALT: () => this.SUBRULE(this.resetDecl) },
            { ALT: () => this.SUBRULE(this.functionDecl) },
            { ALT: () => this.SUBRULE(this.assumeDecl) },
            { ALT: () => this.SUBRULE(this.instructionDecl) },
            { ALT: () => this.SUBRULE(this.pseudoDecl) },
            { ALT: () => this.SUBRULE(this.namesDecl) },
          ]);
        },
      },
    ]);
  });

  public removeDecl = this.RULE('removeDecl', () => {
    this.CONSUME(K.remove);
    this.OR([
      { ALT: () => this.CONSUME(K.register) },
      { ALT: () => this.CONSUME(K.registers) },
      { ALT: () => this.CONSUME(K.memory) },
      { ALT: () => this.CONSUME(K.view) },
      { ALT: () => this.CONSUME(K.translate) },
      { ALT: () => this.CONSUME(K.function) },
      { ALT: () => this.CONSUME(K.trap) },
      { ALT: () => this.CONSUME(K.instruction) },
      { ALT: () => this.CONSUME(K.pseudo) },
      { ALT: () => this.CONSUME(K.assume) },
    ]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  public endianDecl = this.RULE('endianDecl', () => {
    this.CONSUME(K.endian);
    this.OR([{ ALT: () => this.CONSUME(K.little) }, { ALT: () => this.CONSUME(K.big) }]);
    this.CONSUME(T.Semicolon);
  });

  public role = this.RULE('role', () => {
    this.OR([{ ALT: () => this.CONSUME(K.mode) }, { ALT: () => this.CONSUME(K.control) }]);
  });

  public memoryDecl = this.RULE('memoryDecl', () => {
    this.CONSUME(K.memory);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.LBracket);
    this.CONSUME2(T.NumberLit);
    this.CONSUME(T.RBracket);
    this.OPTION(() => this.SUBRULE(this.role));
    this.CONSUME(T.Semicolon);
  });

  public registerDecl = this.RULE('registerDecl', () => {
    this.OPTION(() => this.CONSUME(K.readonly));
    this.CONSUME(K.register);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.CONSUME(T.NumberLit);
    this.OPTION2(() => this.SUBRULE(this.role));
    this.OPTION3(() => this.CONSUME(K.clock));
    this.OPTION4(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.NumberLit);
    });
    this.OR([
      { ALT: () => this.CONSUME(T.Semicolon) },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.fieldDecl));
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });

  public fieldDecl = this.RULE('fieldDecl', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.CONSUME(T.NumberLit);
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      this.CONSUME2(T.NumberLit);
    });
    this.OPTION2(() => this.SUBRULE(this.role));
    this.CONSUME(T.Semicolon);
  });

  public registersDecl = this.RULE('registersDecl', () => {
    this.OPTION(() => this.CONSUME(K.readonly));
    this.CONSUME(K.registers);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBracket);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.RBracket);
    this.CONSUME(T.Colon);
    this.CONSUME2(T.NumberLit);
    this.OPTION2(() => this.SUBRULE(this.role));
    // `zero 0`: register 0 of the file reads as zero and ignores writes (RISC-V x0, MIPS $zero).
    this.OPTION4(() => {
      this.CONSUME(T.ZeroWord);
      this.CONSUME3(T.NumberLit);
    });
    this.OPTION3(() => {
      this.CONSUME(K.names);
      this.CONSUME2(T.Identifier);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME3(T.Identifier);
      });
    });
    this.CONSUME(T.Semicolon);
  });

  public modesDecl = this.RULE('modesDecl', () => {
    this.CONSUME(K.modes);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.modeItem));
    this.CONSUME(T.RBrace);
  });

  public modeItem = this.RULE('modeItem', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(K.when);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Semicolon);
  });

  /** Values programs may write by name (RISC-V CSR numbers): `names { mstatus = 0x300; }`. */
  public namesDecl = this.RULE('namesDecl', () => {
    this.CONSUME(K.names);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.nameItem));
    this.CONSUME(T.RBrace);
  });

  public nameItem = this.RULE('nameItem', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.Semicolon);
  });

  public guestDecl = this.RULE('guestDecl', () => {
    this.CONSUME(K.guest);
    this.CONSUME(K.mode);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  public translateDecl = this.RULE('translateDecl', () => {
    this.CONSUME(K.translate);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.param);
    this.CONSUME(T.RParen);
    this.CONSUME(T.Colon);
    this.CONSUME(T.NumberLit);
    this.SUBRULE(this.resultBody);
  });

  /** `{ stmt* return expr ; }`: the body of a translation or function. */
  public resultBody = this.RULE('resultBody', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(K.return);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Semicolon);
    this.CONSUME(T.RBrace);
  });

  public param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.CONSUME(T.NumberLit);
  });

  public viewDecl = this.RULE('viewDecl', () => {
    this.CONSUME(K.view);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.CONSUME2(T.Identifier);
    this.CONSUME(K.via);
    this.CONSUME3(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  public fetchDecl = this.RULE('fetchDecl', () => {
    this.CONSUME(K.fetch);
    this.CONSUME(T.Identifier);
    this.CONSUME(K.at);
    this.CONSUME2(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  /** `console S at 0x10000000;`: the byte location whose stores are the run's output. */
  public consoleDecl = this.RULE('consoleDecl', () => {
    this.CONSUME(K.console);
    this.CONSUME(T.Identifier);
    this.CONSUME(K.at);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.Semicolon);
  });

  public trapDecl = this.RULE('trapDecl', () => {
    this.CONSUME(K.trap);
    this.CONSUME(T.Identifier);
    this.CONSUME(K.kind);
    this.SUBRULE(this.trapKind);
    this.CONSUME(K.vector);
    this.CONSUME(T.NumberLit);
    this.OPTION(() => {
      this.CONSUME(K.every);
      this.CONSUME2(T.NumberLit);
      this.CONSUME(K.when);
      this.SUBRULE(this.expression);
    });
    this.CONSUME(T.Semicolon);
  });

  public trapKind = this.RULE('trapKind', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.privilege) },
      { ALT: () => this.CONSUME(K.memory) },
      { ALT: () => this.CONSUME(K.arithmetic) },
      { ALT: () => this.CONSUME(K.software) },
      { ALT: () => this.CONSUME(K.illegal) },
      { ALT: () => this.CONSUME(K.interrupt) },
    ]);
  });

  /** The trap entry; `trap entry vector N` is the entry of one vector, `trap entry clause NAME`
   *  a new body for one clause of it (in a spec that extends another). */
  public trapEntryDecl = this.RULE('trapEntryDecl', () => {
    this.CONSUME(K.trap);
    this.CONSUME(K.entry);
    this.OPTION(() =>
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.vector);
            this.CONSUME(T.NumberLit);
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.clause);
            this.CONSUME(T.Identifier);
          },
        },
      ]),
    );
    this.SUBRULE(this.block);
  });

  public resetDecl = this.RULE('resetDecl', () => {
    this.CONSUME(K.reset);
    this.SUBRULE(this.block);
  });

  public functionDecl = this.RULE('functionDecl', () => {
    this.CONSUME(K.function);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.param);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Colon);
    this.CONSUME(T.NumberLit);
    this.SUBRULE(this.resultBody);
  });

  public assumeDecl = this.RULE('assumeDecl', () => {
    this.CONSUME(K.assume);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Semicolon);
  });

  public instructionDecl = this.RULE('instructionDecl', () => {
    this.CONSUME(K.instruction);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.operand);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.operand);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.SUBRULE(this.clause));
    this.CONSUME(T.RBrace);
  });

  /** A pseudo-instruction: assembly syntax and expansions into real instructions (no encoding, no
   *  semantics: the analysis never sees it). */
  public pseudoDecl = this.RULE('pseudoDecl', () => {
    this.CONSUME(K.pseudo);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.operand);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.operand);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.OR([{ ALT: () => this.SUBRULE(this.syntaxClause) }, { ALT: () => this.SUBRULE(this.expandClause) }]));
    this.CONSUME(T.RBrace);
  });

  /** `expand [when COND] { INSTR(args); ... }`: the first expansion whose condition holds is used. */
  public expandClause = this.RULE('expandClause', () => {
    this.CONSUME(K.expand);
    this.OPTION(() => {
      this.CONSUME(K.when);
      this.SUBRULE(this.expression);
    });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.expandItem));
    this.CONSUME(T.RBrace);
  });

  public expandItem = this.RULE('expandItem', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Semicolon);
  });

  public operand = this.RULE('operand', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.reg);
          this.CONSUME2(T.Identifier);
        },
      },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(K.imm) }, { ALT: () => this.CONSUME(K.simm) }, { ALT: () => this.CONSUME(K.addr) }]);
          this.CONSUME(T.NumberLit);
        },
      },
    ]);
  });

  public clause = this.RULE('clause', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.syntaxClause) },
      { ALT: () => this.SUBRULE(this.encodingClause) },
      { ALT: () => this.SUBRULE(this.claimsClause) },
      { ALT: () => this.SUBRULE(this.semanticsClause) },
    ]);
  });

  public syntaxClause = this.RULE('syntaxClause', () => {
    this.CONSUME(K.syntax);
    this.CONSUME(T.StringLit);
    this.CONSUME(T.Semicolon);
  });

  public encodingClause = this.RULE('encodingClause', () => {
    this.CONSUME(K.encoding);
    // `when` is contextual: it starts the decode condition where `OPERAND !=` follows it.
    const condition = () => this.LA(1).tokenType === K.when && this.LA(3).tokenType === T.NotEq;
    this.AT_LEAST_ONE({ GATE: () => !condition(), DEF: () => this.SUBRULE(this.encodingItem) });
    // A decode condition: the encoding does not match where the manual gives these operand values
    // another meaning (`when rb != 4`: x86 rm = 100 means a SIB byte follows).
    this.OPTION(() => {
      this.CONSUME(K.when);
      this.SUBRULE(this.encodingExclusion);
      this.MANY(() => {
        this.CONSUME(T.AndAnd);
        this.SUBRULE2(this.encodingExclusion);
      });
    });
    this.CONSUME(T.Semicolon);
  });

  public encodingExclusion = this.RULE('encodingExclusion', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.NotEq);
    this.CONSUME(T.NumberLit);
  });

  /** Fixed bits, operand bits, or a group stored least significant word first. */
  public encodingItem = this.RULE('encodingItem', () => {
    // `little` is a contextual keyword (an operand may be named little): the group is the
    // alternative where it is followed by `(`, tried first.
    this.OR([
      {
        GATE: () => this.LA(1).tokenType === K.little && this.LA(2).tokenType === T.LParen,
        ALT: () => {
          this.CONSUME(K.little);
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE(() => this.SUBRULE2(this.encodingBits));
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.encodingBits) },
    ]);
  });

  /** `0b0110011:7`, `rd` (the whole operand), `rd:5` (in a 5-bit field), `off[10..5]`, `off[11]`. */
  public encodingBits = this.RULE('encodingBits', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.NumberLit);
          this.CONSUME(T.Colon);
          this.CONSUME2(T.NumberLit);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() =>
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(T.LBracket);
                  this.CONSUME3(T.NumberLit);
                  this.OPTION2(() => {
                    this.CONSUME(T.DotDot);
                    this.CONSUME4(T.NumberLit);
                  });
                  this.CONSUME(T.RBracket);
                },
              },
              {
                ALT: () => {
                  this.CONSUME2(T.Colon);
                  this.CONSUME5(T.NumberLit);
                },
              },
            ]),
          );
        },
      },
    ]);
  });

  public claimsClause = this.RULE('claimsClause', () => {
    this.CONSUME(K.claims);
    this.SUBRULE(this.claim);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.claim);
    });
    this.CONSUME(T.Semicolon);
  });

  public claim = this.RULE('claim', () => {
    this.OPTION(() => this.CONSUME(K.not));
    this.SUBRULE(this.claimWord);
  });

  /** `privileged`, `sensitive`, `innocuous` are names (not reserved); the checker validates them. */
  public claimWord = this.RULE('claimWord', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.ControlSensitive) },
      { ALT: () => this.CONSUME(T.ModeSensitive) },
      { ALT: () => this.CONSUME(T.LocationSensitive) },
      { ALT: () => this.CONSUME(T.UserSensitive) },
      { ALT: () => this.CONSUME(T.TimingDependent) },
    ]);
  });

  public semanticsClause = this.RULE('semanticsClause', () => {
    this.CONSUME(K.semantics);
    this.SUBRULE(this.block);
  });

  // ---- Statements ----

  public block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      // `clause` is contextual: a clause where a name and `{` follow it, else an assignment.
      { GATE: () => this.LA(1).tokenType === K.clause && this.LA(3).tokenType === T.LBrace, ALT: () => this.SUBRULE(this.clauseStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.trapStmt) },
      { ALT: () => this.SUBRULE(this.haltStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
    ]);
  });

  /** `clause NAME { ... }`: statements of the trap entry that an extending spec may replace. */
  public clauseStmt = this.RULE('clauseStmt', () => {
    this.CONSUME(K.clause);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  public letStmt = this.RULE('letStmt', () => {
    this.CONSUME(K.let);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME(T.NumberLit);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Semicolon);
  });

  public assignStmt = this.RULE('assignStmt', () => {
    this.SUBRULE(this.postfix);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Semicolon);
  });

  public ifStmt = this.RULE('ifStmt', () => {
    this.CONSUME(K.if);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
    this.OPTION(() => {
      this.CONSUME(K.else);
      this.OR([{ ALT: () => this.SUBRULE2(this.block) }, { ALT: () => this.SUBRULE(this.ifStmt) }]);
    });
  });

  public trapStmt = this.RULE('trapStmt', () => {
    this.CONSUME(K.trap);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Semicolon);
  });

  public haltStmt = this.RULE('haltStmt', () => {
    this.CONSUME(K.halt);
    this.CONSUME(T.Semicolon);
  });

  public forStmt = this.RULE('forStmt', () => {
    this.CONSUME(K.for);
    this.CONSUME(T.Identifier);
    this.CONSUME(K.in);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.DotDot);
    this.CONSUME2(T.NumberLit);
    this.SUBRULE(this.block);
  });

  // ---- Expressions, loosest first ----

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.binaryExpr);
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.expression);
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.expression);
    });
  });

  /** Operands and binary operators in a row; precedence is applied when the AST is built. */
  public binaryExpr = this.RULE('binaryExpr', () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.CONSUME(T.BinaryOperator);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  public unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Tilde) }, { ALT: () => this.CONSUME(T.Bang) }]);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  /** A primary followed by `[i]`, `[hi..lo]`, `[a, n]` and `.field` suffixes. */
  public postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.indexSuffix) },
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.Identifier);
          },
        },
      ]);
    });
  });

  public indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.DotDot);
            this.SUBRULE2(this.expression);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Comma);
            this.CONSUME(T.NumberLit);
          },
        },
      ]);
    });
    this.CONSUME(T.RBracket);
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.CharLit) },
      { ALT: () => this.SUBRULE(this.extendCall) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  /** `zext(e, W)` / `sext(e, W)`. */
  public extendCall = this.RULE('extendCall', () => {
    this.OR([{ ALT: () => this.CONSUME(K.zext) }, { ALT: () => this.CONSUME(K.sext) }]);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Comma);
    this.CONSUME(T.NumberLit);
    this.CONSUME(T.RParen);
  });

  public nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.expression);
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.expression);
        });
      });
      this.CONSUME(T.RParen);
    });
  });
}

/** The one parser instance (chevrotain parsers are built once and reused). */
export const parser = new IsaParser();

/** The grammar as chevrotain's serialized productions (for grammar/isa.ebnf and diagrams). */
/** The grammar as chevrotain serializes it (every top-level entry is a rule with a name). */
export function getSerializedGrammar(): (ISerializedGast & { name: string })[] {
  const rules = parser.getSerializedGastProductions();
  // The parser reads any binary operator as one token category, which has no text of its own (its
  // pattern serializes as 'NOT_APPLICABLE'): the grammar names a rule listing the operators instead.
  const operators = T.allTokens.filter((t) => t.CATEGORIES?.includes(T.BinaryOperator) && t !== T.BinaryOperator);
  type Serialized = (typeof rules)[number];
  const replace = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(replace);
    if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o['type'] === 'Terminal' && o['name'] === T.BinaryOperator.name) return { type: 'NonTerminal', name: 'binaryOperator', idx: 0 };
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, replace(v)]));
    }
    return node;
  };
  const binaryOperator = {
    type: 'Rule',
    name: 'binaryOperator',
    orgText: '',
    definition: [
      {
        type: 'Alternation',
        idx: 0,
        definition: operators.map((t) => ({
          type: 'Alternative',
          definition: [{ type: 'Terminal', name: t.name, label: T.tokenLabel(t), idx: 0, pattern: t.PATTERN }],
        })),
      },
    ],
  } as unknown as Serialized;
  return [...(replace(rules) as typeof rules), binaryOperator] as (ISerializedGast & { name: string })[];
}

export { EOF };
export type { IToken };
