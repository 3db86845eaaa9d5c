import { randomUUID } from 'node:crypto';
import { addWebhook, listDeliveries, listWebhooks, removeWebhook } from '@gastown/gateway-client';
import { integerFlag, parseCommandArgs, type CliCommand } from '../cli.command';
import { UsageError } from '../cli.errors';
import { formatDeliveries, formatWebhookAdded, formatWebhooks, parseWebhookEvents } from './webhook.format';

export const webhookAdd: CliCommand = {
  name: 'webhook add',
  usage: 'gt webhook add <url> [--events landed,failed,cancelled] [--json]',
  summary: 'notify a URL when convoys land, fail or are cancelled; prints the signing secret once',
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { events: { type: 'string' } }, { min: 1, max: 1, names: 'the URL' });
    const url = positionals[0];
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`the URL must be http:// or https://, not "${url}"`);
    const events = values.events !== undefined ? parseWebhookEvents(values.events) : undefined;
    const created = await addWebhook(ctx.client(), { url, ...(events ? { events } : {}), commandId: randomUUID() });
    if (ctx.json) ctx.out(JSON.stringify(created));
    else formatWebhookAdded(created).forEach(ctx.out);
  },
};

export const webhookList: CliCommand = {
  name: 'webhook list',
  usage: 'gt webhook list [--json]',
  summary: "list the town's webhooks",
  async run(ctx, argv) {
    parseCommandArgs(this, argv, {}, { min: 0, max: 0, names: '' });
    const webhooks = await listWebhooks(ctx.client());
    if (ctx.json) ctx.out(JSON.stringify({ webhooks }));
    else formatWebhooks(webhooks).forEach(ctx.out);
  },
};

export const webhookRemove: CliCommand = {
  name: 'webhook rm',
  usage: 'gt webhook rm <id> [--json]',
  summary: 'remove a webhook',
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: 1, names: 'the webhook id' });
    const webhook = await removeWebhook(ctx.client(), positionals[0], randomUUID());
    if (ctx.json) ctx.out(JSON.stringify(webhook));
    else ctx.out(`webhook ${webhook.id} removed (${webhook.url})`);
  },
};

export const webhookDeliveries: CliCommand = {
  name: 'webhook deliveries',
  usage: 'gt webhook deliveries [--webhook id] [--convoy id] [--limit N] [--json]',
  summary: 'the delivery log, newest first: status, attempts, last answer',
  async run(ctx, argv) {
    const { values } = parseCommandArgs(
      this,
      argv,
      { webhook: { type: 'string' }, convoy: { type: 'string' }, limit: { type: 'string' } },
      { min: 0, max: 0, names: '' },
    );
    const first = integerFlag('limit', values.limit, 1, 100) ?? 50;
    const deliveries = await listDeliveries(ctx.client(), { webhookId: values.webhook, convoyId: values.convoy, first });
    if (ctx.json) ctx.out(JSON.stringify({ deliveries }));
    else formatDeliveries(deliveries).forEach(ctx.out);
  },
};
