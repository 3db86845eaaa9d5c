import { GatewayClient } from '@gastown/gateway-client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMayorServer } from './mayor.server';

const TOOLS = [
  'gt_sling_batch',
  'gt_sling',
  'gt_list_convoys',
  'gt_convoy_status',
  'gt_convoy_start',
  'gt_convoy_close',
  'gt_retry_landing',
  'gt_list_rigs',
  'gt_list_beads',
  'gt_list_agents',
  'gt_bead_add_dependency',
  'gt_bead_remove_dependency',
  'gt_bead_retry',
];

describe('the Mayor server, in process', () => {
  let client: Client;

  beforeAll(async () => {
    // No call in this suite reaches the gateway: only what the server declares is read.
    const gatewayUrl = 'http://127.0.0.1:9/graphql';
    const server = createMayorServer({ client: new GatewayClient({ url: gatewayUrl, token: 'gt_unused' }), gatewayUrl, log: () => undefined }, '0.0.0');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'spec', version: '0.0.0' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('given a client, when it lists the tools, then it gets exactly the tools of the issue, each described', async () => {
    const { tools } = await client.listTools();

    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    const undescribed = tools.filter((t) => (t.description ?? '').length < 40).map((t) => t.name);
    expect(undescribed).toEqual([]);
  });

  it('given the mayor prompt with a request, when fetched, then it teaches planning, names every tool and ends with the request', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['mayor']);

    const prompt = await client.getPrompt({ name: 'mayor', arguments: { request: 'Add a login page' } });
    const text = prompt.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');

    expect(TOOLS.filter((tool) => !text.includes(tool))).toEqual([]);
    for (const topic of ['One concern per bead', 'Dependencies are the plan', 'REVIEW_THEN_LAND', 'REVIEW_AND_MERGE', 'staged: true']) {
      expect(text).toContain(topic);
    }
    expect(text.trimEnd().endsWith('Add a login page')).toBe(true);
  });
});
