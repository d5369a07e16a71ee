import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FailoverVeeQuery } from '@reservoir/application/protection/failover-vee-query';
import { toVeeView, type VeeView } from '../services/service.view';

/** One VEE by id, with its protection level and what failover makes of it. */
@ApiTags('vees')
@Controller('v1/vees')
export class VeesController {
  constructor(@Inject(FailoverVeeQuery) private readonly query: FailoverVeeQuery) {}

  @Get(':id')
  @ApiOperation({
    summary: "A VEE: tier, host, phase, role, protection, domain, console log and, while failover watches it, " +
      '`failover: {state, since, reason, lastAction?: {type, step, attempt, at}}` (state: healthy, suspect, recovering, probation or lost)',
  })
  @ApiResponse({ status: 404, description: '{errors: [{path, message}]}: no VEE with that id' })
  async get(@Param('id') id: string): Promise<VeeView> {
    const { vee, protection, failover } = await this.query.get(id);
    return toVeeView(vee, protection, failover);
  }
}
