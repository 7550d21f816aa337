/** `mailhost plan --format json` carries the egress and monitoring that the text output shows. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { describeEgress } from "../../../domain/egress";
import { formatMonitoring, formatPlan, formatPlanJson, planOf } from "../../../cli/plan";
import { REPO_ROOT, STACKS } from "../../support/stacks";

describe("mailhost plan --format json", () => {
  for (const stack of STACKS) {
    it(`${stack}: egress and monitoring as in the text output`, () => {
      const plan = planOf(REPO_ROOT, stack);
      const text = formatPlan(plan);
      const [json] = JSON.parse(formatPlanJson([plan])).stacks;
      assert.deepEqual(json.egress, JSON.parse(JSON.stringify({ ...plan.egress, description: describeEgress(plan.egress) })));
      assert.ok(text.includes(`egress: ${json.egress.description}`));
      assert.equal(json.monitoring.enabled, plan.monitoring.enabled);
      assert.deepEqual(json.monitoring.lines, formatMonitoring(plan.monitoring, plan.hosts.length));
      for (const line of json.monitoring.lines) assert.ok(text.includes(line), line);
      assert.deepEqual(
        json.monitoring.alerts.map((a: { ruleName: string; severity: number; threshold: number }) => [a.ruleName, a.severity, a.threshold]),
        plan.monitoring.alerts.map((a) => [a.ruleName, a.severity, a.threshold]),
      );
      assert.deepEqual(json.monitoring.workspace, JSON.parse(JSON.stringify(plan.monitoring.workspace)));
    });
  }
});
