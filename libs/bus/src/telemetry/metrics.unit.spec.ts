import { register } from 'prom-client';
import { counter, gaugeSource, histogram, METRIC_LABELS, METRICS, type MetricDefinition } from './metrics';

/** Ids of towns, convoys, beads, rigs, agents or anything a client names would make a series per tenant. */
const UNBOUNDED = /town|convoy|bead|rig|agent_?id|polecat|webhook_?id|name|subject|id$/;

describe('metric catalogue', () => {
  const entries = Object.entries(METRICS) as [string, MetricDefinition][];

  it.each(entries)('%s follows the naming conventions', (name, definition) => {
    expect(name).toMatch(/^gastown_[a-z]+(_[a-z]+)*$/);
    if (definition.type === 'counter') expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
    // Durations are in seconds, never milliseconds.
    expect(name).not.toMatch(/_(ms|milliseconds|millis)\b/);
    if (/duration|latency|lag_seconds/.test(name)) expect(name).toMatch(/_seconds$/);
    if (definition.type === 'histogram') expect(definition.buckets?.length).toBeGreaterThan(3);
    expect(definition.help.length).toBeGreaterThan(20);
  });

  it.each(entries)('%s has only bounded labels', (_name, definition) => {
    for (const label of definition.labelNames) {
      expect(METRIC_LABELS).toContain(label);
      expect(label).not.toMatch(UNBOUNDED);
    }
  });

  it('given a few observations, when scraped, then the series read with their labels and units', async () => {
    histogram('gastown_command_duration_seconds').observe({ command: 'SlingBatch', outcome: 'OK' }, 0.012);
    counter('gastown_webhook_deliveries_total').inc({ outcome: 'delivered' });
    const stop = gaugeSource('gastown_agents', (set) => {
      set({ state: 'running' }, 3);
    });
    const text = await register.metrics();
    expect(text).toContain('# TYPE gastown_command_duration_seconds histogram');
    expect(text).toContain('gastown_command_duration_seconds_count{command="SlingBatch",outcome="OK"} 1');
    expect(text).toContain('gastown_webhook_deliveries_total{outcome="delivered"} 1');
    expect(text).toContain('gastown_agents{state="running"} 3');

    // A source that stopped leaves no stale series behind.
    stop();
    expect(await register.metrics()).not.toContain('gastown_agents{state="running"}');
  });
});
