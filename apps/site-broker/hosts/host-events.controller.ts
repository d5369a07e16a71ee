import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HostEventCheckpoints, type HostEventOutcome } from '@reservoir/application/protection/host-event-checkpoints';
import { HOST_EVENT_TYPES } from '@reservoir/domain/protection/monitoring-rules';

/** The API's JSON for a reported host event and what it led to. */
export type HostEventView = Omit<HostEventOutcome, 'receivedAt' | 'vees'> & {
  receivedAt: string;
  vees: { veeId: string; domain: string; outcome: string; trigger: string; nextAllowedAt?: string; reason?: string }[];
};

function toHostEventView(o: HostEventOutcome): HostEventView {
  return {
    ...o,
    receivedAt: o.receivedAt.toISOString(),
    vees: o.vees.map((v) => {
      const base = { veeId: v.veeId, domain: v.domain, outcome: v.outcome, trigger: v.trigger };
      if (v.outcome === 'debounced') return { ...base, nextAllowedAt: v.nextAllowedAt.toISOString() };
      if (v.outcome === 'skipped') return { ...base, reason: v.reason };
      return base;
    }),
  };
}

/** Host events (monitoring input) that fire the tiers' `<checkpoint-on>` rules. */
@ApiTags('hosts')
@Controller('v1/hosts')
export class HostEventsController {
  constructor(@Inject(HostEventCheckpoints) private readonly events: HostEventCheckpoints) {}

  @Post(':id/events')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Report an event on a host (by id or name). Every running VEE there whose tier declares <checkpoint-on event> for it ' +
      'gets a checkpoint (trigger monitoring-rule:<event>) in the background, at most one per VEE and rule per debounce window',
  })
  @ApiBody({ schema: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: [...HOST_EVENT_TYPES] }, detail: { type: 'string', maxLength: 1000 } } } })
  @ApiResponse({ status: 202, description: '{host, type, detail?, receivedAt, vees: [{veeId, domain, outcome: checkpoint|debounced|skipped, trigger, nextAllowedAt?, reason?}]}' })
  @ApiResponse({ status: 400, description: '{errors: [{path, message}]}: unknown event type or bad body' })
  @ApiResponse({ status: 404, description: 'unknown host' })
  async report(@Param('id') id: string, @Body() body: unknown): Promise<HostEventView> {
    return toHostEventView(await this.events.report(id, body));
  }
}
