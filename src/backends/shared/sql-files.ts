/**
 * Reading the `.sql` files of a SQL backend (copied into dist/ by the build). A file holds one
 * transition: a header comment, then statements each introduced by a `-- @name <statementName>`
 * line. What a statement becomes (prepared on a connection, a named query) is the engine's affair.
 */
import { readFileSync } from "node:fs";
import { BackendError } from "../../errors.js";

const NAME_LINE = /^-- @name (\S+)\s*$/m;

/** Reads an asset file of the installation (src/ under vitest, dist/ when built). */
export function readAssetAt(url: URL): string {
  try {
    return readFileSync(url, "utf8");
  } catch (err) {
    throw new BackendError(
      `asyncmq cannot read its SQL file ${url.pathname}; the installation is incomplete (a build must copy src/**/*.sql into dist/): reinstall asyncmq`,
      { cause: err },
    );
  }
}

/** Splits the text of `sql/<file>.sql` into its named statements (without trailing `;`). */
export function parseNamedStatements(file: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(NAME_LINE);
  // parts: [header, name1, body1, name2, body2, ...]
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i] as string;
    const body = (parts[i + 1] ?? "").trim().replace(/;\s*$/, "");
    if (out.has(name)) throw new BackendError(`sql/${file}.sql defines ${name} twice`);
    out.set(name, body);
  }
  return out;
}

/**
 * Reads every `sql/<file>.sql` of `files` with `read` and hands each statement to `each`; checks
 * that each file defines exactly the names listed for it.
 */
export function loadNamedStatements<Name extends string>(
  files: Readonly<Record<string, readonly Name[]>>,
  read: (relativePath: string) => string,
  each: (name: Name, sql: string) => void,
): void {
  for (const [file, names] of Object.entries(files)) {
    const parsed = parseNamedStatements(file, read(`./sql/${file}.sql`));
    for (const name of names) {
      const sql = parsed.get(name);
      if (sql === undefined) throw new BackendError(`sql/${file}.sql does not define ${name}`);
      each(name, sql);
      parsed.delete(name);
    }
    if (parsed.size > 0)
      throw new BackendError(`sql/${file}.sql defines unused statements: ${[...parsed.keys()]}`);
  }
}
