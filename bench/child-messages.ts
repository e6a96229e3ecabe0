/** What the benchmark's child processes and the benchmark say to each other over IPC. */
export type ToChild = { kind: 'request'; id: number; command: string; payload?: unknown };

export type FromChild =
  | { kind: 'ready'; info: unknown }
  | { kind: 'reply'; id: number; result?: unknown; error?: string }
  /** Something the child noticed on its own, such as a part of the product giving up. */
  | { kind: 'notice'; message: string };
