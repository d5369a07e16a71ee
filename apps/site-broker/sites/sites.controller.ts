import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type BrokerConfig } from '@reservoir/config';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { SiteReconciler } from '@reservoir/application/reconcile/site-reconciler';
import { BROKER_CONFIG } from '../tokens';

/** What the site's reconcile loop sees that nobody asked for. */
@ApiTags('sites')
@Controller('v1/sites')
export class SitesController {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(SiteReconciler) private readonly reconciler: SiteReconciler,
  ) {}

  @Get(':site/orphans')
  @ApiOperation({ summary: "Domains on this site's hosts that no VEE owns (reported by the reconcile loop, never destroyed); site 'local' or this site's id" })
  orphans(@Param('site') site: string): { items: object[]; total: number } {
    if (site !== 'local' && site !== this.config.siteId) throw DomainError.notFound('site', site);
    const items = this.reconciler.orphans().map((o) => ({ ...o, firstSeenAt: o.firstSeenAt.toISOString(), lastSeenAt: o.lastSeenAt.toISOString() }));
    return { items, total: items.length };
  }
}
