// What the registry page shows (issue 11, item 12): the package ships an MIT LICENSE matching
// package.json, names its repository, homepage and issue tracker, and every README link works
// there too: absolute, and pointing at a file of this repository when it points into it.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  license?: string;
  repository?: { type?: string; url?: string };
  homepage?: string;
  bugs?: { url?: string };
};
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The repository's web address, from package.json's git URL. */
function repositoryWeb(): string {
  const url = manifest.repository?.url ?? "";
  const m = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+?)\.git$/.exec(url);
  expect(m, `repository.url is git+https://github.com/<owner>/<name>.git, got ${url}`).toBeTruthy();
  return (m as RegExpExecArray)[1] as string;
}

describe("package.json and LICENSE", () => {
  it("has an MIT LICENSE file that ships, as package.json says", () => {
    expect(manifest.license).toBe("MIT");
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} \S/);
    expect(license).toContain("Permission is hereby granted, free of charge");
    const listing = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const files = (JSON.parse(listing) as Array<{ files: Array<{ path: string }> }>)[0]?.files ?? [];
    expect(files.map((f) => f.path)).toContain("LICENSE");
  });

  it("names the repository, its homepage and its issue tracker", () => {
    const web = repositoryWeb();
    expect(manifest.repository?.type).toBe("git");
    expect(manifest.homepage).toBe(`${web}#readme`);
    expect(manifest.bugs?.url).toBe(`${web}/issues`);
  });
});

describe("README links", () => {
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);

  it("are absolute, so they work on the registry page", () => {
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !/^https?:\/\//.test(l))).toEqual([]);
  });

  it("into this repository name files that exist in it, on the main branch", () => {
    const web = repositoryWeb();
    const raw = web.replace("https://github.com/", "https://raw.githubusercontent.com/");
    const ours = links.filter((l) => l.startsWith(web) || l.startsWith(raw));
    expect(ours.length).toBeGreaterThan(5);
    for (const link of ours) {
      const path = link.startsWith(raw)
        ? link.slice(`${raw}/main/`.length)
        : link.slice(`${web}/blob/main/`.length);
      expect(link, "a link of the form <repo>/blob/main/<path> or <raw>/main/<path>").toMatch(
        /\/(blob\/)?main\//,
      );
      expect(existsSync(join(root, path.replace(/#.*$/, ""))), `${link} -> ${path}`).toBe(true);
    }
  });
});
