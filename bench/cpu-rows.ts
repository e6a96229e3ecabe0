import { formatNumber } from './format-number.js';

/** Table rows for the cores each process used (1.00 = one core busy all the time). */
export function cpuRows(cores: Record<string, number | undefined>): Array<[string, string]> {
  return Object.entries(cores).map(([name, value]) => [
    `CPU cores: ${name}`,
    formatNumber(value, 2),
  ]);
}
