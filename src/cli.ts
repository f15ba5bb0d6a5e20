// Parses arguments and hands each command to a plain function; nothing else lives here.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UserError } from "./errors.js";
import { VERSION } from "./version.js";
import { terminalWidth } from "./stdout.js";
import { zipCommand } from "./commands/zip.js";
import { hashCommand } from "./commands/hash.js";
import { diffCommand } from "./commands/diff.js";
import { keyCommand } from "./commands/key.js";
import { buildCommand } from "./commands/build.js";
import { planCommand } from "./commands/plan.js";
import { stackStateCommand } from "./commands/stack-state.js";
import { buildToolsCommand } from "./commands/build-tools.js";
import { checkCommand } from "./commands/check.js";
import { deployTemplateCommand } from "./commands/deploy-template.js";

function reportAndExit(err: unknown): never {
  if (err instanceof UserError) {
    process.stderr.write(`sam-layer: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sam-layer: ${message.split("\n")[0]}\n`);
  if (process.env.SAM_LAYER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName("sam-layer")
    .usage("$0 <command> [options]\n\nDeterministic, incremental Lambda layer zips for AWS SAM.")
    .command(zipCommand)
    .command(hashCommand)
    .command(diffCommand)
    .command(keyCommand)
    .command(buildCommand)
    .command(planCommand)
    .command(stackStateCommand)
    .command(buildToolsCommand)
    .command(checkCommand)
    .command(deployTemplateCommand)
    .demandCommand(1, "Name a command; see --help.")
    .strict()
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(terminalWidth(100))
    .epilogue("Exit codes: 0 success (created, updated or unchanged), 1 failure, 2 usage error. " + "`diff` exits 1 when its inputs differ.")
    .fail((msg, err) => {
      if (err) reportAndExit(err);
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): keep one.
      const line = msg
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .join(" ");
      process.stderr.write(`sam-layer: ${line}\n`);
      process.exit(2);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch(reportAndExit);
