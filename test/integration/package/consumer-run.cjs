// Runs a compiled consumer program under Pulumi's mocks, in a project that installed mailhost-iac
// from its tarball, and prints what it registered as JSON: `node consumer-run.cjs <program.js>`.
// Copied into the consumer project by test/integration/package/pack.test.ts; it uses the consumer's own
// @pulumi/pulumi, the one copy the package shares (peer dependency).
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
const resources = [];
const mocks = {
  newResource(args) {
    const inputs = args.inputs || {};
    resources.push({ type: args.type, name: args.name, inputs });
    const name = inputs.vmName || inputs.accountName || inputs.blobName || args.name;
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${inputs.resourceGroupName || "rg"}/providers/${args.type}/${name}`;
    const state = { ...inputs, name, id };
    if (args.type === "azure-native:storage:StorageAccount") state.primaryEndpoints = { blob: `https://${inputs.accountName}.blob.core.windows.net/` };
    if (args.type === "azure-native:resources:ResourceGroup") state.location = inputs.location || "westeurope";
    if (args.type === "azure-native:managedidentity:UserAssignedIdentity") state.principalId = "11111111-1111-1111-1111-111111111111";
    if (args.type === "azure-native:network:NetworkInterface")
      state.ipConfigurations = (inputs.ipConfigurations || []).map((c) => ({ ...c, privateIPAddress: "10.0.0.4" }));
    return { id: args.custom === false ? "" : id, state };
  },
  call(args) {
    if (args.token === "azure-native:compute:getVirtualMachine") {
      return { location: "westeurope", identity: { type: "SystemAssigned", principalId: `principal-of-${args.inputs.vmName}` } };
    }
    if (args.token === "azure-native:storage:listStorageAccountServiceSAS") return { serviceSasToken: "sv=2024-11-04&sr=b&sp=r&sig=bW9jaw%3D%3D" };
    return {};
  },
};

/** Inputs as plain JSON: assets and archives keep the paths they were made from (held as promises). */
async function plain(value) {
  value = await value;
  if (Array.isArray(value)) return Promise.all(value.map(plain));
  if (value === null || typeof value !== "object") return value;
  if (value.__pulumiAsset) return { asset: { path: await value.path, text: value.text === undefined ? undefined : "(text)" } };
  if (value.__pulumiArchive) return { archive: { path: await value.path, assets: await plain(await value.assets) } };
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = await plain(v);
  return out;
}

async function main() {
  const program = path.resolve(process.argv[2]);
  await pulumi.runtime.setMocks(mocks, "consumer", "dev", false);
  pulumi.runtime.setAllConfig(JSON.parse(process.env.CONSUMER_CONFIG || "{}"), ["consumer:adminPassword"]);
  let failure;
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      return { ...require(program) };
    } catch (error) {
      failure = error;
      return undefined;
    }
  });
  await pulumi.runtime.disconnect();
  if (failure) throw failure;
  const packageDir = path.dirname(require.resolve("mailhost-iac/package.json"));
  process.stdout.write(
    JSON.stringify({
      packageDir,
      // The package's @pulumi/pulumi is the consumer's: one copy.
      pulumiFromPackage: require.resolve("@pulumi/pulumi", { paths: [packageDir] }),
      pulumiFromConsumer: require.resolve("@pulumi/pulumi"),
      azureNativeFromPackage: require.resolve("@pulumi/azure-native", { paths: [packageDir] }),
      azureNativeFromConsumer: require.resolve("@pulumi/azure-native"),
      resources: await plain(resources),
    }),
  );
}

main().catch((error) => {
  console.error((error && error.stack) || error);
  process.exitCode = 1;
});
