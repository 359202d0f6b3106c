// tools/install.sh ends by checking that every command the project's scripts run is on
// PATH. These tests keep that list honest: they read the scripts the Makefile runs, find
// every command they start, and fail when one is missing from the list; and they prove the
// check fails loudly, naming the command and its package, when a command is absent.
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(`${root}${path}`);

/** The scripts the Makefile's targets run, as the install check's comment names them. */
function scriptPaths(): string[] {
  const dir = (d: string) => [...Deno.readDirSync(`${root}${d}`)].filter((e) => e.name.endsWith(".sh"));
  return [
    ...dir("tools").map((e) => `tools/${e.name}`),
    ...dir("tools/local").map((e) => `tools/local/${e.name}`),
    ".ci/run",
  ];
}

/** install.sh's table: command name → where it comes from. */
function requiredCommands(): Map<string, string> {
  const table = /^required_commands=\(\n([\s\S]*?)\n\)/m.exec(read("tools/install.sh"));
  assert.ok(table, "tools/install.sh has no required_commands=( … ) table");
  return new Map(
    table[1].split("\n").map((line) => {
      const m = /^\s*"(\S+) (.+)"$/.exec(line);
      assert.ok(m, `unreadable table line: ${line}`);
      return [m[1], m[2]];
    }),
  );
}

/**
 * Blanks what cannot start a command: comments, the insides of quotes, of array values
 * `a=( … )` and of `$(( … ))` (but not a `$( … )` within them), and `${…}`. Blanked
 * characters become "§"; line ends stay.
 */
function blank(text: string): string {
  let out = "";
  const stack: string[] = ["code"];
  for (let i = 0; i < text.length; i++) {
    const c = text[i], top = stack[stack.length - 1];
    if (c === "\n") {
      if (top === "comment") stack.pop();
      out += c;
    } else if (top === "comment") {
      continue;
    } else if (top === "single") {
      if (c === "'") stack.pop();
      out += "§";
    } else if (top === "param") {
      if (c === "}") stack.pop();
      out += "§";
    } else if (text.startsWith("$((", i)) {
      stack.push("arith");
      out += "§§§";
      i += 2;
    } else if (text.startsWith("${", i)) {
      stack.push("param");
      out += "§§";
      i++;
    } else if (c === "\\") {
      out += "§§";
      i++;
    } else if (text.startsWith("$(", i)) {
      stack.push("subshell");
      out += " (";
      i++;
    } else if (top === "arith") {
      if (text.startsWith("))", i)) (stack.pop(), i++);
      out += "§";
    } else if (top === "double") {
      if (c === '"') stack.pop();
      out += "§";
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
      stack.push("comment");
    } else if (c === "'" || c === '"') {
      stack.push(c === "'" ? "single" : "double");
      out += "§";
    } else if (top === "array" || (c === "(" && out.endsWith("="))) {
      if (c === "(" && top !== "array") stack.push("array");
      else if (c === ")") stack.pop();
      out += "§";
    } else {
      if (c === ")" && top === "subshell") stack.pop();
      out += c;
    }
  }
  return out;
}

/** Commands that run the command after them: each returns the words from that command on. */
const wrappers: Record<string, (words: string[]) => string[]> = {
  as_root: (w) => w,
  pg_run: (w) => w,
  exec: (w) => w,
  setsid: (w) => w,
  sudo: (w) => dropWhile(w, (x) => x.startsWith("-")),
  env: (w) => dropWhile(w, (x) => x.startsWith("-") || /^\w+=/.test(x)),
  timeout: (w) => dropWhile(w, (x) => x.startsWith("-")).slice(1),
  runuser: (w) => w.slice(w.indexOf("--") + 1),
  // tools/test.sh: suite NAME COUNTER COMMAND…
  suite: (w) => w.slice(2),
};
function dropWhile(words: string[], f: (w: string) => boolean): string[] {
  const i = words.findIndex((w) => !f(w));
  return i < 0 ? [] : words.slice(i);
}
const keywords = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time", "!"]);

/** Every command a shell script (or a Makefile's recipes) starts. */
function commandsIn(text: string, makefile: boolean): Set<string> {
  const kept: string[] = [];
  let heredoc: string | null = null;
  for (let line of text.replace(/\\\n/g, " ").split("\n")) {
    if (heredoc !== null) {
      if (line.trim() === heredoc) heredoc = null;
      continue;
    }
    if (makefile) {
      if (!line.startsWith("\t")) continue;
      line = line.replace(/^\t[@-]*/, "").replace(/\$\(\w+\)/g, "§");
    }
    heredoc = /(?:^|[^<])<<-?\s*['"]?(\w+)/.exec(line)?.[1] ?? null;
    kept.push(line);
  }
  const found = new Set<string>();
  for (const segment of blank(kept.join("\n")).split(/\n|\|\||&&|[|;&(){}`]/)) {
    let words = segment.trim().split(/\s+/).filter((w) => w && !/^\w+=/.test(w) && !/^\d*[<>]/.test(w));
    while (words.length && keywords.has(words[0])) words = words.slice(1);
    while (words.length) {
      const [name, ...rest] = words;
      if (["for", "case", "select", "in"].includes(name) || !/^[A-Za-z_][\w.+-]*$/.test(name)) break;
      if (name === "command" && rest[0] === "-v") break;
      found.add(name);
      words = wrappers[name]?.(rest) ?? [];
    }
  }
  return found;
}

/** Shell builtins and keywords, from bash itself, and the functions the scripts define. */
async function notCommands(texts: string[]): Promise<Set<string>> {
  const out = await new Deno.Command("bash", { args: ["-c", "compgen -b; compgen -k"], stdout: "piped" }).output();
  const names = new Set(new TextDecoder().decode(out.stdout).split("\n").filter(Boolean));
  for (const t of texts) for (const m of t.matchAll(/^\s*([\w-]+)\s*\(\)\s*\{/gm)) names.add(m[1]);
  return names;
}

/**
 * Programs the TypeScript and Node tools start by name (`new Deno.Command("wrk", …)`,
 * `execFileSync("wasm-as", …)`).
 */
function commandsStartedFromTypeScript(): Set<string> {
  const found = new Set<string>();
  for (const dir of ["tests", "tools"]) {
    for (const path of walk(`${root}${dir}`)) {
      const text = Deno.readTextFileSync(path);
      for (const m of text.matchAll(/(?:new Deno\.Command|execFileSync)\("([\w.+-]+)"/g)) found.add(m[1]);
    }
  }
  return found;
}
function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    if (e.name === "node_modules") continue;
    if (e.isDirectory) yield* walk(`${dir}/${e.name}`);
    else if (e.name.endsWith(".ts") || e.name.endsWith(".mjs")) yield `${dir}/${e.name}`;
  }
}

Deno.test("the command finder sees commands behind wrappers, in pipes and in $( ), not in strings", () => {
  const found = commandsIn(
    [
      'x=$(grep -c "a | b; c" file | wc -l)  # not: comment',
      'as_root env DEBIAN_FRONTEND=x apt-get install "$(echo nope) not-me" >/dev/null',
      "timeout 2 redis-cli ping && pg_run runuser -u postgres -- initdb",
      "command -v probe-only >/dev/null || step 'not (this) either'",
      "cat <<EOF",
      "heredoc-text is not run",
      "EOF",
      "[ ${#a[@]} -gt $((n + $(nproc))) ] && exec setsid deno run x.ts",
      "list=(not-a-command 'nor (this)'",
      "  nor-this) # and no comment (either)",
    ].join("\n"),
    false,
  );
  assert.deepEqual(
    [...found].sort(),
    ["apt-get", "as_root", "cat", "deno", "echo", "env", "exec", "grep", "initdb", "nproc", "pg_run"]
      .concat(["redis-cli", "runuser", "setsid", "step", "timeout", "wc"]).sort(),
  );
  assert.deepEqual([...commandsIn("up: build\n\t@bash tools/local/up.sh $(DEMO_FLAGS)\n", true)], ["bash"]);
});

Deno.test("every command the Makefile's scripts run is in tools/install.sh's checked list", async () => {
  const texts = scriptPaths().map(read);
  const skip = await notCommands(texts);
  const used = new Set([
    ...texts.flatMap((t) => [...commandsIn(t, false)]),
    ...commandsIn(read("Makefile"), true),
    ...commandsStartedFromTypeScript(),
  ]);
  const required = requiredCommands();
  const unlisted = [...used].filter((c) => !skip.has(c) && !required.has(c)).sort();
  assert.deepEqual(unlisted, [], "add these to required_commands in tools/install.sh, with their package");
  // A listed command that nothing runs is a stale entry: the list says what the scripts need.
  const stale = [...required.keys()].filter((c) => !used.has(c)).sort();
  assert.deepEqual(stale, [], "nothing runs these any more: remove them from required_commands");
});

Deno.test("the install check names a missing command and the package it comes from", async () => {
  // A PATH with every listed command but pg_prove: the check must fail and say where to get it.
  const bin = await Deno.makeTempDir();
  try {
    for (const cmd of requiredCommands().keys()) {
      if (cmd === "pg_prove") continue;
      const path = await which(cmd);
      if (path) await Deno.symlink(path, `${bin}/${cmd}`);
    }
    const run = (path: string) =>
      new Deno.Command("/bin/bash", {
        args: [`${root}tools/install.sh`, "--check"],
        env: { PATH: path, HOME: Deno.env.get("HOME") ?? "/root", NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const out = await run(bin);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(
      stderr,
      /^error: not on PATH after the install: pg_prove \(from libtap-parser-sourcehandler-pgtap-perl/,
    );
    await Deno.symlink((await which("pg_prove"))!, `${bin}/pg_prove`);
    const complete = await run(bin);
    assert.equal(complete.code, 0, new TextDecoder().decode(complete.stderr));
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

async function which(cmd: string): Promise<string | null> {
  const out = await new Deno.Command("bash", { args: ["-c", `command -v ${cmd}`], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim() || null;
}
