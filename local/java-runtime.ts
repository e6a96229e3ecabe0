/**
 * The Java runtime DynamoDB Local needs. Checked before anything starts, so a missing JVM
 * produces one actionable line instead of a spawn error deep inside the start-up.
 */
import { execFile } from 'node:child_process';

export const MINIMUM_JAVA_MAJOR = 17;

const VERSION_TIMEOUT_MS = 15_000;

export class JavaMissingError extends Error {
  constructor(readonly found?: number) {
    super(
      `Java ${MINIMUM_JAVA_MAJOR} or newer is required for the local DynamoDB` +
        (found === undefined ? '' : ` (found Java ${found})`) +
        '; install it with: apt-get install openjdk-17-jre-headless',
    );
    this.name = 'JavaMissingError';
  }
}

/** Resolves with the major version of `java` on PATH; rejects with JavaMissingError. */
export async function checkJava(): Promise<number> {
  const output = await versionOutput('java');
  const major = output === undefined ? undefined : parseJavaMajor(output);

  if (major === undefined || major < MINIMUM_JAVA_MAJOR) throw new JavaMissingError(major);
  return major;
}

/** Whether `javac` is on PATH; without it the launcher runs in source-file mode. */
export async function hasJavac(): Promise<boolean> {
  return (await versionOutput('javac')) !== undefined;
}

/** `java -version` prints `"17.0.15"` for modern releases and `"1.8.0_392"` for Java 8. */
export function parseJavaMajor(versionText: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!match) return undefined;

  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function versionOutput(command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['-version'], { timeout: VERSION_TIMEOUT_MS }, (error, stdout, stderr) => {
      // Both tools print their version on stderr; a missing binary fails with ENOENT.
      resolve(error ? undefined : `${stderr}${stdout}`);
    });
  });
}
