/**
 * `asyncmq info version | backend`.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type CommonOptions,
  chooseBackend,
  describeSource,
  openBackend,
  shownUrl,
  withCommonOptions,
} from "./backend-option.js";
import { keyValues, print, printJson } from "./output.js";

/** The package's version, read from its package.json (two levels above dist/cli/ and src/cli/). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function infoCommand(program: Command): void {
  const info = program.command("info").description("versions and the backend in use");

  withCommonOptions(info.command("version").description("print the asyncmq and Node.js versions")).action(
    (o: CommonOptions) => {
      const versions = { asyncmq: packageVersion(), node: process.versions.node };
      if (o.json) return printJson(versions);
      print(`asyncmq ${versions.asyncmq} (node ${versions.node})`);
    },
  );

  withCommonOptions(
    info.command("backend").description("print which backend the commands use, and check that it answers"),
  ).action(async (o: CommonOptions) => {
    const choice = await chooseBackend(o);
    const backend = await openBackend(choice);
    const kind = /^([a-z][a-z0-9+.-]*):\/\//i.exec(choice.url)?.[1]?.toLowerCase() ?? "unknown";
    const queues = (await backend.listQueues()).length;
    const result = {
      url: shownUrl(choice),
      kind,
      source: choice.source,
      ...(choice.file ? { file: choice.file } : {}),
      capabilities: backend.capabilities,
      queues,
    };
    if (o.json) return printJson(result);
    print(
      keyValues([
        ["url", shownUrl(choice)],
        ["kind", kind],
        ["source", describeSource(choice).replace(/^from /, "")],
        ["durable", backend.capabilities.durable ? "yes" : "no"],
        ["multi-process", backend.capabilities.multiProcess ? "yes" : "no"],
        ["queues", String(queues)],
      ]),
    );
  });
}
