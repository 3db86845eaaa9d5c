import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Bus } from '@gastown/bus';
import { BUS, busProvider, type BusSettings } from './bus.provider';

/** The one long-running piece of a service: its command server, dispatcher or job consumers. */
export interface ServiceRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Several runners as one: started in the order given, stopped in reverse, so later ones may rely on earlier ones. */
export function runnersInOrder(...runners: ServiceRunner[]): ServiceRunner {
  return {
    start: async () => {
      for (const runner of runners) await runner.start();
    },
    stop: async () => {
      for (const runner of [...runners].reverse()) await runner.stop();
    },
  };
}

const RUNNER = Symbol('SERVICE_RUNNER');

/** Starts the runner once the app is up; on shutdown stops it first, then closes the bus it used. */
@Injectable()
class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RUNNER) private readonly runner: ServiceRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.bus.close();
  }
}

/** Everything a bus-driven service needs: the connected bus, its runner, and their life cycle. */
export function serviceProviders(
  bus: BusSettings,
  createRunner: (bus: Bus) => ServiceRunner,
): Provider[] {
  return [busProvider(bus), { provide: RUNNER, inject: [BUS], useFactory: createRunner }, ServiceLifecycle];
}
