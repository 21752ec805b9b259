import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_PATH, defaultPolicy, GLOB_PROBLEMS, loadPolicyFile, parsePolicyYaml, PolicyError } from '@alert-router/core';

const SHIPPED = readFileSync(DEFAULT_POLICY_PATH, 'utf8');

/** The shipped policy with one textual edit (the edit must apply, so a change to default.yaml fails loudly here). */
function edited(from: string, to: string): string {
  expect(SHIPPED, `default.yaml no longer contains ${JSON.stringify(from)}`).toContain(from);
  return SHIPPED.replace(from, to);
}

function errorOf(text: string): PolicyError {
  try {
    parsePolicyYaml(text, 'policy.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).not.toMatch(/\n/);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('the shipped default policy', () => {
  it('validates and mirrors the runbook', () => {
    const p = defaultPolicy();
    expect(p.version).toBe(1);
    expect(p.defaultSeverity).toBe('P2');
    expect(p.severities.P0.channels).toEqual(['pagerduty', 'slack', 'dashboard']);
    expect(p.severities.P0.responseTime).toBe(5);
    expect(p.severities.P1.responseTime).toBe(15);
    expect(p.severities.P2.responseTime).toBe(120);
    expect(p.severities.P3.responseTime).toBe('next-business-day');
    expect(p.severities.P0.escalation.map((s) => s.tier)).toEqual(['onCall', 'teamLead', 'cto']);
    expect(p.topics.map((t) => [t.match, t.severity])).toEqual([
      ['critical', 'P0'],
      ['high', 'P1'],
      ['medium', 'P2'],
      ['low', 'P3'],
    ]);
    for (const r of p.rules) if (r.runbook) expect(p.runbooks[r.runbook], r.runbook).toBeDefined();
  });

  it('parses from its text the same way it loads from disk', () => {
    expect(parsePolicyYaml(SHIPPED)).toEqual(loadPolicyFile(DEFAULT_POLICY_PATH));
  });
});

describe('errors name the exact key and why', () => {
  it('unknown key severities.P1.chanels', () => {
    const e = errorOf(edited('    channels: [slack, email, dashboard]\n', '    chanels: [slack, email, dashboard]\n    channels: [slack, email, dashboard]\n'));
    expect(e.message).toBe('policy.yaml: severities.P1.chanels: unknown key');
  });

  it('bad channel severities.P0.channels[1]', () => {
    const e = errorOf(edited('channels: [pagerduty, slack, dashboard]', 'channels: [pagerduty, sms, dashboard]'));
    expect(e.message).toBe('policy.yaml: severities.P0.channels[1]: Invalid option: expected one of "pagerduty"|"slack"|"email"|"dashboard"');
  });

  it('bad duration names severities.P0.responseTime', () => {
    const e = errorOf(edited('responseTime: 5m', 'responseTime: 5 minutes'));
    expect(e.message).toMatch(/^policy\.yaml: severities\.P0\.responseTime: /);
  });

  // Known gap (policy.ts, not owned here): the union of `next-business-day` and the duration pattern reports only
  // "Invalid input", so the reader is not told what a duration looks like. Flip to `it` once policy.ts says why.
  it('bad duration says what a duration looks like', () => {
    const e = errorOf(edited('responseTime: 5m', 'responseTime: 5 minutes'));
    expect(e.message).toMatch(/severities\.P0\.responseTime: .*(5m|2h|1d|duration)/);
  });

  it('rule without matchers', () => {
    const e = errorOf(
      edited(
        '  - { name: High error rate, alarmName: "*HighErrorRate", severity: P0, runbook: high-error-rate }',
        '  - { name: High error rate, severity: P0 }',
      ),
    );
    expect(e.message).toBe('policy.yaml: rules[0]: a rule needs at least one of alarmName, namespace, metric, source, fields');
  });

  it('rule pointing at a missing runbook', () => {
    const e = errorOf(edited('severity: P0, runbook: high-error-rate }', 'severity: P0, runbook: no-such-runbook }'));
    expect(e.message).toBe('policy.yaml: rules[0].runbook: no runbook named "no-such-runbook" under runbooks');
  });

  it('escalation tier not in contacts', () => {
    const e = errorOf(edited('tier: cto, repeat: 3', 'tier: ceo, repeat: 3'));
    expect(e.message).toBe('policy.yaml: severities.P0.escalation[2].tier: no contact named "ceo" under contacts');
  });

  it('bad timezone', () => {
    const e = errorOf(edited('timezone: UTC', 'timezone: Mars/Olympus_Mons'));
    expect(e.message).toBe('policy.yaml: timezone: unknown time zone "Mars/Olympus_Mons"');
  });

  it('YAML syntax error with its line number', () => {
    // A duplicated key is reported on the line of the duplicate.
    const line = SHIPPED.split('\n').findIndex((l) => l.startsWith('defaultSeverity:')) + 2;
    const e = errorOf(edited('defaultSeverity: P2\n', 'defaultSeverity: P2\ndefaultSeverity: P3\n'));
    expect(e.message.startsWith(`policy.yaml: YAML error at line ${line}: Map keys must be unique`)).toBe(true);
  });

  it('an unclosed bracket is reported at the line where YAML notices it', () => {
    const line = SHIPPED.split('\n').findIndex((l) => l.startsWith('defaultSeverity:')) + 1;
    const e = errorOf(edited('defaultSeverity: P2', 'defaultSeverity: [P2'));
    const reported = Number(/^policy\.yaml: YAML error at line (\d+): /.exec(e.message)?.[1]);
    expect([line, line + 1]).toContain(reported);
  });

  it('YAML syntax error in a small file', () => {
    const e = errorOf('version: 1\nseverities:\n  P0: {label: x\n');
    expect(e.message).toMatch(/^policy\.yaml: YAML error at line \d+: /);
  });

  it('wrong version', () => {
    const e = errorOf(edited('version: 1', 'version: 2'));
    expect(e.message).toMatch(/^policy\.yaml: version: /);
  });

  it('unknown severity in a rule', () => {
    const e = errorOf(edited('alarmName: "*HighErrorRate", severity: P0', 'alarmName: "*HighErrorRate", severity: P5'));
    expect(e.message).toMatch(/^policy\.yaml: rules\[0\]\.severity: /);
  });

  it('several problems are all named, in one line', () => {
    const e = errorOf(edited('timezone: UTC', 'timezone: Nowhere/Land').replace('tier: cto, repeat: 3', 'tier: ceo, repeat: 3'));
    expect(e.message).toContain('timezone: unknown time zone "Nowhere/Land"');
    expect(e.message).toContain('severities.P0.escalation[2].tier: no contact named "ceo" under contacts');
  });

  it('a silence or rule pattern that matches (almost) everything is refused, naming the key and why', () => {
    const silence = errorOf(edited('silences: []', 'silences:\n  - { match: "*", reason: deploy, author: ops, endsAt: "2030-01-01T00:00:00Z" }'));
    expect(silence.message).toBe(`policy.yaml: silences[0].match: ${GLOB_PROBLEMS['too-broad']}`);
    const rule = errorOf(edited('alarmName: "*HighResponseTime",', 'alarmName: "?*",'));
    expect(rule.message).toBe(`policy.yaml: rules[1].alarmName: ${GLOB_PROBLEMS['too-broad']}`);
    expect(errorOf(edited('alarmName: "*HighErrorRate",', `alarmName: ${'x'.repeat(300)},`)).message).toBe(
      `policy.yaml: rules[0].alarmName: ${GLOB_PROBLEMS['too-long']}`,
    );
    expect(
      parsePolicyYaml(edited('silences: []', 'silences:\n  - { match: "Database*", reason: deploy, author: ops, endsAt: "2030-01-01T00:00:00Z" }')).silences[0]
        .match,
    ).toBe('Database*');
  });

  it('an empty file is refused, not defaulted', () => {
    expect(errorOf('').message).toMatch(/^policy\.yaml: /);
  });

  it('a file that cannot be read says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const missing = join(dir, 'missing.yaml');
    expect(() => loadPolicyFile(missing)).toThrow(new PolicyError(`${missing}: cannot read policy file (ENOENT)`));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, SHIPPED);
    expect(loadPolicyFile(good).defaultSeverity).toBe('P2');
  });
});
