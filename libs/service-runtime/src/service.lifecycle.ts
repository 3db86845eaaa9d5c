import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Bus } from '@gastown/bus';
import { BUS, busProvider, type BusSettings } from './bus.provider';
import { natsCheck, Readiness, type ReadinessCheck } from './readiness';
import { stopTracing } from './tracing';

/** The one long-running piece of a service: its command server, dispatcher or job consumers. */
export interface ServiceRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What must hold for the service to be ready beyond its NATS connection: its consumers bound, caught up. */
  readiness?(): ReadinessCheck[];
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
    readiness: () => runners.flatMap((runner) => runner.readiness?.() ?? []),
  };
}

const RUNNER = Symbol('SERVICE_RUNNER');
/** Injection token of the service's Readiness: main hands it to the health listener. */
export const READINESS = Symbol('READINESS');

/**
 * Starts the runner once the app is up; on shutdown reads not ready at once (no new traffic), stops
 * the runner, closes the bus it used, and sends the spans still buffered.
 */
@Injectable()
class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RUNNER) private readonly runner: ServiceRunner,
    @Inject(READINESS) private readonly readiness: Readiness,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.readiness.add(natsCheck(this.bus.nc), ...(this.runner.readiness?.() ?? []));
  }

  async onApplicationShutdown(): Promise<void> {
    this.readiness.stop('shutting down');
    await this.runner.stop();
    await this.bus.close();
    await stopTracing();
  }
}

/** Everything a bus-driven service needs: the connected bus, its runner, its readiness, and their life cycle. */
export function serviceProviders(
  bus: BusSettings,
  createRunner: (bus: Bus) => ServiceRunner,
): Provider[] {
  return [
    busProvider(bus),
    { provide: RUNNER, inject: [BUS], useFactory: createRunner },
    { provide: READINESS, useFactory: () => new Readiness() },
    ServiceLifecycle,
  ];
}
