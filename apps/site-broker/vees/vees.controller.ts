import { Controller, Get, Inject, Optional, Param } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FailoverVeeQuery } from '@reservoir/application/protection/failover-vee-query';
import { VeeProtectionDetailsQuery } from '@reservoir/application/protection/vee-protection-details';
import { toVeeView, type VeeView } from '../services/service.view';

/** One VEE by id, with its protection level, what failover makes of it and, when protected, its RPO and conditions. */
@ApiTags('vees')
@Controller('v1/vees')
export class VeesController {
  constructor(
    @Inject(FailoverVeeQuery) private readonly query: FailoverVeeQuery,
    /** Absent in apps without checkpoints (and in tests that only look at failover). */
    @Optional() @Inject(VeeProtectionDetailsQuery) private readonly details?: VeeProtectionDetailsQuery,
  ) {}

  @Get(':id')
  @ApiOperation({
    summary: "A VEE: tier, host, phase, role, protection, domain, console log and, while failover watches it, " +
      '`failover: {state, since, reason, lastAction?: {type, step, attempt, at}}` (state: healthy, suspect, recovering, probation or lost); ' +
      'for a checkpoint or live-standby VEE also `rpo: {configuredMs, achievedMs, degraded, message?}` (while checkpoints are scheduled), ' +
      '`conditions: [{type, message}]` (e.g. RpoDegraded, CheckpointFailing) and, once wired, `standby`',
  })
  @ApiResponse({ status: 404, description: '{errors: [{path, message}]}: no VEE with that id' })
  async get(@Param('id') id: string): Promise<VeeView> {
    const { vee, protection, failover } = await this.query.get(id);
    return toVeeView(vee, protection, failover, await this.details?.of(vee.id, protection));
  }
}
