import { z } from 'zod';

/**
 * The one line the CLI prints for a failure. Zod's own message is a JSON dump of its issue list, which reads as
 * a crash; users get each issue as a sentence instead, with the accepted values when there is a fixed set.
 */
export function describeError(e: unknown): string {
  if (e instanceof z.ZodError) return e.issues.map(describeIssue).join('; ');
  return e instanceof Error ? e.message : String(e);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'invalid_value') {
    return `${where}${issue.values.map((v) => JSON.stringify(v)).join(', ')} ${issue.values.length === 1 ? 'is' : 'are'} accepted`;
  }
  return `${where}${issue.message}`;
}

/** "1 tag", "3 tags": counts in CLI summaries read as English. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
