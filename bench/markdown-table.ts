export type Cell = string | number | undefined;

/** A Markdown table; numbers are printed as given, undefined as '-'. */
export function markdownTable(header: readonly string[], rows: readonly Cell[][]): string {
  const cell = (value: Cell) => (value === undefined ? '-' : String(value).replace(/\|/g, '\\|'));
  const line = (cells: readonly Cell[]) => `| ${cells.map(cell).join(' | ')} |`;

  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
