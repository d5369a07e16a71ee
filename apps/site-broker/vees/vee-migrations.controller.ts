import { Body, Controller, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MigrateVee, type VeeMigration } from '@reservoir/application/deploy/migrate-vee';
import { toVeeView, type VeeView } from '../services/service.view';

/** The API's JSON for a completed migration. */
export interface VeeMigrationView {
  vee: VeeView;
  from: { id: string; name: string };
  to: { id: string; name: string };
  checkpointId?: string;
  startedAt: string;
  completedAt: string;
}

function toMigrationView(m: VeeMigration): VeeMigrationView {
  return {
    vee: toVeeView(m.vee),
    from: m.from,
    to: m.to,
    ...(m.checkpointId === undefined ? {} : { checkpointId: m.checkpointId }),
    startedAt: m.startedAt.toISOString(),
    completedAt: m.completedAt.toISOString(),
  };
}

/** Intra-site live migration of one VEE (libs/application/deploy/migrate-vee.ts). */
@ApiTags('vees')
@Controller('v1/vees')
export class VeeMigrationsController {
  constructor(@Inject(MigrateVee) private readonly migrations: MigrateVee) {}

  @Post(':id/migrations')
  @ApiOperation({
    summary: 'Migrate a running VEE live to another host of the site; a checkpoint or live-standby VEE is checkpointed first ' +
      "(trigger before-migration). Answers when the VEE runs on the target: {vee, from, to, checkpointId?, startedAt, completedAt}",
  })
  @ApiBody({ schema: { type: 'object', required: ['host'], properties: { host: { type: 'string', description: 'target host name or id' } } } })
  @ApiResponse({ status: 201, description: 'migrated' })
  @ApiResponse({ status: 400, description: '{errors: [{path: "/host", message}]}' })
  @ApiResponse({ status: 404, description: 'unknown VEE or host' })
  @ApiResponse({ status: 409, description: 'same host, target down or full, VEE or service not running, or the driver cannot migrate (reason given)' })
  @ApiResponse({ status: 503, description: 'a host did not answer, or the before-migration checkpoint could not be written' })
  async migrate(@Param('id') id: string, @Body() body: unknown): Promise<VeeMigrationView> {
    return toMigrationView(await this.migrations.execute(id, body));
  }
}
