// Whether the controller serves: one switch behind both the gRPC health service and the
// metrics endpoint's /readyz, so the two never disagree. NOT_SERVING while it starts (the
// store is open, the listeners are not yet), SERVING once every listener is up, and
// NOT_SERVING again from the moment it begins to shut down; it never serves again after that.
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

export class Readiness {
  /** Add it to every gRPC server of the controller. */
  readonly health: HealthImplementation;
  private readonly services: readonly string[];
  private state: 'starting' | 'serving' | 'stopping' = 'starting';

  /** `services`: the names the health service answers for ('' is the whole server). */
  constructor(services: readonly string[]) {
    this.services = services;
    this.health = new HealthImplementation(Object.fromEntries(services.map((s) => [s, 'NOT_SERVING' satisfies ServingStatus])));
  }

  get ready(): boolean {
    return this.state === 'serving';
  }

  /** Every listener is up. */
  serving(): void {
    if (this.state !== 'starting') return;
    this.state = 'serving';
    this.setAll('SERVING');
  }

  /** The shutdown began (health watchers hear it at once, before the listeners close). */
  stopping(): void {
    this.state = 'stopping';
    this.setAll('NOT_SERVING');
  }

  private setAll(status: ServingStatus): void {
    for (const service of this.services) this.health.setStatus(service, status);
  }
}
