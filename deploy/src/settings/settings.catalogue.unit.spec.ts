import { readmeSettings, settingsOf } from './settings.catalogue';

const README = `# Gastown

## Configuration

| Variable | Used by | Default | Meaning |
|---|---|---|---|
| \`NATS_URL\` | all | nats://127.0.0.1:4222 | NATS |
| \`GASTOWN_SECRETS_KEY\`, \`GASTOWN_SECRETS_PREVIOUS_KEYS\` | gateway, dispatcher, git-runner | required | keys |
| \`GATEWAY_URL\` | \`gt\` | http://… | where gt goes |

Some prose | with a bar.

## Operating

| Variable | Used by | Default | Meaning |
|---|---|---|---|
| \`GATEWAY_HEALTH_PORT\`, \`CONVOY_HEALTH_PORT\` | each service | 9460, 9461 | health listener |

| Name | Kind |
|---|---|
| \`NOT_A_SETTING\` | other table |
`;

describe('the README settings catalogue', () => {
  const rows = readmeSettings(README);

  it('given the settings tables, when read, then each row names its variables and the services of its "Used by" column, "each service" giving each its own', () => {
    expect(rows).toEqual([
      { names: ['NATS_URL'], usedBy: ['convoy', 'dispatcher', 'gateway', 'git-runner'], defaultText: 'nats://127.0.0.1:4222' },
      { names: ['GASTOWN_SECRETS_KEY', 'GASTOWN_SECRETS_PREVIOUS_KEYS'], usedBy: ['dispatcher', 'gateway', 'git-runner'], defaultText: 'required' },
      { names: ['GATEWAY_URL'], usedBy: [], defaultText: 'http://…' },
      { names: ['CONVOY_HEALTH_PORT'], usedBy: ['convoy'], defaultText: '9460, 9461' },
      { names: ['GATEWAY_HEALTH_PORT'], usedBy: ['gateway'], defaultText: '9460, 9461' },
    ]);
  });

  it('given a service, when its settings are listed, then they are the rows that name it, and no other table counts', () => {
    expect([...settingsOf('convoy', rows)].sort()).toEqual(['CONVOY_HEALTH_PORT', 'NATS_URL']);
    expect(settingsOf('gateway', rows).has('GATEWAY_URL')).toBe(false);
    expect(settingsOf('dispatcher', rows).has('NOT_A_SETTING')).toBe(false);
  });
});
