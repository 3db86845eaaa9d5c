import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

interface LintResult {
  messages: { ruleId: string | null; message: string }[];
}

/** Lints source as if it were a file of the workspace, with the real ESLint CLI and configuration. */
async function lintAs(file: string, source: string): Promise<string[]> {
  const run = spawnSync(
    join(root, 'node_modules', '.bin', 'eslint'),
    ['--stdin', '--stdin-filename', join(root, file), '--format', 'json'],
    { cwd: root, input: source, encoding: 'utf8' },
  );
  const [result] = JSON.parse(run.stdout) as LintResult[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('given a service importing another service, when linted, then it is an error', async () => {
    const messages = await lintAs(
      'services/gateway/src/probe.ts',
      "import { ConvoyCommandService } from '../../convoy/src/commands/convoy-command.service';\nexport const probe = ConvoyCommandService;\n",
    );
    expect(messages.join('\n')).toMatch(/relative or absolute path|not allowed/);
  });

  it('given the contracts importing a library, when linted, then it is an error', async () => {
    const messages = await lintAs('libs/contracts/src/probe.ts', "import { waves } from '@gastown/dag';\nexport const probe = waves;\n");
    expect(messages.join('\n')).toMatch(/tagged with "type:contracts" can only depend on libs tagged with "type:contracts"/);
  });

  it('given the deploy project importing a service, when linted, then it is an error: deploy files are held to the services from outside', async () => {
    const messages = await lintAs(
      'deploy/src/probe.ts',
      "import { loadConvoyConfig } from '../../services/convoy/src/config/convoy.config';\nexport const probe = loadConvoyConfig;\n",
    );
    expect(messages.join('\n')).toMatch(/relative or absolute path|not allowed|Imports of apps/);
  });

  it('given a service importing contracts and a library, when linted, then it is allowed', async () => {
    const messages = await lintAs(
      'services/gateway/src/probe.ts',
      "import { names } from '@gastown/contracts';\nimport { waves } from '@gastown/dag';\nexport const probe = [names, waves];\n",
    );
    expect(messages).toEqual([]);
  });
});
