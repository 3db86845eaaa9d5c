import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AgentSummary, BeadSummary, ConvoyDetail, RigSummary } from '@gastown/gateway-client';
import { SystemHarness, type OriginRepository } from '@gastown/system-testing';
import { eventually, WORKSPACE_ROOT } from '@gastown/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const MAYOR = join(WORKSPACE_ROOT, 'bin', 'gt-mayor.js');

interface Mayor {
  client: Client;
  /** What the server wrote to stderr, for failure messages. */
  stderr(): string;
  /** Anything on stdout that was not protocol ends up here. */
  errors: Error[];
}

async function startMayor(env: Record<string, string>): Promise<Mayor> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [MAYOR], cwd: WORKSPACE_ROOT, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'mayor-e2e', version: '0.0.0' });
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors };
}

const textOf = (result: CallToolResult, block = 0): string => {
  const content = result.content[block];
  if (content?.type !== 'text') throw new Error(`no text block ${block} in ${JSON.stringify(result)}`);
  return content.text;
};
const jsonOf = <T>(result: CallToolResult): T => JSON.parse(textOf(result, 1)) as T;

describe('the Mayor plans and drives a convoy through its MCP tools', () => {
  let system: SystemHarness;
  let origin: OriginRepository;
  let mayor: Mayor;

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> =>
    (await mayor.client.callTool({ name, arguments: args })) as CallToolResult;

  /** A tool that must succeed: its failure shows the explanation, not just `isError`. */
  const answer = async (name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> => {
    const result = await call(name, args);
    if (result.isError) throw new Error(`${name} refused: ${textOf(result)}\n${mayor.stderr()}`);
    return result;
  };

  beforeAll(async () => {
    system = await SystemHarness.start();
    origin = system.origin();
    await system.registerRig('web', origin.bare);
    mayor = await startMayor({ GATEWAY_URL: system.url, GT_TOKEN: system.token });
  });
  afterAll(async () => {
    await mayor?.client.close();
    await system?.close();
  });

  it('given a client over stdio, when it asks what the server offers, then it gets the Mayor tools and the mayor prompt', async () => {
    const { tools } = await mayor.client.listTools();
    const { prompts } = await mayor.client.listPrompts();
    const prompt = await mayor.client.getPrompt({ name: 'mayor' });

    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['gt_sling_batch', 'gt_convoy_status', 'gt_list_beads', 'gt_list_agents', 'gt_bead_retry', 'gt_retry_landing']),
    );
    expect(tools).toHaveLength(13);
    expect(prompts.map((p) => p.name)).toEqual(['mayor']);
    expect(JSON.stringify(prompt.messages)).toContain('Dependencies are the plan');
  });

  it('given a town with one rig, when gt_list_rigs is called, then the summary names the rig and the JSON holds it', async () => {
    const result = await answer('gt_list_rigs');

    expect(textOf(result)).toContain('1 rig in this town');
    expect(textOf(result)).toContain(`"web": ${origin.bare}`);
    expect(jsonOf<RigSummary[]>(result).map((r) => r.name)).toEqual(['web']);
  });

  it('given a plan whose dependencies loop, when slung, then the refusal names both tasks and the cycle, and nothing is created', async () => {
    const result = await call('gt_sling_batch', {
      title: 'Login page',
      rig: 'web',
      tasks: [
        { title: 'Users table', body: 'Add the users table.', depends_on: [1] },
        { title: 'Login endpoint', body: 'Add POST /login.', depends_on: [0] },
      ],
    });

    expect(result.isError).toBe(true);
    const explanation = textOf(result);
    expect(explanation).toContain('cycle');
    expect(explanation).toContain('"Users table"');
    expect(explanation).toContain('"Login endpoint"');
    expect(explanation).toMatch(/remove \d from the depends_on of task \d "(Users table|Login endpoint)"/);
    expect(textOf(await answer('gt_list_convoys'))).toBe('No convoys in this town.');
  });

  it('given the corrected plan, when slung, then the convoy lands on the repository and every bead is CLOSED', async () => {
    const created = await answer('gt_sling_batch', {
      title: 'Login page',
      rig: 'web',
      tasks: [
        { title: 'Users table', body: 'Add the users table.' },
        { title: 'Login endpoint', body: 'Add POST /login.', depends_on: [0] },
        { title: 'Login form', body: 'Add the login form.', depends_on: [0] },
      ],
    });
    const convoyId = jsonOf<ConvoyDetail>(created).id;
    expect(textOf(created)).toContain(`Created convoy "Login page" (id ${convoyId}) with 3 beads in 2 waves, REVIEW_THEN_LAND`);

    const landed = await eventually(
      'the convoy to land, as gt_convoy_status tells it',
      async () => {
        const status = await answer('gt_convoy_status', { convoy_id: convoyId });
        const convoy = jsonOf<ConvoyDetail>(status);
        if (convoy.status === 'FAILED' || convoy.status === 'CANCELLED') throw new Error(textOf(status));
        return convoy.status === 'LANDED' ? status : null;
      },
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    expect(textOf(landed)).toMatch(/^Convoy "Login page" \(id .+\) is LANDED: 3 of 3 beads closed\. Landed as commit [0-9a-f]{12}/);
    expect(origin.isAncestor(jsonOf<ConvoyDetail>(landed).landedCommit as string, 'origin/main')).toBe(true);

    const beads = await answer('gt_list_beads', { convoy_id: convoyId });
    expect(jsonOf<{ beads: BeadSummary[] }>(beads).beads.map((b) => [b.title, b.status])).toEqual([
      ['Users table', 'CLOSED'],
      ['Login endpoint', 'CLOSED'],
      ['Login form', 'CLOSED'],
    ]);
    expect(textOf(beads)).toContain('3 of 3 beads closed');

    const agents = await answer('gt_list_agents', { rig: 'web' });
    const polecats = jsonOf<AgentSummary[]>(agents);
    expect(polecats.length).toBeGreaterThan(0);
    expect(polecats.reduce((sum, a) => sum + a.attemptsTotal, 0)).toBeGreaterThanOrEqual(3);
    expect(textOf(agents)).toMatch(/^\d+ polecats? on rig "web"/);

    expect(mayor.errors).toEqual([]);
  });

  it('given a wrong token, when a tool is called, then the refusal says GT_TOKEN is wrong and never shows a token', async () => {
    const stranger = await startMayor({ GATEWAY_URL: system.url, GT_TOKEN: 'gt_not-a-town-token-at-all-0123456789' });
    try {
      const result = await stranger.client.callTool({ name: 'gt_list_rigs', arguments: {} });

      expect(result.isError).toBe(true);
      expect(textOf(result as CallToolResult)).toContain('GT_TOKEN is wrong');
      expect(JSON.stringify(result) + stranger.stderr()).not.toContain('gt_not-a-town-token');
    } finally {
      await stranger.client.close();
    }
  });

  it('given no token, when the server starts, then it exits with code 2, names GT_TOKEN on stderr and writes nothing on stdout', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GATEWAY_URL: system.url };
    delete env['GT_TOKEN'];
    const child = spawn(process.execPath, [MAYOR], { cwd: WORKSPACE_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

    const code = await new Promise<number | null>((done) => child.once('close', done));

    expect(code).toBe(2);
    expect(stderr).toContain('GT_TOKEN is not set');
    expect(stdout).toBe('');
  });
});
