import type { GatewayClient } from '../client/gateway.client';
import { BEADS_PAGE, convoyStatus, startConvoy, type BeadSummary } from './convoy.operations';

/** A gateway holding one convoy of `count` beads, paging them as Convoy.beads(first, after) does. */
function gatewayOf(count: number) {
  const beads = Array.from({ length: count }, (_, i) => ({ id: `b-${i}`, index: i }) as BeadSummary);
  const sent: { document: string; variables: Record<string, unknown> }[] = [];
  const page = (variables: Record<string, unknown>) => {
    const from = variables['after'] ? beads.findIndex((b) => b.id === variables['after']) + 1 : 0;
    return beads.slice(from, from + Number(variables['first']));
  };
  const client = {
    request: async (document: string, variables: Record<string, unknown> = {}) => {
      sent.push({ document, variables });
      if (document.includes('startConvoy(')) return { startConvoy: { id: 'convoy-1', status: 'ACTIVE' } };
      return { convoy: { id: 'convoy-1', status: 'ACTIVE', ...(document.includes('beads(') ? { beads: page(variables) } : {}) } };
    },
  } as unknown as GatewayClient;
  return { client, sent };
}

describe('convoy operations on a big convoy', () => {
  it('given more beads than a page, when its status is read, then every bead comes once, in plan order, a page at a time', async () => {
    const { client, sent } = gatewayOf(2 * BEADS_PAGE + 30);

    const convoy = await convoyStatus(client, 'convoy-1');

    expect(convoy.beads.map((b) => b.index)).toEqual(Array.from({ length: 2 * BEADS_PAGE + 30 }, (_, i) => i));
    expect(sent.map((s) => [s.variables['first'], s.variables['after'] ?? null])).toEqual([
      [BEADS_PAGE, null],
      [BEADS_PAGE, `b-${BEADS_PAGE - 1}`],
      [BEADS_PAGE, `b-${2 * BEADS_PAGE - 1}`],
    ]);
  });

  it('given a convoy, when started, then the mutation asks for the convoy’s own fields only and its beads are read in pages', async () => {
    const { client, sent } = gatewayOf(BEADS_PAGE);

    const convoy = await startConvoy(client, 'convoy-1', 'cmd-1');

    expect(sent[0].document).not.toContain('beads');
    expect(convoy.status).toBe('ACTIVE');
    expect(convoy.beads).toHaveLength(BEADS_PAGE);
    // A full last page is followed by an empty one: the reader cannot tell a full page from the end.
    expect(sent).toHaveLength(3);
  });
});
