import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvss4MacroVector, cvss4Score } from '../../../registry/src/scan/cvss4.js';
import { macroVectorScores } from '../../../registry/src/scan/cvss4-lookup.js';
import { rate, severityFromScore } from '../../../registry/src/scan/severity.js';

/*
 * Expected scores are published figures, not outputs of this code:
 * - FIRST: "Common Vulnerability Scoring System v4.0: Examples" (https://www.first.org/cvss/v4.0/examples), the
 *   scored vectors of its worked CVEs (base, threat, environmental and supplemental metrics), as transcribed in
 *   the example list of @turingpointde/cvss.js (lib/score_4_0 examples).
 * - RedHatProductSecurity/cvss (the Python library), tests/vectors_simple4, vectors_threat4, vectors_security4,
 *   vectors_supplemental4 and the JSON-schema cases of tests/test_cvss4.py, which check against FIRST's calculator.
 * - binsec group's cvss4 calculator tests (Safety: MSI:S / MSA:S).
 */
const FIRST_EXAMPLES: [string, number][] = [
  ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.3],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.7],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 5.2],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N', 8.3],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L', 8.1],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 4.6],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 6.9],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N', 5.9],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 9.4],
  ['CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D', 8.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A', 8.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A', 10],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A', 9.3],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H', 6.4],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I', 9.3],
  ['CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I', 8.7],
  ['CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 8.6],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 7.1],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.2],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L', 8.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U', 6.6],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.7],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N', 8.3],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U', 5.6],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A', 9.2],
  ['CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 5.4],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 6.9],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N', 6.9],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P', 8.5],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/V:C/RE:L', 9.4],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L', 7.0],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:A/MAC:H/MAT:N/MPR:L/MUI:N/MVC:L/MVI:H/MVA:H/MSC:L/MSI:S/MSA:S/CR:L/IR:H/AR:H/E:P', 7.4],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:N/MAC:H/MAT:N/MPR:L/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:H/CR:M/IR:H/AR:M/E:P', 8.7],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P', 8.6],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P', 9.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/V:C', 8.7],
];

const LIBRARY_VECTORS: [string, number][] = [
  // RedHatProductSecurity/cvss tests/vectors_simple4: base metrics across EQ1 × EQ2 × EQ3 × EQ4.
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L', 9.2],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L', 7.8],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L', 5.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.6],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:L/SC:H/SI:L/SA:L', 7.0],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N', 2.1],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:L/SC:L/SI:L/SA:L', 7.3],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:L/SC:H/SI:N/SA:N', 4.1],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:A/VC:L/VI:N/VA:L/SC:N/SI:L/SA:L', 2.4],
  ['CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:L/VI:N/VA:N/SC:N/SI:L/SA:L', 1.0],
  ['CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:N/SC:H/SI:N/SA:N', 1.8],
  ['CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:A/VC:H/VI:H/VA:H/SC:L/SI:N/SA:N', 5.4],
  // vectors_threat4: E on the least severe base vector.
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A', 7.3],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P', 5.9],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U', 4.1],
  // vectors_security4: security requirements (EQ6 and the CR/IR/AR distances).
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:M/AR:L', 7.1],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:H', 7.2],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:M', 5.5],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/CR:H/IR:H/AR:H', 0],
  // vectors_supplemental4: supplemental metrics never change the score.
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:N/AU:N/R:A/V:D/RE:L/U:Amber', 7.3],
  // tests/test_cvss4.py JSON-schema cases.
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L', 7.9],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H', 7.7],
  ['CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
  // binsec group cvss4 tests: Safety through MSI/MSA.
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:P', 2.0],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:A/MSI:S', 7.8],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:A/MSI:S/MSA:S', 8.0],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:A/MSI:H/MSA:H', 6.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:N/VI:H/VA:H/SC:L/SI:N/SA:H', 8.3],
];

test('CVSS v4.0: FIRST published examples score as published', () => {
  for (const [v, score] of FIRST_EXAMPLES) assert.equal(cvss4Score(v), score, v);
});

test('CVSS v4.0: library test vectors (base, threat, environmental, supplemental) score as published', () => {
  for (const [v, score] of LIBRARY_VECTORS) assert.equal(cvss4Score(v), score, v);
});

test('CVSS v4.0: the vectors above exercise every level of every EQ, and the lookup table is complete', () => {
  const levels = new Set<string>();
  for (const [v] of [...FIRST_EXAMPLES, ...LIBRARY_VECTORS]) [...cvss4MacroVector(v)!].forEach((d, i) => levels.add(`EQ${i + 1}=${d}`));
  const expected = ['EQ1=0', 'EQ1=1', 'EQ1=2', 'EQ2=0', 'EQ2=1', 'EQ3=0', 'EQ3=1', 'EQ3=2', 'EQ4=0', 'EQ4=1', 'EQ4=2', 'EQ5=0', 'EQ5=1', 'EQ5=2', 'EQ6=0', 'EQ6=1'];
  assert.deepEqual([...levels].sort(), expected);
  // 3×2×3×3×3×2 MacroVectors less the 54 with EQ3=2 and EQ6=0, which no vector can reach.
  assert.equal(Object.keys(macroVectorScores).length, 270);
  assert.ok(Object.keys(macroVectorScores).every((mv) => !(mv[2] === '2' && mv[5] === '0')));
  assert.equal(cvss4MacroVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), '000200');
  assert.equal(cvss4MacroVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/E:U/CR:L/IR:L/AR:L'), '000021');
});

test('CVSS v4.0: metric order does not change the score; modified metrics override, X means not given', () => {
  const canonical = 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L';
  const reordered = 'CVSS:4.0/MVA:L/SA:N/AV:N/CR:H/AC:L/UI:N/AT:P/PR:N/VC:H/SC:N/VI:L/SI:N/VA:L/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L';
  assert.equal(cvss4Score(reordered), cvss4Score(canonical));
  assert.equal(cvss4Score(reordered), 8.1);
  // X everywhere equals the base vector (E:X and CR/IR/AR:X are their worst case, as when left out).
  const base = 'CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
  assert.equal(cvss4Score(`${base}/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X`), 7.3);
  // Modifying the attack vector to the base's own value changes nothing; to Physical it does.
  assert.equal(cvss4Score(`${base}/MAV:L`), 7.3);
  assert.ok(cvss4Score(`${base}/MAV:P`)! < 7.3);
  // Reordered vectors as GitHub advisories and the Python library's tests carry them, with their published
  // qualitative ratings (RedHatProductSecurity/cvss tests/test_cvss4.py test_severity).
  const rated: [string, string][] = [
    ['CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:H/VI:N/VA:H/SC:L/SI:N/AU:N/SA:H/S:P/R:I/V:D/RE:M/U:Red/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/CR:H/IR:H/AR:H/E:U', 'critical'],
    ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:P/MPR:N/MUI:P/MVC:L/MVI:N/MVA:H/MSC:H/MSI:H/MSA:S/CR:M/IR:M/AR:M/E:A', 'high'],
    ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:N/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:L/U:Green/MAV:L/MAC:L/MAT:N/MPR:H/MUI:P/MVC:L/MVI:L/MVA:N/MSC:H/MSI:H/MSA:S/CR:H/IR:H/AR:H/E:P', 'medium'],
    ['CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/AU:N/SA:N/S:P/R:A/V:D/RE:L/U:Red/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/CR:H/IR:L/AR:L/E:P', 'low'],
    ['CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:L/SI:H/AU:N/SA:H/S:P/R:U/V:C/RE:H/U:Red/MAV:L/MAC:L/MAT:P/MPR:L/MUI:P/MVC:N/MVI:N/MVA:N/MSC:N/MSI:N/MSA:N/CR:H/IR:H/AR:H/E:P', 'unknown'],
  ];
  for (const [v, severity] of rated) assert.equal(severityFromScore(cvss4Score(v)!), severity, v);
  assert.equal(cvss4Score(rated[4]![0]), 0, 'every modified impact None: 0.0 (rated None)');
});

test('CVSS v4.0: invalid vectors have no score', () => {
  const ok = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
  assert.equal(cvss4Score(ok), 9.3);
  const invalid: [string, string][] = [
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', 'missing mandatory SA'],
    ['CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'missing mandatory AT (a v3-style vector)'],
    ['CVSS:4.0/E:A', 'threat metric only'],
    ['CVSS:4.0', 'no metrics'],
    [`${ok}/SI:H`, 'duplicate base metric'],
    [`${ok}/E:A/E:P`, 'duplicate threat metric'],
    [`${ok}/MAV:N/MAV:N`, 'duplicate even with the same value'],
    ['CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'X is not a base metric value'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N', 'Safety is a modified value only'],
    [`${ok}/MSC:S`, 'Safety does not apply to confidentiality'],
    ['CVSS:4.0/AV:N/AC:M/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'bad value'],
    ['CVSS:4.0/AV:n/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'values are case-sensitive'],
    [`${ok}/U:red`, 'supplemental value spelled wrong'],
    [`${ok}/XX:N`, 'unknown metric'],
    [`${ok}/RL:O`, 'a v3 temporal metric'],
    [`${ok}/`, 'empty metric after a trailing slash'],
    [`${ok}/E`, 'metric without value'],
    [`${ok}/E:A:P`, 'two colons'],
    [ok.replace('CVSS:4.0', 'CVSS:3.1'), 'v3 prefix'],
    [ok.replace('CVSS:4.0', 'CVSS:4.1'), 'unknown minor version'],
    [ok.replace('CVSS:4.0', 'cvss:4.0'), 'lower-case prefix'],
    [ok.replace('CVSS:4.0/', ''), 'no prefix'],
    ['', 'empty string'],
  ];
  for (const [v, why] of invalid) {
    assert.equal(cvss4Score(v), undefined, why);
    assert.equal(cvss4MacroVector(v), undefined, why);
  }
  assert.equal(cvss4Score(`  ${ok}\n`), 9.3, 'surrounding whitespace is tolerated');
});

test('rate(): v4-only records are scored; v3 wins when both are given; a bad v4 vector falls back to the label', () => {
  const v3 = { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' };
  const v4 = { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' };
  assert.deepEqual(rate([[v4]], []), { severity: 'critical', score: 9.3 });
  assert.deepEqual(rate([[v4, v3]], []), { severity: 'high', score: 7.8 }, 'v3 wins within a list, whatever the order');
  assert.deepEqual(rate([[v4], [v3]], []), { severity: 'critical', score: 9.3 }, "the package's own v4 wins over the record's v3");
  assert.deepEqual(rate([[], [v4]], ['low']), { severity: 'critical', score: 9.3 });
  assert.deepEqual(rate([[{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }]], ['MODERATE']), { severity: 'medium', score: undefined });
  assert.deepEqual(rate([[{ type: 'CVSS_V4', score: v3.score }]], []), { severity: 'unknown', score: undefined }, 'a v3 vector typed as v4 is not scored as v4');
});
