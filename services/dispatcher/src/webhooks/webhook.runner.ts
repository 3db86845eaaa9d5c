import type { Bus, BusLogger } from '@gastown/bus';
import { consumerCheck, type ReadinessCheck } from '@gastown/service-runtime';
import type { WebhookSettings } from '../config/dispatcher.config';
import { WebhookDeliverer } from './webhook.deliverer';
import { WebhookNotifier } from './webhook.notifier';

export interface WebhookRunnerOptions {
  settings: WebhookSettings;
  log: BusLogger;
}

/** Landing notifications: the notifier queues deliveries from convoy outcomes, the deliverer sends them. */
export class WebhookRunner {
  private readonly notifier: WebhookNotifier;
  private readonly deliverer: WebhookDeliverer;

  constructor(bus: Bus, options: WebhookRunnerOptions) {
    this.notifier = new WebhookNotifier(bus, { log: options.log });
    this.deliverer = new WebhookDeliverer(bus, { settings: options.settings, log: options.log });
  }

  async start(): Promise<void> {
    await this.deliverer.start();
    await this.notifier.start();
  }

  async stop(): Promise<void> {
    await this.notifier.stop();
    await this.deliverer.stop();
  }

  readiness(): ReadinessCheck[] {
    return [this.notifier.status(), this.deliverer.status()].map(({ durable, status }) => consumerCheck(durable, status));
  }
}
