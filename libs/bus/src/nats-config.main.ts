import { readFileSync } from 'node:fs';
import { NATS_SERVICES, natsAuthorizationConfig, natsUserOf, type NatsService, type NatsUser } from './nats.permissions';

/**
 * Prints the nats-server `authorization` block for `npm start`, which is plain JavaScript and so
 * runs this instead of copying the matrix. Reads `{ "namespace": "gt", "passwords": { "<service>": "…" } }`
 * from the file named by the first argument, so no password is ever on a command line.
 */
function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: nats-config.main.ts <users.json>');
  const { namespace, passwords } = JSON.parse(readFileSync(file, 'utf8')) as { namespace: string; passwords: Record<string, string> };
  const users = Object.fromEntries(
    NATS_SERVICES.map((service) => {
      const password = passwords[service];
      if (!password) throw new Error(`${file} has no password for ${service}`);
      return [service, { user: natsUserOf(service, namespace), password }];
    }),
  ) as Record<NatsService, NatsUser>;
  process.stdout.write(natsAuthorizationConfig(users, namespace));
}

main();
