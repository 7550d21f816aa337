// The program on a worker thread (what `mailhost check` uses) records the same resources, links and
// inputs as the program on the calling thread (what every other test uses).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createRequire } from "node:module";
import type * as structPbModule from "google-protobuf/google/protobuf/struct_pb";
import { runtimeConfig, type RecordedResource } from "../../../engine/offline";
import { OfflineThread, OfflineThreadError } from "../../../engine/offlineThread";
import { encodeStruct } from "../../../engine/wire";
import { runStack, stackConfigWithSecret, withValue } from "../../support/stacks";

const stubRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const { Struct } = stubRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbModule;
const decode = (bytes: Uint8Array) => Struct.deserializeBinary(bytes).toJavaScript();

const SECRET_KEYS = ["mailhost:adminPassword"];
const links = (r: RecordedResource) => ({ type: r.type, name: r.name, custom: r.custom, urn: r.urn, parent: r.parent, dependencies: r.dependencies });

describe("the program on a worker thread", () => {
  let thread: OfflineThread;
  before(() => {
    thread = new OfflineThread();
  });
  after(async () => {
    await thread.close();
  });

  for (const stack of ["prod", "dev"] as const) {
    it(`${stack}: the same resources, links and inputs as on this thread (runs one after another on one thread)`, async () => {
      const seen: string[] = [];
      const there = await thread.run(stack, runtimeConfig(stackConfigWithSecret(stack)), SECRET_KEYS, {
        dropAliases: true,
        onResource: (r) => seen.push(r.name),
      });
      assert.deepStrictEqual(
        seen,
        there.map((r) => r.name),
        "each resource is reported as it is registered, in order",
      );
      // Registration order depends on when outputs resolve, which differs between runs: compare by URN.
      const byUrn = (a: RecordedResource, b: RecordedResource) => a.urn.localeCompare(b.urn);
      there.sort(byUrn);
      const here = (await runStack(stack)).resources.sort(byUrn);
      assert.deepStrictEqual(there.map(links), here.map(links));
      for (let i = 0; i < here.length; i++) {
        assert.deepStrictEqual(there[i].inputs, {}, "only the encoded inputs cross over");
        assert.ok(there[i].encodedInputs, `${there[i].name} has encoded inputs`);
        assert.deepStrictEqual(decode(there[i].encodedInputs!), decode(encodeStruct(here[i].inputs)), `inputs of ${here[i].name}`);
      }
      // The secret stays wrapped as a secret in what is sent to the pack.
      const vm = there.find((r) => r.type === "azure-native:compute:VirtualMachine")!;
      assert.match(JSON.stringify(decode(vm.encodedInputs!)), /4dabf18193072939515e22adb298388d/);
    });
  }

  it("a program failure rejects the run with the program's message, and the thread runs the next stack", async () => {
    const bad = withValue(stackConfigWithSecret("prod"), "mailhost:tcp", "tcpTimedWaitDelay", 301);
    const failure = await thread.run("prod", runtimeConfig(bad), SECRET_KEYS).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failure instanceof OfflineThreadError, String(failure));
    assert.match(failure.message, /tcpTimedWaitDelay = 301 is outside/);
    const dev = await thread.run("dev", runtimeConfig(stackConfigWithSecret("dev")), SECRET_KEYS);
    assert.ok(dev.length > 0);
  });

  it("refuses a second run while one is going on, and any run once closed", async () => {
    const own = new OfflineThread();
    const first = own.run("dev", runtimeConfig(stackConfigWithSecret("dev")), SECRET_KEYS);
    await assert.rejects(own.run("dev", runtimeConfig(stackConfigWithSecret("dev")), SECRET_KEYS), /one run at a time/);
    assert.ok((await first).length > 0);
    await own.close();
    await assert.rejects(own.run("dev", runtimeConfig(stackConfigWithSecret("dev")), SECRET_KEYS), /closed/);
  });
});
