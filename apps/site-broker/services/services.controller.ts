import { Body, Controller, Delete, Get, HttpCode, Inject, Optional, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { type BrokerConfig } from '@reservoir/config';
import { SubmitService } from '@reservoir/application/services/submit-service';
import { parsePaging, ServiceQueries } from '@reservoir/application/services/service-queries';
import { DeleteService } from '@reservoir/application/deploy/delete-service';
import { UpdateTier } from '@reservoir/application/deploy/update-tier';
import { FailoverSupervisor } from '@reservoir/application/protection/failover-supervisor';
import { VeeProtectionDetailsQuery } from '@reservoir/application/protection/vee-protection-details';
import { type FederatedSite } from '@reservoir/application/federation/federated-site';
import { BROKER_CONFIG, FEDERATED_SITE } from '../tokens';
import { readXmlBody } from '../http/read-xml-body';
import { toEventView, toServiceView, type ServiceView } from './service.view';

@ApiTags('services')
@Controller('v1/services')
export class ServicesController {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(SubmitService) private readonly submit: SubmitService,
    @Inject(ServiceQueries) private readonly queries: ServiceQueries,
    @Inject(DeleteService) private readonly deleter: DeleteService,
    @Inject(FEDERATED_SITE) private readonly federation: FederatedSite | null,
    @Inject(UpdateTier) private readonly updater: UpdateTier,
    @Inject(FailoverSupervisor) private readonly failover: FailoverSupervisor,
    @Optional() @Inject(VeeProtectionDetailsQuery) private readonly details?: VeeProtectionDetailsQuery,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Submit an XML service manifest (urn:reservoir:service-manifest:1)' })
  @ApiConsumes('application/xml')
  @ApiBody({ schema: { type: 'string', format: 'xml' } })
  @ApiResponse({ status: 201, description: '{id, name, phase: "accepted"}' })
  @ApiResponse({ status: 400, description: '{errors: [{path, message, line?}]} for any rejected manifest' })
  @ApiResponse({ status: 409, description: 'a service with that name already exists' })
  @ApiResponse({ status: 413, description: 'manifest over RESERVOIR_MAX_MANIFEST_BYTES' })
  @ApiResponse({ status: 415, description: 'Content-Type is not application/xml (UTF-8)' })
  async create(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ id: string; name: string; phase: string }> {
    const body = await readXmlBody(req, this.config.manifest.maxBytes);
    const record = await this.submit.execute(body);
    res.location(`/v1/services/${record.id}`);
    return { id: record.id, name: record.name, phase: record.phase };
  }

  @Get()
  @ApiOperation({ summary: 'List services, newest first' })
  async list(@Query('limit') limit?: string, @Query('offset') offset?: string): Promise<{ items: ServiceView[]; total: number }> {
    const paging = parsePaging(limit, offset);
    const page = await this.queries.list(paging.limit, paging.offset);
    return { items: page.items.map((r) => toServiceView(r)), total: page.total };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A service: tiers, relations, QoS, phase, phase history, its VEEs, placement errors, timestamps' })
  async get(@Param('id') id: string): Promise<ServiceView> {
    const record = await this.queries.get(id);
    const [history, vees] = await Promise.all([this.queries.history(id), this.queries.vees(id)]);
    const protectionOf = (tier: string) => record.definition.tiers.find((t) => t.name === tier)?.qos.protection;
    const details = new Map(await Promise.all(vees.map(async (v) => [v.id, await this.details?.of(v.id, protectionOf(v.tier))] as const)));
    const view = toServiceView(record, history, vees, (veeId) => this.failover.status(veeId), (veeId) => details.get(veeId));
    view.replicas = this.federation ? (await this.federation.replicas(record.id)).map(({ site, phase, contract }) => ({ site, phase, contract })) : [];
    if (this.federation && !record.replicaOf) view.loadBalancing = await this.federation.loadBalancing(record);
    return view;
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The service's and its VEEs' phase transitions in time order: {at, subject, id, from, to, reason, by}" })
  async events(@Param('id') id: string): Promise<{ items: ReturnType<typeof toEventView>[] }> {
    return { items: (await this.queries.events(id)).map(toEventView) };
  }

  @Patch(':id/tiers/:tier')
  @HttpCode(202)
  @ApiOperation({
    summary: "Update one tier of a running service: image {ref, sha256?}, software [{name, version}], configuration [{name, value}]. " +
      'Rolls through the tier one VEE at a time (each re-created from the image); at a primary, every replica site gets the same update.',
  })
  @ApiBody({ schema: { type: 'object', properties: { image: { type: 'object' }, software: { type: 'array' }, configuration: { type: 'array' } } } })
  @ApiResponse({ status: 202, description: '{id, tier, revision, phase: "deploying"}: the rollout runs; GET the service or its events to follow it' })
  @ApiResponse({ status: 400, description: '{errors: [{path, message}]}: unknown tier, bad field, unknown image' })
  @ApiResponse({ status: 409, description: 'the service is not running (deploying, failed, deleting…)' })
  async updateTier(@Param('id') id: string, @Param('tier') tier: string, @Body() body: unknown): Promise<{ id: string; tier: string; revision: number; phase: string }> {
    await this.queries.get(id);
    const applied = await this.updater.execute(id, tier, body, { by: 'api' });
    if (!applied) throw new Error('invariant: an API update always has a new revision');
    return { id, tier, revision: applied.revision, phase: applied.service.phase };
  }

  @Get(':id/manifest')
  @ApiOperation({ summary: 'The manifest exactly as submitted' })
  async manifest(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const record = await this.queries.get(id);
    res.status(200).type('application/xml; charset=utf-8').send(Buffer.from(record.manifest));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a service: its VEEs (domains and disks) are removed first; 503 when a host does not answer (retry)' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.deleter.execute(id);
  }
}
