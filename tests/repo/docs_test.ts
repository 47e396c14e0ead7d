// Repo-only: README.md and the guides in docs/ stay true to the repository. Their TypeScript blocks
// are type-checked by `deno task doc:readme`; this file checks the rest: every shell command
// (in `sh` blocks and in inline code) names a deno task, npm script, file or `sandgate` command
// and option that exists; every relative link leads to a file and heading that exist; no line is
// over 200 characters; and the README's first screen shows the CLI and the emulator (issue 23).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../../src/cli/run.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const GUIDES = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort()
  .map((f) => `docs/${f}`);
const FILES = ["README.md", ...GUIDES];
const denoJson = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
const packageJson = JSON.parse(read("package.json")) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** A markdown file's fenced blocks (language, lines) and its prose lines, fences excluded. */
function parse(text: string): { blocks: { lang: string; lines: string[] }[]; prose: string[] } {
  const blocks: { lang: string; lines: string[] }[] = [];
  const prose: string[] = [];
  let block: { lang: string; lines: string[] } | undefined;
  for (const line of text.split("\n")) {
    const fence = /^(`{3,})(.*)$/.exec(line);
    if (fence && !block) blocks.push(block = { lang: fence[2]!.trim(), lines: [] });
    else if (fence) block = undefined;
    else if (block) block.lines.push(line);
    else prose.push(line);
  }
  assert.equal(block, undefined, "a code fence is left open");
  return { blocks, prose };
}

/** Shell commands of `sh` blocks: continuations joined, comments dropped, `&&` split. */
function shellCommands(lines: string[]): string[] {
  return lines.join("\n").replace(/\\\n/g, " ").split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .flatMap((line) => line.split("&&").map((part) => part.trim()))
    .filter((line) => line !== "");
}

/** Inline code spans of prose that are commands of ours. */
function inlineCommands(prose: string[]): string[] {
  const spans = [...prose.join("\n").matchAll(/(?<!`)`([^`\n]+)`(?!`)/g)].map((m) => m[1]!);
  return spans.filter((s) =>
    /^(npx |bunx )?sandgate [a-z-]/.test(s) || /^(npx )?deno (task|run) /.test(s) ||
    /^npm (run|start|test|ci)\b/.test(s)
  );
}

/** Why `argv` (after `sandgate`) is not a command and options the CLI has, or undefined. */
function cliProblem(argv: string[]): string | undefined {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "--version") return undefined;
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) return `no sandgate command ${JSON.stringify(name)}`;
  const end = rest.findIndex((a) => a === "--" || a === "[--");
  const options = (end === -1 ? rest : rest.slice(0, end)).join(" ");
  for (const [, flag] of options.matchAll(/(?<![\w-])--([a-z][\w-]*)/g)) {
    const known = ["help", flag, flag!.replace(/^no-/, "")].some((f) => f! in command.spec.options);
    if (!known && flag !== "help") return `sandgate ${name} has no option --${flag}`;
  }
  return undefined;
}

/** Why a documented command does not exist as written, or undefined when it does. */
function commandProblem(command: string): string | undefined {
  const words = command.split(/\s+/);
  const [first, second, third] = words;
  const taskProblem = (task: string | undefined, args: string[]) => {
    if (task === undefined || task.startsWith("<")) return undefined;
    if (!(task in denoJson.tasks)) return `no deno task ${task}`;
    if (task === "cli") return cliProblem(args);
    // Options passed to a script: the script must mention them.
    const script = /\s(scripts\/\S+\.ts|src\/\S+\.ts)/.exec(denoJson.tasks[task]!)?.[1];
    for (const [, flag] of args.join(" ").matchAll(/(?<![\w-])--([a-z][\w-]*)/g)) {
      if (script && !read(script).includes(flag!)) return `${script} knows no --${flag}`;
    }
    return undefined;
  };
  if (first === "export") {
    return words.slice(1).every((w) => /^[A-Z_][A-Z0-9_]*=\S*$/.test(w))
      ? undefined
      : `not NAME=value: ${command}`;
  }
  if (first === "cd") {
    return existsSync(join(ROOT, second!)) || second === "npm" ? undefined : `no ${second}`;
  }
  if (first === "sandgate") return cliProblem(words.slice(1));
  if ((first === "npx" || first === "bunx") && second === "sandgate") {
    return cliProblem(words.slice(2));
  }
  if (first === "npm") {
    if (["ci", "test", "start", "pack"].includes(second!)) {
      return second === "pack" || second === "ci" || second! in packageJson.scripts
        ? undefined
        : `no npm script ${second}`;
    }
    if (second === "install") return third === "sandgate" ? undefined : `install what? ${command}`;
    if (second !== "run") return `unknown npm command: ${command}`;
    const script = packageJson.scripts[third!];
    if (script === undefined) return `no npm script ${third}`;
    const task = /^deno task (\S+)$/.exec(script)?.[1];
    const dashes = words.indexOf("--");
    return taskProblem(task, dashes === -1 ? [] : words.slice(dashes + 1));
  }
  if (first === "bun" && second === "add") return third === "sandgate" ? undefined : command;
  // A bare `deno` is the user's own, for JSR only; in a checkout it is `npx deno`.
  if (first === "deno") {
    return words.slice(1).some((w) => w.startsWith("jsr:@sandgate/sdk"))
      ? undefined
      : `a checkout has no global deno: say npx deno (${command})`;
  }
  const deno = first === "npx" && second === "deno"
    ? words.slice(2)
    : first === "./node_modules/.bin/deno"
    ? words.slice(1)
    : undefined;
  if (deno) {
    if (deno[0] === "task") return taskProblem(deno[1], deno.slice(2));
    if (deno[0] === "run") {
      const file = deno.slice(1).find((w) => !w.startsWith("-"));
      if (file?.startsWith("jsr:")) return undefined;
      return file && existsSync(join(ROOT, file)) ? undefined : `no file ${file}`;
    }
    return `unknown deno command: ${command}`;
  }
  if (first === "npx" && second! in packageJson.devDependencies) return undefined;
  return `not a command of this repository: ${command}`;
}

test("every shell command in README.md and docs/ exists as written", () => {
  const problems: string[] = [];
  let count = 0;
  for (const file of FILES) {
    const { blocks, prose } = parse(read(file));
    const commands = [
      ...blocks.filter((b) => b.lang === "sh").flatMap((b) => shellCommands(b.lines)),
      ...inlineCommands(prose),
    ];
    for (const command of commands) {
      count++;
      const problem = commandProblem(command);
      if (problem) problems.push(`${file}: ${problem}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(count > 40, `only ${count} commands found: is the parser broken?`);
});

test("the checker refuses commands that do not exist", () => {
  assert.match(commandProblem("npx deno task no-such-task")!, /no deno task/);
  assert.match(commandProblem("npm run nothing")!, /no npm script/);
  assert.match(commandProblem("deno run examples/expose_port.ts")!, /npx deno/);
  assert.match(commandProblem("npx deno run examples/missing.ts")!, /no file/);
  assert.match(commandProblem("npx sandgate exposee sb 8000")!, /no sandgate command/);
  assert.match(commandProblem("sandgate expose <sandbox> <port> [--nmae N]")!, /--nmae/);
  assert.match(commandProblem("npm run soak -- --wrokers=3")!, /--wrokers/);
  assert.equal(commandProblem("sandgate pty my-sandbox --no-reconnect -- bash --login"), undefined);
});

test("every code block in README.md and docs/ is checked: ts/js by doc:readme, sh here", () => {
  const task = denoJson.tasks["doc:readme"]!;
  for (const file of FILES) {
    assert.ok(
      task.includes(file) || (file.startsWith("docs/") && task.includes("docs/*.md")),
      file,
    );
    for (const { lang } of parse(read(file)).blocks) {
      // `text` is output shown to the reader, not code.
      assert.match(
        lang,
        /^(ts|js|sh|text)( ignore)?$/,
        `${file}: a block in ${lang || "no language"}`,
      );
    }
  }
});

test("no line of README.md or docs/ is over 200 characters", () => {
  const long = FILES.flatMap((file) =>
    read(file).split("\n").flatMap((line, i) => line.length > 200 ? [`${file}:${i + 1}`] : [])
  );
  assert.deepEqual(long, []);
});

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");

test("relative links lead to files and headings that exist", () => {
  const problems: string[] = [];
  for (const file of FILES) {
    const { prose } = parse(read(file));
    for (const [, target] of prose.join("\n").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split("#");
      const resolved = path ? join(dirname(join(ROOT, file)), path) : join(ROOT, file);
      if (!existsSync(resolved)) {
        problems.push(`${file}: ${target}`);
        continue;
      }
      if (anchor) {
        const headings = parse(readFileSync(resolved, "utf8")).prose
          .filter((l) => /^#+ /.test(l)).map((l) => slug(l.replace(/^#+ /, "")));
        if (!headings.includes(anchor)) problems.push(`${file}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("README: the first screen has the CLI and the emulator; contents and guides are linked", () => {
  const readme = read("README.md");
  const firstScreen = readme.split("\n").slice(0, 60).join("\n");
  assert.match(firstScreen, /npm start/);
  assert.match(firstScreen, /sandgate emulator/);
  const headings = parse(readme).prose.filter((l) => l.startsWith("## ")).map((l) => l.slice(3));
  assert.ok(headings.includes("Contents"), "a table of contents");
  for (const heading of headings.filter((h) => h !== "Contents")) {
    assert.ok(readme.includes(`](#${slug(heading)})`), `the contents link to ${heading}`);
  }
  for (const guide of GUIDES) {
    assert.ok(readme.includes(`](${guide})`), `README links to ${guide}`);
    assert.ok(read(guide).includes("](../README.md)"), `${guide} links back to the README`);
  }
  assert.ok(GUIDES.length >= 5, relative(ROOT, join(ROOT, "docs")));
});

test("the API reference is generated from the doc comments in npm test", async () => {
  const { STEPS } = await import("../../scripts/test.ts");
  assert.ok(STEPS.some(([, task]) => task === "doc:html"));
  assert.match(denoJson.tasks["doc:html"]!, /doc_html\.ts/);
});

/** Every file under `dir`, relative to the repository, with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).replaceAll("\\", "/"));
}

test("every test file the docs name exists (tests move as src/ does)", () => {
  const tests = filesUnder("tests");
  const problems: string[] = [];
  for (const file of FILES) {
    for (const [, path] of read(file).matchAll(/`([\w./-]+_test\.(?:ts|mjs))`/g)) {
      if (!tests.some((t) => t === path || t.endsWith(`/${path}`))) {
        problems.push(`${file}: ${path}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
