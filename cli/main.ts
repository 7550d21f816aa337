/**
 * The `mailhost` command: `check` (offline policy check of stack files), `plan` (per-host
 * tuning table). Exit codes: 0 success, 1 rejected, 2 could not run. No stack trace for a user error.
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigValidationError } from "../domain/issues";
import { listStacks } from "../program/stackFile";
import { CheckSetupError, exitCodeOf, runCheck } from "./check";
import { formatGithub, formatJson, formatText } from "./format";
import { formatPlan, planOf } from "./plan";

/** Exit codes. */
export const EXIT = { ok: 0, rejected: 1, couldNotRun: 2 } as const;

class UsageError extends Error {}

function resolveStacks(dir: string, stack: string): string[] {
  if (stack !== "all") return [stack];
  const stacks = listStacks(dir);
  if (stacks.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml in ${dir}`);
  return stacks;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
}): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("mailhost")
    .description("Offline checks and plans for mailhost-iac stacks (no Pulumi CLI, no cloud credentials).")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  program
    .command("check")
    .description("Validate stack files, run the program under Pulumi's mock runtime and check every resource with the policy pack over the analyzer protocol. Exit 0 pass, 1 rejected, 2 could not run.")
    .addOption(new Option("-s, --stack <name>", "stack to check, or \"all\" for every Pulumi.<stack>.yaml").default("all"))
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .option("-c, --policy-pack-config <file>", "policy config for every stack (default: policies/config/<stack>.json when it exists)")
    .option("-C, --cwd <dir>", "project directory holding the stack files", process.cwd())
    .action(async (opts: { stack: string; format: "text" | "json" | "github"; policyPackConfig?: string; cwd: string }) => {
      // Stack traces are never shown by `check` and cost time at fleet scale.
      Error.stackTraceLimit = 0;
      const started = Date.now();
      let announced = false;
      const progress = (line: string) => {
        if (!announced && Date.now() - started < 2000) return;
        announced = true;
        io.err(`mailhost check: ${line}`);
      };
      const report = await runCheck({ dir: opts.cwd, stacks: resolveStacks(opts.cwd, opts.stack), policyPackConfig: opts.policyPackConfig, progress });
      io.out(opts.format === "json" ? formatJson(report) : opts.format === "github" ? formatGithub(report) : formatText(report));
      code = exitCodeOf(report);
    });

  program
    .command("plan")
    .description("Show, per host, what `pulumi up` would configure: tuning, MaxUserPort, TcpTimedWaitDelay, port range, MailboxCacheTTL, Rmax, demand and headroom.")
    .addOption(new Option("-s, --stack <name>", "stack to plan, or \"all\"").default("all"))
    .option("-C, --cwd <dir>", "project directory holding the stack files", process.cwd())
    .action((opts: { stack: string; cwd: string }) => {
      const plans = resolveStacks(opts.cwd, opts.stack).map((stack) => formatPlan(planOf(opts.cwd, stack)));
      io.out(plans.join("\n\n"));
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.couldNotRun;
    }
    if (err instanceof ConfigValidationError) {
      io.err(err.message);
      return EXIT.rejected;
    }
    if (err instanceof UsageError || err instanceof CheckSetupError || err instanceof Error) {
      io.err(`mailhost: ${err.message.split("\n")[0]}`);
      return EXIT.couldNotRun;
    }
    io.err(`mailhost: ${String(err)}`);
    return EXIT.couldNotRun;
  }
}
