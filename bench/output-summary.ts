import type { ChildOutput } from './bench-child.js';

const KINDS_SHOWN = 6;

/** A few lines on what a process logged: nothing, or its most frequent kinds of line. */
export function outputSummary(name: string, output: ChildOutput): string {
  if (output.count === 0) return `${name} logged nothing at warn level or above.`;

  const kinds = Object.entries(output.kinds).sort((a, b) => b[1] - a[1]);
  const shown = kinds.slice(0, KINDS_SHOWN).map(([kind, count]) => `  - ${count} × ${kind}`);
  const hidden = kinds.length - KINDS_SHOWN;
  const more = hidden > 0 ? [`  - and ${hidden} more kinds of line`] : [];
  return [`${name} wrote ${output.count} log lines:`, ...shown, ...more].join('\n');
}
