// The shape of an expected-verdicts entry for test/isas/verdicts.test.ts; the entries themselves, with
// their sources, are in expected-x86.ts and expected-others.ts.
export interface ExpectedVerdicts {
  spec: string;
  theorem1: 'holds' | 'fails';
  theorem2: 'holds' | 'fails';
  theorem3: 'holds' | 'fails';
  t1Offenders: string[];
  t3Offenders: string[];
  /** The exact verdicts' offenders (trapAndEmulate, hybridMonitor), where stated. */
  trapAndEmulate?: string[];
  hybridMonitor?: string[];
  /** What the cited literature states, where it differs from the faithful derivation. */
  literature?: { theorem1?: 'holds' | 'fails'; theorem3?: 'holds' | 'fails'; t1Offenders?: string[]; t3Offenders?: string[]; note: string };
}
