/** `mailhost --help` says which commands run offline and which need Azure, and it matches what each does. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { AZURE_COMMANDS, OFFLINE_COMMANDS, main } from "../../../cli/main";

async function help(args: string[]): Promise<string> {
  const lines: string[] = [];
  const code = await main(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  assert.equal(code, 0);
  return lines.join("\n");
}

describe("mailhost --help", () => {
  it("names the offline commands and the ones that need Azure", async () => {
    const text = (await help(["--help"])).replace(/\s+/g, " ");
    assert.match(text, new RegExp(`Offline \\(no Pulumi CLI, no cloud credentials, no request to Azure\\): ${OFFLINE_COMMANDS.join(", ")}\\.`));
    assert.match(text, new RegExp(`Need Azure \\(a subscription and credentials\\): ${AZURE_COMMANDS.join(", ")}\\.`));
    assert.doesNotMatch(text, /^Offline checks and plans/, "no longer calls every command offline");
    assert.match(text, /check \[options\] \[offline\]/);
    assert.match(text, /plan \[options\] \[offline; --azure needs Azure\]/);
    assert.match(text, /drift \[options\] \[needs Azure\]/);
    assert.match(text, /reboot \[options\] \[needs Azure; --dry-run is offline\]/);
  });
  it("each command's own help says the same", async () => {
    assert.match(await help(["check", "--help"]), /\[offline\]/);
    assert.match(await help(["plan", "--help"]), /\[offline; --azure needs Azure\]/);
    assert.match(await help(["drift", "--help"]), /\[needs Azure\]/);
    assert.match(await help(["reboot", "--help"]), /\[needs Azure; --dry-run is offline\]/);
  });
});
