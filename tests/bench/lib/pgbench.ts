// pgbench, the ceiling several benchmarks hold their HTTP path against: `clients` clients
// running `script` for `seconds` on the stack's database; answers the transactions per second.
export async function pgbench(dbUrl: string, clients: number, seconds: number, script: string): Promise<number> {
  const file = await Deno.makeTempFile({ suffix: ".sql" });
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command("pgbench", {
    args: ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", file, dbUrl],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const tps = /tps = ([\d.]+)/.exec(new TextDecoder().decode(out.stdout));
  if (!out.success || !tps) throw new Error(`pgbench failed: ${new TextDecoder().decode(out.stderr)}`);
  return Number(tps[1]);
}
