// One result a line, `name value unit`, so tools/bench.sh can collect every benchmark's
// figures into one report.
export function report(name: string, value: string, unit: string): void {
  console.log(`${name} ${value} ${unit}`);
}
