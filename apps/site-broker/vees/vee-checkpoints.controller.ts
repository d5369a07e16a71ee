import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@reservoir/domain/shared/domain-error';
import { CheckpointService } from '@reservoir/application/protection/checkpoint-service';
import { type CheckpointView, type GroupCutView, type RollbackView, toCheckpointView, toGroupCutView, toRollbackView } from './checkpoint.view';

/** Checkpoints of VEEs, group cuts of services and rollbacks to a cut. Errors: {errors: [{path, message}]}. */
@ApiTags('checkpoints')
@Controller('v1')
export class VeeCheckpointsController {
  constructor(@Inject(CheckpointService) private readonly checkpoints: CheckpointService) {}

  @Post('vees/:id/checkpoints')
  @HttpCode(201)
  @ApiOperation({ summary: "Checkpoint one VEE now (trigger 'api'): a bundle on its host; older ones beyond RESERVOIR_CHECKPOINT_KEEP are pruned" })
  @ApiResponse({ status: 201, description: '{id, veeId, epoch, createdAt, completedAt, complete, sizeBytes, sha256, locations, trigger}' })
  @ApiResponse({ status: 404, description: 'no such VEE' })
  @ApiResponse({ status: 409, description: 'the VEE (or its service) is not running' })
  @ApiResponse({ status: 503, description: 'the host did not write the checkpoint (retry later)' })
  async take(@Param('id') id: string): Promise<CheckpointView> {
    return toCheckpointView(await this.checkpoints.takeVeeCheckpoint(id, 'api'));
  }

  @Get('vees/:id/checkpoints')
  @ApiOperation({ summary: "A VEE's checkpoints, newest first: its own and its parts of group cuts (groupId), complete or in progress" })
  @ApiResponse({ status: 404, description: 'no such VEE' })
  async list(@Param('id') id: string): Promise<{ items: CheckpointView[] }> {
    return { items: (await this.checkpoints.listVeeCheckpoints(id)).map(toCheckpointView) };
  }

  @Post('services/:id/checkpoints')
  @HttpCode(201)
  @ApiOperation({ summary: 'One consistent cut of every VEE of the service: pause (dependents first), checkpoint all, resume (dependencies first)' })
  @ApiResponse({ status: 201, description: '{id, groupId, epoch, members, pauseMsMax, createdAt, complete, reason?}: a discarded cut (complete false) says why and keeps no part' })
  @ApiResponse({ status: 404, description: 'no such service' })
  @ApiResponse({ status: 409, description: 'the service, or one of its VEEs, is not running' })
  async cut(@Param('id') id: string): Promise<GroupCutView> {
    return toGroupCutView(await this.checkpoints.takeGroupCut(id, 'api'));
  }

  @Post('services/:id/rollback')
  @HttpCode(200)
  @ApiOperation({ summary: "Roll the failed VEE's tier and every tier depending on it back to the newest usable common cut; the other tiers keep running" })
  @ApiBody({ schema: { type: 'object', required: ['failedVee'], properties: { failedVee: { type: 'string', description: 'id of the VEE that failed' } } } })
  @ApiResponse({ status: 200, description: '{serviceId, groupId, failedVeeId, epoch, cutCreatedAt, scope, rolledBack, keptRunning, skipped}' })
  @ApiResponse({ status: 400, description: 'no failedVee, or a VEE of another service' })
  @ApiResponse({ status: 404, description: 'no such service or VEE' })
  @ApiResponse({ status: 409, description: 'the service is not running, or no cut can be used (each reason given)' })
  async rollback(@Param('id') id: string, @Body() body: unknown): Promise<RollbackView> {
    return toRollbackView(await this.checkpoints.rollbackGroup(id, failedVeeOf(body)));
  }
}

function failedVeeOf(body: unknown): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).failedVee : undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new DomainError('invalid-input', 'failedVee (the id of the VEE that failed) is required', [{ path: '/failedVee', message: 'required: the id of the VEE that failed' }]);
}
