/**
 * A job's data for `job enqueue`: JSON given inline, `@path` for a file, or `-` for stdin. A file or
 * stdin carries what one command-line argument cannot (Linux refuses arguments over 128 KiB with
 * "Argument list too long").
 */
import { readFileSync } from "node:fs";
import { UsageError } from "./errors.js";

/** The data given as the `[json-data]` argument or as `--data`, not both. */
export function dataSource(argument: string | undefined, flag: string | undefined): string | undefined {
  if (argument !== undefined && flag !== undefined) {
    throw new UsageError("give the job's data either as the [json-data] argument or with --data, not both");
  }
  return argument ?? flag;
}

/** Reads and parses the data: `-` from stdin, `@path` from that file, else the text itself. */
export async function readJobData(given: string): Promise<unknown> {
  let text: string;
  let where: string;
  if (given === "-") {
    text = await readStdin();
    where = "the data on stdin";
  } else if (given.startsWith("@")) {
    const path = given.slice(1);
    where = `data file "${path}"`;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new UsageError(`cannot read ${where} (${code}); give the path of a JSON file after the @`);
    }
  } else {
    text = given;
    where = "the data";
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const hint =
      where === "the data"
        ? `quote it for the shell, like '{"to":"ada@example.com"}', or pass --data @file.json`
        : "fix the JSON";
    throw new UsageError(`${where} is not valid JSON (${why}); ${hint}`);
  }
}

function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      "--data - reads the job's data from stdin, which is a terminal here; pipe the JSON in",
    );
  }
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      text += chunk;
    });
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}
