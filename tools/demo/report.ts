// Progress output and the closing report of `make demo`.

// Colour only for a person at a terminal, and never under NO_COLOR (no-color.org).
const colour = !Deno.noColor && Deno.stdout.isTerminal();
const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);

export interface Step {
  /** What the step shows, as a heading. */
  title: string;
  /** Runs the step; returns the one-line result for the report, throws if the feature misbehaves. */
  run: (say: (line: string) => void) => Promise<string>;
}

export async function runSteps(sections: { name: string; steps: Step[] }[]): Promise<boolean> {
  const results: { section: string; title: string; ok: boolean; result: string; ms: number }[] = [];
  const total = sections.reduce((n, s) => n + s.steps.length, 0);
  let i = 0;
  for (const section of sections) {
    console.log(`\n${paint("1", section.name)}`);
    for (const step of section.steps) {
      i++;
      console.log(`  [${i}/${total}] ${step.title}`);
      const started = performance.now();
      try {
        const result = await step.run((line) => console.log(`        ${line}`));
        results.push({ section: section.name, title: step.title, ok: true, result, ms: performance.now() - started });
        console.log(`        ${paint("32", "✓")} ${result}`);
      } catch (e) {
        const result = e instanceof Error ? e.message : String(e);
        results.push({ section: section.name, title: step.title, ok: false, result, ms: performance.now() - started });
        console.log(`        ${paint("31", "✗")} ${result}`);
      }
    }
  }
  console.log(`\n${paint("1", "Report")}`);
  for (const r of results) {
    console.log(`  ${r.ok ? "PASS" : "FAIL"}  ${r.section} — ${r.title}: ${r.result} (${Math.round(r.ms)} ms)`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n  ${results.length - failed} of ${results.length} steps behaved as designed.`);
  return failed === 0;
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
