import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { type HostRecord } from '@reservoir/domain/hosts/host-record';
import { HostRegistry } from '@reservoir/application/hosts/host-registry';

/** The API's JSON for a host. */
export type HostView = Omit<HostRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

function toHostView(h: HostRecord): HostView {
  return { ...h, createdAt: h.createdAt.toISOString(), updatedAt: h.updatedAt.toISOString() };
}

@ApiTags('hosts')
@Controller('v1/hosts')
export class HostsController {
  constructor(@Inject(HostRegistry) private readonly hosts: HostRegistry) {}

  @Post()
  @ApiOperation({ summary: 'Register a hypervisor host; its capacity is read from the hypervisor' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'uri'],
      properties: {
        name: { type: 'string' },
        uri: { type: 'string', example: 'sim://h1?vcpu=8&memory-mib=16384&disk-gib=200&failure-domain=rack1' },
        failureDomain: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        overcommit: { type: 'object', properties: { cpu: { type: 'number' }, memory: { type: 'number' } } },
      },
    },
  })
  @ApiResponse({ status: 201, description: 'the host, with capacity, features (features.bandwidthQoS: whether it enforces tier bandwidth, and why not) and health' })
  @ApiResponse({ status: 400, description: '{errors: [{path, message}]} for a bad body or an unsupported URI' })
  @ApiResponse({ status: 409, description: 'name or URI already registered' })
  @ApiResponse({ status: 503, description: 'the host URI does not answer' })
  async register(@Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<HostView> {
    const host = await this.hosts.register(body);
    res.location(`/v1/hosts/${host.id}`);
    return toHostView(host);
  }

  @Get()
  @ApiOperation({ summary: "The site's hosts, by name" })
  async list(): Promise<{ items: HostView[]; total: number }> {
    const hosts = await this.hosts.list();
    return { items: hosts.map(toHostView), total: hosts.length };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<HostView> {
    return toHostView(await this.hosts.get(id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a host (refused while VEEs run there)' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.hosts.remove(id);
  }
}
