/**
 * Naive offline execution, the baseline of `npm run bench`: the program under Pulumi's mock
 * runtime as a unit test would run it (tsx, azure-native's aliases kept, full stack traces, no
 * policy analysis). Usage: node --import tsx bench/naive.ts <project dir> <stack>
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../stack/stackFile";

async function main(): Promise<void> {
  const [dir, stack] = process.argv.slice(2);
  const file = readStackFile(dir, stack);
  let count = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        count++;
        return { id: `${args.name}-id`, state: { ...args.inputs, name: args.name } };
      },
      call: () => ({ serviceSasToken: "sv=naive&sig=naive" }),
    },
    "mailhost",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(file.config, file.secretKeys);
  const program = require("../index") as () => Promise<unknown>;
  await pulumi.runtime.runInPulumiStack(program);
  await pulumi.runtime.disconnect();
  process.stdout.write(`${JSON.stringify({ resources: count })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
