import type { CommandModule } from "yargs";
import { writeOut } from "../stdout.js";

interface StackStateArgs {
  stackInfo: string;
  deleteRollbackComplete: boolean;
}

export const stackStateCommand: CommandModule<object, StackStateArgs> = {
  command: "stack-state <stack-info>",
  describe:
    "Print what a deploy does with the stack in its current state: first-deploy, deploy, wait (an operation is running) or delete (ROLLBACK_COMPLETE, when allowed); fail for a stack that needs a person",
  builder: (y) =>
    y
      .positional("stack-info", {
        type: "string",
        demandOption: true,
        describe: "the JSON deploy-sam's plan step fetches (the stack's describe-stacks answer)",
      })
      .option("delete-rollback-complete", {
        type: "boolean",
        default: false,
        describe: "answer delete for a ROLLBACK_COMPLETE stack instead of failing",
      }) as never,
  handler: async (a) => {
    const { readStackInfo } = await import("../plan/index.js");
    const { stackState } = await import("../plan/stack.js");
    const state = stackState(await readStackInfo(a.stackInfo), a.deleteRollbackComplete);
    // The plan prints the state itself; only an action the script takes is worth a line here.
    if (state.action === "wait" || state.action === "delete") process.stderr.write(`${state.message}\n`);
    writeOut(`${state.action}\n`);
  },
};
