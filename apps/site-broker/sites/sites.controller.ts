import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type BrokerConfig } from '@reservoir/config';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { SiteReconciler } from '@reservoir/application/reconcile/site-reconciler';
import { type FederatedSite } from '@reservoir/application/federation/federated-site';
import { BROKER_CONFIG, FEDERATED_SITE } from '../tokens';

/** The federation's sites as this one sees them, and what its reconcile loop sees that nobody asked for. */
@ApiTags('sites')
@Controller('v1/sites')
export class SitesController {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(SiteReconciler) private readonly reconciler: SiteReconciler,
    @Inject(FEDERATED_SITE) private readonly federation: FederatedSite | null,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The peer sites of the federation as this site sees them: [{id, state: alive|suspect|dead, lastHeartbeatAt}] (empty when it runs alone)' })
  sites(): { id: string; state: string; lastHeartbeatAt: string | null }[] {
    return this.federation?.liveness.sites() ?? [];
  }

  @Get(':site/orphans')
  @ApiOperation({ summary: "Domains on this site's hosts that no VEE owns (reported by the reconcile loop, never destroyed); site 'local' or this site's id" })
  orphans(@Param('site') site: string): { items: object[]; total: number } {
    if (site !== 'local' && site !== this.config.siteId) throw DomainError.notFound('site', site);
    const items = this.reconciler.orphans().map((o) => ({ ...o, firstSeenAt: o.firstSeenAt.toISOString(), lastSeenAt: o.lastSeenAt.toISOString() }));
    return { items, total: items.length };
  }
}
